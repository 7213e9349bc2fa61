"""Settings: who uses the device, language, auto-lock time, the passphrase, the organisations.

Changing the passphrase follows the first-run rules (``first_run.new_passphrase_errors``), with
the device's own key store mode: a PIN only where the store has a device secret. A wrong current
passphrase counts as a failed unlock (``CaseStore.change_passphrase``), so guessing it here meets
the same back-off as guessing at the unlock screen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from models.domain import Organisation
from models.errors import (
    DamagedRecordError,
    KeyStoreUnavailableError,
    UnlockBackoffError,
    ValidationError,
    WrongPassphraseError,
)
from models.i18n import LANGUAGES, _, current_language, ngettext, set_language
from models.profile import Profile, load_profile, save_profile, validate_profile
from models.store import CaseStore
from ui.viewmodels import preferences
from ui.viewmodels.first_run import (
    FORM,
    PASSPHRASE,
    new_passphrase_errors,
    passphrase_help,
)
from ui.viewmodels.session import MIN_IDLE_LOCK, Clock
from ui.viewmodels.unlock import retry_text

LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English"}  # each in its own language
IDLE_LOCK_CHOICES = tuple(timedelta(minutes=m) for m in (1, 2, 5, 10, 15, 30))
ORGANISATION_NAME_MAX = 200

# Fields of the change-passphrase form, also the keys of ``passphrase_errors``. The new passphrase
# and its repeat use the first-run keys (PASSPHRASE, PASSPHRASE_AGAIN); FORM is for the whole form.
CURRENT_PASSPHRASE = "current_passphrase"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def duration_text(timeout: timedelta) -> str:
    seconds = int(timeout.total_seconds())
    if seconds % 60 == 0:
        minutes = seconds // 60
        return ngettext("{n} minute", "{n} minutes", minutes).format(n=minutes)
    return ngettext("{n} second", "{n} seconds", seconds).format(n=seconds)


@dataclass
class SettingsViewModel:
    store: CaseStore
    idle_lock: timedelta
    profile: Profile | None = None
    damaged: bool = False
    organisations: list[Organisation] = field(default_factory=list)
    organisation_error: str | None = None
    rename_error: str | None = None
    clock: Clock = _utc_now

    # The change-passphrase form. The view copies its fields in; they are emptied after each try.
    current_passphrase: str = ""
    new_passphrase: str = ""
    new_passphrase_again: str = ""
    passphrase_errors: dict[str, str] = field(default_factory=dict)
    passphrase_changed: bool = False
    busy: bool = False

    def load(self) -> None:
        try:
            self.profile = load_profile(self.store)
        except DamagedRecordError:
            self.profile, self.damaged = None, True
        self.organisations = self.store.organisations(include_inactive=True)

    # -- language and auto-lock ---------------------------------------------------------------

    @property
    def language(self) -> str:
        return current_language()

    @property
    def languages(self) -> list[tuple[str, str]]:
        return [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES]

    def set_language(self, language: str) -> None:
        """Switch the whole app's language now, and remember it on this device."""
        set_language(language)
        preferences.save_language(self.store.file, language)

    @property
    def idle_lock_choices(self) -> list[tuple[int, str]]:
        choices = list(IDLE_LOCK_CHOICES)
        if self.idle_lock not in choices:
            choices.append(self.idle_lock)
        return [(int(c.total_seconds()), duration_text(c)) for c in sorted(choices)]

    def set_idle_lock(self, seconds: int) -> None:
        self.idle_lock = max(timedelta(seconds=seconds), MIN_IDLE_LOCK)
        preferences.save_idle_lock(self.store.file, self.idle_lock)

    # -- organisations ----------------------------------------------------------------------

    def _name_error(self, name: str, *, other_than: str | None = None) -> str | None:
        """Why ``name`` (already tidied) cannot be an organisation's name; ``None`` if it can."""
        if not name:
            return _("Fill in the name of the organisation.")
        if len(name) > ORGANISATION_NAME_MAX:
            return _("A name can be at most 200 characters.")
        if any(
            o.name.casefold() == name.casefold() and o.id != other_than for o in self.organisations
        ):
            return _("This organisation is already on the list.")
        return None

    def add_organisation(self, name: str) -> Organisation | None:
        name = " ".join(name.split())
        self.organisation_error = self._name_error(name)
        if self.organisation_error:
            return None
        slug = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-") or "organisatie"
        ids = {o.id for o in self.organisations}
        candidate, n = slug, 2
        while candidate in ids:
            candidate, n = f"{slug}-{n}", n + 1
        organisation = Organisation(id=candidate, name=name, active=True)
        self.store.save_organisation(organisation)
        self.organisation_error = None
        self.organisations = self.store.organisations(include_inactive=True)
        return organisation

    def rename_organisation(self, organisation_id: str, name: str) -> bool:
        """Correct an organisation's name; its id, place in the list and on/off stay.

        Participants refer to the organisation by id, so they show the new name at once.
        False, with ``rename_error`` filled, when the name is empty, too long or already taken.
        """
        organisation = next(o for o in self.organisations if o.id == organisation_id)
        name = " ".join(name.split())
        self.rename_error = self._name_error(name, other_than=organisation_id)
        if self.rename_error:
            return False
        if name != organisation.name:
            self.store.save_organisation(
                Organisation(id=organisation.id, name=name, active=organisation.active)
            )
            self.organisations = self.store.organisations(include_inactive=True)
        return True

    def set_active(self, organisation_id: str, active: bool) -> None:
        organisation = next(o for o in self.organisations if o.id == organisation_id)
        self.store.save_organisation(
            Organisation(id=organisation.id, name=organisation.name, active=active)
        )
        self.organisations = self.store.organisations(include_inactive=True)

    # -- passphrase -------------------------------------------------------------------------

    @property
    def has_device_secret(self) -> bool:
        return not self.store.passphrase_only

    @property
    def new_passphrase_help(self) -> str:
        return passphrase_help(has_device_secret=self.has_device_secret)

    @property
    def passphrase_message(self) -> str | None:
        if not self.passphrase_changed:
            return None
        return _("Your passphrase has been changed. From now on, unlock with the new one.")

    def validate_passphrase_change(self) -> bool:
        """Check the form without deriving a key (fast, on the UI loop); fills the errors."""
        self.passphrase_changed = False
        errors: dict[str, str] = {}
        if not self.current_passphrase:
            errors[CURRENT_PASSPHRASE] = _("Type your current passphrase or PIN.")
        errors.update(
            new_passphrase_errors(
                self.new_passphrase,
                self.new_passphrase_again,
                has_device_secret=self.has_device_secret,
            )
        )
        if not errors and self.new_passphrase == self.current_passphrase:
            errors[PASSPHRASE] = _("The new passphrase is the same as the current one.")
        self.passphrase_errors = errors
        return not errors

    def change_passphrase(self) -> bool:
        """Change the passphrase. Slow (two key derivations): run it off the UI loop.

        True when changed. The typed passphrases are forgotten either way.
        """
        if not self.validate_passphrase_change():
            self._forget_passphrases()
            return False
        current, new = self.current_passphrase, self.new_passphrase
        self._forget_passphrases()
        errors: dict[str, str] = {}
        try:
            self.store.change_passphrase(current, new, now=self.clock())
        except WrongPassphraseError:
            errors[CURRENT_PASSPHRASE] = _(
                "Your current passphrase or PIN is not right. Nothing was changed."
            )
            retry_at = self.store.unlock_status(now=self.clock()).retry_at
            if retry_at is not None:
                errors[FORM] = retry_text(retry_at)
        except UnlockBackoffError as error:
            errors[FORM] = retry_text(error.retry_at)
        except ValidationError as error:  # the rules of the store itself, should the UI's differ
            errors[PASSPHRASE] = error.message
        except (KeyStoreUnavailableError, DamagedRecordError) as error:
            errors[FORM] = error.message
        self.passphrase_errors = errors
        self.passphrase_changed = not errors
        return not errors

    def _forget_passphrases(self) -> None:
        self.current_passphrase = self.new_passphrase = self.new_passphrase_again = ""

    # -- who uses this device -----------------------------------------------------------------

    def save_details(self, name: str, organisation_id: str | None, role: str) -> dict[str, str]:
        """Save the professional's name, organisation and role (what the first run asked).

        Returns ``{field: message}`` for what to fix ("profile.name", "profile.role"); empty when
        saved. The name is the witness of every signature made on this device from now on
        (``models.signing``): signatures already made keep the name they were signed with. Also
        the way to fill them in on a device that has none (a first run cut short).
        """
        known = {o.id for o in self.organisations}
        details = Profile(
            name=" ".join(name.split()),
            organisation_id=organisation_id if organisation_id in known else None,
            role=" ".join(role.split()),
        )
        try:
            validate_profile(details)
        except ValidationError as error:
            return {p.field: p.message for p in error.problems}
        save_profile(self.store, details, now=self.clock())
        self.profile, self.damaged = load_profile(self.store), False
        return {}

    @property
    def organisation_name(self) -> str:
        if self.profile is None or self.profile.organisation_id is None:
            return "—"
        names = {o.id: o.name for o in self.store.organisations(include_inactive=True)}
        return names.get(self.profile.organisation_id, self.profile.organisation_id)

    @property
    def idle_lock_text(self) -> str:
        return duration_text(self.idle_lock)

    @property
    def signing_key_text(self) -> str:
        """This device's signing key fingerprint, as ``python main.py verify`` prints it for each
        signature of a plan PDF (made on first use, like at the first signature)."""
        from models.signing import device_key, key_fingerprint  # cryptography's Ed25519: late

        return key_fingerprint(device_key(self.store, now=self.clock()).public_key)

    @property
    def name_text(self) -> str:
        if self.damaged:
            return _("(damaged record)")
        return self.profile.name if self.profile else "—"

    @property
    def role_text(self) -> str:
        return (self.profile.role if self.profile else "") or "—"

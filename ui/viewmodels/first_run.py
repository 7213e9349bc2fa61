"""First run: set up the device (the professional's profile and the encrypted case file).

The device's Ed25519 signing key pair is made here too, right after the store (issue 4: "the key
pair is made at first-run set-up"); its private key is sealed in the store. ``models.signing``
would also make it on the first signature, but a key made at set-up exists before any meeting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from models.crypto import device_secret, keywrap
from models.crypto.kdf import KdfParams
from models.domain import Organisation
from models.errors import StoreExistsError, ValidationError
from models.i18n import _
from models.organisations import DEFAULT_ORGANISATIONS
from models.profile import Profile, save_profile, validate_profile
from models.signing import device_key
from models.store import CaseStore
from ui.viewmodels.session import Clock

# Form fields, also the keys of ``errors``. "form" is for a message about the whole form.
NAME, ORGANISATION, ROLE, PASSPHRASE, PASSPHRASE_AGAIN, FORM = (
    "name",
    "organisation",
    "role",
    "passphrase",
    "passphrase_again",
    "form",
)
_FIELD_OF_PROBLEM = {"profile.name": NAME, "profile.role": ROLE, "passphrase": PASSPHRASE}


@dataclass
class FirstRunViewModel:
    path: Path
    clock: Clock
    key_store_available: bool = field(default_factory=device_secret.key_store_available)
    organisations: Sequence[Organisation] = DEFAULT_ORGANISATIONS
    kdf_params: KdfParams | None = None  # tests pass cheap parameters

    name: str = ""
    organisation_id: str | None = None
    role: str = ""
    passphrase: str = ""
    passphrase_again: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    busy: bool = False

    @property
    def key_store_warning(self) -> str | None:
        """Plain words for a device without a key store; ``None`` when there is one."""
        if self.key_store_available:
            return None
        return _(
            "This device has no safe place for a secret key. Only your passphrase protects the "
            "case file, so a PIN is not allowed here: choose a passphrase of at least 12 "
            "characters and keep it secret."
        )

    @property
    def passphrase_help(self) -> str:
        return passphrase_help(has_device_secret=self.key_store_available)

    def validate(self) -> bool:
        """Check the form without creating anything; fills ``errors``. True when all is well."""
        errors: dict[str, str] = {}
        try:
            validate_profile(self._profile())
        except ValidationError as error:
            errors.update(_errors_of(error))
        errors.update(
            new_passphrase_errors(
                self.passphrase,
                self.passphrase_again,
                has_device_secret=self.key_store_available,
            )
        )
        self.errors = errors
        return not errors

    def create(self) -> CaseStore | None:
        """Create the store and save the profile. Slow (key derivation): run it off the UI loop.

        Returns the unlocked store, or ``None`` with ``errors`` filled.
        """
        if not self.validate():
            return None
        try:
            store = CaseStore.create(
                self.path, self.passphrase, now=self.clock(), kdf_params=self.kdf_params
            )
        except ValidationError as error:  # e.g. the key store refused the secret: PIN too weak
            self.errors = _errors_of(error)
            return None
        except StoreExistsError as error:
            self.errors = {FORM: error.message}
            return None
        device_key(store, now=self.clock())  # the signing key pair, sealed in the store
        save_profile(store, self._profile(), now=self.clock())
        self.passphrase = self.passphrase_again = ""
        return store

    def _profile(self) -> Profile:
        return Profile(name=self.name, organisation_id=self.organisation_id, role=self.role)


def passphrase_help(*, has_device_secret: bool) -> str:
    """What a new passphrase or PIN must be on this device, in one line."""
    if has_device_secret:
        return _("A PIN of 4 to 12 digits, or a passphrase of at least 8 characters.")
    return _("At least 12 characters, not only digits.")


def new_passphrase_errors(
    passphrase: str, again: str, *, has_device_secret: bool
) -> dict[str, str]:
    """The rules for a new passphrase or PIN (first run and changing it in settings).

    Errors are keyed by ``PASSPHRASE`` and ``PASSPHRASE_AGAIN``; empty when all is well. An
    empty field asks for one, rather than explaining the strength rules for what was not typed.
    """
    if not passphrase:
        return {PASSPHRASE: _("Choose a passphrase or PIN.")}
    try:
        keywrap.check_passphrase(passphrase, has_device_secret=has_device_secret)
    except ValidationError as error:
        return _errors_of(error)
    if passphrase != again:
        return {PASSPHRASE_AGAIN: _("The two passphrases are not the same.")}
    return {}


def _errors_of(error: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for problem in error.problems:
        errors.setdefault(_FIELD_OF_PROBLEM.get(problem.field, FORM), problem.message)
    return errors

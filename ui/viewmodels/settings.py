"""Settings: who uses the device, language, auto-lock time, and the organisations list."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from models.domain import Organisation
from models.errors import DamagedRecordError
from models.i18n import LANGUAGES, _, current_language, ngettext, set_language
from models.profile import Profile, load_profile
from models.store import CaseStore
from ui.viewmodels import preferences
from ui.viewmodels.session import MIN_IDLE_LOCK

LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English"}  # each in its own language
IDLE_LOCK_CHOICES = tuple(timedelta(minutes=m) for m in (1, 2, 5, 10, 15, 30))
ORGANISATION_NAME_MAX = 200


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
        preferences.save_language(self.store, language)

    @property
    def idle_lock_choices(self) -> list[tuple[int, str]]:
        choices = list(IDLE_LOCK_CHOICES)
        if self.idle_lock not in choices:
            choices.append(self.idle_lock)
        return [(int(c.total_seconds()), duration_text(c)) for c in sorted(choices)]

    def set_idle_lock(self, seconds: int) -> None:
        self.idle_lock = max(timedelta(seconds=seconds), MIN_IDLE_LOCK)
        preferences.save_idle_lock(self.store, self.idle_lock)

    # -- organisations ----------------------------------------------------------------------

    def add_organisation(self, name: str) -> Organisation | None:
        name = " ".join(name.split())
        if not name:
            self.organisation_error = _("Fill in the name of the organisation.")
            return None
        if len(name) > ORGANISATION_NAME_MAX:
            self.organisation_error = _("A name can be at most 200 characters.")
            return None
        if any(o.name.casefold() == name.casefold() for o in self.organisations):
            self.organisation_error = _("This organisation is already on the list.")
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

    def set_active(self, organisation_id: str, active: bool) -> None:
        organisation = next(o for o in self.organisations if o.id == organisation_id)
        self.store.save_organisation(
            Organisation(id=organisation.id, name=organisation.name, active=active)
        )
        self.organisations = self.store.organisations(include_inactive=True)

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
    def name_text(self) -> str:
        if self.damaged:
            return _("(damaged record)")
        return self.profile.name if self.profile else "—"

    @property
    def role_text(self) -> str:
        return (self.profile.role if self.profile else "") or "—"

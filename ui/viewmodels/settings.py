"""Settings (this slice: who uses the device and the auto-lock time, read-only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from models.errors import DamagedRecordError
from models.i18n import _, ngettext
from models.profile import Profile, load_profile
from models.store import CaseStore


@dataclass
class SettingsViewModel:
    store: CaseStore
    idle_lock: timedelta
    profile: Profile | None = None
    damaged: bool = False

    def load(self) -> None:
        try:
            self.profile = load_profile(self.store)
        except DamagedRecordError:
            self.profile, self.damaged = None, True

    @property
    def organisation_name(self) -> str:
        if self.profile is None or self.profile.organisation_id is None:
            return "—"
        names = {o.id: o.name for o in self.store.organisations(include_inactive=True)}
        return names.get(self.profile.organisation_id, self.profile.organisation_id)

    @property
    def idle_lock_text(self) -> str:
        seconds = int(self.idle_lock.total_seconds())
        if seconds % 60 == 0:
            minutes = seconds // 60
            return ngettext("{n} minute", "{n} minutes", minutes).format(n=minutes)
        return ngettext("{n} second", "{n} seconds", seconds).format(n=seconds)

    @property
    def name_text(self) -> str:
        if self.damaged:
            return _("(damaged record)")
        return self.profile.name if self.profile else "—"

    @property
    def role_text(self) -> str:
        return (self.profile.role if self.profile else "") or "—"

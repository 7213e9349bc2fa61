"""The sync status line, and when the app syncs in the background: plain functions of ``now``.

The status line (under the app bar, on every app screen) says in a few words where sync stands,
most urgent first, with the rest after a dot:

    Bezig met synchroniseren…                       a cycle runs now
    Nog niet gekoppeld aan een dossierserver        no enrolment yet (tap: the sync screen)
    2 conflicten om op te lossen · …                the user must choose: this comes first
    Offline · 3 wijzigingen wachten                 no connection; nothing is lost
    Synchronisatie gestopt · …                      the server refused (e.g. log in again)
    Gesynchroniseerd 5 minuten geleden · …          "just now" under a minute, then minutes,
                                                    hours, days
    1 wijziging tegengehouden                       held back by the server (see the sync screen)

Counts use ``ngettext``. Changes of cases without the resident's consent are never sent, so they
are not "waiting": the line leaves them out (the sync screen lists them).

Background policy (``SyncSchedule``), chosen because nothing in the issue fixes it:

- Every 60 seconds while sync works: changes reach colleagues within a minute or two, and a pull
  with nothing new costs one small request.
- After a failure (offline, server refusal) the wait doubles: 1, 2, 4, 8 minutes, at most
  10 minutes, so a tablet without a connection all day does not keep its radio busy. The first
  success resets it. "Sync now" on the sync screen always tries at once.
- No sync right after each local save: the next tick picks the change up within a minute, and
  the meeting screen saves on every key press.
- Not at all while the store is locked or the device is not enrolled; after "log in again" is
  needed (the server no longer accepts the login) the background waits for the user: retrying
  without a new password cannot help.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from models.i18n import _, ngettext
from sync.cycle import DEVICE_FULL_CODE, DEVICE_STORAGE_CODE, LOGIN_CODES, SyncState, SyncStatus

INTERVAL = timedelta(seconds=60)
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(minutes=10)
SEPARATOR = " · "


class Tone(StrEnum):
    """How the line looks: calm, busy, or asking for attention."""

    OK = "ok"
    BUSY = "busy"
    ATTENTION = "attention"
    PROBLEM = "problem"


@dataclass(frozen=True, slots=True)
class StatusLine:
    text: str
    tone: Tone

    @property
    def semantics_label(self) -> str:
        return _("Sync status: {status}. Open the sync screen.").format(status=self.text)


def age_text(then: datetime, now: datetime) -> str:
    """``just now``, ``5 minutes ago``, ``2 hours ago``, ``3 days ago`` (a clock set back: now)."""
    seconds = max(int((now - then).total_seconds()), 0)
    if seconds < 60:
        return _("just now")
    minutes = seconds // 60
    if minutes < 60:
        return ngettext("{n} minute ago", "{n} minutes ago", minutes).format(n=minutes)
    hours = minutes // 60
    if hours < 24:
        return ngettext("{n} hour ago", "{n} hours ago", hours).format(n=hours)
    days = hours // 24
    return ngettext("{n} day ago", "{n} days ago", days).format(n=days)


def synced_text(status: SyncStatus, now: datetime) -> str:
    if status.last_synced_at is None:
        return _("Not synced yet")
    return _("Synced {age}").format(age=age_text(status.last_synced_at, now))


def waiting_text(n: int) -> str:
    return ngettext("{n} change waiting", "{n} changes waiting", n).format(n=n)


def conflicts_text(n: int) -> str:
    return ngettext("{n} conflict to resolve", "{n} conflicts to resolve", n).format(n=n)


def held_back_text(n: int) -> str:
    return ngettext("{n} change held back", "{n} changes held back", n).format(n=n)


def status_line(status: SyncStatus | None, now: datetime, *, syncing: bool = False) -> StatusLine:
    """The line for ``status`` (None: not known yet, e.g. while the store opens)."""
    if syncing:
        return StatusLine(_("Syncing…"), Tone.BUSY)
    if status is None:
        return StatusLine(_("Sync status not known yet"), Tone.OK)
    if status.state is SyncState.NOT_ENROLLED:
        return StatusLine(_("Not linked to a dossier server yet"), Tone.OK)
    if status.state is SyncState.WIPED:
        return StatusLine(status.message or _("This device was switched off."), Tone.PROBLEM)
    if status.state is SyncState.SYNCING:
        return StatusLine(_("Syncing…"), Tone.BUSY)
    parts: list[str] = []
    tone = Tone.OK
    if status.conflicts:
        parts.append(conflicts_text(status.conflicts))
        tone = Tone.ATTENTION
    if status.state is SyncState.OFFLINE:
        parts.append(_("Offline"))
        tone = Tone.ATTENTION if tone is Tone.OK else tone
    elif status.state is SyncState.ERROR:
        if status.code in LOGIN_CODES:
            parts.append(_("Log in again to sync"))
        elif status.code == DEVICE_FULL_CODE:
            parts.append(_("Sync stopped: this device is full"))
        elif status.code == DEVICE_STORAGE_CODE:
            parts.append(_("Sync stopped: this device cannot save"))
        else:
            parts.append(_("Sync stopped"))
        tone = Tone.PROBLEM
    else:
        parts.append(synced_text(status, now))
    if status.waiting:
        parts.append(waiting_text(status.waiting))
    if status.held_back:
        parts.append(held_back_text(len(status.held_back)))
        tone = Tone.ATTENTION if tone is Tone.OK else tone
    return StatusLine(SEPARATOR.join(parts), tone)


# -- when to sync in the background ----------------------------------------------------------------


def backoff(failures: int) -> timedelta:
    """The wait after ``failures`` failed cycles in a row: 1, 2, 4, 8, then 10 minutes."""
    if failures <= 0:
        return INTERVAL
    return min(FIRST_BACKOFF * (1 << min(failures - 1, 16)), MAX_BACKOFF)


def is_failure(status: SyncStatus) -> bool:
    return status.state in (SyncState.OFFLINE, SyncState.ERROR)


def needs_the_user(status: SyncStatus) -> bool:
    """Background retries cannot help: a new login (password) or enrolment is needed first."""
    if status.state in (SyncState.NOT_ENROLLED, SyncState.WIPED):
        return True
    return status.state is SyncState.ERROR and status.code in LOGIN_CODES


@dataclass
class SyncSchedule:
    """When the next background cycle is due. Call ``finished`` after every cycle."""

    next_at: datetime | None = None  # None: as soon as possible
    failures: int = 0
    paused: bool = False  # waiting for the user (log in again, enrol)

    def due(self, now: datetime, *, unlocked: bool, enrolled: bool, running: bool) -> bool:
        if running or not unlocked or not enrolled or self.paused:
            return False
        return self.next_at is None or now >= self.next_at

    def finished(self, status: SyncStatus, now: datetime) -> None:
        if needs_the_user(status):
            self.paused = True
            self.next_at = None
            return
        self.paused = False
        self.failures = self.failures + 1 if is_failure(status) else 0
        self.next_at = now + backoff(self.failures)

    def resume(self) -> None:
        """The user did something that may help (enrolled, logged in, pressed "Sync now")."""
        self.paused = False
        self.failures = 0
        self.next_at = None

    def app_resumed(self) -> None:
        """The app came back to the foreground (the professional left the resident's home and
        opened it again, often with a network now): after failed cycles, try again at once
        instead of waiting out the back-off (up to 10 minutes). Waiting for the user (log in
        again, enrol) stays waiting; a healthy schedule keeps its minute."""
        if self.failures and not self.paused:
            self.failures = 0
            self.next_at = None

"""The app session: which screen shows, the store handle, locking by hand and after idle time.

Screens follow from the store's state, never from a URL: no store yet -> first run; a locked store
-> unlock; unlocked -> the app. A guard like this cannot be skipped by typing a route.
The clock is injected, so the idle lock is tested without waiting.

The session opens the store as a ``StoreFile`` (``models.store_file``: ``sqlite3`` and the key,
no SQLAlchemy): unlocking, the preferences, the navigation and My cases need no more. The whole
``CaseStore`` is built on that file when a screen first asks for ``store`` (the app does it in the
background once My cases is drawn), sharing its key and lock: locking one locks both.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from models.store_file import TEAM_LEAD_ROLE, StoreFile

if TYPE_CHECKING:  # the store loads when first used (see the module docstring)
    from models.store import CaseStore

Clock = Callable[[], datetime]

DEFAULT_IDLE_LOCK = timedelta(minutes=5)
IDLE_LOCK_VARIABLE = "KEUKENTAFEL_AUTOLOCK_SECONDS"
MIN_IDLE_LOCK = timedelta(seconds=5)


def idle_lock_from_env(environ: Mapping[str, str] | None = None) -> timedelta:
    """Auto-lock time: ``KEUKENTAFEL_AUTOLOCK_SECONDS`` when set and sensible, else 5 minutes."""
    env = os.environ if environ is None else environ
    text = env.get(IDLE_LOCK_VARIABLE, "").strip()
    if not text:
        return DEFAULT_IDLE_LOCK
    try:
        seconds = int(text)
    except ValueError:
        return DEFAULT_IDLE_LOCK
    return max(timedelta(seconds=seconds), MIN_IDLE_LOCK)


class IdleTimer:
    """Counts time since the last user activity."""

    def __init__(self, timeout: timedelta, clock: Clock) -> None:
        self.timeout = timeout
        self._clock = clock
        self._last = clock()

    def touch(self) -> None:
        self._last = self._clock()

    def remaining(self) -> timedelta:
        return max(self.timeout - (self._clock() - self._last), timedelta(0))

    def expired(self) -> bool:
        return self._clock() - self._last >= self.timeout


class Screen(StrEnum):
    FIRST_RUN = "first_run"
    UNLOCK = "unlock"
    CASES = "cases"
    SETTINGS = "settings"
    NEW_CONTACT = "new_contact"
    CASE = "case"  # one case; needs ``case_id``
    PLAN = "plan"  # plan the MDO of ``case_id``
    MEETING = "meeting"  # meeting mode for ``case_id``
    SIGN = "sign"  # co-signing the plan of the last held meeting of ``case_id``
    SYNC = "sync"  # the dossier server: sync status, conflicts, held back, enrolment
    TEAM = "team"  # the team-lead dashboard: only for an account with the team-lead role


APP_SCREENS = (Screen.CASES, Screen.SETTINGS)  # the destinations of the navigation
CASE_SCREENS = (Screen.CASE, Screen.PLAN, Screen.MEETING, Screen.SIGN)  # about one case


class AppSession:
    """One user's session with the device store."""

    def __init__(self, path: Path, *, clock: Clock, idle_lock: timedelta = DEFAULT_IDLE_LOCK):
        self.path = path
        self.clock = clock
        self.file: StoreFile | None = None
        self._store: CaseStore | None = None
        self._building = threading.Lock()  # the UI and a background task may both ask for it
        self.idle = IdleTimer(idle_lock, clock)
        self._destination = Screen.CASES
        self.case_id: str | None = None

    def start(self) -> None:
        """Open the store's file (locked) if there is one; an older schema is migrated first."""
        if self.file is None and self.path.exists():
            file = StoreFile.open(self.path)
            if file is None:  # not the newest schema: the whole store migrates it
                from models.store import CaseStore

                self.store = CaseStore.open(self.path)
            else:
                self.file = file

    @property
    def store(self) -> CaseStore | None:
        """The whole store, built on the open file when first asked for; None before first run."""
        if self._store is None and self.file is not None:
            with self._building:
                if self._store is None and self.file is not None:
                    from models.store import CaseStore

                    self._store = CaseStore.on_file(self.file)
        return self._store

    @store.setter
    def store(self, store: CaseStore | None) -> None:
        self._store = store
        self.file = store.file if store is not None else None

    @property
    def store_loaded(self) -> bool:
        """Whether the whole store is built already (``store`` would not have to load it)."""
        return self._store is not None

    @property
    def screen(self) -> Screen:
        if self.file is None:
            return Screen.FIRST_RUN
        if self.file.is_locked:
            return Screen.UNLOCK
        if self._destination is Screen.TEAM and not self.is_team_lead():
            return Screen.CASES  # the role was taken away meanwhile
        return self._destination

    def is_team_lead(self) -> bool:
        """The enrolled account has the team-lead role (as the server said at the last login)."""
        return self.file is not None and self.file.account_role() == TEAM_LEAD_ROLE

    def destinations(self) -> tuple[Screen, ...]:
        """The navigation's destinations, in order: a professional never sees the team views."""
        if self.is_team_lead():
            return (Screen.CASES, Screen.TEAM, Screen.SETTINGS)
        return (Screen.CASES, Screen.SETTINGS)

    def go(self, screen: Screen) -> None:
        """Move to an app screen; ignored for first-run and unlock (those follow the store)."""
        if screen is Screen.TEAM:  # ignored for anyone without the team-lead role
            if self.is_team_lead():
                self._destination, self.case_id = screen, None
            self.touch()
            return
        if screen in APP_SCREENS or screen in (Screen.NEW_CONTACT, Screen.SYNC):
            self._destination = screen
            self.case_id = None
        self.touch()

    def open_case(self, case_id: str, screen: Screen = Screen.CASE) -> None:
        """Move to a screen about one case: the case itself, planning its MDO, meeting mode.

        Coming to the case from elsewhere (a list, another case) is one read of it for the audit
        log (NEN 7513); moving between its own screens, and drawing a screen again (a new width,
        another language, after a save) are not.
        """
        if screen in CASE_SCREENS:
            entering = self.case_id != case_id or self._destination not in CASE_SCREENS
            self._destination = screen
            self.case_id = case_id
            if entering:
                self._record_read(case_id)
        self.touch()

    def _record_read(self, case_id: str) -> None:
        if self.file is not None and not self.file.is_locked:
            from models import device_audit  # with the store

            store = self.store
            assert store is not None
            device_audit.case_opened_soon(store, case_id)

    def created(self, store: CaseStore) -> None:
        self.store = store
        self._destination = Screen.CASES
        self.touch()

    def unlocked(self) -> None:
        """Back to work: a case screen (e.g. a meeting locked mid-way) resumes, else my cases.

        A case shown again after unlocking is read again (a new access, for the audit log).
        """
        if self._destination not in CASE_SCREENS or self.case_id is None:
            self._destination = Screen.CASES
            self.case_id = None
        else:
            self._record_read(self.case_id)
        self.touch()

    def touch(self) -> None:
        self.idle.touch()

    def lock(self) -> None:
        if self.file is not None:
            self.file.lock()

    def lock_if_idle(self) -> bool:
        """Lock when the idle time ran out. True when this call locked the store."""
        if self.file is None or self.file.is_locked or not self.idle.expired():
            return False
        self.lock()
        return True

    def close(self) -> None:
        if self._store is not None:
            self._store.close()  # closes its file too
        elif self.file is not None:
            self.file.close()
        self.store = None

"""Background sync for the app shell: one cycle at a time, off the UI thread, on the schedule.

``BackgroundSync.tick(now)`` is called every few seconds by the shell's task. It

- does nothing while there is no store or it is locked (and forgets nothing either);
- reads the local status once the store is unlocked (is the device enrolled? what waits?);
- runs ``sync.cycle.run_cycle`` in a worker thread (``asyncio.to_thread``) when
  ``SyncSchedule.due`` says so, or at once for "Sync now"; a second request while a cycle runs
  waits for that cycle instead of starting another;
- tells the shell: ``on_change`` (status line), ``on_pulled`` (the server sent changes: the
  shell refreshes the open screen only where that is safe), ``on_wiped`` (a revoked device: the
  store is gone).

Locking the store while a cycle runs is safe: every store transaction of the cycle either
completes or rolls back (``LockedError``), and what was sent but not recorded is resent and
acknowledged once by the server. Such a cycle is not counted as a failure.

Imported lazily by ``ui.app`` after the first screen is drawn: it brings in httpx, which the
start-up of the app does not need.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from models import sync_state
from models.errors import KeukentafelError, StorageError, StorageProblem
from models.store import CaseStore
from sync import cycle
from sync.cycle import SyncState, SyncStatus
from ui.viewmodels.sync_status import INTERVAL, StatusLine, SyncSchedule, status_line

log = logging.getLogger(__name__)

RunCycle = Callable[[CaseStore], SyncStatus]


class BackgroundSync:
    def __init__(
        self,
        store: Callable[[], CaseStore | None],
        *,
        now: Callable[[], datetime],
        on_change: Callable[[], None] = lambda: None,
        on_pulled: Callable[[], None] = lambda: None,
        on_wiped: Callable[[SyncStatus], None] = lambda _status: None,
        run: RunCycle = cycle.run_cycle,
    ) -> None:
        self._store = store
        self.now = now
        self.on_change = on_change
        self.on_pulled = on_pulled
        self.on_wiped = on_wiped
        self.run = run
        self.schedule = SyncSchedule()
        self.status: SyncStatus | None = None
        self._running: asyncio.Future[SyncStatus | None] | None = None
        self._seen_unlocked = False

    @property
    def syncing(self) -> bool:
        return self._running is not None and not self._running.done()

    def line(self) -> StatusLine | None:
        """The status line now; None while nothing is known (locked, no store)."""
        if self.status is None and not self.syncing:
            return None
        return status_line(self.status, self.now(), syncing=self.syncing)

    def _unlocked_store(self) -> CaseStore | None:
        store = self._store()
        if store is None or store.is_locked:
            return None
        return store

    async def tick(self) -> None:
        store = self._unlocked_store()
        if store is None:
            self._seen_unlocked = False
            return
        if not self._seen_unlocked or self.status is None:
            self._seen_unlocked = True
            await self.refresh()
        status = self.status
        enrolled = status is not None and status.state is not SyncState.NOT_ENROLLED
        if self.schedule.due(self.now(), unlocked=True, enrolled=enrolled, running=self.syncing):
            await self.sync_now(scheduled=True)

    async def refresh(self) -> None:
        """Read the status from the store (no network), e.g. after unlocking or enrolling."""
        store = self._unlocked_store()
        if store is None:
            return
        try:
            local = await asyncio.to_thread(cycle.local_status, store)
        except KeukentafelError:  # locked meanwhile
            return
        if self.status is not None and self.status.state in (SyncState.OFFLINE, SyncState.ERROR):
            # Keep saying "offline" until a cycle says otherwise; the counts are new.
            local = cycle.local_status(
                store, self.status.state, message=self.status.message, code=self.status.code
            )
        self.status = local
        self.on_change()

    async def sync_now(self, *, scheduled: bool = False) -> SyncStatus | None:
        """Run one cycle now (or wait for the one running). None when the store is locked."""
        if self._running is not None and not self._running.done():
            return await asyncio.shield(self._running)
        if not scheduled:
            self.schedule.resume()
        store = self._unlocked_store()
        if store is None:
            return None
        running: asyncio.Future[SyncStatus | None] = asyncio.get_running_loop().create_future()
        self._running = running
        self.on_change()
        status: SyncStatus | None = None
        pulled = False
        try:
            status, pulled = await asyncio.to_thread(self._cycle, store)
            if status is None:  # locked while it ran: try again on the normal schedule
                self.schedule.next_at = self.now() + INTERVAL
            else:
                self.status = status
                self.schedule.finished(status, self.now())
        finally:
            running.set_result(status)
        self.on_change()
        if status is not None and status.state is SyncState.WIPED:
            self.on_wiped(status)
        elif pulled:
            self.on_pulled()
        return status

    def _cycle(self, store: CaseStore) -> tuple[SyncStatus | None, bool]:
        """In the worker thread: one cycle, and whether the server sent anything."""
        try:
            with store.reading() as (conn, _sealer):
                before = sync_state.cursor(conn)
            status = self.run(store)
            if status.state is SyncState.WIPED:
                return status, False
            with store.reading() as (conn, _sealer):
                after = sync_state.cursor(conn)
        except StorageError as error:
            # The device refused a write (full, read-only): say so on the status line, like any
            # stopped sync, and back off. The store rolled the write back: nothing half-applied.
            log.warning("sync cycle stopped: the device refused a write (%s)", error.problem.value)
            full = error.problem is StorageProblem.FULL
            code = cycle.DEVICE_FULL_CODE if full else cycle.DEVICE_STORAGE_CODE
            try:
                stopped = cycle.local_status(
                    store, SyncState.ERROR, message=error.message, code=code
                )
            except KeukentafelError:
                return None, False
            return stopped, False
        except KeukentafelError as error:
            log.info("sync cycle stopped: %s", type(error).__name__)
            return None, False
        return status, after != before

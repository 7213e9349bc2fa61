"""The shell's background sync: when it runs, what it tells the shell. The cycle is a fake here;
the real cycle against a live server is in tests/integration/sync/test_app_sync.py."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta

import pytest

from models import sync_state
from models.errors import LockedError
from models.store import CaseStore
from sync.cycle import SyncState, SyncStatus
from tests.support.factories import NOW, TODAY, a_case_file
from tests.support.storage import device_full
from ui.background_sync import BackgroundSync
from ui.viewmodels.sync_status import Tone

pytestmark = pytest.mark.usefixtures("english")


def enrol(store: CaseStore) -> None:
    account = sync_state.SyncAccount(
        server_url="https://dossier.example.nl",
        device_id="d",
        account_id="a",
        email="e@example.org",
        device_secret="s",
        refresh_token="r",
    )
    with store.writing() as (conn, sealer):
        sync_state.save_account(conn, sealer, account, now=NOW)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class Recorder:
    def __init__(self, *states: SyncState, advance_cursor: bool = False) -> None:
        self.states = list(states)
        self.calls = 0
        self.advance_cursor = advance_cursor
        self.threads: set[str] = set()

    def __call__(self, store: CaseStore) -> SyncStatus:
        self.calls += 1
        self.threads.add(threading.current_thread().name)
        if self.advance_cursor:
            with store.writing() as (conn, _sealer):
                sync_state.set_cursor(conn, sync_state.cursor(conn) + 1)
        state = self.states.pop(0) if self.states else SyncState.SYNCED
        return SyncStatus(state, last_synced_at=NOW)


def make(store: CaseStore | None, run: Recorder, clock: Clock) -> tuple[BackgroundSync, list[str]]:
    events: list[str] = []
    background = BackgroundSync(
        lambda: store,
        now=clock,
        run=run,
        on_change=lambda: events.append("change"),
        on_pulled=lambda: events.append("pulled"),
        on_wiped=lambda status: events.append("wiped"),
    )
    return background, events


def test_nothing_while_not_enrolled(store: CaseStore) -> None:
    run, clock = Recorder(), Clock()
    background, _events = make(store, run, clock)
    asyncio.run(background.tick())
    assert run.calls == 0
    line = background.line()
    assert line is not None and line.text == "Not linked to a dossier server yet"


def test_nothing_while_locked_or_without_a_store(store: CaseStore) -> None:
    enrol(store)
    run, clock = Recorder(), Clock()
    store.lock()
    background, _events = make(store, run, clock)
    asyncio.run(background.tick())
    assert run.calls == 0 and background.line() is None
    nothing, _ = make(None, run, clock)
    asyncio.run(nothing.tick())
    assert run.calls == 0


def test_runs_off_the_ui_thread_then_every_minute(store: CaseStore) -> None:
    enrol(store)
    run, clock = Recorder(), Clock()
    background, events = make(store, run, clock)

    async def ticks() -> None:
        await background.tick()
        assert run.calls == 1
        clock.now += timedelta(seconds=30)
        await background.tick()
        assert run.calls == 1
        clock.now += timedelta(seconds=30)
        await background.tick()
        assert run.calls == 2

    asyncio.run(ticks())
    assert threading.current_thread().name not in run.threads
    line = background.line()
    assert line is not None and line.text.startswith("Synced")
    assert "change" in events and "pulled" not in events


def test_offline_backs_off(store: CaseStore) -> None:
    enrol(store)
    run, clock = Recorder(SyncState.OFFLINE, SyncState.OFFLINE), Clock()
    background, _events = make(store, run, clock)

    async def ticks() -> None:
        await background.tick()  # fails: next in 1 minute
        clock.now += timedelta(minutes=1)
        await background.tick()  # fails again: next in 2 minutes
        clock.now += timedelta(minutes=1)
        await background.tick()
        assert run.calls == 2
        clock.now += timedelta(minutes=1)
        await background.tick()
        assert run.calls == 3

    asyncio.run(ticks())
    line = background.line()
    assert line is not None and line.text.startswith("Synced")


def test_changes_from_the_server_are_reported(store: CaseStore) -> None:
    enrol(store)
    run, clock = Recorder(advance_cursor=True), Clock()
    background, events = make(store, run, clock)
    asyncio.run(background.tick())
    assert "pulled" in events


def test_a_wiped_device_is_reported_once_and_stops(store: CaseStore) -> None:
    enrol(store)
    run, clock = Recorder(SyncState.WIPED), Clock()
    background, events = make(store, run, clock)
    asyncio.run(background.tick())
    assert events.count("wiped") == 1
    clock.now += timedelta(hours=1)
    asyncio.run(background.tick())
    assert run.calls == 1


def test_sync_now_while_a_cycle_runs_waits_for_it(store: CaseStore) -> None:
    enrol(store)
    gate = threading.Event()
    calls: list[int] = []

    def slow(s: CaseStore) -> SyncStatus:
        calls.append(1)
        gate.wait(5)
        return SyncStatus(SyncState.SYNCED, last_synced_at=NOW)

    background = BackgroundSync(lambda: store, now=Clock(), run=slow)

    async def both() -> tuple[SyncStatus | None, SyncStatus | None]:
        first = asyncio.ensure_future(background.sync_now())
        await asyncio.sleep(0.05)
        assert background.syncing
        line = background.line()
        assert line is not None and line.text == "Syncing…"
        second = asyncio.ensure_future(background.sync_now())
        await asyncio.sleep(0.05)
        gate.set()
        return await first, await second

    a, b = asyncio.run(both())
    assert len(calls) == 1 and a is b and a is not None


def test_locked_in_the_middle_is_no_failure(store: CaseStore) -> None:
    enrol(store)

    def locked(s: CaseStore) -> SyncStatus:
        raise LockedError()

    clock = Clock()
    background = BackgroundSync(lambda: store, now=clock, run=locked)
    assert asyncio.run(background.sync_now()) is None
    assert background.schedule.failures == 0
    assert background.schedule.next_at == NOW + timedelta(seconds=60)


def test_a_full_device_stops_sync_with_a_plain_line_and_goes_on_once_there_is_room(
    store: CaseStore,
) -> None:
    enrol(store)
    clock = Clock()
    calls: list[int] = []

    def pull_a_large_case(s: CaseStore) -> SyncStatus:
        """A cycle that applies what the server sent: a write that needs room (a real store)."""
        calls.append(1)
        s.add_case_files([a_case_file(question="Ik wil weer " * 400)], today=TODAY, now=NOW)
        return SyncStatus(SyncState.SYNCED, last_synced_at=NOW)

    background, events = make(store, pull_a_large_case, clock)  # type: ignore[arg-type]
    with device_full(store):
        asyncio.run(background.tick())
    assert calls == [1]
    line = background.line()
    assert line is not None and line.text.startswith("Sync stopped: this device is full")
    assert line.tone is Tone.PROBLEM
    assert background.status is not None and "device is full" in (background.status.message or "")
    assert background.schedule.failures == 1  # backs off like any failed cycle
    assert "pulled" not in events

    clock.now += timedelta(minutes=1)  # room again
    asyncio.run(background.tick())
    assert calls == [1, 1]
    line = background.line()
    assert line is not None and line.text.startswith("Synced")

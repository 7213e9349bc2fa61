"""The server's per-device sync limit (429 ``too_many_requests``) against the real sync cycle.

The server here allows three sync requests per device per minute, and its limiter's clock is
replaced so that the minute can pass without waiting. A cycle that meets the limit stops with
"wait N minutes": nothing is dropped or held back, the background schedule tries again later by
itself (no login needed), and the next cycle after the window sends everything exactly once.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import Session, select

from models.outbox import items as outbox_items
from models.store import CaseStore
from server.app import create_app
from server.limits import RateLimiter
from server.models.dossier import ChangeRow
from server.settings import Settings
from sync import cycle
from sync.cycle import SyncState
from sync.errors import TooManyAttemptsError
from tests.integration.server.conftest import make_settings
from tests.integration.server.world import World
from tests.integration.sync.conftest import Professional, StoreMaker
from tests.support.factories import TODAY, a_case_file
from ui.viewmodels.sync_status import SyncSchedule, needs_the_user


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url).model_copy(update={"rate_limit_sync_per_device": 3})


@pytest.fixture
def app(settings: Settings, engine: Engine, clock: Clock) -> FastAPI:
    app = create_app(settings, engine=engine)
    app.state.rate_limiter = RateLimiter(clock=clock)
    return app


def _queued(store: CaseStore) -> dict[str, tuple[str, str | None]]:
    with store.reading() as (conn, sealer):
        return {i.mutation_id: (i.state, i.reason) for i in outbox_items(conn, sealer)}


def _on_server(world: World) -> Counter[str]:
    with Session(world.engine) as session:
        return Counter(str(m) for m in session.exec(select(ChangeRow.mutation_id)).all())


def test_a_cycle_over_the_sync_limit_waits_and_drops_nothing(
    world: World,
    live_url: str,
    professional: Professional,
    new_store: StoreMaker,
    clock: Clock,
) -> None:
    store = new_store("tablet")
    who = professional
    cycle.enrol_device(
        store, live_url, world.code(who.org), email=who.email, password=who.password, label="t"
    )
    store.add_case_files([a_case_file()], today=TODAY, now=datetime.now(UTC))
    first = set(_queued(store))
    assert cycle.run_cycle(store).state is SyncState.SYNCED  # pull, push, pull: the limit

    store.add_case_files([a_case_file(name="Sem Jansen")], today=TODAY, now=datetime.now(UTC))
    second = _queued(store)
    limited = cycle.run_cycle(store)

    assert limited.state is SyncState.ERROR
    assert limited.code == "too_many_requests"
    assert limited.message == TooManyAttemptsError(60).message  # "wait 1 minute"
    assert _queued(store) == second  # still waiting, nothing held back or dropped
    assert limited.waiting == len(second) and not limited.held_back
    assert set(_on_server(world)) == first
    # A temporary condition: the background schedule backs off and tries again by itself.
    schedule = SyncSchedule()
    now = datetime.now(UTC)
    schedule.finished(limited, now)
    assert not needs_the_user(limited) and not schedule.paused
    assert schedule.next_at is not None and (schedule.next_at - now).total_seconds() >= 60

    clock.now += 60
    assert cycle.run_cycle(store).state is SyncState.SYNCED
    assert _queued(store) == {}
    on_server = _on_server(world)
    assert set(on_server) == first | set(second)
    assert set(on_server.values()) == {1}  # every change exactly once

"""The server's body-size cap on push (413 ``body_too_large``) against the real sync cycle.

Here the server accepts pushes of at most 8 KiB (texts are capped at 500 characters on the
device, so with the real 1 MiB cap only an unusual server refuses a batch), so the device's
batches are too large: the cycle halves them until they fit, and everything arrives exactly once.
A single change too large on its own is held back, visible with the reason ``too_large``, and
blocks nothing else.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from models.outbox import items as outbox_items
from models.store import CaseStore
from server.models.dossier import ChangeRow
from server.settings import Settings
from sync import cycle
from sync.cycle import SyncState
from tests.integration.server.conftest import make_settings
from tests.integration.server.world import World
from tests.integration.sync.conftest import Professional, StoreMaker
from tests.support.factories import TODAY, a_case_file

CAP = 8 * 1024


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url).model_copy(update={"max_push_body_bytes": CAP})


def _queued(store: CaseStore) -> dict[str, tuple[str, str | None]]:
    with store.reading() as (conn, sealer):
        return {i.mutation_id: (i.state, i.reason) for i in outbox_items(conn, sealer)}


def _on_server(world: World) -> Counter[str]:
    with Session(world.engine) as session:
        return Counter(str(m) for m in session.exec(select(ChangeRow.mutation_id)).all())


def _enrol(store: CaseStore, world: World, url: str, who: Professional) -> None:
    cycle.enrol_device(
        store, url, world.code(who.org), email=who.email, password=who.password, label="tablet"
    )


def test_batches_too_large_for_the_server_are_sent_in_halves(
    world: World, live_url: str, professional: Professional, new_store: StoreMaker
) -> None:
    store = new_store("tablet")
    _enrol(store, world, live_url, professional)
    store.add_case_files([a_case_file() for _ in range(6)], today=TODAY, now=datetime.now(UTC))
    queued = set(_queued(store))
    assert len(queued) > 30  # far more than 8 KiB in one batch

    status = cycle.run_cycle(store)

    assert status.state is SyncState.SYNCED, status
    assert status.waiting == 0 and not status.held_back
    assert _queued(store) == {}
    on_server = _on_server(world)
    assert set(on_server) == queued
    assert set(on_server.values()) == {1}  # every change exactly once


def test_a_change_too_large_on_its_own_is_held_back_and_blocks_nothing(
    world: World, live_url: str, professional: Professional, new_store: StoreMaker
) -> None:
    store = new_store("tablet")
    _enrol(store, world, live_url, professional)
    huge = a_case_file(question="🙂" * 5000)  # the case record: ~20 KB as UTF-8 JSON
    ordinary = a_case_file()
    store.add_case_files([huge, ordinary], today=TODAY, now=datetime.now(UTC))
    queued = _queued(store)
    with store.reading() as (conn, sealer):
        by_case = {i.mutation_id: i.case_id for i in outbox_items(conn, sealer)}

    first = cycle.run_cycle(store)
    assert first.state is SyncState.SYNCED, first
    # Smaller batches may split a case's first changes from its consent: those that were held
    # back for it go again in the next cycle, as the app's background sync runs anyway.
    status = cycle.run_cycle(store)

    assert status.state is SyncState.SYNCED, status
    left = _queued(store)
    too_large = {m for m, (state, reason) in left.items() if reason == "too_large"}
    assert len(too_large) == 1  # the case record with the long question
    assert all(left[m][0] == "held_back" for m in too_large)
    # The rest of that case waits for its consent, which travels on the held-back case record.
    assert {by_case[m] for m in left} == {huge.case.id}
    assert {h.reason for h in status.held_back} == {"too_large", "no_consent"}
    on_server = _on_server(world)
    assert {m for m, case in by_case.items() if case == ordinary.case.id} <= set(on_server)
    assert set(on_server) | set(left) == set(queued)  # nothing lost
    assert not set(on_server) & set(left)
    assert set(on_server.values()) == {1}

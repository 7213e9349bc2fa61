"""Closed cases leave the tablet (issue #5: "the tablet keeps only the active caseload";
``models.caseload``): a shared case closed 29 days ago leaves tablet A after a sync, stays on the
dossier, and comes back whole when a colleague reopens it; an unshared closed case, a case closed
27 days ago and a case with a change waiting stay. Two real app stores, the real server app on
loopback, SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import text

from models import queries
from models.domain import CaseFile, Participant, ParticipantRole
from models.store import CaseStore
from sync import cycle
from sync.cycle import SyncState
from tests.integration.server.world import World
from tests.integration.sync.conftest import Professional, StoreMaker, make_professional
from tests.integration.sync.test_two_devices import comparable, enrol, outbox_of
from tests.support.factories import NOW, TODAY, a_case_file
from tests.support.store_scan import ids_of_case, rows_naming

LATER = NOW + timedelta(hours=1)


def _clock() -> Callable[[], datetime]:
    return lambda: LATER


def _b_clock() -> Callable[[], datetime]:
    """Tablet B syncs five days earlier: for B, no case has been closed 28 days yet."""
    return lambda: LATER - timedelta(days=5)


def _closed_case(name: str, *, days_ago: int, consent: bool = True) -> CaseFile:
    contact = TODAY - timedelta(days=days_ago + 30)
    made = a_case_file(name=name, contact=contact, held_on=contact + timedelta(days=10))
    assert made.case.consent is not None
    made.case.consent = dataclasses.replace(made.case.consent, given=consent)
    made.case.closed_on = TODAY - timedelta(days=days_ago)
    made.case.closing_note = "Afgerond: de schulden zijn geregeld."
    return made


def _released(store: CaseStore) -> list[str]:
    with store.engine.connect() as conn:
        return sorted(conn.execute(text("SELECT case_id FROM released_cases")).scalars())


def _link(store: CaseStore, made: CaseFile, who: Professional) -> None:
    store.save_participant(
        Participant(
            case_id=made.case.id,
            role=ParticipantRole.PROFESSIONAL,
            name="Noor Jansen",
            relation="maatschappelijk werker",
            account_id=str(who.account_id),
        )
    )


def test_a_closed_shared_case_leaves_tablet_a_and_comes_back_whole(
    world: World, live_url: str, professional: Professional, new_store: StoreMaker
) -> None:
    colleague = make_professional(world, professional.org, "maatschappelijk-werker@example.org")
    a, b = new_store("a"), new_store("b")
    enrol(a, world, live_url, professional)
    enrol(b, world, live_url, colleague)

    leaving = _closed_case("Fenna de Bruijn", days_ago=29)
    recent = _closed_case("Bram Kuipers", days_ago=27)
    unshared = _closed_case("Ilse Verbeek", days_ago=400, consent=False)
    busy = _closed_case("Sanne Vos", days_ago=29)
    busy.case.closed_on = None  # closed later, with a change that meets a colleague's edit
    a.add_case_files([leaving, recent, unshared, busy], today=TODAY, now=NOW)
    _link(a, leaving, colleague)
    _link(a, busy, colleague)
    leaving_ids = ids_of_case(a, leaving.case.id)
    assert len(leaving_ids) > 5 and rows_naming(a, leaving_ids)  # the scan sees the case

    status = cycle.run_cycle(a, now=_clock())
    assert status.state is SyncState.SYNCED
    assert status.cases_released == 1 and status.cases_removed == 0
    # Nothing of the case is left on A but its id, kept to ask for the case again.
    assert rows_naming(a, leaving_ids) == {"released_cases": 1}
    assert _released(a) == [leaving.case.id]
    assert not a.has_case(leaving.case.id)
    # The closed case never shared, the case closed 27 days ago and the open one stay.
    for stays in (recent, unshared, busy):
        assert a.has_case(stays.case.id)
    assert queries.case_file(a, unshared.case.id).case.closed_on == unshared.case.closed_on
    assert outbox_of(a) != []  # the unshared case's changes stay here, unsent

    # The dossier keeps it: the colleague's tablet gets the whole case.
    assert cycle.run_cycle(b, now=_b_clock()).state is SyncState.SYNCED
    assert len(ids_of_case(b, leaving.case.id)) == len(leaving_ids)

    # A change of the busy case meets a colleague's edit: an open question on A keeps it there.
    on_b = queries.case_file(b, busy.case.id).case
    b.update_case(dataclasses.replace(on_b, question="Hun versie"), today=TODAY, now=NOW)
    assert cycle.run_cycle(b, now=_b_clock()).state is SyncState.SYNCED
    on_a = queries.case_file(a, busy.case.id).case
    closing = dataclasses.replace(
        on_a, question="Mijn versie", closed_on=TODAY - timedelta(days=29)
    )
    a.update_case(closing, today=TODAY, now=NOW)
    status = cycle.run_cycle(a, now=_clock())
    assert status.state is SyncState.SYNCED and status.conflicts == 1
    assert status.cases_released == 0 and a.has_case(busy.case.id)
    assert outbox_of(a) != []
    # Answered and acknowledged: then it leaves.
    (question,) = cycle.open_conflicts(a)
    cycle.resolve_conflict(a, question, keep_mine=True, now=_clock())
    status = cycle.run_cycle(a, now=_clock())
    assert status.state is SyncState.SYNCED and status.conflicts == 0
    assert status.cases_released == 1 and not a.has_case(busy.case.id)
    assert _released(a) == sorted([leaving.case.id, busy.case.id])

    # Nothing changes: the next cycles release nothing and bring nothing back.
    again = cycle.run_cycle(a, now=_clock())
    assert (again.state, again.cases_released) == (SyncState.SYNCED, 0)
    assert not a.has_case(leaving.case.id)

    # The colleague reopens the released case and adds a meeting note: A gets it back whole.
    on_b = queries.case_file(b, leaving.case.id).case
    b.update_case(dataclasses.replace(on_b, closed_on=None), today=TODAY, now=NOW)
    assert cycle.run_cycle(b, now=_b_clock()).state is SyncState.SYNCED
    back = cycle.run_cycle(a, now=_clock())
    assert back.state is SyncState.SYNCED and back.cases_released == 0
    assert comparable(queries.case_file(a, leaving.case.id)) == comparable(
        queries.case_file(b, leaving.case.id)
    )
    assert queries.case_file(a, leaving.case.id).case.closed_on is None
    assert _released(a) == [busy.case.id]
    # and it is a case like any other here: A's edit reaches B
    mine = queries.case_file(a, leaving.case.id).case
    a.update_case(dataclasses.replace(mine, question="Weer open"), today=TODAY, now=NOW)
    assert cycle.run_cycle(a, now=_clock()).state is SyncState.SYNCED
    assert cycle.run_cycle(b, now=_b_clock()).state is SyncState.SYNCED
    assert queries.case_file(b, leaving.case.id).case.question == "Weer open"

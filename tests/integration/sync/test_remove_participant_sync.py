"""Taking a colleague off a case while another tablet edits them: their access on the server ends
with the first sync, whatever the other tablet changed. Two app stores, the real server on loopback.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import queries
from models.domain import Participant, ParticipantRole
from server.models.dossier import CaseMember
from sync import cycle
from sync.cycle import SyncState
from tests.integration.server.world import World
from tests.integration.sync.conftest import Professional, StoreMaker, make_professional
from tests.integration.sync.test_two_devices import enrol
from tests.support.factories import TODAY, a_case_file


def memberships(engine: Engine, participant_id: str) -> list[uuid.UUID]:
    with Session(engine) as session:
        rows = session.exec(
            select(CaseMember).where(CaseMember.participant_id == uuid.UUID(participant_id))
        ).all()
        return [r.account_id for r in rows]


@pytest.mark.parametrize("their_edit", ["contact", "relation"])
def test_removal_ends_access_even_when_another_tablet_changed_the_person_meanwhile(
    world: World,
    live_url: str,
    engine: Engine,
    professional: Professional,
    new_store: StoreMaker,
    their_edit: str,
) -> None:
    colleague = make_professional(world, professional.org, "maatschappelijk-werker@example.org")
    a, b = new_store("a"), new_store("b")
    enrol(a, world, live_url, professional)
    enrol(b, world, live_url, professional)
    f = a_case_file()
    a.add_case_files([f], today=TODAY, now=datetime.now(UTC))
    linked = Participant(
        case_id=f.case.id,
        role=ParticipantRole.PROFESSIONAL,
        name="Noor Jansen",
        relation="maatschappelijk werker",
        contact="06-12345678",
        account_id=str(colleague.account_id),
    )
    a.save_participant(linked)
    assert cycle.run_cycle(a).state is SyncState.SYNCED
    assert cycle.run_cycle(b).state is SyncState.SYNCED
    assert memberships(engine, linked.id) == [colleague.account_id]

    # Offline on both: tablet A takes the colleague off the case; tablet B updates them.
    a.remove_participant(linked.id, today=TODAY)
    b.save_participant(dataclasses.replace(linked, **{their_edit: "bijgewerkt"}))
    assert cycle.run_cycle(b).state is SyncState.SYNCED
    cycle.run_cycle(a)  # A's cleared field meets B's new value: a question for A's user

    # The question is about that field only; the removal itself went through.
    assert [c.field for c in cycle.open_conflicts(a)] == [their_edit]
    assert memberships(engine, linked.id) == []

    # Whichever side A's user takes, both tablets end with the colleague removed.
    [conflict] = cycle.open_conflicts(a)
    cycle.resolve_conflict(a, conflict, keep_mine=True)
    for store in (a, b, a, b):
        assert cycle.run_cycle(store).state is SyncState.SYNCED
    for store in (a, b):
        people = queries.case_file(store, f.case.id).participants
        person = next(p for p in people if p.id == linked.id)
        assert (person.removed_on, person.account_id, getattr(person, their_edit)) == (
            TODAY,
            None,
            "",
        )
    assert memberships(engine, linked.id) == []

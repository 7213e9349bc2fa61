"""Removing a participant: the record stays, marked with the day, and the change is queued as an
upsert in the same transaction (never a sync deletion); refused while the case file still needs
the person."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from models import outbox, queries
from models.changes import Entity
from models.domain import Participant, ParticipantRole
from models.errors import DamagedRecordError, RecordNotFoundError
from models.store import PARTICIPANTS, CaseStore, ParticipantInUseError
from tests.support.factories import NOW, TODAY, a_case_file

pytestmark = pytest.mark.usefixtures("english")


def queued(store: CaseStore) -> list[outbox.OutboxItem]:
    with store.reading() as (conn, sealer):
        return outbox.items(conn, sealer)


def test_a_participant_nobody_depends_on_is_marked_removed_and_queued_as_an_upsert(
    store: CaseStore,
) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    neighbour = Participant(
        case_id=f.case.id,
        role=ParticipantRole.PROFESSIONAL,
        name="Kees Smit",
        relation="buurtwerker",
        contact="06-12345678",
        organisation_id="welzijn",
        account_id="1b4e28ba-2fa1-11d2-883f-0016d3cca427",
    )
    store.save_participant(neighbour)
    with store.engine.begin() as conn:
        outbox.set_base(conn, Entity.PARTICIPANT, neighbour.id, 11)
    before = len(queued(store))

    removed = store.remove_participant(neighbour.id, today=TODAY)

    kept = {p.id: p for p in queries.case_file(store, f.case.id).participants}[neighbour.id]
    assert kept == removed
    assert (kept.name, kept.role, kept.organisation_id) == (
        "Kees Smit",
        ParticipantRole.PROFESSIONAL,
        "welzijn",
    )
    # Contact details and the dossier account go: the account's access to the case ends with it.
    assert (kept.relation, kept.contact, kept.account_id, kept.removed_on) == ("", "", None, TODAY)
    # The removal goes first and alone, so a question about the cleared fields (another tablet
    # changed them meanwhile) never holds it back on the way to the server.
    removal, clearing = queued(store)[before:]
    for item in (removal, clearing):
        assert (item.entity, item.record_id, item.op) == (
            Entity.PARTICIPANT,
            neighbour.id,
            "upsert",
        )
        assert (item.base_seq, item.case_id) == (11, f.case.id)
    assert removal.fields == {"removed_on": TODAY.isoformat()}
    assert clearing.fields == {"relation": "", "contact": "", "account_id": None}


def test_removing_someone_already_removed_changes_and_queues_nothing(store: CaseStore) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    neighbour = Participant(case_id=f.case.id, role=ParticipantRole.NETWORK, name="Kees Smit")
    store.save_participant(neighbour)
    store.remove_participant(neighbour.id, today=TODAY)
    before = len(queued(store))
    again = store.remove_participant(neighbour.id, today=TODAY + timedelta(days=3))
    assert again.removed_on == TODAY  # the first day stands
    assert len(queued(store)) == before


def test_a_damaged_participant_is_not_written_over_with_blanks(store: CaseStore) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    neighbour = Participant(case_id=f.case.id, role=ParticipantRole.NETWORK, name="Kees Smit")
    store.save_participant(neighbour)
    with store.engine.begin() as conn:  # another row's sealed name, moved here: it fails to open
        other = conn.execute(
            select(PARTICIPANTS.c.name).where(PARTICIPANTS.c.id == f.participants[1].id)
        ).scalar_one()
        conn.execute(
            update(PARTICIPANTS).where(PARTICIPANTS.c.id == neighbour.id).values(name=other)
        )
    before = len(queued(store))
    with pytest.raises(DamagedRecordError):
        store.remove_participant(neighbour.id, today=TODAY)
    with store.reading() as (conn, _sealer):
        removed_on = conn.execute(
            select(PARTICIPANTS.c.removed_on).where(PARTICIPANTS.c.id == neighbour.id)
        ).scalar_one()
    assert removed_on is None and len(queued(store)) == before


@pytest.mark.parametrize(
    ("who", "reason"),
    [
        (0, ParticipantInUseError.RESIDENT),
        (1, ParticipantInUseError.OWNS_AGREEMENTS),  # the daughter owns an agreement
    ],
)
def test_refused_for_the_resident_and_an_owner_of_agreements(
    store: CaseStore, who: int, reason: str
) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    before = len(queued(store))
    with pytest.raises(ParticipantInUseError) as refused:
        store.remove_participant(f.participants[who].id, today=TODAY)
    assert refused.value.reason == reason and refused.value.message
    assert [p.removed_on for p in queries.case_file(store, f.case.id).participants] == [None] * 3
    assert len(queued(store)) == before  # nothing queued either


def test_refused_when_present_at_a_held_meeting(store: CaseStore) -> None:
    f = a_case_file()
    nurse = f.participants[2]
    f.agreements[1] = dataclasses.replace(f.agreements[1], owner_id=f.participants[1].id)
    store.add_case_files([f], today=TODAY, now=NOW)  # the nurse owns nothing, but was there
    with pytest.raises(ParticipantInUseError) as refused:
        store.remove_participant(nurse.id, today=TODAY)
    assert refused.value.reason == ParticipantInUseError.WAS_PRESENT
    assert "held" in refused.value.message


def test_refused_while_at_the_table_of_a_running_meeting(store: CaseStore) -> None:
    f = a_case_file(held_on=None)
    f.agreements.clear()
    store.add_case_files([f], today=TODAY, now=NOW)
    with pytest.raises(ParticipantInUseError) as refused:
        store.remove_participant(f.participants[1].id, today=TODAY)
    assert refused.value.reason == ParticipantInUseError.AT_THE_TABLE
    meeting = dataclasses.replace(f.meetings[0], present=[f.participants[0].id])
    store.save_meeting(meeting)
    store.remove_participant(f.participants[1].id, today=TODAY)  # no longer at the table: may go


def test_an_unknown_participant(store: CaseStore) -> None:
    with pytest.raises(RecordNotFoundError):
        store.remove_participant("nobody", today=TODAY)

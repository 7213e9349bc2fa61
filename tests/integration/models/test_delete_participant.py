"""Removing a participant: a tombstone in the outbox in the same transaction, and refused while
the case file still needs the person."""

from __future__ import annotations

import dataclasses

import pytest

from models import outbox, queries
from models.changes import Entity
from models.domain import Participant, ParticipantRole
from models.errors import RecordNotFoundError
from models.store import CaseStore, ParticipantInUseError
from tests.support.factories import NOW, TODAY, a_case_file

pytestmark = pytest.mark.usefixtures("english")


def queued(store: CaseStore) -> list[outbox.OutboxItem]:
    with store.reading() as (conn, sealer):
        return outbox.items(conn, sealer)


def test_a_participant_nobody_depends_on_is_removed_with_a_tombstone(store: CaseStore) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    neighbour = Participant(case_id=f.case.id, role=ParticipantRole.NETWORK, name="Kees Smit")
    store.save_participant(neighbour)
    with store.engine.begin() as conn:
        outbox.set_base(conn, Entity.PARTICIPANT, neighbour.id, 11)
    store.delete_participant(neighbour.id)
    assert neighbour.id not in {p.id for p in queries.case_file(store, f.case.id).participants}
    removal = queued(store)[-1]
    assert (removal.entity, removal.record_id, removal.op) == (
        Entity.PARTICIPANT,
        neighbour.id,
        "delete",
    )
    assert (removal.fields, removal.base_seq, removal.case_id) == ({}, 11, f.case.id)


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
        store.delete_participant(f.participants[who].id)
    assert refused.value.reason == reason and refused.value.message
    assert len(queries.case_file(store, f.case.id).participants) == 3
    assert len(queued(store)) == before  # nothing queued either


def test_refused_when_present_at_a_held_meeting(store: CaseStore) -> None:
    f = a_case_file()
    nurse = f.participants[2]
    f.agreements[1] = dataclasses.replace(f.agreements[1], owner_id=f.participants[1].id)
    store.add_case_files([f], today=TODAY, now=NOW)  # the nurse owns nothing, but was there
    with pytest.raises(ParticipantInUseError) as refused:
        store.delete_participant(nurse.id)
    assert refused.value.reason == ParticipantInUseError.WAS_PRESENT
    assert "held" in refused.value.message


def test_refused_while_at_the_table_of_a_running_meeting(store: CaseStore) -> None:
    f = a_case_file(held_on=None)
    f.agreements.clear()
    store.add_case_files([f], today=TODAY, now=NOW)
    with pytest.raises(ParticipantInUseError) as refused:
        store.delete_participant(f.participants[1].id)
    assert refused.value.reason == ParticipantInUseError.AT_THE_TABLE
    meeting = dataclasses.replace(f.meetings[0], present=[f.participants[0].id])
    store.save_meeting(meeting)
    store.delete_participant(f.participants[1].id)  # no longer at the table: may go


def test_an_unknown_participant(store: CaseStore) -> None:
    with pytest.raises(RecordNotFoundError):
        store.delete_participant("nobody")

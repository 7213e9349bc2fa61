"""Every local change lands in the outbox in the same transaction, with only what changed."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import select

from models import outbox, queries
from models.changes import Entity
from models.store import CaseStore
from tests.support.factories import NOW, TODAY, a_case_file


def queued(store: CaseStore) -> list[outbox.OutboxItem]:
    with store.reading() as (conn, sealer):
        return outbox.items(conn, sealer)


def test_a_new_case_is_queued_whole_resident_first(store: CaseStore) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    items = queued(store)
    assert [i.entity for i in items] == [
        Entity.RESIDENT, Entity.CASE,
        Entity.PARTICIPANT, Entity.PARTICIPANT, Entity.PARTICIPANT,
        Entity.MEETING, Entity.AGREEMENT, Entity.AGREEMENT, Entity.MEASUREMENT,
    ]  # fmt: skip
    assert {i.case_id for i in items} == {f.case.id}
    case = next(i for i in items if i.entity is Entity.CASE)
    assert case.fields["question"] == f.case.question
    assert case.fields["consent_given"] is True
    assert all(i.base_seq is None and i.state == "waiting" for i in items)
    assert "progress" not in next(i for i in items if i.entity is Entity.MEETING).fields


def test_an_edit_queues_only_the_changed_fields(store: CaseStore) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    before = len(queued(store))
    agreement = dataclasses.replace(f.agreements[0], what="Samen de post ordenen")
    store.save_agreement(agreement)
    store.save_agreement(agreement)  # the same again: nothing new to send
    meeting = dataclasses.replace(f.meetings[0], progress="wants")
    store.save_meeting(meeting)  # screen state only: saved, not synced
    items = queued(store)
    assert len(items) == before + 1
    assert (items[-1].entity, items[-1].record_id) == (Entity.AGREEMENT, agreement.id)
    assert items[-1].fields == {"what": "Samen de post ordenen"}
    assert queries.case_file(store, f.case.id).meetings[0].progress == "wants"


def test_case_and_resident_edits_are_split_per_record(store: CaseStore) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    case = dataclasses.replace(f.case, closed_on=TODAY, closing_note="Het gaat weer goed.")
    case.resident = dataclasses.replace(f.case.resident, phone="06-87654321")
    store.update_case(case, today=TODAY, now=NOW)
    resident, changed_case = queued(store)[-2:]
    assert resident.fields == {"phone": "06-87654321"}
    assert changed_case.fields == {"closed_on": TODAY.isoformat(),
                                   "closing_note": "Het gaat weer goed."}  # fmt: skip


def test_deletes_are_queued_and_bases_are_used(store: CaseStore) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    with store.engine.begin() as conn:
        outbox.set_base(conn, Entity.AGREEMENT, f.agreements[1].id, 7)
        outbox.set_base(conn, Entity.AGREEMENT, f.agreements[1].id, 5)  # never goes back
    store.save_agreement(dataclasses.replace(f.agreements[1], note="Gebeld."))
    store.delete_agreement(f.agreements[1].id)
    edit, removal = queued(store)[-2:]
    assert (edit.base_seq, edit.fields) == (7, {"note": "Gebeld."})
    assert (removal.op, removal.fields, removal.base_seq) == ("delete", {}, 7)


def test_change_and_outbox_row_commit_together(
    store: CaseStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    before = len(queued(store))

    def broken(*args: object, **kwargs: object) -> str:
        raise OSError("disk full")

    monkeypatch.setattr(outbox, "append", broken)
    changed = dataclasses.replace(f.agreements[0], due_date=f.agreements[0].due_date + timedelta(1))
    with pytest.raises(OSError):
        store.save_agreement(changed)
    monkeypatch.undo()
    saved = queries.case_file(store, f.case.id).agreements
    assert next(a for a in saved if a.id == changed.id).due_date == f.agreements[0].due_date
    assert len(queued(store)) == before


def test_demo_data_stays_on_the_device(store: CaseStore) -> None:
    store.add_case_files([a_case_file()], today=TODAY, now=NOW, queue_for_sync=False)
    assert queued(store) == []
    with store.reading() as (conn, _):
        assert outbox.waiting_count(conn) == 0
        assert conn.execute(select(outbox.OUTBOX)).first() is None


def test_a_professionals_server_account_travels_with_the_participant(store: CaseStore) -> None:
    """The server makes a professional a member of a case through this field."""
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    nurse = dataclasses.replace(f.participants[2], account_id="7d0f3c2e-account")
    store.save_participant(nurse)
    assert queued(store)[-1].fields == {"account_id": "7d0f3c2e-account"}
    loaded = next(p for p in queries.case_file(store, f.case.id).participants if p.id == nurse.id)
    assert loaded.account_id == "7d0f3c2e-account"

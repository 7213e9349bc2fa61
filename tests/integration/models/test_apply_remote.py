"""Pulled changes land in the store without being queued back, and domain values survive the
round trip through their wire fields."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select

from models import changes, outbox, queries, sync_state
from models.changes import Entity
from models.domain import Measurement, MeasurementMoment
from models.store import CaseStore
from tests.support.factories import NOW, TODAY, a_case_file


@dataclass(frozen=True)
class Write:
    entity: str
    record_id: object
    op: str
    fields: dict[str, Any] = field(default_factory=dict)
    server_seq: int = 1
    advances_base: bool = True


def queued(store: CaseStore) -> int:
    with store.reading() as (conn, sealer):
        return len(outbox.items(conn, sealer))


def bases(store: CaseStore) -> dict[tuple[str, str], int]:
    with store.reading() as (conn, _):
        rows = conn.execute(select(outbox.BASES)).mappings().all()
    return {(r["entity"], r["record_id"]): r["base_seq"] for r in rows}


def whole_case_writes(f: Any) -> list[Write]:
    records: list[changes.Record] = [
        f.case.resident, f.case, *f.participants, *f.meetings, *f.agreements, *f.measurements
    ]  # fmt: skip
    return [
        Write(changes.ENTITY_OF[type(r)].value, uuid.UUID(r.id), "upsert", changes.fields_of(r), i)
        for i, r in enumerate(records, start=1)
    ]


def test_every_record_survives_the_wire_and_back() -> None:
    f = a_case_file()
    f.measurements.append(
        Measurement(
            case_id=f.case.id,
            moment=MeasurementMoment.MEETING,
            taken_on=TODAY,
            wellbeing=7,
            positive_health={"meaningfulness": 6},
            zrm={"finances": 2},
        )
    )
    for record in [f.case.resident, *f.participants, *f.meetings, *f.agreements, *f.measurements]:
        entity = changes.ENTITY_OF[type(record)]
        assert changes.record_from_fields(entity, record.id, changes.fields_of(record)) == record
    back = changes.record_from_fields(
        Entity.CASE, f.case.id, changes.fields_of(f.case), resident=f.case.resident
    )
    assert back == f.case


@pytest.mark.parametrize(
    ("entity", "fields"),
    [
        (Entity.AGREEMENT, {"case_id": "c", "what": "x"}),  # no meeting, owner, due date
        (Entity.PARTICIPANT, {"case_id": "c", "role": "wizard", "name": "x"}),
        (Entity.MEETING, {"case_id": "c", "planned_for": "2026-11-24T10:00"}),  # no time zone
        (Entity.MEASUREMENT, {"case_id": "c", "moment": "meeting", "taken_on": 20261124}),
    ],
)
def test_incomplete_or_malformed_fields_are_refused(entity: Entity, fields: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        changes.record_from_fields(entity, "r", fields)


def test_a_pulled_case_is_created_whole_and_not_queued(store: CaseStore) -> None:
    f = a_case_file()
    result = store.apply_remote(whole_case_writes(f), now=NOW)
    assert (result.written, result.skipped) == (9, 0)
    assert queued(store) == 0
    loaded = queries.case_file(store, f.case.id)
    assert loaded.case == f.case
    assert sorted(loaded.agreements, key=lambda a: a.id) == sorted(f.agreements, key=lambda a: a.id)
    assert bases(store)[("agreement", f.agreements[0].id)] == 7


def test_updates_go_field_by_field_deletes_remove_and_bases_only_advance_when_allowed(
    store: CaseStore,
) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    before = queued(store)
    meeting = dataclasses.replace(f.meetings[0], progress="needs")
    store.save_meeting(meeting)  # screen state: this device's own
    one, other = f.agreements
    store.apply_remote(
        [
            Write("agreement", uuid.UUID(one.id), "upsert", {"note": "Buurman helpt."}, 20),
            Write("meeting", uuid.UUID(meeting.id), "upsert", {"place": "Buurthuis"}, 21),
            Write("agreement", uuid.UUID(other.id), "delete", {}, 22),
            Write("case", uuid.UUID(f.case.id), "upsert", {"question": "Nieuw"}, 23, False),
        ],
        now=NOW,
    )
    assert queued(store) == before
    loaded = queries.case_file(store, f.case.id)
    [kept] = loaded.agreements
    assert (kept.id, kept.what, kept.note) == (one.id, one.what, "Buurman helpt.")
    assert (loaded.meetings[0].place, loaded.meetings[0].progress) == ("Buurthuis", "needs")
    assert loaded.case.question == "Nieuw"
    b = bases(store)
    assert b[("agreement", one.id)] == 20 and b[("agreement", other.id)] == 22
    assert ("case", f.case.id) not in b  # advances_base=False: a conflict was left out


def test_a_change_that_cannot_be_applied_is_skipped_not_blocking(store: CaseStore) -> None:
    f = a_case_file()
    orphan = Write("agreement", uuid.uuid4(), "upsert", {"note": "alleen een deel"}, 5)
    writes = [orphan, *whole_case_writes(f)]
    result = store.apply_remote(writes, now=NOW)
    assert (result.written, result.skipped) == (9, 1)
    assert ("agreement", str(orphan.record_id)) not in bases(store)


def test_cursor_account_and_conflicts_are_sealed(store: CaseStore) -> None:
    account = sync_state.SyncAccount(
        server_url="https://dossier.example.org",
        device_id=str(uuid.uuid4()),
        account_id=str(uuid.uuid4()),
        email="kanarie-email@example.org",
        device_secret="kanarie-device-secret",
        refresh_token="kanarie-refresh-token",
    )
    with store.writing() as (conn, sealer):
        sync_state.save_account(conn, sealer, account, now=NOW)
        sync_state.set_cursor(conn, 42)
        sync_state.save_conflicts(conn, sealer, [{"mine": "kanarie-mijn", "theirs": "x"}])
        sync_state.save_refresh_token(conn, sealer, "kanarie-refresh-2")
    store.close()
    raw = b"".join(p.read_bytes() for p in store.path.parent.iterdir() if p.is_file())
    for secret in (b"kanarie-email", b"kanarie-device-secret", b"kanarie-refresh", b"kanarie-mijn"):
        assert secret not in raw
    assert "kanarie" not in repr(account)

"""Recording reads and exports on the tablet (models.device_audit): ids and fixed words only, one
transaction each, and a failure never reaches the user (but is logged, without personal data)."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from models import device_audit
from models.device_audit import EVENTS, Action, Entity, Outcome
from models.store import CaseStore
from tests.support.factories import NOW, PASSPHRASE


def rows(store: CaseStore) -> list[dict[str, object]]:
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(EVENTS)).mappings().all()]


def test_a_case_opened_is_one_read_with_ids_and_the_device_time(store: CaseStore) -> None:
    store.clock = lambda: datetime(2026, 12, 4, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    case_id = str(uuid.uuid4())
    event_id = device_audit.case_opened(store, case_id)
    assert event_id is not None
    [row] = rows(store)
    assert row == {
        "event_id": event_id,
        "action": "read",
        "device_time": datetime(2026, 12, 4, 9, 0, tzinfo=UTC),
        "case_id": case_id,
        "entity": "case",
        "record_id": case_id,
        "outcome": "success",
    }
    with store.reading() as (conn, _sealer):
        [event] = device_audit.waiting(conn, limit=10)
    assert event.device_time == datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    assert uuid.UUID(event.event_id).version == 4


def test_exports_say_what_and_how_it_went(store: CaseStore) -> None:
    case_id, meeting_id = str(uuid.uuid4()), str(uuid.uuid4())
    device_audit.plan_pdf_exported(store, case_id, meeting_id, saved=True)
    device_audit.plan_pdf_exported(store, case_id, meeting_id, saved=False)
    device_audit.team_report_exported(store, Entity.OVERDUE_CSV)
    got = sorted((r["entity"], r["outcome"], r["case_id"], r["record_id"]) for r in rows(store))
    assert got == [
        ("overdue_csv", "success", None, None),
        ("plan_pdf", "failed", case_id, meeting_id),
        ("plan_pdf", "success", case_id, meeting_id),
    ]
    assert {r["action"] for r in rows(store)} == {"export"}


@pytest.mark.parametrize("bad", ["Fenna de Bruijn", "", "12345"])
def test_text_in_an_id_is_not_written_and_not_logged(
    store: CaseStore, caplog: pytest.LogCaptureFixture, bad: str
) -> None:
    with caplog.at_level(logging.WARNING, logger="models.device_audit"):
        assert device_audit.case_opened(store, bad) is None
    assert rows(store) == []
    assert "audit event not recorded (read case): ValueError" in caplog.text
    if bad:
        assert bad not in caplog.text


def test_a_locked_store_still_records_and_a_failing_disk_never_raises(
    store: CaseStore, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    with caplog.at_level(logging.WARNING, logger="models.device_audit"):
        store.lock()  # e.g. the app locked while the writer thread still had the event
        assert device_audit.case_opened(store, str(uuid.uuid4())) is not None
        assert len(rows(store)) == 1 and caplog.text == ""
        store.unlock(PASSPHRASE, now=NOW)

        def full(*_a: object, **_k: object) -> None:
            raise OperationalError("INSERT", {}, Exception("database or disk is full"))

        monkeypatch.setattr(device_audit, "add", full)
        assert device_audit.team_report_exported(store, Entity.TEAM_PDF) is None
        assert "audit event not recorded (export team_pdf): OperationalError" in caplog.text
    assert len(rows(store)) == 1  # only the one written while locked


def test_waiting_is_oldest_first_and_forget_deletes_only_the_acknowledged(store: CaseStore) -> None:
    times = iter(NOW + timedelta(minutes=m) for m in (5, 1, 3))
    store.clock = lambda: next(times)
    ids = [device_audit.record(store, Action.PRINT, entity=Entity.TEAM_PDF) for _ in range(3)]
    with store.reading() as (conn, _sealer):
        waiting = device_audit.waiting(conn, limit=2)
        assert device_audit.waiting_count(conn) == 3
    assert [e.event_id for e in waiting] == [ids[1], ids[2]]
    assert [e.action for e in waiting] == [Action.PRINT, Action.PRINT]
    with store.writing() as (conn, _sealer):
        assert device_audit.forget(conn, [ids[1], str(uuid.uuid4())]) == 1
        assert [e.event_id for e in device_audit.waiting(conn, limit=10)] == [ids[2], ids[0]]


def test_new_event_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError):
        device_audit.new_event(Action.READ, at=datetime(2026, 12, 4, 9, 0))
    event = device_audit.new_event(Action.READ, at=NOW, outcome=Outcome.FAILED)
    assert (event.case_id, event.entity, event.outcome) == (None, None, Outcome.FAILED)

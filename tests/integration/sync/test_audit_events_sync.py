"""Reads and exports on the tablet reach the dossier's audit log at the start of a sync cycle, with
the tablet's time, and leave the tablet once the server has them (SQLite, PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, col, select

from models import device_audit
from models.store import CaseStore
from server.audit import verify_database
from server.models.audit import AuditEvent
from sync import audit_events, cycle
from sync.cycle import SyncState
from tests.integration.server.world import World
from tests.integration.sync.conftest import Professional, StoreMaker
from tests.integration.sync.test_signing_key_sync import enrol
from tests.support.factories import NOW, TODAY, a_case_file

OPENED_AT = datetime(2026, 12, 3, 14, 5, 7, tzinfo=UTC)
SAVED_AT = datetime(2026, 12, 3, 14, 9, 0, 250000, tzinfo=UTC)


def waiting(store: CaseStore) -> list[str]:
    with store.reading() as (conn, _sealer):
        return [e.event_id for e in device_audit.waiting(conn, limit=1000)]


def audit_rows(world: World, event_ids: list[str]) -> list[AuditEvent]:
    ids = [uuid.UUID(i) for i in event_ids]
    with Session(world.engine) as session:
        query = select(AuditEvent).where(col(AuditEvent.event_id).in_(ids))
        return list(session.exec(query.order_by(col(AuditEvent.id))).all())


def test_a_case_opened_and_a_pdf_saved_reach_the_audit_log_and_leave_the_tablet(
    world: World,
    live_url: str,
    professional: Professional,
    new_store: StoreMaker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tablet = new_store("tablet")
    enrol(tablet, world, live_url, professional)
    f = a_case_file()
    tablet.add_case_files([f], today=TODAY, now=NOW)
    times = iter([OPENED_AT, SAVED_AT])
    tablet.clock = lambda: next(times)
    assert device_audit.case_opened(tablet, f.case.id) is not None  # as entering the case does
    device_audit.plan_pdf_exported(tablet, f.case.id, f.meetings[0].id, saved=True)
    sent = waiting(tablet)
    assert len(sent) == 2

    # An older dossier server (the real 404 of the app's router): the sync goes on, nothing lost.
    monkeypatch.setattr(audit_events, "PATH", "/devices/me/no-such-route")
    assert cycle.run_cycle(tablet).state is SyncState.SYNCED
    assert waiting(tablet) == sent and audit_rows(world, sent) == []
    monkeypatch.undo()

    assert cycle.run_cycle(tablet).state is SyncState.SYNCED
    assert waiting(tablet) == []  # acknowledged: deleted here
    rows = audit_rows(world, sent)
    assert [str(r.event_id) for r in rows] == sent
    assert [(r.action, r.entity, r.outcome, r.authorisation) for r in rows] == [
        ("read", "case", "success", "granted"),
        ("export", "plan_pdf", "success", "granted"),
    ]
    assert [r.device_time for r in rows] == [OPENED_AT, SAVED_AT]
    assert {r.case_id for r in rows} == {uuid.UUID(f.case.id)}
    assert rows[1].record_id == uuid.UUID(f.meetings[0].id)
    assert {r.account_id for r in rows} == {professional.account_id}
    assert all(r.server_time > SAVED_AT for r in rows)
    with Session(world.engine) as session:
        assert verify_database(session) is None

    # The next cycle sends nothing and writes nothing.
    assert cycle.run_cycle(tablet).state is SyncState.SYNCED
    assert len(audit_rows(world, sent)) == 2

"""The audit log: written for changes, reads, exports and refusals; hash-chained; append-only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from server.audit import verify_chain, verify_database
from server.models.accounts import Role
from server.models.audit import AuditEvent
from sync.protocol import Entity, PullRequest, PushRequest
from tests.integration.server.test_sync_rules import _mutation
from tests.integration.server.world import World


def _rows(engine: Engine) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all())


def test_changes_reads_exports_and_refusals_are_logged(world: World, engine: Engine) -> None:
    org = world.organisation()
    professional = world.member(org)
    lead = world.member(org, Role.TEAM_LEAD)
    # Put the professional in the lead's team, so the lead sees the case.
    world.client.patch(
        f"/accounts/{professional.account_id}",
        json={"team_id": str(org.team_id)},
        headers=org.admin.headers,
    )
    server = world.dossier(professional)
    case, agreement = uuid.uuid4(), uuid.uuid4()
    server.push(
        PushRequest(
            device_id=professional.device_id,
            mutations=[
                _mutation(Entity.CASE, case, case, consent_given=True),
                _mutation(Entity.AGREEMENT, agreement, case, what="Boodschappen"),
            ],
        )
    )
    server.pull(PullRequest())
    stranger = world.member(world.organisation("B"))
    assert world.client.get(f"/cases/{case}/audit", headers=stranger.headers).status_code == 404
    exported = world.client.get(f"/cases/{case}/audit", headers=lead.headers)
    assert exported.status_code == 200
    actions = [(r["action"], r["outcome"], r["entity"]) for r in exported.json()]
    assert actions[:3] == [
        ("create", "success", "case"),
        ("create", "success", "agreement"),
        ("read", "success", None),
    ]
    assert ("access", "refused", None) in actions  # the stranger's attempt, with the case id
    first = exported.json()[0]
    assert first["account_id"] == str(professional.account_id)
    assert first["device_id"] == str(professional.device_id)
    assert first["role"] == "professional" and first["authorisation"] == "granted"
    assert first["device_time"] is not None and first["server_time"] is not None
    assert "Boodschappen" not in exported.text  # ids and codes only, never contents
    with Session(engine) as session:
        assert verify_database(session) is None
    rows = _rows(engine)
    assert rows[-1].action == "export" and rows[-1].case_id == case


def test_the_chain_shows_a_changed_or_missing_row(world: World, engine: Engine) -> None:
    world.member(world.organisation())
    rows = _rows(engine)
    assert len(rows) >= 3 and verify_chain(rows) is None
    tampered = [*rows]
    tampered[1] = rows[1].model_copy(update={"outcome": "refused"})
    assert verify_chain(tampered) == rows[1].id
    assert verify_chain([rows[0], *rows[2:]]) == rows[2].id


def test_audit_rows_cannot_be_changed_or_deleted(world: World, engine: Engine) -> None:
    world.organisation()
    for statement in ("UPDATE audit_event SET outcome = 'x'", "DELETE FROM audit_event"):
        with Session(engine) as session, pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement))
            session.commit()
    assert all(r.outcome != "x" for r in _rows(engine))


def test_a_device_time_in_another_zone_keeps_the_chain_whole(world: World, engine: Engine) -> None:
    """The push hashes its audit rows as they are stored: datetimes in UTC."""
    professional = world.member(world.organisation())
    case = uuid.uuid4()
    mutation = _mutation(Entity.CASE, case, case, consent_given=True).model_copy(
        update={
            "device_time": datetime(2026, 3, 1, 9, 30, 0, 250, tzinfo=timezone(timedelta(hours=1)))
        }
    )
    world.dossier(professional).push(
        PushRequest(device_id=professional.device_id, mutations=[mutation])
    )
    rows = _rows(engine)
    assert rows[-1].device_time == datetime(2026, 3, 1, 8, 30, 0, 250, tzinfo=UTC)
    with Session(engine) as session:
        assert verify_database(session) is None

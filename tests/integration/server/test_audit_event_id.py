"""``audit_event.event_id`` is unique (migration 0009), and a tablet's resend is found by it
alone, whatever case the resend names (SQLite and PostgreSQL, issue #5)."""

from __future__ import annotations

import uuid

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from server import audit
from server.audit import Action, Actor, Result, verify_database
from server.db import MIGRATIONS, normalise_url
from server.models.audit import AuditEvent, AuditHead
from tests.integration.server.test_device_audit_events import a_case, event, post
from tests.integration.server.world import World


def _count(world: World) -> int:
    with Session(world.engine) as session:
        return len(session.execute(select(AuditEvent.id)).all())  # type: ignore[call-overload]


def test_a_resend_naming_another_case_or_none_writes_nothing_new(world: World) -> None:
    org = world.organisation()
    nurse = world.member(org)
    case, _meeting = a_case(world, nurse)
    other, _ = a_case(world, nurse)
    sent = event(case_id=case, record_id=case)
    assert post(world, nurse, [sent]).json() == {"accepted": [sent["event_id"]], "refused": []}
    count = _count(world)
    # The same event id again, naming another case, then none: it is in the log already.
    moved = {**sent, "case_id": str(other), "record_id": str(other)}
    caseless = {**sent, "case_id": None, "record_id": None, "entity": "team_pdf"}
    for resend in (sent, moved, caseless):
        answer = post(world, nurse, [resend])
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"accepted": [sent["event_id"]], "refused": []}
    assert _count(world) == count
    with Session(world.engine) as session:
        assert verify_database(session) is None


def test_an_event_id_another_device_used_is_refused_and_not_written(world: World) -> None:
    org = world.organisation()
    nurse, colleague = world.member(org), world.member(org)
    case, _meeting = a_case(world, nurse)
    sent = event(case_id=case, record_id=case)
    assert post(world, nurse, [sent]).status_code == 200
    count = _count(world)
    answer = post(world, colleague, [sent])  # e.g. an id seen in an audit export
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"accepted": [sent["event_id"]], "refused": [sent["event_id"]]}
    assert _count(world) == count


def _row(event_id: uuid.UUID | None = None) -> audit.Row:
    row = audit.event_row(
        Actor(), action=Action.READ, outcome=Result.SUCCESS, authorisation="not_checked"
    )
    if event_id is not None:
        row["event_id"] = event_id
    return row


def test_the_database_refuses_a_second_row_with_an_event_id(world: World) -> None:
    first = _row()
    with Session(world.engine) as session:
        audit.record_rows(session, [first])
        session.commit()
    with Session(world.engine) as session, pytest.raises(IntegrityError):
        audit.record_rows(session, [_row(first["event_id"])])
        session.commit()
    with Session(world.engine) as session:
        assert verify_database(session) is None


def _config(database_url: str) -> Config:
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = normalise_url(database_url)
    return config


def test_migration_0009_stops_on_duplicated_event_ids_and_changes_nothing(
    world: World, database_url: str
) -> None:
    config = _config(database_url)
    world.engine.dispose()
    command.downgrade(config, "0008")
    twice = uuid.uuid4()
    with Session(world.engine) as session:
        audit.record_rows(session, [_row(twice), _row(), _row(twice)])  # no index at 0008
        session.commit()
    with pytest.raises(RuntimeError, match="1 event ids more than once"):
        command.upgrade(config, "head")
    world.engine.dispose()
    with world.engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        indexes = {i["name"] for i in inspect(connection).get_indexes("audit_event")}
        columns = {c["name"] for c in inspect(connection).get_columns("case_erasure")}
    assert version == "0008"
    assert "ix_audit_event_event_id" not in indexes and "organisation_id" not in columns
    with Session(world.engine) as session:
        assert verify_database(session) is None  # the rows are as they were
        head = session.get(AuditHead, 1)
        assert head is not None and head.count == _count(world)

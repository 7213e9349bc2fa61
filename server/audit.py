"""Writing and checking the audit log (NEN 7513). See server/models/audit.py for the table.

``record(session, events)`` appends rows in the caller's transaction: the audit rows of a change
commit together with it, or not at all. ``record_rows`` is the same for rows made with
``event_row`` (plain dicts): a push writes one row per mutation, and a pydantic object per row cost
more than writing it. Both hash with ``row_hash`` (equal to ``content_hash``, which the check uses,
without building the model) and insert with one statement (``server.bulk``: COPY on PostgreSQL).
Datetimes are hashed in UTC, as they are stored and read back. ``record_refusal`` writes in a
transaction of its own, for requests whose own transaction is rolled back. Rows hold ids and codes
only, never case contents.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum, StrEnum
from typing import Any, cast

import pydantic_core
from sqlalchemy import Engine, Table, update
from sqlmodel import Session, col, select

from server import bulk
from server.models.audit import AuditEvent, AuditEventBase, AuditHead
from server.models.types import utcnow

GENESIS = "0" * 64
_EVENTS: Table = cast(Any, AuditEvent).__table__
_HEAD: Table = cast(Any, AuditHead).__table__
_HASHED = tuple(sorted(AuditEventBase.model_fields))  # the canonical form's key order
Row = dict[str, Any]


class Action(StrEnum):
    CREATE = "create"
    READ = "read"
    UPDATE = "update"
    DELETE = "delete"
    EXPORT = "export"
    LOGIN = "login"
    ENROL = "enrol"
    REVOKE = "revoke"
    ACCESS = "access"  # a request refused before it reached a case


class Result(StrEnum):
    SUCCESS = "success"
    REFUSED = "refused"
    CONFLICT = "conflict"
    DUPLICATE = "duplicate"
    SUPERSEDED = "superseded"  # acknowledged, not applied: the device's newer edit stands


@dataclass(frozen=True, slots=True)
class Actor:
    account_id: uuid.UUID | None = None
    role: str | None = None
    device_id: uuid.UUID | None = None
    organisation_id: uuid.UUID | None = None


def event(
    actor: Actor,
    *,
    action: Action,
    outcome: Result,
    authorisation: str,
    case_id: uuid.UUID | None = None,
    entity: str | None = None,
    record_id: uuid.UUID | None = None,
    device_time: datetime | None = None,
    reason: str | None = None,
    route: str | None = None,
) -> AuditEventBase:
    return AuditEventBase(
        event_id=uuid.uuid4(),
        action=action,
        server_time=utcnow(),
        device_time=device_time,
        outcome=outcome,
        reason=reason,
        account_id=actor.account_id,
        role=actor.role,
        device_id=actor.device_id,
        organisation_id=actor.organisation_id,
        case_id=case_id,
        entity=entity,
        record_id=record_id,
        authorisation=authorisation,
        route=route,
    )


def event_row(
    actor: Actor,
    *,
    action: Action,
    outcome: Result,
    authorisation: str,
    case_id: uuid.UUID | None = None,
    entity: str | None = None,
    record_id: uuid.UUID | None = None,
    device_time: datetime | None = None,
    reason: str | None = None,
    route: str | None = None,
    server_time: datetime | None = None,
) -> Row:
    """``event`` as a plain row for ``record_rows``: the same columns in the canonical form's
    (sorted) order, enums as their values, datetimes in UTC as stored."""
    return {
        "account_id": actor.account_id,
        "action": action.value,
        "authorisation": authorisation,
        "case_id": case_id,
        "device_id": actor.device_id,
        "device_time": None if device_time is None else _utc(device_time),
        "entity": entity.value if isinstance(entity, Enum) else entity,
        "event_id": uuid.uuid4(),
        "organisation_id": actor.organisation_id,
        "outcome": outcome.value,
        "reason": reason,
        "record_id": record_id,
        "role": actor.role,
        "route": route,
        "server_time": utcnow() if server_time is None else _utc(server_time),
    }


def _utc(value: datetime) -> datetime:
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("naive datetime")  # as UTCDateTime
    return value.astimezone(UTC) if offset else value


def content_hash(prev_hash: str, row: AuditEventBase) -> str:
    body = row.model_dump(mode="json", include=set(AuditEventBase.model_fields))
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def row_hash(prev_hash: str, row: Row) -> str:
    """``content_hash`` of a row made by ``event_row``, without building the model: the same
    canonical JSON, made by pydantic's own serialiser (``tests/unit/server/test_audit_hash``
    checks the two agree)."""
    body = row if tuple(row) == _HASHED else {name: row[name] for name in _HASHED}
    raw = pydantic_core.to_json(body)
    # json.dumps escapes non-ASCII text and DEL (0x7f, which is ASCII), pydantic writes both as
    # they are: for those, take the long way.
    if not raw.isascii() or b"\x7f" in raw:
        canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"))
        raw = canonical.encode("utf-8")
    return hashlib.sha256(prev_hash.encode("utf-8") + raw).hexdigest()


def record(session: Session, events: Iterable[AuditEventBase]) -> None:
    """Append events to the chain in the session's transaction (locks the chain's head)."""
    rows = []
    for e in events:
        row = {name: getattr(e, name) for name in _HASHED}
        for name in ("action", "outcome", "entity"):
            if isinstance(row[name], Enum):
                row[name] = row[name].value
        for name in ("server_time", "device_time"):
            if row[name] is not None:
                row[name] = _utc(row[name])
        rows.append(row)
    record_rows(session, rows)


def record_rows(session: Session, rows: Sequence[Row]) -> None:
    """Append rows made by ``event_row`` to the chain, in order (see ``record``). The rows are
    completed in place with their ``prev_hash`` and ``hash``."""
    if not rows:
        return
    # The UPDATE takes the head's row lock (PostgreSQL) or the write lock (SQLite) until commit.
    previous = session.execute(
        update(_HEAD)
        .where(_HEAD.c.id == 1)
        .values(count=_HEAD.c.count + len(rows))
        .returning(_HEAD.c.last_hash)
    ).scalar_one()
    for row in rows:
        digest = row_hash(previous, row)
        row["prev_hash"], row["hash"] = previous, digest
        previous = digest
    # One statement in chain order (ids ascend with it), without ORM objects.
    connection = session.connection()
    bulk.insert_rows(connection, _EVENTS, rows)
    connection.execute(update(_HEAD).where(_HEAD.c.id == 1).values(last_hash=previous))


def record_refusal(engine: Engine, item: AuditEventBase) -> None:
    with Session(engine) as session:
        record(session, [item])
        session.commit()


def verify_chain(rows: Sequence[AuditEvent], *, start: str = GENESIS) -> int | None:
    """The id of the first row that breaks the chain, or None when the whole chain holds."""
    previous = start
    for row in rows:
        base = AuditEventBase.model_validate(row, from_attributes=True)
        if row.prev_hash != previous or row.hash != content_hash(previous, base):
            return row.id
        previous = row.hash
    return None


def verify_database(session: Session) -> int | None:
    rows = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    broken = verify_chain(rows)
    if broken is not None:
        return broken
    head = session.exec(select(AuditHead).where(AuditHead.id == 1)).one()
    last = rows[-1].hash if rows else GENESIS
    return None if head.last_hash == last and head.count == len(rows) else -1

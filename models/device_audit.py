"""Reads and exports done on this tablet, kept until the dossier's audit log has them (NEN 7513).

The server audits its own routes (server/audit.py). What happens only on the tablet is logged
here: a case screen opened (read), a plan PDF saved or shared (export), a team report exported as
PDF or CSV (export). Each event is one row of ``device_audit_events`` (migration 0013) written in
its own store transaction (``CaseStore.writing``), and sent at the end of a sync cycle
(``sync.audit_events``); the server writes it to its hash-chained audit log with the device time
and its own time, and the row is deleted here once the server acknowledges it (data
minimisation).

**No personal data.** A row holds a random event id, the device time, ids (case, record) and fixed
words (``Action``, ``Entity``, ``Outcome``): no name, no free text. That is why nothing here is
sealed, and why the rows may wait for the server while the store is locked. Ids are checked to be
UUIDs before they are written, so no text can slip in through them.

**Never in the user's way.** Recording runs after the user's own work is saved or shown, in a
transaction of its own (a case opened is recorded in a writer thread, so the screen never waits for
the store's write lock): a failure (a locked store, a full disk, a bad id) is logged as a warning
naming only the kind of error, and the caller carries on. Nothing is raised.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, delete, func, insert, select

from models.outbox import BASES
from models.sync_state import take_write_lock
from models.tables import CaseRow, DeviceAuditEventRow

if TYPE_CHECKING:
    from models.store import CaseStore

log = logging.getLogger(__name__)


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


EVENTS = _table(DeviceAuditEventRow)
CASES = _table(CaseRow)


class Action(StrEnum):
    READ = "read"
    EXPORT = "export"
    PRINT = "print"


class Entity(StrEnum):
    CASE = "case"
    PLAN_PDF = "plan_pdf"
    TEAM_PDF = "team_pdf"
    OVERDUE_CSV = "overdue_csv"
    FIGURES_CSV = "figures_csv"


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class DeviceEvent:
    event_id: str
    action: Action
    device_time: datetime
    case_id: str | None
    entity: Entity | None
    record_id: str | None
    outcome: Outcome


def _uuid(value: str | None) -> str | None:
    return None if value is None else str(uuid.UUID(str(value)))


def new_event(
    action: Action,
    *,
    at: datetime,
    case_id: str | None = None,
    entity: Entity | None = None,
    record_id: str | None = None,
    outcome: Outcome = Outcome.SUCCESS,
) -> DeviceEvent:
    """An event with a fresh id; ``ValueError`` when an id is not a UUID or the time is naive."""
    if at.utcoffset() is None:
        raise ValueError("naive device time")
    return DeviceEvent(
        event_id=str(uuid.uuid4()),
        action=Action(action),
        device_time=at.astimezone(UTC),
        case_id=_uuid(case_id),
        entity=None if entity is None else Entity(entity),
        record_id=_uuid(record_id),
        outcome=Outcome(outcome),
    )


def add(conn: Connection, event: DeviceEvent) -> None:
    conn.execute(
        insert(EVENTS).values(
            event_id=event.event_id,
            action=event.action.value,
            device_time=event.device_time,  # UTC
            case_id=event.case_id,
            entity=None if event.entity is None else event.entity.value,
            record_id=event.record_id,
            outcome=event.outcome.value,
        )
    )


def record(
    store: CaseStore,
    action: Action,
    *,
    case_id: str | None = None,
    entity: Entity | None = None,
    record_id: str | None = None,
    outcome: Outcome = Outcome.SUCCESS,
) -> str | None:
    """Write one event in a store transaction of its own; its id, or None when that failed.

    The store's ``clock`` gives the device time. Never raises: a failure is
    logged (the kind of error only) and the caller's work goes on.
    """
    try:
        event = new_event(
            action,
            at=store.clock(),
            case_id=case_id,
            entity=entity,
            record_id=record_id,
            outcome=outcome,
        )
        # Not ``store.writing()``: that needs the key, and an event holds nothing sealed, so one
        # recorded in the writer thread just as the app locks is still written.
        with store.engine.begin() as conn:
            take_write_lock(conn)
            add(conn, event)
    except Exception as error:  # a full disk, a bad id: never the user's problem
        log.warning(
            "audit event not recorded (%s %s): %s",
            getattr(action, "value", "?"),
            getattr(entity, "value", "-"),
            type(error).__name__,
        )
        return None
    return event.event_id


def case_opened(store: CaseStore, case_id: str) -> str | None:
    """A case screen was opened: one read of the case."""
    return record(store, Action.READ, case_id=case_id, entity=Entity.CASE, record_id=case_id)


# One writer thread for the reads recorded while a screen opens: the write takes the store's write
# lock, which a background sync may hold for a pulled page (up to seconds on a slow tablet), and
# the screen must not wait for that. One worker keeps the events in order.
_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="keukentafel-audit")


def case_opened_soon(store: CaseStore, case_id: str) -> Future[str | None]:
    """``case_opened`` in the writer thread: the screen opens at once, the event follows."""
    return _writer.submit(case_opened, store, case_id)


def settle() -> None:
    """Wait until every event handed to the writer thread is written (tests; closing the app)."""
    _writer.submit(lambda: None).result()


def plan_pdf_exported(
    store: CaseStore, case_id: str, meeting_id: str, *, saved: bool
) -> str | None:
    """A plan PDF was handed to the system's save-or-share dialog (``saved``: without error)."""
    outcome = Outcome.SUCCESS if saved else Outcome.FAILED
    return record(
        store,
        Action.EXPORT,
        case_id=case_id,
        entity=Entity.PLAN_PDF,
        record_id=meeting_id,
        outcome=outcome,
    )


def team_report_exported(store: CaseStore, entity: Entity) -> str | None:
    """A team report (PDF or CSV, no single case) was made for saving."""
    return record(store, Action.EXPORT, entity=entity)


# -- sending (sync.audit_events) -------------------------------------------------------------------


def _event(row: Any) -> DeviceEvent:
    at: datetime = row.device_time
    return DeviceEvent(
        event_id=row.event_id,
        action=Action(row.action),
        device_time=at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC),
        case_id=row.case_id,
        entity=None if row.entity is None else Entity(row.entity),
        record_id=row.record_id,
        outcome=Outcome(row.outcome),
    )


def waiting(conn: Connection, *, limit: int) -> list[DeviceEvent]:
    """Up to ``limit`` unsent events, oldest first."""
    rows = conn.execute(
        select(EVENTS).order_by(EVENTS.c.device_time, EVENTS.c.event_id).limit(limit)
    ).all()
    return [_event(row) for row in rows]


def sendable(conn: Connection, *, limit: int) -> list[DeviceEvent]:
    """Up to ``limit`` unsent events the dossier may see, oldest first.

    An event about a case on this tablet that the dossier does not have (no consent yet, or not
    pushed yet) is held here: sending it would tell the server the case exists, and a case reaches
    the server only with the resident's consent. It goes once the dossier has the case. Events
    without a case (team exports) and about cases no longer here (the dossier had them) go.
    """
    on_dossier = select(BASES.c.record_id).where(
        BASES.c.entity == "case", BASES.c.record_id == CASES.c.id
    )
    held = select(CASES.c.id).where(CASES.c.id == EVENTS.c.case_id, ~on_dossier.exists())
    rows = conn.execute(
        select(EVENTS)
        .where(EVENTS.c.case_id.is_(None) | ~held.exists())
        .order_by(EVENTS.c.device_time, EVENTS.c.event_id)
        .limit(limit)
    ).all()
    return [_event(row) for row in rows]


def waiting_count(conn: Connection) -> int:
    count: int = conn.execute(select(func.count()).select_from(EVENTS)).scalar_one()
    return count


def forget(conn: Connection, event_ids: Iterable[str]) -> int:
    """Delete the events the server acknowledged; the number deleted."""
    ids: Sequence[str] = list(event_ids)
    deleted = 0
    for start in range(0, len(ids), 500):  # SQLite's bound-parameter limit, with room
        chunk = ids[start : start + 500]
        result = conn.execute(delete(EVENTS).where(EVENTS.c.event_id.in_(chunk)))
        deleted += result.rowcount or 0
    return deleted

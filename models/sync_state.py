"""The device's side of the shared dossier, on disk: its enrolment, the pull cursor, open conflicts,
and applying pulled changes to the case file.

- ``sync_account`` (one row): which server, this device's id there, and the professional's account
  id. The device secret, the refresh token and the account e-mail are sealed (AES-256-GCM bound to
  this table, column and row), like all other secrets in the store. The short-lived access token is
  never written down: it lives in memory only (``sync.client``).
- ``sync_state`` (one row): the pull cursor (the last server sequence number applied here), when
  the last full cycle finished, and the open conflicts. Conflicts hold two values of a field, so
  they are sealed.
- ``apply_remote``: what the sync engine decided to write locally (``sync.engine.LocalWrite``),
  applied *without* queueing anything in the outbox: a change that came from the server must not
  go back to it. A record that does not exist here is made from its fields; an existing one is
  updated field by field; a tombstone deletes it. ``sync_bases`` moves forward only when the write
  says so (``advances_base``). The caller runs it in one transaction per pulled page.

- ``forget_cases``: a case this device's account no longer has access to (the server names it in
  a pull's ``access_ended``) leaves the device whole, in the caller's transaction: its resident,
  case, participants, meetings, agreements, measurements, signed plan versions with their kept
  PDF and signatures, its sync bases, its outbox rows and its open conflicts. The tablet keeps
  only the active caseload (SECURITY.md). Unsent changes of the case are dropped with it: the
  server refuses them now (``not_authorised``), so kept they would only wait for good, held back,
  and hold the very personal data that must leave the device. Only their number is logged.

- ``released_cases``: closed cases this tablet let go of (``models.caseload``, "the tablet keeps
  only the active caseload"), by id only. ``releasable_cases`` finds the cases the rule lets go;
  ``release_cases`` removes them like ``forget_cases`` and keeps their ids, in one transaction.
  The ids stay here: a pulled change of a released case is not applied but marks the case
  ``wanted`` (``want_back``), so a later pull asks for it whole (``PullRequest.refetch``,
  ``wanted_case_ids``); ``take_back`` drops the ids of the cases that came back whole (or whose
  access ended), ``not_wanted`` clears the mark of those the dossier did not send back.
  A new server (``save_account`` to another URL) starts with none.

- ``team_cache`` (``models.team_cache``): a team lead's last dashboard answers name residents, so
  ``forget_cases`` drops it whole whenever it removes cases for ended access or an erasure; the
  dashboard fetches it again when it opens. Releasing a closed case keeps it (the lead still
  sees that case on the dossier).

This module takes the engine's values by shape (``RemoteWrite``) rather than importing ``sync``:
data flows from models to sync, never back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection, Table, delete, func, insert, select, update
from sqlalchemy import table as sa_table
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel

from models import caseload, changes, outbox, records, store_file
from models.changes import Entity, JsonValue
from models.crypto.sealing import Sealer
from models.database import driver_connection
from models.domain import Case, Meeting
from models.errors import DamagedRecordError
from models.signing_tables import PlanSignatureRow, PlanVersionRow
from models.tables import (
    AgreementRow,
    CaseRow,
    MeasurementRow,
    MeetingRow,
    ParticipantRow,
    ResidentRow,
)

log = logging.getLogger(__name__)

ROW_ID = 1  # both tables hold one row


class SyncAccountRow(SQLModel, table=True):
    """This device's enrolment with the dossier server. ``credential`` is sealed JSON."""

    __tablename__ = "sync_account"
    id: int = Field(default=ROW_ID, primary_key=True)
    server_url: str
    device_id: str
    account_id: str  # the professional's account on the server
    credential: bytes  # sealed {"device_secret", "refresh_token", "email"}
    enrolled_at: datetime
    role: str | None = None  # the account's role as the server said at login (not secret)


class SyncStateRow(SQLModel, table=True):
    """Where pulling stands, and the conflicts waiting for the user (sealed JSON list)."""

    __tablename__ = "sync_state"
    id: int = Field(default=ROW_ID, primary_key=True)
    cursor: int = 0
    last_synced_at: datetime | None = None
    conflicts: bytes | None = None


class ReleasedCaseRow(SQLModel, table=True):
    """A closed case this tablet let go of (migration 0015): its id only, never its data."""

    __tablename__ = "released_cases"
    case_id: str = Field(primary_key=True)
    released_at: datetime
    wanted: bool = False  # a change of it was pulled: ask for it whole (PullRequest.refetch)


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


ACCOUNT = _table(SyncAccountRow)
STATE = _table(SyncStateRow)
RELEASED = _table(ReleasedCaseRow)
# models.team_cache imports this module: its table by name, to drop it in forget_cases.
_TEAM_CACHE = sa_table("team_cache")


# -- the enrolment ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SyncAccount:
    server_url: str
    device_id: str
    account_id: str
    email: str = field(repr=False)
    device_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    role: str | None = None  # "professional", "team_lead", ...: None when not known yet


def _seal_credential(sealer: Sealer, account: SyncAccount) -> bytes:
    sealed = sealer.seal_json(
        {
            "device_secret": account.device_secret,
            "refresh_token": account.refresh_token,
            "email": account.email,
        },
        table="sync_account",
        column="credential",
        row_id=str(ROW_ID),
    )
    assert sealed is not None
    return sealed


def load_account(conn: Connection, sealer: Sealer) -> SyncAccount | None:
    row = conn.execute(select(ACCOUNT).where(ACCOUNT.c.id == ROW_ID)).mappings().first()
    if row is None:
        return None
    secret = sealer.open_json(
        row["credential"], table="sync_account", column="credential", row_id=str(ROW_ID)
    )
    return SyncAccount(
        server_url=row["server_url"],
        device_id=row["device_id"],
        account_id=row["account_id"],
        email=secret["email"],
        device_secret=secret["device_secret"],
        refresh_token=secret["refresh_token"],
        role=row["role"],
    )


def account_role(conn: Connection) -> str | None:
    """The enrolled account's role (readable without unlocking secrets); None when unknown."""
    return store_file.account_role(driver_connection(conn))  # one query for both ways in


def save_role(conn: Connection, role: str | None) -> None:
    """Keep the role the server gave at the latest login."""
    conn.execute(update(ACCOUNT).where(ACCOUNT.c.id == ROW_ID).values(role=role))


def is_enrolled(conn: Connection) -> bool:
    return conn.execute(select(ACCOUNT.c.id)).first() is not None


def save_account(conn: Connection, sealer: Sealer, account: SyncAccount, *, now: datetime) -> None:
    """Store a (new) enrolment. A new server or device starts pulling from the beginning."""
    values = {
        "server_url": account.server_url,
        "device_id": account.device_id,
        "account_id": account.account_id,
        "credential": _seal_credential(sealer, account),
        "enrolled_at": now,
        "role": account.role,
    }
    old = conn.execute(select(ACCOUNT).where(ACCOUNT.c.id == ROW_ID)).mappings().first()
    if old is None:
        conn.execute(insert(ACCOUNT).values(id=ROW_ID, **values))
    else:
        conn.execute(update(ACCOUNT).where(ACCOUNT.c.id == ROW_ID).values(**values))
    if old is None or old["server_url"] != account.server_url:
        conn.execute(update(STATE).where(STATE.c.id == ROW_ID).values(cursor=0))
        conn.execute(delete(RELEASED))  # another dossier knows nothing of these


def save_refresh_token(conn: Connection, sealer: Sealer, refresh_token: str) -> None:
    """Keep the newest refresh token (the old one is spent on the server)."""
    account = load_account(conn, sealer)
    if account is None:
        return
    renewed = SyncAccount(
        server_url=account.server_url,
        device_id=account.device_id,
        account_id=account.account_id,
        email=account.email,
        device_secret=account.device_secret,
        refresh_token=refresh_token,
    )
    conn.execute(
        update(ACCOUNT)
        .where(ACCOUNT.c.id == ROW_ID)
        .values(credential=_seal_credential(sealer, renewed))
    )


# -- cursor, last sync, open conflicts -------------------------------------------------------


def take_write_lock(conn: Connection) -> None:
    """Make the caller's transaction a writer from its first statement.

    SQLite's ``BEGIN`` is deferred: a transaction that reads first and writes later fails with
    "database is locked" when another writer committed in between. Writing first avoids that.
    """
    conn.execute(update(STATE).where(STATE.c.id == ROW_ID).values(cursor=STATE.c.cursor))


def cursor(conn: Connection) -> int:
    value = conn.execute(select(STATE.c.cursor).where(STATE.c.id == ROW_ID)).scalar()
    return int(value or 0)


def set_cursor(conn: Connection, value: int) -> None:
    conn.execute(update(STATE).where(STATE.c.id == ROW_ID).values(cursor=value))


def last_synced_at(conn: Connection) -> datetime | None:
    value: datetime | None = conn.execute(
        select(STATE.c.last_synced_at).where(STATE.c.id == ROW_ID)
    ).scalar()
    return value


def set_last_synced_at(conn: Connection, at: datetime) -> None:
    conn.execute(update(STATE).where(STATE.c.id == ROW_ID).values(last_synced_at=at))


def load_conflicts(conn: Connection, sealer: Sealer) -> list[dict[str, JsonValue]]:
    blob = conn.execute(select(STATE.c.conflicts).where(STATE.c.id == ROW_ID)).scalar()
    opened = sealer.open_json(blob, table="sync_state", column="conflicts", row_id=str(ROW_ID))
    return list(opened or [])


def save_conflicts(conn: Connection, sealer: Sealer, conflicts: list[dict[str, JsonValue]]) -> None:
    blob = (
        sealer.seal_json(conflicts, table="sync_state", column="conflicts", row_id=str(ROW_ID))
        if conflicts
        else None
    )
    conn.execute(update(STATE).where(STATE.c.id == ROW_ID).values(conflicts=blob))


# -- the outbox as the engine rewrites it ----------------------------------------------------


def rebase(conn: Connection, mutation_id: str, base_seq: int) -> None:
    """Send a mutation again on top of this server version (the server applied nothing of it)."""
    conn.execute(
        update(outbox.OUTBOX)
        .where(outbox.OUTBOX.c.mutation_id == mutation_id)
        .values(base_seq=base_seq)
    )


def rewrite_outbox(conn: Connection, sealer: Sealer, items: Sequence[outbox.OutboxItem]) -> None:
    """Replace the whole outbox with ``items``, in this order (after the user resolved a conflict).

    Call it inside a transaction that holds the write lock (``take_write_lock``), after reading
    the outbox in that same transaction: then no change made meanwhile can be lost.
    """
    conn.execute(delete(outbox.OUTBOX))
    rows = [
        {
            "mutation_id": item.mutation_id,
            "entity": item.entity.value,
            "record_id": item.record_id,
            "case_id": item.case_id,
            "op": item.op,
            "fields": sealer.seal_json(
                item.fields, table="outbox", column="fields", row_id=item.mutation_id
            ),
            "base_seq": item.base_seq,
            "device_time": item.device_time,
            "state": item.state,
            "reason": item.reason,
        }
        for item in items
    ]
    if rows:
        conn.execute(insert(outbox.OUTBOX), rows)


# -- applying pulled changes -----------------------------------------------------------------


class RemoteWrite(Protocol):
    """What ``sync.engine.LocalWrite`` looks like from here."""

    @property
    def entity(self) -> str: ...
    @property
    def record_id(self) -> object: ...
    @property
    def op(self) -> str: ...
    @property
    def fields(self) -> Mapping[str, JsonValue]: ...
    @property
    def server_seq(self) -> int: ...
    @property
    def advances_base(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class ApplyResult:
    written: int = 0
    skipped: int = 0  # could not be applied here (incomplete or invalid record); base kept


_TABLES: dict[Entity, Table] = {
    Entity.RESIDENT: _table(ResidentRow),
    Entity.CASE: _table(CaseRow),
    Entity.PARTICIPANT: _table(ParticipantRow),
    Entity.MEETING: _table(MeetingRow),
    Entity.AGREEMENT: _table(AgreementRow),
    Entity.MEASUREMENT: _table(MeasurementRow),
}

_TO_ROW: dict[Entity, Callable[..., dict[str, Any]]] = {
    Entity.RESIDENT: records.resident_row,
    Entity.PARTICIPANT: records.participant_row,
    Entity.MEETING: records.meeting_row,
    Entity.AGREEMENT: records.agreement_row,
    Entity.MEASUREMENT: records.measurement_row,
}

_FROM_ROW: dict[Entity, Callable[..., changes.Record]] = {
    Entity.RESIDENT: records.resident_from_row,
    Entity.PARTICIPANT: records.participant_from_row,
    Entity.MEETING: records.meeting_from_row,
    Entity.AGREEMENT: records.agreement_from_row,
    Entity.MEASUREMENT: records.measurement_from_row,
}


def apply_remote(
    conn: Connection, sealer: Sealer, writes: Iterable[RemoteWrite], *, now: datetime
) -> ApplyResult:
    """Mirror server changes locally, inside the caller's transaction, with no outbox rows.

    Each write gets a savepoint: one that cannot be applied (a record whose earlier fields never
    reached this device, or that breaks a reference) is skipped and logged by id, and its base
    does not move, instead of blocking every later change.
    """
    written = skipped = 0
    for write in writes:
        entity = Entity(str(write.entity))
        record_id = str(write.record_id)
        try:
            with conn.begin_nested():
                _apply_one(conn, sealer, write, entity, record_id, now=now)
        except (ValueError, KeyError, TypeError, IntegrityError, DamagedRecordError) as error:
            skipped += 1
            log.warning(
                "pulled %s %s seq %d not applied (%s)",
                entity.value,
                record_id,
                write.server_seq,
                type(error).__name__,
            )
            continue
        written += 1
        if write.advances_base:
            outbox.set_base(conn, entity, record_id, write.server_seq)
    return ApplyResult(written, skipped)


def _apply_one(
    conn: Connection,
    sealer: Sealer,
    write: RemoteWrite,
    entity: Entity,
    record_id: str,
    *,
    now: datetime,
) -> None:
    table = _TABLES[entity]
    if str(write.op) == "delete":
        conn.execute(delete(table).where(table.c.id == record_id))
        return
    row = conn.execute(select(table).where(table.c.id == record_id)).mappings().first()
    current: changes.Record | None = None
    if row is not None:
        current = _record_from_row(conn, sealer, entity, row)
    if current is not None and not write.fields:
        return
    merged = {**(changes.fields_of(current) if current is not None else {}), **write.fields}
    resident = None
    if entity is Entity.CASE:
        resident_row = (
            conn.execute(
                select(_TABLES[Entity.RESIDENT]).where(
                    _TABLES[Entity.RESIDENT].c.id == merged.get("resident_id")
                )
            )
            .mappings()
            .first()
        )
        if resident_row is None:
            raise ValueError("case without its resident")
        resident = records.resident_from_row(sealer, resident_row)
    record = changes.record_from_fields(entity, record_id, merged, resident=resident)
    if entity is Entity.CASE:
        assert isinstance(record, Case)
        values = records.case_row(sealer, record, now=now)
    else:
        if isinstance(record, Meeting) and isinstance(current, Meeting):
            record.progress = current.progress  # screen state stays this device's own
        values = _TO_ROW[entity](sealer, record)
    if row is None:
        conn.execute(insert(table).values(values))
    else:
        values.pop("created_at", None)
        values.pop("id")
        conn.execute(update(table).where(table.c.id == record_id).values(values))


def local_fields(
    conn: Connection, sealer: Sealer, entity: Entity, record_id: str
) -> dict[str, JsonValue] | None:
    """All synced fields of one local record (``changes.fields_of``); None when it is not here or
    cannot be opened."""
    table = _TABLES[entity]
    row = conn.execute(select(table).where(table.c.id == record_id)).mappings().first()
    record = None if row is None else _record_from_row(conn, sealer, entity, row)
    return None if record is None else changes.fields_of(record)


def _record_from_row(
    conn: Connection, sealer: Sealer, entity: Entity, row: Mapping[Any, Any]
) -> changes.Record | None:
    """The local record as a domain value; None when it is damaged (then the server's fields
    replace it whole, when they are complete)."""
    try:
        if entity is Entity.CASE:
            residents = _TABLES[Entity.RESIDENT]
            resident_row = (
                conn.execute(select(residents).where(residents.c.id == row["resident_id"]))
                .mappings()
                .one()
            )
            resident = records.resident_from_row(sealer, resident_row)
            return records.case_from_row(sealer, row, resident)
        return _FROM_ROW[entity](sealer, row)
    except DamagedRecordError:
        return None


# -- cases whose access ended ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ForgetResult:
    cases: int = 0  # cases that were on this device and are removed now
    changes_dropped: int = 0  # their unsent changes (outbox rows), dropped with them

    def __add__(self, other: ForgetResult) -> ForgetResult:
        return ForgetResult(self.cases + other.cases, self.changes_dropped + other.changes_dropped)


_PLAN_VERSIONS = _table(PlanVersionRow)
_PLAN_SIGNATURES = _table(PlanSignatureRow)
# The tables that hang off a case, children before parents (foreign keys are on).
_CASE_PARTS: tuple[tuple[Table, Entity | None], ...] = (
    (_PLAN_SIGNATURES, None),
    (_PLAN_VERSIONS, None),
    (_TABLES[Entity.AGREEMENT], Entity.AGREEMENT),
    (_TABLES[Entity.MEASUREMENT], Entity.MEASUREMENT),
    (_TABLES[Entity.MEETING], Entity.MEETING),
    (_TABLES[Entity.PARTICIPANT], Entity.PARTICIPANT),
)


def forget_cases(
    conn: Connection,
    sealer: Sealer,
    case_ids: Iterable[object],
    *,
    why: str = "access ended",
    keep_team_cache: bool = False,
) -> ForgetResult:
    """Remove these cases and everything of them from the device, in the caller's transaction
    (see the module docstring). Cases that are not here are skipped; nothing is queued. A case
    whose access ended is no longer a released one either. A team lead's cached dashboard may
    name them (even when they are not here): it is dropped whole unless ``keep_team_cache``."""
    wanted = sorted({str(c) for c in case_ids})
    if not wanted:
        return ForgetResult()
    take_back(conn, wanted)
    if not keep_team_cache:
        conn.execute(delete(_TEAM_CACHE))  # refetched when the dashboard opens next
    cases_table, residents = _TABLES[Entity.CASE], _TABLES[Entity.RESIDENT]
    found = 0
    for case_id in wanted:
        resident_id = conn.execute(
            select(cases_table.c.resident_id).where(cases_table.c.id == case_id)
        ).scalar()
        record_ids: set[str] = {case_id}
        for table, entity in _CASE_PARTS:
            if entity is not None:
                record_ids.update(
                    conn.execute(select(table.c.id).where(table.c.case_id == case_id)).scalars()
                )
            conn.execute(delete(table).where(table.c.case_id == case_id))
        if resident_id is not None:
            found += 1
            conn.execute(delete(cases_table).where(cases_table.c.id == case_id))
            shared = conn.execute(
                select(cases_table.c.id).where(cases_table.c.resident_id == resident_id).limit(1)
            ).first()
            if shared is None:  # a resident belongs to their own case; never delete a shared one
                conn.execute(delete(residents).where(residents.c.id == resident_id))
                record_ids.add(str(resident_id))
        for start in range(0, len(record_ids), 500):
            chunk = sorted(record_ids)[start : start + 500]
            conn.execute(delete(outbox.BASES).where(outbox.BASES.c.record_id.in_(chunk)))
    dropped = conn.execute(delete(outbox.OUTBOX).where(outbox.OUTBOX.c.case_id.in_(wanted)))
    conflicts = load_conflicts(conn, sealer)
    kept = [c for c in conflicts if str(c.get("case_id")) not in wanted]
    if len(kept) != len(conflicts):
        save_conflicts(conn, sealer, kept)
    result = ForgetResult(cases=found, changes_dropped=dropped.rowcount or 0)
    if result.cases or result.changes_dropped:
        log.warning(
            "%s: %d case(s) removed from this device, %d unsent change(s) dropped",
            why,
            result.cases,
            result.changes_dropped,
        )
    return result


# -- closed cases this tablet lets go of (models.caseload) -----------------------------------


def releasable_cases(conn: Connection, sealer: Sealer, *, today: date) -> list[str]:
    """The cases ``models.caseload.may_leave`` lets go of today, sorted by id."""
    enrolled = is_enrolled(conn)
    if not enrolled:
        return []
    cases_table = _TABLES[Entity.CASE]
    cutoff = today - timedelta(days=caseload.KEEP_CLOSED_DAYS)
    closed = conn.execute(
        select(cases_table.c.id, cases_table.c.closed_on, cases_table.c.consent_given).where(
            cases_table.c.closed_on.is_not(None), cases_table.c.closed_on <= cutoff
        )
    ).all()
    if not closed:
        return []
    ids = [str(row.id) for row in closed]
    on_dossier: set[str] = set()
    waiting: dict[str, int] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        on_dossier.update(
            conn.execute(
                select(outbox.BASES.c.record_id).where(
                    outbox.BASES.c.entity == Entity.CASE.value,
                    outbox.BASES.c.record_id.in_(chunk),
                )
            ).scalars()
        )
        for case_id, count in conn.execute(
            select(outbox.OUTBOX.c.case_id, func.count())
            .where(outbox.OUTBOX.c.case_id.in_(chunk))
            .group_by(outbox.OUTBOX.c.case_id)
        ).all():
            waiting[str(case_id)] = int(count)
    questions: dict[str, int] = {}
    for conflict in load_conflicts(conn, sealer):
        key = str(conflict.get("case_id"))
        questions[key] = questions.get(key, 0) + 1
    found = [
        str(row.id)
        for row in closed
        if caseload.may_leave(
            caseload.CaseOnTablet(
                closed_on=row.closed_on,
                consent_given=row.consent_given,
                on_dossier=str(row.id) in on_dossier,
                waiting=waiting.get(str(row.id), 0),
                conflicts=questions.get(str(row.id), 0),
            ),
            today=today,
            enrolled=enrolled,
        )
    ]
    return sorted(found)


def release_cases(
    conn: Connection, sealer: Sealer, case_ids: Iterable[str], *, now: datetime
) -> ForgetResult:
    """Let go of these closed cases: remove them whole (``forget_cases``) and keep their ids, in
    the caller's transaction. Call it with ``releasable_cases`` read in that same transaction."""
    wanted = sorted(set(case_ids))
    result = forget_cases(conn, sealer, wanted, why="closed case released", keep_team_cache=True)
    if wanted:
        conn.execute(insert(RELEASED), [{"case_id": c, "released_at": now} for c in wanted])
    return result


def released_case_ids(conn: Connection) -> list[str]:
    """The ids of the cases this tablet let go of, sorted."""
    return sorted(str(c) for c in conn.execute(select(RELEASED.c.case_id)).scalars())


def wanted_case_ids(conn: Connection, *, limit: int) -> list[str]:
    """At most ``limit`` released cases to ask for whole in the next pull, sorted by id."""
    query = select(RELEASED.c.case_id).where(RELEASED.c.wanted.is_(True))
    return [str(c) for c in conn.execute(query.order_by(RELEASED.c.case_id).limit(limit)).scalars()]


def want_back(conn: Connection, case_ids: Iterable[object]) -> None:
    """A change of these released cases was pulled: ask for them whole in a later pull."""
    wanted = sorted({str(c) for c in case_ids})
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        conn.execute(update(RELEASED).where(RELEASED.c.case_id.in_(chunk)).values(wanted=True))


def not_wanted(conn: Connection, case_ids: Iterable[object]) -> None:
    """The dossier did not send these back (the caller cannot see them now): stop asking; a
    later change of them marks them again, and ended access drops them (``forget_cases``)."""
    wanted = sorted({str(c) for c in case_ids})
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        conn.execute(update(RELEASED).where(RELEASED.c.case_id.in_(chunk)).values(wanted=False))


def take_back(conn: Connection, case_ids: Iterable[object]) -> None:
    """These cases are no longer released ones (back whole from the dossier, or access ended)."""
    wanted = sorted({str(c) for c in case_ids})
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        conn.execute(delete(RELEASED).where(RELEASED.c.case_id.in_(chunk)))

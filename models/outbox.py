"""The outbox: every local change, queued for the shared dossier in the same transaction.

``models.store`` calls ``append`` inside the transaction that writes the record, so a change and its
outbox row commit together or not at all: a crash can never leave a saved change that will not
sync, or a queued change that was not saved. A row leaves the outbox only when the server has
acknowledged it (``remove``); a refused one stays, marked, with its reason (``mark``).

The changed fields are personal data, so they are sealed like every other sensitive value
(bound to this table, the ``fields`` column and the mutation id). ``sync_bases`` keeps, per record,
the server sequence number this device last pulled: an edit is based on it (``base_seq``).

A row's ``seq`` is this device's order of its changes, sent as the mutation's ``device_seq``: the
server keeps a device's newest value of a field even when its batches arrive out of order. It is
given by the insert, in the change's own transaction, and is AUTOINCREMENT (migration 0011): never
reused, also not after the outbox has emptied or was rewritten (a rewritten row gets a new, higher
number, which keeps the rows' order). A store copied back from an older state would reuse numbers.
Cases without the resident's consent are queued like any other; the sync client holds them back
until consent is given, so nothing needs recomputing then.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select, update
from sqlmodel import Field, SQLModel

from models.changes import Entity, JsonValue
from models.crypto.sealing import Sealer


class OutboxRow(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = {"sqlite_autoincrement": True}  # seq is never reused (the device's order)
    seq: int | None = Field(default=None, primary_key=True)  # the order changes were made in
    mutation_id: str = Field(unique=True)
    entity: str
    record_id: str
    case_id: str = Field(index=True)
    op: str  # "upsert" | "delete"
    fields: bytes | None = None  # sealed JSON of the changed fields
    base_seq: int | None = None
    device_time: datetime
    state: str = "waiting"  # waiting | held_back | conflict
    reason: str | None = None


class SyncBase(SQLModel, table=True):
    __tablename__ = "sync_bases"
    entity: str = Field(primary_key=True)
    record_id: str = Field(primary_key=True)
    base_seq: int


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


OUTBOX = _table(OutboxRow)
BASES = _table(SyncBase)


@dataclass(frozen=True, slots=True)
class OutboxItem:
    seq: int
    mutation_id: str
    entity: Entity
    record_id: str
    case_id: str
    op: str
    fields: dict[str, JsonValue]
    base_seq: int | None
    device_time: datetime
    state: str
    reason: str | None


def append(
    conn: Connection,
    sealer: Sealer,
    *,
    entity: Entity,
    record_id: str,
    case_id: str,
    fields: dict[str, JsonValue],
    now: datetime,
    op: str = "upsert",
) -> str:
    """Queue one change inside the caller's transaction; returns its mutation id."""
    mutation_id = str(uuid.uuid4())
    base = conn.execute(
        select(BASES.c.base_seq).where(
            BASES.c.entity == entity.value, BASES.c.record_id == record_id
        )
    ).scalar()
    sealed = sealer.seal_json(fields, table="outbox", column="fields", row_id=mutation_id)
    conn.execute(
        insert(OUTBOX).values(
            mutation_id=mutation_id,
            entity=entity.value,
            record_id=record_id,
            case_id=case_id,
            op=op,
            fields=sealed,
            base_seq=base,
            device_time=now,
            state="waiting",
        )
    )
    return mutation_id


def items(conn: Connection, sealer: Sealer) -> list[OutboxItem]:
    """Everything in the outbox, oldest first, opened."""
    rows = conn.execute(select(OUTBOX).order_by(OUTBOX.c.seq)).mappings().all()
    return [
        OutboxItem(
            seq=r["seq"],
            mutation_id=r["mutation_id"],
            entity=Entity(r["entity"]),
            record_id=r["record_id"],
            case_id=r["case_id"],
            op=r["op"],
            fields=sealer.open_json(
                r["fields"], table="outbox", column="fields", row_id=r["mutation_id"]
            )
            or {},
            base_seq=r["base_seq"],
            device_time=r["device_time"],
            state=r["state"],
            reason=r["reason"],
        )
        for r in rows
    ]


def remove(conn: Connection, mutation_ids: Iterable[str]) -> None:
    """Drop acknowledged changes (only ever after the server said so)."""
    ids = list(mutation_ids)
    if ids:
        conn.execute(delete(OUTBOX).where(OUTBOX.c.mutation_id.in_(ids)))


def mark(conn: Connection, mutation_id: str, *, state: str, reason: str | None) -> None:
    conn.execute(
        update(OUTBOX).where(OUTBOX.c.mutation_id == mutation_id).values(state=state, reason=reason)
    )


def set_base(conn: Connection, entity: Entity, record_id: str, base_seq: int) -> None:
    """Remember the server version of a record this device has now seen (never goes back)."""
    current = conn.execute(
        select(BASES.c.base_seq).where(
            BASES.c.entity == entity.value, BASES.c.record_id == record_id
        )
    ).scalar()
    if current is None:
        conn.execute(
            insert(BASES).values(entity=entity.value, record_id=record_id, base_seq=base_seq)
        )
    elif base_seq > current:
        conn.execute(
            update(BASES)
            .where(BASES.c.entity == entity.value, BASES.c.record_id == record_id)
            .values(base_seq=base_seq)
        )


def waiting_count(conn: Connection) -> int:
    """How many changes wait to be sent (for the status line: "K waiting")."""
    return len(conn.execute(select(OUTBOX.c.seq).where(OUTBOX.c.state == "waiting")).all())

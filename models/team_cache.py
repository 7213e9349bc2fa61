"""The last team-lead answers fetched from the server, kept sealed for offline viewing.

One row per answer kind (``overdue``, ``monitoring``): the server's JSON, sealed like every other
personal datum in the store (AES-256-GCM bound to this table, column and row: it holds residents'
names and stories), and the time it was fetched. A new fetch replaces the row; nothing older is
kept. The dashboard shows the answer with its "as of" time when the server cannot be reached.

The wire models (``sync.team_protocol``) are plain pydantic values; this module validates the
stored JSON against them again on reading, so a damaged or outdated row reads as "nothing cached"
instead of breaking the screen.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import Connection, Table, delete, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, SQLModel

from models import sync_state
from models.crypto.sealing import Sealer
from models.errors import DamagedRecordError
from models.store_file import TEAM_LEAD_ROLE as TEAM_LEAD_ROLE  # the server's Role.TEAM_LEAD
from sync.team_protocol import MonitoringFigures, OverdueReport

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)


class CacheKind(StrEnum):
    OVERDUE = "overdue"
    MONITORING = "monitoring"


class TeamCacheRow(SQLModel, table=True):
    """A sealed server answer and when it was fetched."""

    __tablename__ = "team_cache"
    kind: str = Field(primary_key=True)
    payload: bytes  # sealed JSON of the answer
    fetched_at: datetime


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


CACHE = _table(TeamCacheRow)


@dataclass(frozen=True, slots=True)
class Cached(Generic[M]):
    value: M
    fetched_at: datetime


def _save(
    conn: Connection, sealer: Sealer, kind: CacheKind, value: BaseModel, at: datetime
) -> None:
    payload = sealer.seal_json(
        value.model_dump(mode="json"), table="team_cache", column="payload", row_id=kind.value
    )
    assert payload is not None
    conn.execute(
        sqlite_insert(CACHE)
        .values(kind=kind.value, payload=payload, fetched_at=at)
        .on_conflict_do_update(index_elements=["kind"], set_={"payload": payload, "fetched_at": at})
    )


def _load(conn: Connection, sealer: Sealer, kind: CacheKind, model: type[M]) -> Cached[M] | None:
    row = conn.execute(select(CACHE).where(CACHE.c.kind == kind.value)).mappings().first()
    if row is None:
        return None
    try:
        data = sealer.open_json(
            row["payload"], table="team_cache", column="payload", row_id=kind.value
        )
        value = model.model_validate(data)
    except (DamagedRecordError, ValidationError, ValueError) as error:
        log.warning("cached team %s not readable (%s)", kind.value, type(error).__name__)
        return None
    fetched_at: datetime = row["fetched_at"]
    if fetched_at.tzinfo is None:
        fetched_at = fetched_at.replace(tzinfo=UTC)  # SQLite keeps UTC without an offset
    return Cached(value, fetched_at)


def save_overdue(conn: Connection, sealer: Sealer, report: OverdueReport, *, at: datetime) -> None:
    _save(conn, sealer, CacheKind.OVERDUE, report, at)


def save_monitoring(
    conn: Connection, sealer: Sealer, figures: MonitoringFigures, *, at: datetime
) -> None:
    _save(conn, sealer, CacheKind.MONITORING, figures, at)


def load_overdue(conn: Connection, sealer: Sealer) -> Cached[OverdueReport] | None:
    return _load(conn, sealer, CacheKind.OVERDUE, OverdueReport)


def load_monitoring(conn: Connection, sealer: Sealer) -> Cached[MonitoringFigures] | None:
    return _load(conn, sealer, CacheKind.MONITORING, MonitoringFigures)


def is_team_lead(conn: Connection) -> bool:
    """Whether the enrolled account has the team-lead role (plaintext: works while locked)."""
    return sync_state.account_role(conn) == TEAM_LEAD_ROLE


def clear(conn: Connection) -> None:
    """Forget every cached answer (e.g. the account is no longer a team lead)."""
    conn.execute(delete(CACHE))

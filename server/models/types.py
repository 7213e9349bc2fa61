"""Column types shared by the tables: aware UTC datetimes and JSON on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import ConfigDict, field_validator
from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import registry
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC; SQLite gives them back naive, so they are made aware again."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


server_registry = registry()


NUL = "\x00"


def holds_nul(value: object) -> bool:
    """True when a text anywhere in ``value`` (a JSON value: keys included) holds NUL (U+0000).

    PostgreSQL cannot store NUL in a text or JSONB column; SQLite can. The server refuses such a
    text before it reaches a query, so that both databases answer alike and never with a 500.
    """
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(holds_nul(v) for v in value)
    return False


class ServerModel(SQLModel, registry=server_registry):
    """Base of every server model: the server's tables live on their own metadata, apart from the
    device store's (both are importable in one process, e.g. in tests)."""


class RequestBody(ServerModel):
    """Base of every request body: unknown fields are refused, and so is any text holding NUL
    (see ``holds_nul``): a 422, not a 500."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        if holds_nul(value):
            raise ValueError("a text holds NUL (U+0000)")
        return value


metadata = server_registry.metadata

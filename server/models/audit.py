"""The audit log (NEN 7513): append-only, hash-chained.

Each row's ``hash`` is SHA-256 over the previous row's hash and this row's canonical content, so
removing or changing a row breaks the chain from there on (``server.audit.verify_chain``).
``AuditHead`` holds the last hash; a writer locks it, so the chain has one order. On both
databases, triggers refuse UPDATE and DELETE on ``audit_event`` (see the first migration).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field

from server.models.types import ServerModel, UTCDateTime


class AuditEventBase(ServerModel):
    # UNIQUE (migration 0009): every writer makes a uuid4; a tablet's resend is looked up by it.
    event_id: uuid.UUID = Field(index=True, unique=True)
    action: str = Field(max_length=20)  # create, read, update, delete, export, login, ...
    server_time: datetime = Field(sa_type=UTCDateTime)
    device_time: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str = Field(max_length=20)  # success, refused, conflict, duplicate
    reason: str | None = Field(default=None, max_length=50)  # a code, never personal data
    account_id: uuid.UUID | None = None
    role: str | None = Field(default=None, max_length=20)
    device_id: uuid.UUID | None = None
    organisation_id: uuid.UUID | None = None
    case_id: uuid.UUID | None = Field(default=None, index=True)
    entity: str | None = Field(default=None, max_length=20)
    record_id: uuid.UUID | None = None
    authorisation: str = Field(max_length=30)  # granted, refused, no_consent, not_checked, ...
    route: str | None = Field(default=None, max_length=100)


class AuditEvent(AuditEventBase, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class AuditEventPublic(AuditEventBase):
    id: int
    prev_hash: str
    hash: str


class AuditHead(ServerModel, table=True):
    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    last_hash: str = Field(default="0" * 64, max_length=64)
    count: int = 0

"""The shared dossier as the sync protocol sees it: records, the change log, applied mutations.

- ``DossierRecord``: the current state of one (entity, record id): its fields, and per field the
  last change as ``[seq, device]`` or ``[seq, device, device_seq]`` (when the mutation carried
  one), plus the deletion (tombstone) if deleted, with its ``device_seq`` too.
- ``ChangeRow``: the change log, pulled by ``seq`` (the server's own sequence number).
- ``AppliedMutation``: one row per (device, mutation id), UNIQUE: the idempotency guard.
- ``CaseAccess`` / ``CaseMember``: who may see and change a case (see server/authorisation.py).
- ``CaseAccessEnd``: when an account stopped being a member through a participant record, so a
  pull can tell its devices to remove the case (see server/sync_pull.py).
- ``SyncHead``: one row holding the last sequence number. A push locks it for its whole
  transaction, so sequence numbers are handed out and committed in order, and a pull that has seen
  seq N has seen everything below N.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field

from server.models.types import JSONType, ServerModel, UTCDateTime, utcnow


class DossierRecord(ServerModel, table=True):
    __tablename__ = "dossier_record"

    entity: str = Field(primary_key=True, max_length=20)
    record_id: uuid.UUID = Field(primary_key=True)
    case_id: uuid.UUID = Field(index=True)
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    # field name -> [seq, device id as text] or [seq, device id as text, device_seq]
    last_change: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )
    deleted_seq: int | None = None
    deleted_by: uuid.UUID | None = None
    # The deletion's Mutation.device_seq (None: not numbered); see server/sync_push.py.
    deleted_device_seq: int | None = Field(default=None, sa_type=BigInteger)
    seq: int = 0


class ChangeRow(ServerModel, table=True):
    __tablename__ = "change_log"

    seq: int = Field(primary_key=True)  # handed out under the SyncHead lock, never reused
    entity: str = Field(max_length=20)
    record_id: uuid.UUID
    case_id: uuid.UUID = Field(index=True)
    op: str = Field(max_length=10)
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    origin_device: uuid.UUID
    mutation_id: uuid.UUID
    server_time: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AppliedMutation(ServerModel, table=True):
    __tablename__ = "applied_mutation"
    __table_args__ = (UniqueConstraint("device_id", "mutation_id", name="uq_applied_mutation"),)

    id: int | None = Field(default=None, primary_key=True)
    device_id: uuid.UUID
    mutation_id: uuid.UUID
    digest: str = Field(max_length=64)
    seq: int


class SyncHead(ServerModel, table=True):
    __tablename__ = "sync_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0


class CaseAccess(ServerModel, table=True):
    """Per case: who made it reach the server, and whether the resident consents to sharing."""

    __tablename__ = "case_access"

    case_id: uuid.UUID = Field(primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    created_by: uuid.UUID = Field(foreign_key="account.id")
    consent_given: bool = False


class CaseMember(ServerModel, table=True):
    """An account taking part in a case: its creator, and every professional participant."""

    __tablename__ = "case_member"
    # A team's cases by its accounts, from the index alone (team scoping, server/reports).
    __table_args__ = (Index("ix_case_member_account_case", "account_id", "case_id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: uuid.UUID = Field(index=True)
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True)
    # The participant record that made the account a member; None for the creator.
    participant_id: uuid.UUID | None = Field(default=None, index=True)
    # The server seq of the change that granted the membership (the creator's: the case's
    # creation). Pull back-fills a case's earlier history to accounts granted after their cursor.
    # Rows from before migration 0003 hold 0: "from the start", no back-fill.
    since_seq: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class CaseAccessEnd(ServerModel, table=True):
    """An account's membership of a case that ended: its participant record was marked removed,
    deleted, or lost its ``account_id`` (migration 0006). Written with the change that ended it,
    never updated; the account may still see the case another way (as creator, through another
    participant record, or granted again later): a pull checks that before it names the case."""

    __tablename__ = "case_access_end"
    # The ends of one account (or a team's accounts) after a cursor, from the index.
    __table_args__ = (Index("ix_case_access_end_account_seq", "account_id", "ended_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: uuid.UUID
    account_id: uuid.UUID = Field(foreign_key="account.id")
    ended_seq: int  # the server seq of the change that ended the membership

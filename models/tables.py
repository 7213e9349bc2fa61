"""SQLModel tables of the local store: what lies on the tablet's disk.

Every column typed ``bytes`` is *sealed*: AES-256-GCM ciphertext made by ``models.crypto.sealing``,
bound to its table, column and row id. Plaintext is kept only where a query needs it: ids, dates,
statuses, roles, organisation ids. No name, no free text, no score is ever stored in the clear.

The schema is created and upgraded by the Alembic migrations in ``models/migrations``; a test checks
that these classes and the migrations agree.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel


class StoreMeta(SQLModel, table=True):
    """Plain facts about the store: its id, when it was made."""

    __tablename__ = "store_meta"
    key: str = Field(primary_key=True)
    value: str


class KeyEnvelope(SQLModel, table=True):
    """A wrapped data key with the parameters needed to unwrap it (never the key itself)."""

    __tablename__ = "key_envelopes"
    key_id: str = Field(primary_key=True)  # hex of the 4-byte key id
    wrapped_key: bytes
    kdf_params: str  # JSON, see models.crypto.kdf.KdfParams
    device_secret_required: bool
    is_current: bool
    created_at: datetime


class UnlockState(SQLModel, table=True):
    """Failed unlock attempts, kept on disk so a restart does not reset the back-off."""

    __tablename__ = "unlock_state"
    id: int = Field(default=1, primary_key=True)
    failures: int = 0
    last_failure_at: datetime | None = None


class OrganisationRow(SQLModel, table=True):
    """Partner organisations: configuration, not personal data."""

    __tablename__ = "organisations"
    id: str = Field(primary_key=True)
    name: str
    active: bool = True
    position: int = 0


class ResidentRow(SQLModel, table=True):
    __tablename__ = "residents"
    id: str = Field(primary_key=True)
    name: bytes
    date_of_birth: bytes | None = None
    address: bytes | None = None
    phone: bytes | None = None
    email: bytes | None = None


class CaseRow(SQLModel, table=True):
    __tablename__ = "cases"
    # The MDO clock only runs for open cases without a "no MDO needed" decision: a partial index
    # keeps the overdue check from walking every closed case.
    __table_args__ = (
        # Covering (migration 0010): the overdue report reads id and resident from the index.
        Index(
            "ix_cases_awaiting_meeting",
            "contact_date",
            "id",
            "resident_id",
            "closed_on",
            "no_meeting_decided_on",
            sqlite_where=text("closed_on IS NULL AND no_meeting_decided_on IS NULL"),
        ),
    )
    id: str = Field(primary_key=True)
    resident_id: str = Field(foreign_key="residents.id", index=True)
    contact_date: date = Field(index=True)
    question: bytes | None = None
    organisation_id: str | None = None
    consent_given: bool | None = None
    consent_recorded_on: date | None = None
    no_meeting_decided_on: date | None = None
    no_meeting_reason: bytes | None = None
    closed_on: date | None = None
    closing_note: bytes | None = None
    created_at: datetime
    updated_at: datetime


class ParticipantRow(SQLModel, table=True):
    __tablename__ = "participants"
    id: str = Field(primary_key=True)
    case_id: str = Field(foreign_key="cases.id", index=True)
    role: str
    organisation_id: str | None = None
    name: bytes
    relation: bytes | None = None
    contact: bytes | None = None
    account_id: str | None = None  # a server account id (random), not personal data
    removed_on: date | None = None  # taken off the case (the row stays for its references)


class MeetingRow(SQLModel, table=True):
    __tablename__ = "meetings"
    # (case_id, held_on) answers "has this case held its MDO?" from the index alone.
    __table_args__ = (Index("ix_meetings_case_id_held_on", "case_id", "held_on"),)
    id: str = Field(primary_key=True)
    case_id: str = Field(foreign_key="cases.id")
    planned_for: datetime | None = None
    held_on: date | None = None
    place: bytes | None = None
    wants: bytes | None = None  # sealed JSON list of strings
    strengths: bytes | None = None
    needs: bytes | None = None
    present: str = "[]"  # JSON list of participant ids (random ids, no personal data)
    progress: str = ""  # meeting screen step (a step name, no personal data)


class AgreementRow(SQLModel, table=True):
    __tablename__ = "agreements"
    # The overdue query reads open agreements by due date from this partial index alone (it
    # covers the columns the query names, so the large table rows are not read; migration 0010).
    __table_args__ = (
        Index(
            "ix_agreements_open_due",
            "status",
            "due_date",
            "id",
            "case_id",
            sqlite_where=text("status = 'open'"),
        ),
    )
    id: str = Field(primary_key=True)
    case_id: str = Field(foreign_key="cases.id", index=True)
    meeting_id: str = Field(foreign_key="meetings.id")
    owner_id: str = Field(foreign_key="participants.id")
    due_date: date
    status: str
    done_on: date | None = None
    what: bytes
    outside_norm_reason: bytes | None = None
    note: bytes | None = None
    cost_estimate: bytes | None = None  # sealed JSON integer (euro cents)


class MeasurementRow(SQLModel, table=True):
    __tablename__ = "measurements"
    id: str = Field(primary_key=True)
    case_id: str = Field(foreign_key="cases.id", index=True)
    moment: str
    taken_on: date
    scores: bytes  # sealed JSON: {"wellbeing": .., "positive_health": {..}, "zrm": {..}}


class DeviceAuditEventRow(SQLModel, table=True):
    """A read or export done on this tablet, until the dossier's audit log has it (NEN 7513).

    Ids and fixed words only (see ``models.device_audit``): nothing here is personal data, so
    nothing is sealed. A row leaves the table once the server acknowledges it.
    """

    __tablename__ = "device_audit_events"
    event_id: str = Field(primary_key=True)  # uuid4, made here; the server keeps it
    action: str  # read, export, print
    device_time: datetime  # UTC, this tablet's clock
    case_id: str | None = None  # None: a team report export
    entity: str | None = None  # what was read or exported: case, plan_pdf, team_pdf, ...
    record_id: str | None = None  # the record, where there is one (the meeting of a plan PDF)
    outcome: str  # success, failed

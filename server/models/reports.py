"""The team-lead read model: typed projection tables of the synced records (issue #6).

The dossier keeps each record as JSON ``fields`` (``server.models.dossier.DossierRecord``). The
team-lead figures need dates, statuses and scores as columns with indexes, so every applied
mutation also updates one of these tables in the same transaction (``server.reports.projection``).
They hold nothing the dossier does not hold, and can be rebuilt from it at any time
(``projection.rebuild``; migration 0002 does that once).

Derived columns are computed when a row is written, so the queries only compare and count:
``report_case.first_held_on`` (the first meeting held, the one the 14-day clock looks at) and
``mdo_days`` (contact -> that meeting, in days); ``report_agreement.meeting_held_on`` and
``done_days`` (meeting -> done, in days, for done agreements), and the owner's name, account,
organisation (an organisation only for a professional owner) and whether they were taken off the
case (``owner_removed``, migration 0005), copied from the participant so the overdue list and the
split per organisation need no join with the participants.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Column, Index, Text, text
from sqlmodel import Field

from server.models.types import ServerModel

HEALTH_COLUMNS: dict[str, str] = {  # models.domain.POSITIVE_HEALTH_DIMENSIONS -> column
    "bodily_functions": "ph_bodily_functions",
    "mental_wellbeing": "ph_mental_wellbeing",
    "meaningfulness": "ph_meaningfulness",
    "quality_of_life": "ph_quality_of_life",
    "participation": "ph_participation",
    "daily_functioning": "ph_daily_functioning",
}

_WAITING = "first_held_on IS NULL AND no_meeting_decided_on IS NULL AND closed_on IS NULL"
_OPEN = "status = 'open'"


class ReportCase(ServerModel, table=True):
    __tablename__ = "report_case"
    __table_args__ = (
        # The cases waiting for their MDO: the overdue list reads only these.
        Index(
            "ix_report_case_waiting",
            "contact_date",
            postgresql_where=text(_WAITING),
            sqlite_where=text(_WAITING),
        ),
    )

    case_id: uuid.UUID = Field(primary_key=True)
    resident_id: uuid.UUID | None = Field(default=None, index=True)
    resident_name: str = Field(default="", sa_column=Column(Text, nullable=False))
    contact_date: date | None = Field(default=None, index=True)
    first_held_on: date | None = None
    mdo_days: int | None = None  # first_held_on - contact_date
    no_meeting_decided_on: date | None = None
    closed_on: date | None = None
    organisation_id: str | None = Field(default=None, max_length=100)
    consent_given: bool = False
    question: str = Field(default="", sa_column=Column(Text, nullable=False))
    closing_note: str = Field(default="", sa_column=Column(Text, nullable=False))


class ReportParticipant(ServerModel, table=True):
    __tablename__ = "report_participant"

    participant_id: uuid.UUID = Field(primary_key=True)
    case_id: uuid.UUID = Field(index=True)
    role: str | None = Field(default=None, max_length=20)
    name: str = Field(default="", sa_column=Column(Text, nullable=False))
    organisation_id: str | None = Field(default=None, max_length=100)
    account_id: uuid.UUID | None = None
    removed: bool = False  # taken off the case: ``removed_on`` set (server/sync_push.py)


class ReportMeeting(ServerModel, table=True):
    __tablename__ = "report_meeting"

    meeting_id: uuid.UUID = Field(primary_key=True)
    case_id: uuid.UUID = Field(index=True)
    held_on: date | None = None


class ReportAgreement(ServerModel, table=True):
    __tablename__ = "report_agreement"
    __table_args__ = (
        # Open agreements by due date: the overdue list and "overdue now".
        Index(
            "ix_report_agreement_open_due",
            "due_date",
            postgresql_where=text(_OPEN),
            sqlite_where=text(_OPEN),
        ),
    )

    agreement_id: uuid.UUID = Field(primary_key=True)
    case_id: uuid.UUID = Field(index=True)
    meeting_id: uuid.UUID | None = Field(default=None, index=True)
    owner_id: uuid.UUID | None = Field(default=None, index=True)  # a participant id
    owner_name: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    owner_account_id: uuid.UUID | None = None
    owner_organisation_id: str | None = Field(default=None, max_length=100)
    owner_removed: bool = False  # the owner was taken off the case: someone must take it over
    what: str = Field(default="", sa_column=Column(Text, nullable=False))
    due_date: date | None = None
    status: str = Field(default="open", max_length=20)
    done_on: date | None = None
    meeting_held_on: date | None = Field(default=None, index=True)
    done_days: int | None = None  # done_on - meeting_held_on, for done agreements


class ReportMeasurement(ServerModel, table=True):
    __tablename__ = "report_measurement"

    measurement_id: uuid.UUID = Field(primary_key=True)
    case_id: uuid.UUID = Field(index=True)
    moment: str | None = Field(default=None, max_length=20)
    taken_on: date | None = None
    taken_day: int | None = None  # taken_on as a day number (date.toordinal): "latest" in SQL
    wellbeing: int | None = None
    ph_bodily_functions: int | None = None
    ph_mental_wellbeing: int | None = None
    ph_meaningfulness: int | None = None
    ph_quality_of_life: int | None = None
    ph_participation: int | None = None
    ph_daily_functioning: int | None = None

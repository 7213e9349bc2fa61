"""The case file as plain values: what the app, the rules and the store talk about.

These dataclasses hold plaintext and know nothing of storage or encryption; ``models.store`` seals
the sensitive fields on the way to SQLite (see ``models.tables`` for which columns stay plaintext).
Ids are random UUID strings made on the device (they double as sync ids later).

Where the issue was silent we chose:
- a resident may have several cases over the years, so ``Resident`` is its own record;
- "no MDO needed" is a ``NoMeetingDecision`` (date + reason) on the case; it stops the 14-day clock;
- a case can hold more than one meeting (a follow-up MDO); deadline rules look at the first
  one held;
- amounts (``cost_estimate_cents``) are whole euro cents, never floats.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


def new_id() -> str:
    """A random record id (UUID4, 36 characters). Client-generated so it can sync later."""
    return str(uuid.uuid4())


class ParticipantRole(StrEnum):
    RESIDENT = "resident"
    NETWORK = "network"  # family, neighbours, friends, volunteers
    PROFESSIONAL = "professional"


class AgreementStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class MeasurementMoment(StrEnum):
    CONTACT = "contact"
    MEETING = "meeting"
    SIX_WEEKS = "six_weeks"
    LATER = "later"


class CaseStage(StrEnum):
    """Where a case is. Always derived (``models.deadlines.case_stage``), never stored."""

    CONTACT = "contact"  # first contact, no MDO planned yet
    NO_MEETING_NEEDED = "no_meeting_needed"  # decided with a reason; clock stopped
    MEETING_PLANNED = "meeting_planned"
    MEETING_HELD = "meeting_held"  # held, no agreements recorded (yet)
    AGREEMENTS_RUNNING = "agreements_running"  # at least one open agreement
    CLOSED = "closed"


POSITIVE_HEALTH_DIMENSIONS: tuple[str, ...] = (
    "bodily_functions",  # lichaamsfuncties
    "mental_wellbeing",  # mentaal welbevinden
    "meaningfulness",  # zingeving
    "quality_of_life",  # kwaliteit van leven
    "participation",  # meedoen
    "daily_functioning",  # dagelijks functioneren
)

ZRM_DOMAINS: tuple[str, ...] = (
    "finances",  # financiën
    "daytime_activities",  # dagbesteding
    "housing",  # huisvesting
    "domestic_relations",  # huiselijke relaties
    "mental_health",  # geestelijke gezondheid
    "physical_health",  # lichamelijke gezondheid
    "addiction",  # verslaving
    "adl_skills",  # ADL-vaardigheden
    "social_network",  # sociaal netwerk
    "community_participation",  # maatschappelijke participatie
    "justice",  # justitie
    "parenting",  # opvoeding (kinderen)
    "education",  # onderwijs / scholing
)


@dataclass(slots=True, kw_only=True)
class Organisation:
    """A partner organisation. Configuration, not personal data: stored in plaintext."""

    id: str
    name: str
    active: bool = True


@dataclass(slots=True, kw_only=True)
class Resident:
    id: str = field(default_factory=new_id)
    name: str
    date_of_birth: date | None = None
    address: str = ""
    phone: str = ""
    email: str = ""


@dataclass(slots=True, kw_only=True)
class Consent:
    """The resident's consent to share the case with the shared dossier."""

    given: bool
    recorded_on: date


@dataclass(slots=True, kw_only=True)
class NoMeetingDecision:
    decided_on: date
    reason: str


@dataclass(slots=True, kw_only=True)
class Case:
    id: str = field(default_factory=new_id)
    resident: Resident
    contact_date: date
    question: str = ""  # the question in the resident's own words
    organisation_id: str | None = None  # organisation of the professional who took the contact
    consent: Consent | None = None
    no_meeting: NoMeetingDecision | None = None
    closed_on: date | None = None
    closing_note: str = ""


@dataclass(slots=True, kw_only=True)
class Participant:
    id: str = field(default_factory=new_id)
    case_id: str
    role: ParticipantRole
    name: str
    relation: str = ""  # e.g. "dochter", "buurman", "wijkverpleegkundige"
    organisation_id: str | None = None  # professionals only
    contact: str = ""  # phone or e-mail
    # The professional's account on the dossier server: it makes them a member of the case there.
    account_id: str | None = None
    # Taken off the case on this day. The record stays, so agreements, meetings and signatures
    # made on any tablet keep a valid reference; removal syncs as a field, never as a deletion.
    removed_on: date | None = None


@dataclass(slots=True, kw_only=True)
class Meeting:
    id: str = field(default_factory=new_id)
    case_id: str
    planned_for: datetime | None = None  # aware; shown in Europe/Amsterdam time
    place: str = ""  # empty means "at home", the default
    held_on: date | None = None
    wants: list[str] = field(default_factory=list)  # ik wil
    strengths: list[str] = field(default_factory=list)  # ik kan
    needs: list[str] = field(default_factory=list)  # ik heb nodig
    present: list[str] = field(default_factory=list)  # participant ids at the table
    progress: str = ""  # the meeting screen's step while it runs ("" not started, "done" finished)


@dataclass(slots=True, kw_only=True)
class Agreement:
    id: str = field(default_factory=new_id)
    case_id: str
    meeting_id: str
    what: str
    owner_id: str  # participant id
    due_date: date
    outside_norm_reason: str = ""  # required when due_date is past meeting + 42 days
    status: AgreementStatus = AgreementStatus.OPEN
    done_on: date | None = None
    note: str = ""
    cost_estimate_cents: int | None = None


@dataclass(slots=True, kw_only=True)
class Measurement:
    id: str = field(default_factory=new_id)
    case_id: str
    moment: MeasurementMoment
    taken_on: date
    wellbeing: int | None = None  # 1..10
    positive_health: dict[str, int] | None = None  # POSITIVE_HEALTH_DIMENSIONS -> 0..10
    zrm: dict[str, int] | None = None  # ZRM_DOMAINS -> 1..5


@dataclass(slots=True, kw_only=True)
class CaseFile:
    """One case with everything in it, as opened on the screen."""

    case: Case
    participants: list[Participant] = field(default_factory=list)
    meetings: list[Meeting] = field(default_factory=list)
    agreements: list[Agreement] = field(default_factory=list)
    measurements: list[Measurement] = field(default_factory=list)

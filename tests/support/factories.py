"""Plain factory functions for test data. Synthetic only: Faker-style Dutch names and canaries."""

from __future__ import annotations

import os
import secrets
from datetime import UTC, date, datetime, time, timedelta

from models.crypto.kdf import (
    ARGON2_MIN_ITERATIONS,
    ARGON2_MIN_LANES,
    ARGON2_MIN_MEMORY_KIB,
    KdfParams,
)
from models.domain import (
    Agreement,
    Case,
    CaseFile,
    Consent,
    Measurement,
    MeasurementMoment,
    Meeting,
    Participant,
    ParticipantRole,
    Resident,
)

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
PASSPHRASE = "keukentafel-test-passphrase"


def floor_kdf_params() -> KdfParams:
    """The weakest parameters the KDF accepts (OWASP floor): fast tests, still real Argon2id."""
    return KdfParams(
        algorithm="argon2id",
        salt=os.urandom(16),
        memory_kib=ARGON2_MIN_MEMORY_KIB,
        iterations=ARGON2_MIN_ITERATIONS,
        lanes=ARGON2_MIN_LANES,
    )


def canary(label: str) -> str:
    """A unique marker string to look for in files and logs (it must never show up there)."""
    return f"Kanarie{label}{secrets.token_hex(6)}"


def a_case_file(
    *,
    name: str = "Fenna de Bruijn-Özdemir",
    question: str = "Ik red het niet meer met de rekeningen.",
    what: str = "Samen de post doorlopen.",
    contact: date = TODAY - timedelta(days=20),
    held_on: date | None = TODAY - timedelta(days=10),
) -> CaseFile:
    """A case with a resident, three participants, one meeting and two agreements."""
    case = Case(
        resident=Resident(name=name, phone="06-12345678", address="Kruisstraat 1, Oss"),
        contact_date=contact,
        question=question,
        organisation_id="ons-welzijn",
        consent=Consent(given=True, recorded_on=contact),
    )
    resident = Participant(case_id=case.id, role=ParticipantRole.RESIDENT, name=name)
    daughter = Participant(
        case_id=case.id, role=ParticipantRole.NETWORK, name="Sanne de Bruijn", relation="dochter"
    )
    nurse = Participant(
        case_id=case.id,
        role=ParticipantRole.PROFESSIONAL,
        name="Daan Verhoeven",
        relation="wijkverpleegkundige",
        organisation_id="pantein",
    )
    meeting = Meeting(
        case_id=case.id,
        planned_for=datetime.combine(held_on or TODAY, time(13, 0), tzinfo=UTC),
        held_on=held_on,
        wants=["Ik wil weer zelf boodschappen doen."],
        strengths=["Mijn dochter komt elke week."],
        needs=["Ik heb hulp nodig bij de post."],
        present=[resident.id, daughter.id, nurse.id],
    )
    day = held_on or TODAY
    agreements = [
        Agreement(
            case_id=case.id,
            meeting_id=meeting.id,
            what=what,
            owner_id=daughter.id,
            due_date=day + timedelta(days=5),
        ),
        Agreement(
            case_id=case.id,
            meeting_id=meeting.id,
            what="Aanmelden bij het wandelclubje.",
            owner_id=nurse.id,
            due_date=day + timedelta(days=42),
        ),
    ]
    return CaseFile(
        case=case,
        participants=[resident, daughter, nurse],
        meetings=[meeting],
        agreements=agreements,
        measurements=[
            Measurement(
                case_id=case.id, moment=MeasurementMoment.CONTACT, taken_on=contact, wellbeing=4
            ),
        ],
    )

"""The plan as it is signed: one meeting of one case, frozen into a value with one hash.

Why a separate value: what people sign must be exactly reproducible years later, from the PDF alone,
on another machine. So the plan holds only what the signers saw (the three lists in the resident's
own words, the agreements, who took part, the meeting date, case id and version) and is serialised
canonically: RFC 8785 (JCS) JSON via the ``rfc8785`` library, after NFC-normalising every string, so
key order, dict order and NFC/NFD spellings of "ë" give the same bytes. Its SHA-256 is what every
signature covers (DESIGN.md "Signing", SECURITY.md "Signatures").

JCS cannot carry NaN or infinities (refused here with ``ValueError``) and loses integers beyond
2^53 in other implementations: those are carried as decimal strings. Dates are ISO strings.

Choices where the issue was silent:
- participants are the ones marked present at the meeting, plus every resident of the case (the
  resident chairs and signs first); with no one marked present, every participant of the case;
- agreements of that meeting are all included whatever their status: marking one done later does
  not change what was agreed. Status, notes and cost estimates are not part of the plan;
- Positive Health is part of the plan when measured: the measurement taken at the meeting, else
  the latest one taken on or before the meeting date. A later measurement does not change the plan;
- order: lists keep the resident's order; participants resident first, then network, then
  professionals, each by name; agreements by due date, then text, then id.
"""

from __future__ import annotations

import base64
import hashlib
import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any, Final

import rfc8785

from models.domain import (
    POSITIVE_HEALTH_DIMENSIONS,
    CaseFile,
    MeasurementMoment,
    ParticipantRole,
)
from models.errors import RecordNotFoundError
from models.store import meeting_date

PLAN_FORMAT: Final = "keukentafel-plan/1"
MAX_SAFE_INTEGER: Final = 2**53 - 1
CHECK_CODE_LENGTH: Final = 10

_ROLE_ORDER: Final = {
    ParticipantRole.RESIDENT.value: 0,
    ParticipantRole.NETWORK.value: 1,
    ParticipantRole.PROFESSIONAL.value: 2,
}


@dataclass(frozen=True, slots=True)
class PlanParticipant:
    # Texts are left out of ``repr``: a plan that reaches a log line must not carry names.
    id: str
    name: str = field(repr=False)
    role: str  # a ParticipantRole value
    relation: str = field(default="", repr=False)
    organisation: str = ""  # the organisation's name (white label: secondary information)


@dataclass(frozen=True, slots=True)
class PlanAgreement:
    id: str
    what: str = field(repr=False)
    owner_id: str
    owner_name: str = field(repr=False)
    due_date: date
    outside_norm_reason: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class Plan:
    """One version of the plan of one meeting, exactly as signed."""

    case_id: str
    meeting_id: str
    version: int
    meeting_date: date
    participants: tuple[PlanParticipant, ...]
    wants: tuple[str, ...] = field(repr=False)
    strengths: tuple[str, ...] = field(repr=False)
    needs: tuple[str, ...] = field(repr=False)
    agreements: tuple[PlanAgreement, ...]
    positive_health: tuple[tuple[str, int], ...] | None = field(default=None, repr=False)

    def with_version(self, version: int) -> Plan:
        return replace(self, version=version)

    def participant(self, participant_id: str) -> PlanParticipant | None:
        return next((p for p in self.participants if p.id == participant_id), None)


def plan_from_case_file(
    case_file: CaseFile,
    meeting_id: str,
    *,
    version: int,
    organisation_names: Mapping[str, str] | None = None,
) -> Plan:
    """The plan of ``meeting_id`` as it stands in ``case_file`` (see the module doc for choices)."""
    meeting = next((m for m in case_file.meetings if m.id == meeting_id), None)
    if meeting is None:
        raise RecordNotFoundError("meetings", meeting_id)
    when = meeting_date(meeting.held_on, meeting.planned_for)
    if when is None:
        raise RecordNotFoundError("meetings", meeting_id)
    names = organisation_names or {}
    present = set(meeting.present)
    chosen = [
        p
        for p in case_file.participants
        if not present or p.id in present or p.role is ParticipantRole.RESIDENT
    ]
    participants = tuple(
        sorted(
            (
                PlanParticipant(
                    id=p.id,
                    name=p.name,
                    role=p.role.value,
                    relation=p.relation,
                    organisation=names.get(p.organisation_id, p.organisation_id)
                    if p.organisation_id
                    else "",
                )
                for p in chosen
            ),
            key=lambda p: (_ROLE_ORDER.get(p.role, 9), p.name, p.id),
        )
    )
    by_id = {p.id: p.name for p in case_file.participants}
    agreements = tuple(
        sorted(
            (
                PlanAgreement(
                    id=a.id,
                    what=a.what,
                    owner_id=a.owner_id,
                    owner_name=by_id.get(a.owner_id, ""),
                    due_date=a.due_date,
                    outside_norm_reason=a.outside_norm_reason,
                )
                for a in case_file.agreements
                if a.meeting_id == meeting_id
            ),
            key=lambda a: (a.due_date, a.what, a.id),
        )
    )
    return Plan(
        case_id=case_file.case.id,
        meeting_id=meeting_id,
        version=version,
        meeting_date=when,
        participants=participants,
        wants=tuple(meeting.wants),
        strengths=tuple(meeting.strengths),
        needs=tuple(meeting.needs),
        agreements=agreements,
        positive_health=_positive_health(case_file, when),
    )


def _positive_health(case_file: CaseFile, when: date) -> tuple[tuple[str, int], ...] | None:
    measured = [m for m in case_file.measurements if m.positive_health and m.taken_on <= when]
    at_meeting = [m for m in measured if m.moment is MeasurementMoment.MEETING]
    pool = at_meeting or measured
    if not pool:
        return None
    chosen = max(pool, key=lambda m: (m.taken_on, m.id))
    scores = chosen.positive_health or {}
    return tuple((d, int(scores[d])) for d in POSITIVE_HEALTH_DIMENSIONS if d in scores)


# -- JSON form -------------------------------------------------------------------------------------


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """The plan as a JSON-able dict (dates as ISO strings). Inverse of ``plan_from_json``."""
    return {
        "format": PLAN_FORMAT,
        "case_id": plan.case_id,
        "meeting_id": plan.meeting_id,
        "version": plan.version,
        "meeting_date": plan.meeting_date.isoformat(),
        "participants": [
            {
                "id": p.id,
                "name": p.name,
                "role": p.role,
                "relation": p.relation,
                "organisation": p.organisation,
            }
            for p in plan.participants
        ],
        "wants": list(plan.wants),
        "strengths": list(plan.strengths),
        "needs": list(plan.needs),
        "agreements": [
            {
                "id": a.id,
                "what": a.what,
                "owner_id": a.owner_id,
                "owner_name": a.owner_name,
                "due_date": a.due_date.isoformat(),
                "outside_norm_reason": a.outside_norm_reason,
            }
            for a in plan.agreements
        ],
        "positive_health": None
        if plan.positive_health is None
        else [[d, s] for d, s in plan.positive_health],
    }


def plan_from_json(data: Any) -> Plan:
    """Read a plan back from its JSON form. Raises ``ValueError`` on anything malformed."""
    try:
        if data["format"] != PLAN_FORMAT:
            raise ValueError("unknown plan format")
        health = data["positive_health"]
        return Plan(
            case_id=_str(data["case_id"]),
            meeting_id=_str(data["meeting_id"]),
            version=_int(data["version"]),
            meeting_date=date.fromisoformat(_str(data["meeting_date"])),
            participants=tuple(
                PlanParticipant(
                    id=_str(p["id"]),
                    name=_str(p["name"]),
                    role=_str(p["role"]),
                    relation=_str(p["relation"]),
                    organisation=_str(p["organisation"]),
                )
                for p in data["participants"]
            ),
            wants=tuple(_str(s) for s in data["wants"]),
            strengths=tuple(_str(s) for s in data["strengths"]),
            needs=tuple(_str(s) for s in data["needs"]),
            agreements=tuple(
                PlanAgreement(
                    id=_str(a["id"]),
                    what=_str(a["what"]),
                    owner_id=_str(a["owner_id"]),
                    owner_name=_str(a["owner_name"]),
                    due_date=date.fromisoformat(_str(a["due_date"])),
                    outside_norm_reason=_str(a["outside_norm_reason"]),
                )
                for a in data["agreements"]
            ),
            positive_health=None
            if health is None
            else tuple((_str(d), _int(s)) for d, s in health),
        )
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError("malformed plan") from error


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a string")
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("expected an integer")
    return value


# -- canonical bytes and hash ----------------------------------------------------------------------


def canonical_json(value: Any) -> bytes:
    """RFC 8785 bytes of any JSON-able value, strings NFC-normalised first.

    Integers beyond +-(2^53 - 1) become decimal strings (JCS would lose them); NaN and infinities
    raise ``ValueError``; dates become ISO strings, aware datetimes ISO strings in UTC. Anything
    else that is not JSON raises ``TypeError``.
    """
    return rfc8785.dumps(_prepare(value))


def _prepare(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, int):
        return value if abs(value) <= MAX_SAFE_INTEGER else str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("NaN and infinity cannot be signed")
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("a signed time must be timezone-aware")
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError("JSON object keys must be strings")
            nfc = unicodedata.normalize("NFC", key)
            if nfc in out:
                raise ValueError("two keys are the same after NFC normalisation")
            out[nfc] = _prepare(item)
        return out
    if isinstance(value, list | tuple):
        return [_prepare(item) for item in value]
    raise TypeError(f"cannot canonicalise a {type(value).__name__}")


def canonical_bytes(plan: Plan) -> bytes:
    """The exact bytes every signer of ``plan`` signs (through their hash)."""
    return canonical_json(plan_to_json(plan))


def plan_hash(plan: Plan) -> bytes:
    """SHA-256 of the canonical bytes (32 bytes)."""
    return hashlib.sha256(canonical_bytes(plan)).digest()


def check_code(digest: bytes) -> str:
    """A short code to compare by eye or read aloud: the first 10 base32 letters, as ABCDE-FGHIJ.

    50 bits: enough to notice a changed paper, not a replacement for the full hash.
    """
    letters = base64.b32encode(digest).decode("ascii")[:CHECK_CODE_LENGTH]
    half = CHECK_CODE_LENGTH // 2
    return f"{letters[:half]}-{letters[half:]}"

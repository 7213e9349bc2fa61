"""Domain values as flat field dicts: what a change to the case file looks like on the wire.

Every record becomes ``{field name: JSON value}``: dates and times as ISO strings, enums as their
value, lists and dicts as they are. Nested values are flattened (a case's resident becomes
``resident_id``; its consent becomes ``consent_given`` and ``consent_recorded_on``), so two devices
editing different fields of one record merge field by field. ``changed_fields`` gives only what
differs, which is what an outbox row carries.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from enum import Enum, StrEnum
from typing import Any

from models.domain import (
    Agreement,
    AgreementStatus,
    Case,
    Consent,
    Measurement,
    MeasurementMoment,
    Meeting,
    NoMeetingDecision,
    Participant,
    ParticipantRole,
    Resident,
)

JsonValue = Any  # str | int | float | bool | None | list | dict, as json.dumps takes it


class Entity(StrEnum):
    """Record kinds, in the order a new case's records must reach the server."""

    RESIDENT = "resident"
    CASE = "case"
    PARTICIPANT = "participant"
    MEETING = "meeting"
    AGREEMENT = "agreement"
    MEASUREMENT = "measurement"
    # Evidence of a signed plan, queued by ``models.signing.sign_plan``; sent, never pulled.
    PLAN_VERSION = "plan_version"
    PLAN_SIGNATURE = "plan_signature"


Record = Resident | Case | Participant | Meeting | Agreement | Measurement

ENTITY_OF: dict[type, Entity] = {
    Resident: Entity.RESIDENT,
    Case: Entity.CASE,
    Participant: Entity.PARTICIPANT,
    Meeting: Entity.MEETING,
    Agreement: Entity.AGREEMENT,
    Measurement: Entity.MEASUREMENT,
}

# Screen state, not case data: never synced.
LOCAL_ONLY: frozenset[str] = frozenset({"progress"})


def _json(value: Any) -> JsonValue:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value


def fields_of(record: Record) -> dict[str, JsonValue]:
    """All fields of ``record``, flat and JSON-ready (``id`` excluded: it is the record id)."""
    if isinstance(record, Case):
        c = record
        return {
            "resident_id": c.resident.id,
            "contact_date": _json(c.contact_date),
            "question": c.question,
            "organisation_id": c.organisation_id,
            "consent_given": c.consent.given if c.consent else None,
            "consent_recorded_on": _json(c.consent.recorded_on) if c.consent else None,
            "no_meeting_decided_on": _json(c.no_meeting.decided_on) if c.no_meeting else None,
            "no_meeting_reason": c.no_meeting.reason if c.no_meeting else None,
            "closed_on": _json(c.closed_on),
            "closing_note": c.closing_note,
        }
    return {
        f.name: _json(getattr(record, f.name))
        for f in dataclasses.fields(record)
        if f.name != "id" and f.name not in LOCAL_ONLY
    }


def case_id_of(record: Record) -> str:
    """The case a record belongs to (a resident belongs to the case being saved with it)."""
    if isinstance(record, Case):
        return record.id
    if isinstance(record, Resident):
        raise ValueError("a resident's case comes from the case it is saved with")
    return record.case_id


def changed_fields(old: Record | None, new: Record) -> dict[str, JsonValue]:
    """The fields of ``new`` that differ from ``old`` (all of them for a new record)."""
    after = fields_of(new)
    if old is None:
        return after
    before = fields_of(old)
    return {k: v for k, v in after.items() if before.get(k) != v}


# -- the way back: fields from the wire to domain values -----------------------------------------

REQUIRED: dict[Entity, tuple[str, ...]] = {
    Entity.RESIDENT: ("name",),
    Entity.CASE: ("resident_id", "contact_date"),
    Entity.PARTICIPANT: ("case_id", "role", "name"),
    Entity.MEETING: ("case_id",),
    Entity.AGREEMENT: ("case_id", "meeting_id", "what", "owner_id", "due_date"),
    Entity.MEASUREMENT: ("case_id", "moment", "taken_on"),
}


def _text(value: JsonValue) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError("expected a text")
    return value


def _opt_text(value: JsonValue) -> str | None:
    return None if value is None else _text(value)


def _day(value: JsonValue) -> date | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("expected an ISO date")
    return date.fromisoformat(value)


def _moment(value: JsonValue) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("expected an ISO date-time")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("expected an aware date-time")
    return moment


def _texts(value: JsonValue) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of texts")
    return list(value)


def _opt_int(value: JsonValue) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("expected a whole number")
    return value


def _scores(value: JsonValue) -> dict[str, int] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("expected scores")
    scores: dict[str, int] = {}
    for name, score in value.items():
        number = _opt_int(score)
        if number is None:
            raise ValueError("expected a score")
        scores[str(name)] = number
    return scores


def record_from_fields(
    entity: Entity,
    record_id: str,
    fields: dict[str, JsonValue],
    *,
    resident: Resident | None = None,
) -> Record:
    """The inverse of ``fields_of``: a domain value from a *whole* record's fields.

    ``None`` and a missing field both mean "empty" (the default). Unknown fields are ignored (a
    newer app may send more). Raises ``ValueError`` when a required field is missing or a value has
    the wrong shape; the message names the problem, never the value. For a case, ``resident`` is
    the resident record it points to (``fields["resident_id"]``).
    """
    missing = [name for name in REQUIRED[entity] if fields.get(name) is None]
    if missing:
        raise ValueError(f"{entity.value} lacks {', '.join(missing)}")
    f = fields
    if entity is Entity.RESIDENT:
        return Resident(
            id=record_id,
            name=_text(f["name"]),
            date_of_birth=_day(f.get("date_of_birth")),
            address=_text(f.get("address")),
            phone=_text(f.get("phone")),
            email=_text(f.get("email")),
        )
    if entity is Entity.CASE:
        if resident is None or resident.id != f["resident_id"]:
            raise ValueError("case needs its resident")
        contact = _day(f["contact_date"])
        assert contact is not None
        consent = None
        if f.get("consent_given") is not None:
            if not isinstance(f["consent_given"], bool):
                raise ValueError("expected consent true or false")
            recorded = _day(f.get("consent_recorded_on")) or contact
            consent = Consent(given=f["consent_given"], recorded_on=recorded)
        no_meeting = None
        decided = _day(f.get("no_meeting_decided_on"))
        if decided is not None:
            no_meeting = NoMeetingDecision(
                decided_on=decided, reason=_text(f.get("no_meeting_reason"))
            )
        return Case(
            id=record_id,
            resident=resident,
            contact_date=contact,
            question=_text(f.get("question")),
            organisation_id=_opt_text(f.get("organisation_id")),
            consent=consent,
            no_meeting=no_meeting,
            closed_on=_day(f.get("closed_on")),
            closing_note=_text(f.get("closing_note")),
        )
    if entity is Entity.PARTICIPANT:
        return Participant(
            id=record_id,
            case_id=_text(f["case_id"]),
            role=ParticipantRole(f["role"]),
            name=_text(f["name"]),
            relation=_text(f.get("relation")),
            organisation_id=_opt_text(f.get("organisation_id")),
            contact=_text(f.get("contact")),
            account_id=_opt_text(f.get("account_id")),
            removed_on=_day(f.get("removed_on")),
        )
    if entity is Entity.MEETING:
        return Meeting(
            id=record_id,
            case_id=_text(f["case_id"]),
            planned_for=_moment(f.get("planned_for")),
            place=_text(f.get("place")),
            held_on=_day(f.get("held_on")),
            wants=_texts(f.get("wants")),
            strengths=_texts(f.get("strengths")),
            needs=_texts(f.get("needs")),
            present=_texts(f.get("present")),
        )
    if entity is Entity.AGREEMENT:
        due = _day(f["due_date"])
        assert due is not None
        return Agreement(
            id=record_id,
            case_id=_text(f["case_id"]),
            meeting_id=_text(f["meeting_id"]),
            what=_text(f["what"]),
            owner_id=_text(f["owner_id"]),
            due_date=due,
            outside_norm_reason=_text(f.get("outside_norm_reason")),
            status=AgreementStatus(f.get("status") or AgreementStatus.OPEN.value),
            done_on=_day(f.get("done_on")),
            note=_text(f.get("note")),
            cost_estimate_cents=_opt_int(f.get("cost_estimate_cents")),
        )
    taken = _day(f["taken_on"])
    assert taken is not None
    return Measurement(
        id=record_id,
        case_id=_text(f["case_id"]),
        moment=MeasurementMoment(f["moment"]),
        taken_on=taken,
        wellbeing=_opt_int(f.get("wellbeing")),
        positive_health=_scores(f.get("positive_health")),
        zrm=_scores(f.get("zrm")),
    )

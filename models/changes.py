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
    Case,
    Measurement,
    Meeting,
    Participant,
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

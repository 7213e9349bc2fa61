"""Mapping between the plain domain values and the sealed table rows, one pair per entity.

``*_row`` turns a domain value into the dict of column values to store (sensitive fields sealed with
``Sealer``, bound to table, column and row id); ``*_from_row`` opens them again. A value that fails
to
open raises ``DamagedRecordError`` naming the table, record and column, never showing its content.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from models.crypto.sealing import Sealer
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

Row = dict[str, Any]


class _Box:
    """Seals and opens the fields of one row: binds the table and row id once."""

    def __init__(self, sealer: Sealer, table: str, row_id: str) -> None:
        self.sealer = sealer
        self.table = table
        self.row_id = row_id

    def text(self, column: str, value: str | None) -> bytes | None:
        # An empty text is stored as NULL, not sealed: a sealed "" would show its length (zero)
        # anyway, and most optional fields are empty, so this halves the sealing work of a save.
        if not value:
            return None
        return self.sealer.seal_text(value, table=self.table, column=column, row_id=self.row_id)

    def json(self, column: str, value: Any) -> bytes | None:
        if value is None:
            return None
        return self.sealer.seal_json(value, table=self.table, column=column, row_id=self.row_id)

    def open_text(self, column: str, blob: bytes | None) -> str:
        value = self.sealer.open_text(blob, table=self.table, column=column, row_id=self.row_id)
        return value or ""

    def open_json(self, column: str, blob: bytes | None) -> Any:
        return self.sealer.open_json(blob, table=self.table, column=column, row_id=self.row_id)


def resident_row(sealer: Sealer, resident: Resident) -> Row:
    box = _Box(sealer, "residents", resident.id)
    dob = resident.date_of_birth.isoformat() if resident.date_of_birth else None
    return {
        "id": resident.id,
        "name": box.text("name", resident.name),
        "date_of_birth": box.text("date_of_birth", dob),
        "address": box.text("address", resident.address),
        "phone": box.text("phone", resident.phone),
        "email": box.text("email", resident.email),
    }


def resident_from_row(sealer: Sealer, row: Mapping[Any, Any]) -> Resident:
    box = _Box(sealer, "residents", row["id"])
    dob = box.open_text("date_of_birth", row["date_of_birth"])
    return Resident(
        id=row["id"],
        name=box.open_text("name", row["name"]),
        date_of_birth=date.fromisoformat(dob) if dob else None,
        address=box.open_text("address", row["address"]),
        phone=box.open_text("phone", row["phone"]),
        email=box.open_text("email", row["email"]),
    )


def open_resident_name(sealer: Sealer, resident_id: str, blob: bytes) -> str:
    return _Box(sealer, "residents", resident_id).open_text("name", blob)


def case_row(sealer: Sealer, case: Case, *, now: datetime) -> Row:
    box = _Box(sealer, "cases", case.id)
    return {
        "id": case.id,
        "resident_id": case.resident.id,
        "contact_date": case.contact_date,
        "question": box.text("question", case.question),
        "organisation_id": case.organisation_id,
        "consent_given": case.consent.given if case.consent else None,
        "consent_recorded_on": case.consent.recorded_on if case.consent else None,
        "no_meeting_decided_on": case.no_meeting.decided_on if case.no_meeting else None,
        "no_meeting_reason": box.text("no_meeting_reason", case.no_meeting.reason)
        if case.no_meeting
        else None,
        "closed_on": case.closed_on,
        "closing_note": box.text("closing_note", case.closing_note),
        "created_at": now,
        "updated_at": now,
    }


def case_from_row(sealer: Sealer, row: Mapping[Any, Any], resident: Resident) -> Case:
    box = _Box(sealer, "cases", row["id"])
    consent = None
    if row["consent_given"] is not None:
        consent = Consent(given=row["consent_given"], recorded_on=row["consent_recorded_on"])
    no_meeting = None
    if row["no_meeting_decided_on"] is not None:
        no_meeting = NoMeetingDecision(
            decided_on=row["no_meeting_decided_on"],
            reason=box.open_text("no_meeting_reason", row["no_meeting_reason"]),
        )
    return Case(
        id=row["id"],
        resident=resident,
        contact_date=row["contact_date"],
        question=box.open_text("question", row["question"]),
        organisation_id=row["organisation_id"],
        consent=consent,
        no_meeting=no_meeting,
        closed_on=row["closed_on"],
        closing_note=box.open_text("closing_note", row["closing_note"]),
    )


def participant_row(sealer: Sealer, p: Participant) -> Row:
    box = _Box(sealer, "participants", p.id)
    return {
        "id": p.id,
        "case_id": p.case_id,
        "role": p.role.value,
        "organisation_id": p.organisation_id,
        "name": box.text("name", p.name),
        "relation": box.text("relation", p.relation),
        "contact": box.text("contact", p.contact),
        "account_id": p.account_id,
        "removed_on": p.removed_on,
    }


def participant_from_row(sealer: Sealer, row: Mapping[Any, Any]) -> Participant:
    box = _Box(sealer, "participants", row["id"])
    return Participant(
        id=row["id"],
        case_id=row["case_id"],
        role=ParticipantRole(row["role"]),
        organisation_id=row["organisation_id"],
        name=box.open_text("name", row["name"]),
        relation=box.open_text("relation", row["relation"]),
        contact=box.open_text("contact", row["contact"]),
        account_id=row["account_id"],
        removed_on=row["removed_on"],
    )


def meeting_row(sealer: Sealer, m: Meeting) -> Row:
    box = _Box(sealer, "meetings", m.id)
    return {
        "id": m.id,
        "case_id": m.case_id,
        "planned_for": m.planned_for,
        "held_on": m.held_on,
        "place": box.text("place", m.place),
        "wants": box.json("wants", m.wants),
        "strengths": box.json("strengths", m.strengths),
        "needs": box.json("needs", m.needs),
        "present": json.dumps(m.present),
        "progress": m.progress,
    }


def meeting_from_row(sealer: Sealer, row: Mapping[Any, Any]) -> Meeting:
    box = _Box(sealer, "meetings", row["id"])
    return Meeting(
        id=row["id"],
        case_id=row["case_id"],
        planned_for=row["planned_for"],
        held_on=row["held_on"],
        place=box.open_text("place", row["place"]),
        wants=list(box.open_json("wants", row["wants"]) or []),
        strengths=list(box.open_json("strengths", row["strengths"]) or []),
        needs=list(box.open_json("needs", row["needs"]) or []),
        present=list(json.loads(row["present"])),
        progress=row["progress"],
    )


def agreement_row(sealer: Sealer, a: Agreement) -> Row:
    box = _Box(sealer, "agreements", a.id)
    return {
        "id": a.id,
        "case_id": a.case_id,
        "meeting_id": a.meeting_id,
        "owner_id": a.owner_id,
        "due_date": a.due_date,
        "status": a.status.value,
        "done_on": a.done_on,
        "what": box.text("what", a.what),
        "outside_norm_reason": box.text("outside_norm_reason", a.outside_norm_reason),
        "note": box.text("note", a.note),
        "cost_estimate": box.json("cost_estimate", a.cost_estimate_cents),
    }


def agreement_from_row(sealer: Sealer, row: Mapping[Any, Any]) -> Agreement:
    box = _Box(sealer, "agreements", row["id"])
    cost = box.open_json("cost_estimate", row["cost_estimate"])
    return Agreement(
        id=row["id"],
        case_id=row["case_id"],
        meeting_id=row["meeting_id"],
        owner_id=row["owner_id"],
        due_date=row["due_date"],
        status=AgreementStatus(row["status"]),
        done_on=row["done_on"],
        what=box.open_text("what", row["what"]),
        outside_norm_reason=box.open_text("outside_norm_reason", row["outside_norm_reason"]),
        note=box.open_text("note", row["note"]),
        cost_estimate_cents=int(cost) if cost is not None else None,
    )


def measurement_row(sealer: Sealer, m: Measurement) -> Row:
    box = _Box(sealer, "measurements", m.id)
    scores = {"wellbeing": m.wellbeing, "positive_health": m.positive_health, "zrm": m.zrm}
    return {
        "id": m.id,
        "case_id": m.case_id,
        "moment": m.moment.value,
        "taken_on": m.taken_on,
        "scores": box.json("scores", scores),
    }


def measurement_from_row(sealer: Sealer, row: Mapping[Any, Any]) -> Measurement:
    box = _Box(sealer, "measurements", row["id"])
    scores = box.open_json("scores", row["scores"]) or {}
    return Measurement(
        id=row["id"],
        case_id=row["case_id"],
        moment=MeasurementMoment(row["moment"]),
        taken_on=row["taken_on"],
        wellbeing=scores.get("wellbeing"),
        positive_health=scores.get("positive_health"),
        zrm=scores.get("zrm"),
    )

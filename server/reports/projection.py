"""Keeping the team-lead read model (``server/models/reports.py``) in step with the dossier.

- ``project(session, record)``: ``server/sync_push.py`` calls it once per applied mutation, in
  the push's own transaction, with the record as it now stands (a deleted record has
  ``deleted_seq`` set). A rejected or undone push therefore leaves the read model untouched too.
- ``rebuild(connection)``: empties the read model and fills it again from ``dossier_record``;
  migration 0002 runs it once. A later migration that changes these tables brings its own
  back-fill.

Values are read as the devices send them (``models/changes.py``): dates as ISO text, enums as their
value, ids as UUID text. A value of the wrong shape becomes NULL (empty text for texts) in the read
model, while the dossier keeps it as sent: a report must never make a push fail.

Rows are replaced whole (delete + insert) from the record's merged fields, so the order in which
related records arrive does not matter: a case finds its resident's name and its first meeting
when it is written, and a resident, meeting or participant written later updates the cases and
agreements that point at it. Only the records of a case whose case record exists are in the read
model: deleting the case record takes them out, and a case record that comes back (a new upsert)
brings back its records still in the dossier. The reports can therefore scope every table to the
team directly, without checking that the case is there.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlmodel import Session, col

from server.models.dossier import ChangeRow, DossierRecord
from server.models.reports import (
    HEALTH_COLUMNS,
    ReportAgreement,
    ReportCase,
    ReportMeasurement,
    ReportMeeting,
    ReportParticipant,
)

Row = dict[str, Any]
AGREEMENT_STATUSES = frozenset({"open", "done", "cancelled"})
MEASUREMENT_MOMENTS = frozenset({"contact", "meeting", "six_weeks", "later"})
PARTICIPANT_ROLES = frozenset({"resident", "network", "professional"})
_CHUNK = 2_000

# -- values from the wire ------------------------------------------------------------------------


def parse_day(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def parse_uuid(value: object) -> uuid.UUID | None:
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def parse_score(value: object, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if low <= value <= high else None


def parse_text(value: object) -> str:
    return value if isinstance(value, str) else ""


def parse_choice(value: object, choices: frozenset[str]) -> str | None:
    return value if isinstance(value, str) and value in choices else None


def days_between(start: date | None, end: date | None) -> int | None:
    return None if start is None or end is None else (end - start).days


# -- rows from fields (pure) ---------------------------------------------------------------------


def case_row(
    case_id: uuid.UUID,
    fields: Mapping[str, object],
    *,
    resident_name: str,
    first_held_on: date | None,
) -> Row:
    contact = parse_day(fields.get("contact_date"))
    organisation = fields.get("organisation_id")
    return {
        "case_id": case_id,
        "resident_id": parse_uuid(fields.get("resident_id")),
        "resident_name": resident_name,
        "contact_date": contact,
        "first_held_on": first_held_on,
        "mdo_days": days_between(contact, first_held_on),
        "no_meeting_decided_on": parse_day(fields.get("no_meeting_decided_on")),
        "closed_on": parse_day(fields.get("closed_on")),
        "organisation_id": organisation[:100] if isinstance(organisation, str) else None,
        "consent_given": fields.get("consent_given") is True,
        "question": parse_text(fields.get("question")),
        "closing_note": parse_text(fields.get("closing_note")),
    }


def participant_row(
    participant_id: uuid.UUID, case_id: uuid.UUID, fields: Mapping[str, object]
) -> Row:
    organisation = fields.get("organisation_id")
    return {
        "participant_id": participant_id,
        "case_id": case_id,
        "role": parse_choice(fields.get("role"), PARTICIPANT_ROLES),
        "name": parse_text(fields.get("name")),
        "organisation_id": organisation[:100] if isinstance(organisation, str) else None,
        "account_id": parse_uuid(fields.get("account_id")),
    }


def meeting_row(meeting_id: uuid.UUID, case_id: uuid.UUID, fields: Mapping[str, object]) -> Row:
    return {
        "meeting_id": meeting_id,
        "case_id": case_id,
        "held_on": parse_day(fields.get("held_on")),
    }


def agreement_status(value: object) -> str:
    """The status as the device records it; missing means open (the default on the device)."""
    if value is None:
        return "open"
    return value if isinstance(value, str) and value in AGREEMENT_STATUSES else "unknown"


def owner_columns(participant: Mapping[str, Any] | None) -> Row:
    """The owner's columns of an agreement, from the owner's ``participant_row`` (or None)."""
    if participant is None:
        return {"owner_name": None, "owner_account_id": None, "owner_organisation_id": None}
    professional = participant["role"] == "professional"
    return {
        "owner_name": participant["name"],
        "owner_account_id": participant["account_id"],
        "owner_organisation_id": participant["organisation_id"] if professional else None,
    }


def agreement_row(
    agreement_id: uuid.UUID,
    case_id: uuid.UUID,
    fields: Mapping[str, object],
    *,
    meeting_held_on: date | None,
    owner: Mapping[str, Any] | None = None,
) -> Row:
    status = agreement_status(fields.get("status"))
    done_on = parse_day(fields.get("done_on"))
    return {
        "agreement_id": agreement_id,
        "case_id": case_id,
        "meeting_id": parse_uuid(fields.get("meeting_id")),
        "owner_id": parse_uuid(fields.get("owner_id")),
        **owner_columns(owner),
        "what": parse_text(fields.get("what")),
        "due_date": parse_day(fields.get("due_date")),
        "status": status,
        "done_on": done_on,
        "meeting_held_on": meeting_held_on,
        "done_days": days_between(meeting_held_on, done_on) if status == "done" else None,
    }


def measurement_row(
    measurement_id: uuid.UUID, case_id: uuid.UUID, fields: Mapping[str, object]
) -> Row:
    health = fields.get("positive_health")
    scores: Mapping[str, object] = health if isinstance(health, dict) else {}
    taken_on = parse_day(fields.get("taken_on"))
    return {
        "measurement_id": measurement_id,
        "case_id": case_id,
        "moment": parse_choice(fields.get("moment"), MEASUREMENT_MOMENTS),
        "taken_on": taken_on,
        "taken_day": None if taken_on is None else taken_on.toordinal(),
        "wellbeing": parse_score(fields.get("wellbeing"), 1, 10),
        **{column: parse_score(scores.get(name), 0, 10) for name, column in HEALTH_COLUMNS.items()},
    }


# -- the hook: one applied mutation --------------------------------------------------------------


def project(session: Session, record: DossierRecord) -> None:
    """Bring the read model in step with ``record`` as it now stands (called after each apply)."""
    fields = None if record.deleted_seq is not None else record.fields
    handler = _HANDLERS.get(record.entity)
    if handler is not None:
        handler(session, record.record_id, record.case_id, fields)


def _resident_name(session: Session, resident_id: uuid.UUID | None) -> str:
    if resident_id is None:
        return ""
    resident = session.get(DossierRecord, ("resident", resident_id))
    if resident is None or resident.deleted_seq is not None:
        return ""
    return parse_text(resident.fields.get("name"))


def _first_held_on(session: Session, case_id: uuid.UUID) -> date | None:
    held: date | None = session.execute(
        select(func.min(col(ReportMeeting.held_on))).where(col(ReportMeeting.case_id) == case_id)
    ).scalar_one()
    return held


def _on_resident(
    session: Session, resident_id: uuid.UUID, _case: uuid.UUID, fields: dict[str, Any] | None
) -> None:
    name = parse_text(fields.get("name")) if fields is not None else ""
    session.execute(
        update(ReportCase)
        .where(col(ReportCase.resident_id) == resident_id)
        .values(resident_name=name)
    )


_CASE_PARTS = (ReportParticipant, ReportMeeting, ReportAgreement, ReportMeasurement)
_PART_ENTITIES = ("participant", "meeting", "agreement", "measurement")  # in this order


def _was_deleted(session: Session, case_id: uuid.UUID) -> bool:
    """Whether the case record was ever deleted (a new case's records arrive by themselves)."""
    deletion = session.execute(
        select(col(ChangeRow.seq))
        .where(
            col(ChangeRow.case_id) == case_id,
            col(ChangeRow.entity) == "case",
            col(ChangeRow.op) == "delete",
        )
        .limit(1)
    ).first()
    return deletion is not None


def _on_case(
    session: Session, case_id: uuid.UUID, _case: uuid.UUID, fields: dict[str, Any] | None
) -> None:
    """A case's row; a deleted case takes its records out of the read model, and a case that
    comes back brings its records that are still in the dossier back in."""
    existed = session.execute(
        select(col(ReportCase.case_id)).where(col(ReportCase.case_id) == case_id)
    ).first()
    session.execute(delete(ReportCase).where(col(ReportCase.case_id) == case_id))
    if fields is None:
        for table in _CASE_PARTS:
            session.execute(delete(table).where(col(table.case_id) == case_id))
        return
    if existed is None and _was_deleted(session, case_id):
        for entity in _PART_ENTITIES:
            records = session.execute(
                select(DossierRecord).where(
                    col(DossierRecord.entity) == entity,
                    col(DossierRecord.case_id) == case_id,
                    col(DossierRecord.deleted_seq).is_(None),
                )
            ).scalars()
            for record in records.all():
                _HANDLERS[entity](session, record.record_id, case_id, record.fields)
    row = case_row(
        case_id, fields, resident_name="", first_held_on=_first_held_on(session, case_id)
    )
    row["resident_name"] = _resident_name(session, row["resident_id"])
    session.execute(insert(ReportCase).values(**row))


def _on_participant(
    session: Session, participant_id: uuid.UUID, case_id: uuid.UUID, fields: dict[str, Any] | None
) -> None:
    session.execute(
        delete(ReportParticipant).where(col(ReportParticipant.participant_id) == participant_id)
    )
    row = None
    if fields is not None:
        row = participant_row(participant_id, case_id, fields)
        session.execute(insert(ReportParticipant).values(**row))
    # The agreements this participant owns carry their name, account and organisation.
    session.execute(
        update(ReportAgreement)
        .where(
            col(ReportAgreement.owner_id) == participant_id,
            col(ReportAgreement.case_id) == case_id,
        )
        .values(**owner_columns(row))
    )


def _on_meeting(
    session: Session, meeting_id: uuid.UUID, case_id: uuid.UUID, fields: dict[str, Any] | None
) -> None:
    session.execute(delete(ReportMeeting).where(col(ReportMeeting.meeting_id) == meeting_id))
    held_on = None
    if fields is not None:
        row = meeting_row(meeting_id, case_id, fields)
        held_on = row["held_on"]
        session.execute(insert(ReportMeeting).values(**row))
    # The case's first meeting held, and the MDO days from contact.
    first = _first_held_on(session, case_id)
    contact = session.execute(
        select(col(ReportCase.contact_date)).where(col(ReportCase.case_id) == case_id)
    ).scalar_one_or_none()
    session.execute(
        update(ReportCase)
        .where(col(ReportCase.case_id) == case_id)
        .values(first_held_on=first, mdo_days=days_between(contact, first))
    )
    # The meeting date the agreements of this meeting count from.
    agreements = session.execute(
        select(
            col(ReportAgreement.agreement_id),
            col(ReportAgreement.status),
            col(ReportAgreement.done_on),
        ).where(
            col(ReportAgreement.meeting_id) == meeting_id,
            col(ReportAgreement.case_id) == case_id,
        )
    ).all()
    for agreement_id, status, done_on in agreements:
        session.execute(
            update(ReportAgreement)
            .where(col(ReportAgreement.agreement_id) == agreement_id)
            .values(
                meeting_held_on=held_on,
                done_days=days_between(held_on, done_on) if status == "done" else None,
            )
        )


def _on_agreement(
    session: Session, agreement_id: uuid.UUID, case_id: uuid.UUID, fields: dict[str, Any] | None
) -> None:
    session.execute(
        delete(ReportAgreement).where(col(ReportAgreement.agreement_id) == agreement_id)
    )
    if fields is None:
        return
    meeting_id = parse_uuid(fields.get("meeting_id"))
    held_on = None
    if meeting_id is not None:
        held_on = session.execute(
            select(col(ReportMeeting.held_on)).where(
                col(ReportMeeting.meeting_id) == meeting_id, col(ReportMeeting.case_id) == case_id
            )
        ).scalar_one_or_none()
    owner = None
    owner_id = parse_uuid(fields.get("owner_id"))
    if owner_id is not None:
        found = session.execute(
            select(ReportParticipant).where(
                col(ReportParticipant.participant_id) == owner_id,
                col(ReportParticipant.case_id) == case_id,
            )
        ).scalar_one_or_none()
        owner = found.model_dump() if found is not None else None
    row = agreement_row(agreement_id, case_id, fields, meeting_held_on=held_on, owner=owner)
    session.execute(insert(ReportAgreement).values(**row))


def _on_measurement(
    session: Session, measurement_id: uuid.UUID, case_id: uuid.UUID, fields: dict[str, Any] | None
) -> None:
    session.execute(
        delete(ReportMeasurement).where(col(ReportMeasurement.measurement_id) == measurement_id)
    )
    if fields is not None:
        session.execute(
            insert(ReportMeasurement).values(**measurement_row(measurement_id, case_id, fields))
        )


_Handler = Callable[[Session, uuid.UUID, uuid.UUID, dict[str, Any] | None], None]
_HANDLERS: dict[str, _Handler] = {
    "resident": _on_resident,
    "case": _on_case,
    "participant": _on_participant,
    "meeting": _on_meeting,
    "agreement": _on_agreement,
    "measurement": _on_measurement,
}

# -- the back-fill: everything from dossier_record -----------------------------------------------

_TABLES = (ReportCase, ReportParticipant, ReportMeeting, ReportAgreement, ReportMeasurement)


def _records(connection: Connection, entity: str) -> Iterator[tuple[uuid.UUID, uuid.UUID, Any]]:
    rows = connection.execute(
        select(
            col(DossierRecord.record_id), col(DossierRecord.case_id), col(DossierRecord.fields)
        ).where(col(DossierRecord.entity) == entity, col(DossierRecord.deleted_seq).is_(None))
    ).all()
    for record_id, case_id, fields in rows:
        yield record_id, case_id, fields if isinstance(fields, dict) else {}


def _insert(connection: Connection, table: Any, rows: Iterable[Row]) -> int:
    count, chunk = 0, []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= _CHUNK:
            connection.execute(insert(table), chunk)
            count, chunk = count + len(chunk), []
    if chunk:
        connection.execute(insert(table), chunk)
        count += len(chunk)
    return count


def rebuild(connection: Connection) -> dict[str, int]:
    """Fill the read model from the dossier's current records; the rows written per table."""
    for table in _TABLES:
        connection.execute(delete(table))
    case_records = list(_records(connection, "case"))
    present = {case_id for case_id, _c, _f in case_records}
    meetings = [meeting_row(m, c, f) for m, c, f in _records(connection, "meeting") if c in present]
    held = {(r["meeting_id"], r["case_id"]): r["held_on"] for r in meetings}
    first: dict[uuid.UUID, date] = {}
    for r in meetings:
        if r["held_on"] is not None and (
            r["case_id"] not in first or r["held_on"] < first[r["case_id"]]
        ):
            first[r["case_id"]] = r["held_on"]
    names = {rid: parse_text(f.get("name")) for rid, _c, f in _records(connection, "resident")}

    def cases() -> Iterator[Row]:
        for case_id, _c, fields in case_records:
            row = case_row(case_id, fields, resident_name="", first_held_on=first.get(case_id))
            row["resident_name"] = names.get(row["resident_id"], "")
            yield row

    participants = [
        participant_row(p, c, f) for p, c, f in _records(connection, "participant") if c in present
    ]
    owners = {(r["participant_id"], r["case_id"]): r for r in participants}

    def agreements() -> Iterator[Row]:
        for agreement_id, case_id, fields in _records(connection, "agreement"):
            if case_id not in present:
                continue
            meeting = (parse_uuid(fields.get("meeting_id")), case_id)
            owner = owners.get((parse_uuid(fields.get("owner_id")), case_id))
            yield agreement_row(
                agreement_id, case_id, fields, meeting_held_on=held.get(meeting), owner=owner
            )

    counts = {
        "report_meeting": _insert(connection, ReportMeeting, meetings),
        "report_case": _insert(connection, ReportCase, cases()),
        "report_participant": _insert(connection, ReportParticipant, participants),
        "report_agreement": _insert(connection, ReportAgreement, agreements()),
        "report_measurement": _insert(
            connection,
            ReportMeasurement,
            (
                measurement_row(m, c, f)
                for m, c, f in _records(connection, "measurement")
                if c in present
            ),
        ),
    }
    return counts

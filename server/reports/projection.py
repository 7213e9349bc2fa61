"""Keeping the team-lead read model (``server/models/reports.py``) in step with the dossier.

- ``project_batch(connection, records)``: ``server/sync_push.py`` calls it once per push batch,
  in the push's own transaction, with the records the batch changed as they now stand (a deleted
  record has ``deleted_seq`` set). A rejected or undone push therefore leaves the read model
  untouched too. It is set-based: per table one delete, one insert of many rows and at most a
  select and an update of many rows for the rows that copy columns from the changed ones, whatever
  the batch size. ``project(session, record)`` is the same for one record.
- ``rebuild(connection)``: empties the read model and fills it again from ``dossier_record``;
  migration 0002 runs it once, writing only the columns its tables have then (``existing``). A
  later migration that changes these tables brings its own back-fill (0005: ``owner_removed``).

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

import functools
import uuid
from collections.abc import Collection, Iterable, Iterator, Mapping
from datetime import date
from typing import Any, Protocol

from sqlalchemy import (
    Connection,
    Table,
    bindparam,
    delete,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlmodel import Session, col

from server import bulk
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
REMOVED_FIELD = "removed_on"  # on a participant: taken off the case (server.sync_push)
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
    return _uuid(value) if isinstance(value, str) else None


@functools.lru_cache(maxsize=4096)  # a batch reads the same ids a few times
def _uuid(value: str) -> uuid.UUID | None:
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
        # The server's own rule for membership (``server/sync_push.py``): any value takes part.
        "removed": fields.get(REMOVED_FIELD) is not None,
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
        return {
            "owner_name": None,
            "owner_account_id": None,
            "owner_organisation_id": None,
            "owner_removed": False,
        }
    professional = participant["role"] == "professional"
    return {
        "owner_name": participant["name"],
        "owner_account_id": participant["account_id"],
        "owner_organisation_id": participant["organisation_id"] if professional else None,
        "owner_removed": bool(participant["removed"]),
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


# -- the hook: the records one push batch changed -------------------------------------------------

_PART_TABLES: dict[str, Any] = {
    "participant": ReportParticipant,
    "meeting": ReportMeeting,
    "agreement": ReportAgreement,
    "measurement": ReportMeasurement,
}
_KEYS = {
    "participant": "participant_id",
    "meeting": "meeting_id",
    "agreement": "agreement_id",
    "measurement": "measurement_id",
}
_PART_ENTITIES = ("participant", "meeting", "agreement", "measurement")
_RECORDS: Table = DossierRecord.__table__  # type: ignore[attr-defined]
_CHANGES: Table = ChangeRow.__table__  # type: ignore[attr-defined]
_OWNER_COLUMNS = ("owner_name", "owner_account_id", "owner_organisation_id", "owner_removed")


class RecordState(Protocol):
    """What the projection reads of a record: a ``DossierRecord`` or the push's own copy."""

    @property
    def entity(self) -> str: ...
    @property
    def record_id(self) -> uuid.UUID: ...
    @property
    def case_id(self) -> uuid.UUID: ...
    @property
    def fields(self) -> dict[str, Any]: ...
    @property
    def deleted_seq(self) -> int | None: ...
    @property
    def seq(self) -> int: ...


def project(session: Session, record: DossierRecord) -> None:
    """Bring the read model in step with one record as it now stands."""
    session.flush()
    project_batch(session.connection(), [record])


def project_batch(
    connection: Connection,
    records: Iterable[RecordState],
    *,
    new: Collection[tuple[str, uuid.UUID]] = (),
) -> None:
    """Bring the read model in step with ``records`` as they now stand (a push batch's changed
    records, after the batch is flushed; a deleted record has ``deleted_seq`` set). ``new``: the
    (entity, record id) of records the dossier did not have before the batch. They cannot have a
    row yet (rows come from dossier records, and a deletion leaves one), so nothing is looked up
    or deleted for them.

    Set-based, a fixed number of statements per table whatever the batch size, with the result of
    projecting the records one by one in the order they were last applied (``record.seq``):
    every row is its record's fields plus columns copied from the rows it points at as they stand
    after the batch. A part of a case whose deletion in this batch came after the part's last
    change is left out (the deletion took it out); a case record that comes back after a deletion
    in an earlier push brings back its records still in the dossier.
    """
    latest: dict[tuple[str, uuid.UUID], RecordState] = {}
    for record in records:
        if record.entity in _HANDLED:
            latest[(record.entity, record.record_id)] = record
    if not latest:
        return
    touched = list(latest.values())
    residents = {r.record_id: r for r in touched if r.entity == "resident"}
    cases = {r.record_id: r for r in touched if r.entity == "case"}
    deleted_cases = {cid: r.deleted_seq for cid, r in cases.items() if r.deleted_seq is not None}
    alive_cases = [cid for cid, r in cases.items() if r.deleted_seq is None]

    # Parts, as (id, case, fields or None when the part has no row after the batch).
    parts: dict[str, dict[uuid.UUID, tuple[uuid.UUID, dict[str, Any] | None]]] = {
        entity: {} for entity in _PART_ENTITIES
    }
    for r in touched:
        if r.entity in parts:
            fields = None if r.deleted_seq is not None else _fields(r.fields)
            gone = deleted_cases.get(r.case_id)
            if gone is not None and gone > (r.seq or 0):
                fields = None  # the case's deletion came later and took it out
            parts[r.entity][r.record_id] = (r.case_id, fields)

    # A case record without a row that was deleted before comes back with its records.
    known_cases = [c for c in alive_cases if ("case", c) not in new]
    existed: set[uuid.UUID] = set()
    if known_cases:
        existed = set(
            connection.execute(
                select(_t(ReportCase).c.case_id).where(
                    bulk.among(connection, _t(ReportCase).c.case_id, known_cases)
                )
            ).scalars()
        )
    returning = _were_deleted(connection, [c for c in known_cases if c not in existed])
    if returning:
        rows = connection.execute(
            select(
                col(DossierRecord.entity),
                col(DossierRecord.record_id),
                col(DossierRecord.case_id),
                col(DossierRecord.fields),
            ).where(
                bulk.among(connection, _RECORDS.c.case_id, returning),
                col(DossierRecord.entity).in_(_PART_ENTITIES),
                col(DossierRecord.deleted_seq).is_(None),
            )
        ).all()
        for entity, record_id, case_id, fields in rows:
            if record_id not in parts[entity] and case_id in returning:
                parts[entity][record_id] = (case_id, _fields(fields))

    # Out with the old rows.
    _delete_in(connection, ReportCase, "case_id", [c for c in cases if ("case", c) not in new])
    if deleted_cases:
        for table in _PART_TABLES.values():
            _delete_in(connection, table, "case_id", deleted_cases)
    for entity, table in _PART_TABLES.items():
        _delete_in(
            connection, table, _KEYS[entity], [p for p in parts[entity] if (entity, p) not in new]
        )

    # Participants and meetings: their own fields only.
    participant_rows = {
        pid: participant_row(pid, cid, f) for pid, (cid, f) in parts["participant"].items() if f
    }
    _insert_many(connection, ReportParticipant, participant_rows.values())
    meeting_rows = {
        mid: meeting_row(mid, cid, f) for mid, (cid, f) in parts["meeting"].items() if f
    }
    _insert_many(connection, ReportMeeting, meeting_rows.values())
    _insert_many(
        connection,
        ReportMeasurement,
        [measurement_row(m, c, f) for m, (c, f) in parts["measurement"].items() if f],
    )

    # Agreements: their meeting's date and their owner's columns, as those rows now stand.
    agreement_fields = {a: (c, f) for a, (c, f) in parts["agreement"].items() if f}
    held = _meetings_held(
        connection,
        meeting_rows,
        parts["meeting"],
        {parse_uuid(f.get("meeting_id")) for _c, f in agreement_fields.values()},
    )
    owners = _participants(
        connection,
        participant_rows,
        parts["participant"],
        {parse_uuid(f.get("owner_id")) for _c, f in agreement_fields.values()},
    )
    agreement_rows = []
    for agreement_id, (case_id, fields) in agreement_fields.items():
        meeting = held.get(parse_uuid(fields.get("meeting_id")))
        owner = owners.get(parse_uuid(fields.get("owner_id")))
        agreement_rows.append(
            agreement_row(
                agreement_id,
                case_id,
                fields,
                meeting_held_on=meeting[1] if meeting and meeting[0] == case_id else None,
                owner=owner if owner and owner["case_id"] == case_id else None,
            )
        )
    _insert_many(connection, ReportAgreement, agreement_rows)
    _refresh_agreements(
        connection,
        set(parts["agreement"]),
        {mid: (cid, meeting_rows.get(mid)) for mid, (cid, _f) in parts["meeting"].items()},
        {pid: (cid, participant_rows.get(pid)) for pid, (cid, _f) in parts["participant"].items()},
    )

    # Cases: the resident's name, the first meeting held and the MDO days.
    meeting_cases = {cid for cid, _f in parts["meeting"].values()}
    first = _first_held(connection, meeting_cases | set(alive_cases))
    names = _resident_names(connection, residents, [cases[c] for c in alive_cases])
    case_rows = []
    for case_id in alive_cases:
        row = case_row(
            case_id,
            _fields(cases[case_id].fields),
            resident_name="",
            first_held_on=first.get(case_id),
        )
        row["resident_name"] = names.get(row["resident_id"], "")
        case_rows.append(row)
    _insert_many(connection, ReportCase, case_rows)
    _refresh_cases(connection, set(cases), meeting_cases, first, residents)


def _t(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _fields(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _delete_in(connection: Connection, model: Any, column: str, ids: Iterable[uuid.UUID]) -> None:
    table = _t(model)
    keys = list(ids)
    for i in range(0, len(keys), _CHUNK):
        connection.execute(
            delete(table).where(bulk.among(connection, table.c[column], keys[i : i + _CHUNK]))
        )


def _insert_many(connection: Connection, model: Any, rows: Iterable[Row]) -> None:
    bulk.insert_rows(connection, _t(model), list(rows))


def _were_deleted(connection: Connection, case_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """The cases among ``case_ids`` whose case record was ever deleted."""
    if not case_ids:
        return set()
    return set(
        connection.execute(
            select(col(ChangeRow.case_id))
            .where(
                bulk.among(connection, _CHANGES.c.case_id, case_ids),
                col(ChangeRow.entity) == "case",
                col(ChangeRow.op) == "delete",
            )
            .distinct()
        ).scalars()
    )


def _meetings_held(
    connection: Connection,
    written: Mapping[uuid.UUID, Row],
    projected: Mapping[uuid.UUID, tuple[uuid.UUID, Any]],
    wanted: set[uuid.UUID | None],
) -> dict[uuid.UUID | None, tuple[uuid.UUID, date | None]]:
    """(case, held on) of the meetings ``wanted``, as their rows stand now."""
    found: dict[uuid.UUID | None, tuple[uuid.UUID, date | None]] = {
        m: (r["case_id"], r["held_on"]) for m, r in written.items() if m in wanted
    }
    rest = [m for m in wanted if m is not None and m not in projected]
    table = _t(ReportMeeting)
    for i in range(0, len(rest), _CHUNK):
        for meeting_id, case_id, held_on in connection.execute(
            select(table.c.meeting_id, table.c.case_id, table.c.held_on).where(
                bulk.among(connection, table.c.meeting_id, rest[i : i + _CHUNK])
            )
        ):
            found[meeting_id] = (case_id, held_on)
    return found


def _participants(
    connection: Connection,
    written: Mapping[uuid.UUID, Row],
    projected: Mapping[uuid.UUID, tuple[uuid.UUID, Any]],
    wanted: set[uuid.UUID | None],
) -> dict[uuid.UUID | None, Row]:
    """The participant rows ``wanted``, as they stand now."""
    found: dict[uuid.UUID | None, Row] = {p: r for p, r in written.items() if p in wanted}
    rest = [p for p in wanted if p is not None and p not in projected]
    table = _t(ReportParticipant)
    for i in range(0, len(rest), _CHUNK):
        for row in connection.execute(
            select(table).where(
                bulk.among(connection, table.c.participant_id, rest[i : i + _CHUNK])
            )
        ).mappings():
            found[row["participant_id"]] = dict(row)
    return found


def _refresh_agreements(
    connection: Connection,
    written: set[uuid.UUID],
    meetings: Mapping[uuid.UUID, tuple[uuid.UUID, Row | None]],
    participants: Mapping[uuid.UUID, tuple[uuid.UUID, Row | None]],
) -> None:
    """Agreements not written in this batch whose meeting or owner was: copy the new values."""
    if not meetings and not participants:
        return
    table = _t(ReportAgreement)
    found: dict[uuid.UUID, Row] = {}
    # The batch's own agreements were written from scratch: not read back (``written``).
    skip = ~bulk.among(connection, table.c.agreement_id, written)
    for column, ids in (("meeting_id", list(meetings)), ("owner_id", list(participants))):
        for i in range(0, len(ids), _CHUNK):
            for mapping in connection.execute(
                select(table).where(
                    bulk.among(connection, table.c[column], ids[i : i + _CHUNK]), skip
                )
            ).mappings():
                found[mapping["agreement_id"]] = dict(mapping)
    changes: list[Row] = []
    for agreement_id, row in found.items():
        new = dict(row)
        meeting = meetings.get(row["meeting_id"])
        if meeting is not None and meeting[0] == row["case_id"]:
            held_on = meeting[1]["held_on"] if meeting[1] is not None else None
            new["meeting_held_on"] = held_on
            done = row["status"] == "done"
            new["done_days"] = days_between(held_on, row["done_on"]) if done else None
        owner = participants.get(row["owner_id"])
        if owner is not None and owner[0] == row["case_id"]:
            new.update(owner_columns(owner[1]))
        if new != row:
            changes.append({"b_id": agreement_id, **{f"b_{k}": new[k] for k in _REFRESHED}})
    if changes:
        connection.execute(
            update(table)
            .where(table.c.agreement_id == bindparam("b_id"))
            .values({k: bindparam(f"b_{k}") for k in _REFRESHED}),
            changes,
        )


_REFRESHED = ("meeting_held_on", "done_days", *_OWNER_COLUMNS)


def _first_held(connection: Connection, case_ids: set[uuid.UUID]) -> dict[uuid.UUID, date]:
    """The first meeting held per case, from the meeting rows as they stand now."""
    table = _t(ReportMeeting)
    ids = list(case_ids)
    first: dict[uuid.UUID, date] = {}
    for i in range(0, len(ids), _CHUNK):
        for case_id, held_on in connection.execute(
            select(table.c.case_id, func.min(table.c.held_on))
            .where(
                bulk.among(connection, table.c.case_id, ids[i : i + _CHUNK]),
                table.c.held_on.is_not(None),
            )
            .group_by(table.c.case_id)
        ):
            first[case_id] = held_on
    return first


def _resident_names(
    connection: Connection,
    residents: Mapping[uuid.UUID, RecordState],
    cases: list[RecordState],
) -> dict[uuid.UUID | None, str]:
    """The names of the residents the ``cases`` point at ("" for a missing or deleted one)."""
    wanted = {parse_uuid(_fields(c.fields).get("resident_id")) for c in cases}
    names: dict[uuid.UUID | None, str] = {}
    rest = []
    for resident_id in wanted:
        if resident_id is None:
            continue
        record = residents.get(resident_id)
        if record is None:
            rest.append(resident_id)
        elif record.deleted_seq is None:
            names[resident_id] = parse_text(_fields(record.fields).get("name"))
    for i in range(0, len(rest), _CHUNK):
        for record_id, fields in connection.execute(
            select(col(DossierRecord.record_id), col(DossierRecord.fields)).where(
                col(DossierRecord.entity) == "resident",
                bulk.among(connection, _RECORDS.c.record_id, rest[i : i + _CHUNK]),
                col(DossierRecord.deleted_seq).is_(None),
            )
        ):
            names[record_id] = parse_text(_fields(fields).get("name"))
    return names


def _refresh_cases(
    connection: Connection,
    written: set[uuid.UUID],
    meeting_cases: set[uuid.UUID],
    first: Mapping[uuid.UUID, date],
    residents: Mapping[uuid.UUID, RecordState],
) -> None:
    """Cases not written in this batch whose meetings or resident were: copy the new values."""
    table = _t(ReportCase)
    others = [c for c in meeting_cases if c not in written]
    skip = ~bulk.among(connection, table.c.case_id, written)  # written from scratch, not read
    found: dict[uuid.UUID, Row] = {}
    for column, ids in (("case_id", others), ("resident_id", list(residents))):
        for i in range(0, len(ids), _CHUNK):
            for mapping in connection.execute(
                select(
                    table.c.case_id,
                    table.c.resident_id,
                    table.c.resident_name,
                    table.c.contact_date,
                    table.c.first_held_on,
                    table.c.mdo_days,
                ).where(bulk.among(connection, table.c[column], ids[i : i + _CHUNK]), skip)
            ).mappings():
                found[mapping["case_id"]] = dict(mapping)
    changes: list[Row] = []
    for case_id, row in found.items():
        new = dict(row)
        if case_id in meeting_cases:
            new["first_held_on"] = first.get(case_id)
            new["mdo_days"] = days_between(row["contact_date"], new["first_held_on"])
        resident = residents.get(row["resident_id"])
        if resident is not None:
            gone = resident.deleted_seq is not None
            new["resident_name"] = "" if gone else parse_text(_fields(resident.fields).get("name"))
        if new != row:
            changes.append(
                {
                    "b_id": case_id,
                    "b_first_held_on": new["first_held_on"],
                    "b_mdo_days": new["mdo_days"],
                    "b_resident_name": new["resident_name"],
                }
            )
    if changes:
        connection.execute(
            update(table)
            .where(table.c.case_id == bindparam("b_id"))
            .values(
                first_held_on=bindparam("b_first_held_on"),
                mdo_days=bindparam("b_mdo_days"),
                resident_name=bindparam("b_resident_name"),
            ),
            changes,
        )


_HANDLED = frozenset({"resident", "case", *_PART_ENTITIES})

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


def _insert(
    connection: Connection, table: Any, rows: Iterable[Row], *, existing: bool = False
) -> int:
    """Insert ``rows``; with ``existing`` only the columns the table has in the database (an
    older migration fills the tables as they were then, a later one adds and fills the rest)."""
    keep: set[str] | None = None
    if existing:
        # A plain table of those columns: the model's would add its defaults for the others.
        keep = {c["name"] for c in inspect(connection).get_columns(_t(table).name)}
        columns = (sql_column(c.name, c.type) for c in _t(table).columns if c.name in keep)
        table = sql_table(_t(table).name, *columns)
    count, chunk = 0, []
    for row in rows:
        chunk.append(row if keep is None else {k: v for k, v in row.items() if k in keep})
        if len(chunk) >= _CHUNK:
            connection.execute(insert(table), chunk)
            count, chunk = count + len(chunk), []
    if chunk:
        connection.execute(insert(table), chunk)
        count += len(chunk)
    return count


def rebuild(connection: Connection, *, existing: bool = False) -> dict[str, int]:
    """Fill the read model from the dossier's current records; the rows written per table.

    ``existing``: write only the columns the tables have in the database (migration 0002, which
    runs before the migrations that add columns)."""
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
        "report_meeting": _insert(connection, ReportMeeting, meetings, existing=existing),
        "report_case": _insert(connection, ReportCase, cases(), existing=existing),
        "report_participant": _insert(
            connection, ReportParticipant, participants, existing=existing
        ),
        "report_agreement": _insert(connection, ReportAgreement, agreements(), existing=existing),
        "report_measurement": _insert(
            connection,
            ReportMeasurement,
            (
                measurement_row(m, c, f)
                for m, c, f in _records(connection, "measurement")
                if c in present
            ),
            existing=existing,
        ),
    }
    return counts

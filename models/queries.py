"""Reads of the local store: one case file, the "my cases" list, the overdue report.

Filtering and counting run in SQL over the plaintext columns (dates, statuses, ids); only the fields
a screen shows are opened afterwards. A value that fails to open does not break a list: that row
comes back with ``damaged=True`` and no name, and the rest of the list is intact. Searching by name
happens after opening (a sealed column cannot be searched in SQL), on the professional's own
caseload. The "my cases" read itself lives in ``models.case_list`` (it needs no SQLAlchemy).
"""

from __future__ import annotations

import bisect
import heapq
import logging
import operator
from datetime import date, timedelta
from enum import StrEnum
from itertools import chain, repeat
from typing import Any, NamedTuple

from sqlalchemy import Table, select

from models import case_list, records
from models.case_list import CaseSummary as CaseSummary  # re-exported: callers read it from here
from models.case_list import log_damaged, resident_names
from models.database import driver_connection
from models.deadlines import (
    DUE_SOON_DAYS,
    MEETING_WINDOW_DAYS,
    Deadline,
    DeadlineState,
    meeting_deadline,
    running_deadlines,
)
from models.domain import AgreementStatus, CaseFile
from models.errors import RecordNotFoundError
from models.store import (
    AGREEMENTS,
    CASES,
    MEASUREMENTS,
    MEETINGS,
    PARTICIPANTS,
    RESIDENTS,
    CaseStore,
)

log = logging.getLogger(__name__)


def case_file(store: CaseStore, case_id: str) -> CaseFile:
    """Everything in one case, opened. Raises ``DamagedRecordError`` naming a damaged record."""
    with store.reading() as (conn, sealer):
        case_row = conn.execute(select(CASES).where(CASES.c.id == case_id)).mappings().first()
        if case_row is None:
            raise RecordNotFoundError("cases", case_id)
        resident_row = (
            conn.execute(select(RESIDENTS).where(RESIDENTS.c.id == case_row["resident_id"]))
            .mappings()
            .one()
        )

        def rows(table: Table) -> list[dict[str, Any]]:
            query = select(table).where(table.c.case_id == case_id)
            return [dict(r) for r in conn.execute(query).mappings().all()]

        participants = rows(PARTICIPANTS)
        meetings = rows(MEETINGS)
        agreements = rows(AGREEMENTS)
        measurements = rows(MEASUREMENTS)
    resident = records.resident_from_row(sealer, resident_row)
    return CaseFile(
        case=records.case_from_row(sealer, case_row, resident),
        participants=[records.participant_from_row(sealer, r) for r in participants],
        meetings=sorted(
            (records.meeting_from_row(sealer, r) for r in meetings),
            key=lambda m: (m.held_on or date.max, m.id),
        ),
        agreements=sorted(
            (records.agreement_from_row(sealer, r) for r in agreements),
            key=lambda a: (a.due_date, a.id),
        ),
        measurements=sorted(
            (records.measurement_from_row(sealer, r) for r in measurements),
            key=lambda m: (m.taken_on, m.id),
        ),
    )


def case_summaries(store: CaseStore, *, today: date, search: str = "") -> list[CaseSummary]:
    """All cases on the device, most urgent first (``models.case_list``, on the store's connection).

    ``search`` matches resident names (any case)."""
    with store.reading() as (conn, sealer), conn.begin():
        return case_list.read_case_summaries(
            driver_connection(conn), sealer, today=today, search=search
        )


class OverdueKind(StrEnum):
    MEETING = "meeting"
    AGREEMENT = "agreement"


class OverdueItem(NamedTuple):
    """A meeting or agreement that is overdue or due soon.

    A named tuple rather than a frozen dataclass: the report builds one per row (thousands), and a
    tuple is made in half the time. Read it by field name; it is immutable like before.
    """

    kind: OverdueKind
    case_id: str
    record_id: str  # the case id for a meeting, the agreement id for an agreement
    resident_name: str | None  # None when the record is damaged
    deadline: Deadline
    damaged: bool = False


# Each part reads only a covering index (migration 0010) plus two primary-key look-ups for the
# name, and comes back in report order from that index: no sort step in SQL or in Python.
# The status is written into the text, not bound: it is what makes the partial index usable.
_OVERDUE_AGREEMENTS_SQL = f"""
SELECT a.due_date, a.id, a.case_id, r.id, r.name
FROM agreements a
JOIN cases c ON c.id = a.case_id
JOIN residents r ON r.id = c.resident_id
WHERE a.status = '{AgreementStatus.OPEN.value}' AND a.due_date <= :horizon
ORDER BY a.due_date, a.id
"""
# NOT EXISTS probes the meetings index per open case; NOT IN would scan every meeting.
_OVERDUE_MEETINGS_SQL = """
SELECT c.contact_date, c.id, r.id, r.name
FROM cases c
JOIN residents r ON r.id = c.resident_id
WHERE c.closed_on IS NULL AND c.no_meeting_decided_on IS NULL AND c.contact_date <= :mdo_horizon
  AND NOT EXISTS (SELECT 1 FROM meetings m WHERE m.case_id = c.id AND m.held_on IS NOT NULL)
ORDER BY c.contact_date, c.id
"""
_NAME_OF_AGREEMENT = operator.itemgetter(4)  # the sealed name
_DUE_OF_AGREEMENT = operator.itemgetter(0)
_ID_OF_AGREEMENT = operator.itemgetter(1)
_CASE_OF_AGREEMENT = operator.itemgetter(2)
_RESIDENT_OF_AGREEMENT = operator.itemgetter(3)
_RESIDENT_OF_MEETING = operator.itemgetter(2)
_NAME_OF_MEETING = operator.itemgetter(3)


def _report_order(item: OverdueItem) -> tuple[date, str, str]:
    return (item.deadline.due, item.kind, item.record_id)


def overdue(store: CaseStore, *, today: date, include_due_soon: bool = True) -> list[OverdueItem]:
    """Overdue (and, unless told not to, due-soon) MDOs and agreements, most overdue first.

    An MDO counts when the case is open, has no "no MDO needed" decision and no meeting held.

    Most overdue first means ``(deadline_urgency_key, kind, record_id)``. Every deadline in this
    report is a running clock, whose urgency rank only grows with the due date (overdue, due soon,
    on track), so that order equals ``(due, kind, record_id)``: SQL returns each part in it (ISO
    dates sort as text) and the few MDOs are put in their place among the agreements.
    """
    horizon = today + timedelta(days=DUE_SOON_DAYS if include_due_soon else -1)
    params = {
        "horizon": horizon.isoformat(),
        "mdo_horizon": (horizon - timedelta(days=MEETING_WINDOW_DAYS)).isoformat(),
    }
    # Both parts in one read transaction (one snapshot), on the file's own connection: no
    # SQLAlchemy here, whose row objects cost about 1 us per row and whose connection check-out
    # half a millisecond; these columns need no type conversion.
    with store.file.snapshot() as (conn, sealer):
        cursor = conn.cursor()
        agreement_rows = cursor.execute(_OVERDUE_AGREEMENTS_SQL, params).fetchall()
        meeting_rows = cursor.execute(_OVERDUE_MEETINGS_SQL, params).fetchall()
        cursor.close()
        # The names, one per row (the bulk of this report's cost).
        row_names = resident_names(
            sealer, agreement_rows, _RESIDENT_OF_AGREEMENT, _NAME_OF_AGREEMENT
        )
        meeting_names = resident_names(sealer, meeting_rows, _RESIDENT_OF_MEETING, _NAME_OF_MEETING)
    log_damaged(
        chain(map(_RESIDENT_OF_AGREEMENT, agreement_rows), map(_RESIDENT_OF_MEETING, meeting_rows)),
        row_names + meeting_names,
    )

    # Thousands of rows share a few hundred due dates: one Deadline per date (it is frozen, so
    # sharing is safe), each date parsed once. The rows come in due-date order, so the dates do.
    # (An open agreement's deadline is a running clock: ``agreement_deadline`` for OPEN.)
    dues = list(dict.fromkeys(map(_DUE_OF_AGREEMENT, agreement_rows)))
    deadlines = dict(
        zip(dues, running_deadlines(list(map(date.fromisoformat, dues)), today), strict=True)
    )
    # One item per row with every loop in C: ``tuple.__new__`` makes the named tuple without
    # OverdueItem's Python-level ``__new__`` (the same fields, in their order), and ``map``/``zip``
    # read the row columns. A Python ``for`` over the rows cost about 0.5 us per row more.
    items: list[OverdueItem] = list(
        map(
            tuple.__new__,
            repeat(OverdueItem),
            zip(
                repeat(OverdueKind.AGREEMENT),
                map(_CASE_OF_AGREEMENT, agreement_rows),
                map(_ID_OF_AGREEMENT, agreement_rows),
                row_names,
                map(deadlines.__getitem__, map(_DUE_OF_AGREEMENT, agreement_rows)),
                map(operator.is_, row_names, repeat(None)),
            ),
        )
    )
    meeting_items = []
    for (contact, case_id, _, _), name in zip(meeting_rows, meeting_names, strict=True):
        deadline = meeting_deadline(
            date.fromisoformat(contact), held_on=None, no_meeting_decided_on=None, today=today
        )
        meeting_items.append(
            OverdueItem(OverdueKind.MEETING, case_id, case_id, name, deadline, name is None)
        )
    # Both lists are in report order. A few MDOs are inserted in their place (a binary search
    # each); many are merged, which reads every item's key once.
    if len(meeting_items) * 16 <= len(items):
        for item in meeting_items:
            bisect.insort(items, item, key=_report_order)
        return items
    return list(heapq.merge(items, meeting_items, key=_report_order))


__all__ = [
    "CaseSummary",
    "DeadlineState",
    "OverdueItem",
    "OverdueKind",
    "case_file",
    "case_summaries",
    "overdue",
]

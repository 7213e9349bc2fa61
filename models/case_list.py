"""The "my cases" list: one row per case with its stage and deadlines, most urgent first.

Counting runs in SQL over the plaintext columns (dates, statuses, ids); only the resident's name is
opened, all names in one batch. A name that fails to open does not break the list: that row comes
back with ``damaged=True`` and no name. Searching by name happens after opening (a sealed column
cannot be searched in SQL), on the professional's own caseload.

This module needs ``sqlite3`` and the sealer only, no SQLAlchemy: the app reads My cases right
after unlocking, through ``models.store_file`` (see there why). ``models.queries`` gives the same
read on a ``CaseStore`` and uses ``resident_names`` for the overdue report too.
"""

from __future__ import annotations

import logging
import operator
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from models.crypto.sealing import Sealer
from models.deadlines import (
    Deadline,
    agreement_deadline,
    case_stage,
    deadline_urgency_key,
    meeting_deadline,
    most_urgent,
)
from models.domain import AgreementStatus, CaseStage
from models.store_file import StoreFile

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """One row of "my cases"."""

    case_id: str
    resident_name: str | None  # None when the record is damaged
    contact_date: date
    stage: CaseStage
    meeting: Deadline
    open_agreements: int
    overdue_agreements: int
    next_agreement: Deadline | None  # the most urgent open agreement
    damaged: bool = False

    @property
    def most_urgent(self) -> Deadline:
        candidates = [self.meeting] + ([self.next_agreement] if self.next_agreement else [])
        urgent = most_urgent(candidates)
        assert urgent is not None
        return urgent


# One row per case with what "my cases" needs, counted in SQL. Dates come back as ISO text (the
# driver's own cursor; SQLAlchemy's row objects and date parsing cost half of this read). The
# status is written into the text, like the overdue report's.
_CASE_SUMMARIES_SQL = f"""
SELECT c.id, c.contact_date, c.no_meeting_decided_on, c.closed_on, r.id, r.name,
       mf.held_on, mf.planned_n, ac.any_n, ac.open_n, ac.overdue_n, ac.next_due
FROM cases c
JOIN residents r ON r.id = c.resident_id
LEFT OUTER JOIN (
    SELECT m.case_id, min(m.held_on) AS held_on, count(m.planned_for) AS planned_n
    FROM meetings m GROUP BY m.case_id
) mf ON mf.case_id = c.id
LEFT OUTER JOIN (
    SELECT a.case_id, count(*) AS any_n,
           sum(a.status = '{AgreementStatus.OPEN.value}') AS open_n,
           sum(a.status = '{AgreementStatus.OPEN.value}' AND a.due_date < :today) AS overdue_n,
           min(CASE WHEN a.status = '{AgreementStatus.OPEN.value}' THEN a.due_date END) AS next_due
    FROM agreements a GROUP BY a.case_id
) ac ON ac.case_id = c.id
"""
_RESIDENT_OF_CASE_ROW = operator.itemgetter(4)
_NAME_OF_CASE_ROW = operator.itemgetter(5)


def case_summaries(file: StoreFile, *, today: date, search: str = "") -> list[CaseSummary]:
    """All cases on the device, most urgent first, read through the file alone (the app's start).

    ``search`` matches resident names (any case). ``models.queries.case_summaries`` is the same
    read on a ``CaseStore``."""
    with file.reading() as (conn, sealer):
        return read_case_summaries(conn, sealer, today=today, search=search)


def read_case_summaries(
    conn: sqlite3.Connection, sealer: Sealer, *, today: date, search: str = ""
) -> list[CaseSummary]:
    """The "my cases" read on a driver connection: one query, the names opened in one batch."""
    needle = search.casefold().strip()
    cursor = conn.cursor()
    rows = cursor.execute(_CASE_SUMMARIES_SQL, {"today": today.isoformat()}).fetchall()
    cursor.close()
    names = resident_names(sealer, rows, _RESIDENT_OF_CASE_ROW, _NAME_OF_CASE_ROW)
    log_damaged(map(_RESIDENT_OF_CASE_ROW, rows), names)
    fromisoformat = date.fromisoformat
    summaries: list[CaseSummary] = []
    for row, name in zip(rows, names, strict=True):
        if needle and (name is None or needle not in name.casefold()):
            continue
        (
            case_id,
            contact,
            no_meeting,
            closed,
            _,
            _,
            held,
            planned_n,
            any_n,
            open_n,
            overdue_n,
            next_due,
        ) = row
        contact_date = fromisoformat(contact)
        no_meeting_on = fromisoformat(no_meeting) if no_meeting else None
        closed_on = fromisoformat(closed) if closed else None
        held_on = fromisoformat(held) if held else None
        open_count = open_n or 0
        meeting = meeting_deadline(
            contact_date,
            held_on=held_on,
            no_meeting_decided_on=no_meeting_on,
            closed_on=closed_on,
            today=today,
        )
        next_agreement = None
        if next_due is not None:
            next_agreement = agreement_deadline(
                due_date=fromisoformat(next_due),
                status=AgreementStatus.OPEN,
                done_on=None,
                today=today,
            )
        summaries.append(
            CaseSummary(
                case_id=case_id,
                resident_name=name,
                contact_date=contact_date,
                stage=case_stage(
                    closed_on=closed_on,
                    no_meeting_decided_on=no_meeting_on,
                    meetings_planned=bool(planned_n),
                    meeting_held=held_on is not None,
                    open_agreements=open_count,
                    any_agreements=bool(any_n),
                ),
                meeting=meeting,
                open_agreements=open_count,
                overdue_agreements=overdue_n or 0,
                next_agreement=next_agreement,
                damaged=name is None,
            )
        )
    summaries.sort(key=lambda s: (deadline_urgency_key(s.most_urgent), s.case_id))
    return summaries


def resident_names(
    sealer: Sealer,
    rows: list[Any],
    resident_of: operator.itemgetter[Any],
    name_of: operator.itemgetter[Any],
) -> list[str | None]:
    """Each row's resident name, in row order, ``None`` where damaged: one flat loop in C over
    all rows (``Sealer.open_texts``); ``resident_of`` and ``name_of`` pick the resident id and the
    sealed name out of a row."""
    return sealer.open_texts(
        list(map(resident_of, rows)), list(map(name_of, rows)), table="residents", column="name"
    )


def log_damaged(resident_ids: Iterable[str], names: list[str | None]) -> None:
    """One warning per resident whose name could not be opened (ids only, never a name)."""
    if None not in names:
        return
    damaged = {rid for rid, name in zip(resident_ids, names, strict=True) if name is None}
    for resident_id in sorted(damaged):
        log.warning("damaged record %s in %s.%s", resident_id, "residents", "name")

"""The "my cases" list, the overdue report and damaged records, on a real store file."""

from __future__ import annotations

import logging
import sqlite3
import uuid
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from models import case_list, queries
from models.deadlines import (
    DeadlineState,
    agreement_deadline,
    case_meeting_deadline,
    case_stage_of,
    deadline_urgency_key,
    meeting_deadline,
    most_urgent,
)
from models.demo_data import demo_case_files
from models.domain import AgreementStatus, CaseFile, CaseStage, NoMeetingDecision
from models.errors import DamagedRecordError, RecordNotFoundError, ValidationError
from models.store import CaseStore
from tests.support.factories import NOW, TODAY, a_case_file


def test_summaries_sorted_by_urgency_with_badges(store: CaseStore) -> None:
    late_mdo = a_case_file(name="Bram Jansen", contact=TODAY - timedelta(days=20), held_on=None)
    late_mdo.meetings, late_mdo.agreements = [], []
    fresh = a_case_file(name="Elif Yılmaz", contact=TODAY - timedelta(days=2), held_on=None)
    fresh.meetings, fresh.agreements = [], []
    running = a_case_file(name="Noor El Idrissi", held_on=TODAY - timedelta(days=8))
    # first agreement due held_on + 5 = 3 days ago: overdue
    no_mdo = a_case_file(name="Kees de Wit", contact=TODAY - timedelta(days=30), held_on=None)
    no_mdo.meetings, no_mdo.agreements = [], []
    no_mdo.case.no_meeting = NoMeetingDecision(decided_on=TODAY - timedelta(days=25), reason="x")
    store.add_case_files([fresh, no_mdo, running, late_mdo], today=TODAY, now=NOW)

    rows = queries.case_summaries(store, today=TODAY)
    by_name = {r.resident_name: r for r in rows}
    assert [r.resident_name for r in rows][:2] == ["Bram Jansen", "Noor El Idrissi"]
    assert by_name["Bram Jansen"].meeting.state is DeadlineState.OVERDUE
    assert by_name["Bram Jansen"].meeting.days_late == 6
    assert by_name["Elif Yılmaz"].stage is CaseStage.CONTACT
    assert by_name["Noor El Idrissi"].stage is CaseStage.AGREEMENTS_RUNNING
    assert by_name["Noor El Idrissi"].overdue_agreements == 1
    assert by_name["Noor El Idrissi"].open_agreements == 2
    assert by_name["Kees de Wit"].stage is CaseStage.NO_MEETING_NEEDED
    assert by_name["Kees de Wit"].meeting.state is DeadlineState.STOPPED

    assert [
        r.resident_name for r in queries.case_summaries(store, today=TODAY, search="yilmaz")
    ] == []
    assert [r.resident_name for r in queries.case_summaries(store, today=TODAY, search="YıL")] == [
        "Elif Yılmaz"
    ]


def test_overdue_report_most_overdue_first(store: CaseStore) -> None:
    late_mdo = a_case_file(name="Bram Jansen", contact=TODAY - timedelta(days=20), held_on=None)
    late_mdo.meetings, late_mdo.agreements = [], []
    due_soon_mdo = a_case_file(name="Lotte Smit", contact=TODAY - timedelta(days=12), held_on=None)
    due_soon_mdo.meetings, due_soon_mdo.agreements = [], []
    running = a_case_file(name="Noor El Idrissi", held_on=TODAY - timedelta(days=15))
    store.add_case_files([late_mdo, due_soon_mdo, running], today=TODAY, now=NOW)

    items = queries.overdue(store, today=TODAY)
    assert [(i.kind, i.resident_name, i.deadline.days_left) for i in items] == [
        (queries.OverdueKind.AGREEMENT, "Noor El Idrissi", -10),
        (queries.OverdueKind.MEETING, "Bram Jansen", -6),
        (queries.OverdueKind.MEETING, "Lotte Smit", 2),
    ]
    only_overdue = queries.overdue(store, today=TODAY, include_due_soon=False)
    assert [i.resident_name for i in only_overdue] == ["Noor El Idrissi", "Bram Jansen"]

    # Done agreements leave the report.
    f = queries.case_file(store, running.case.id)
    first = f.agreements[0]
    first.status, first.done_on = AgreementStatus.DONE, TODAY
    store.save_agreement(first)
    assert [i.resident_name for i in queries.overdue(store, today=TODAY)] == [
        "Bram Jansen",
        "Lotte Smit",
    ]


def test_invalid_case_file_saves_nothing(store: CaseStore, store_path: Path) -> None:
    good = a_case_file()
    bad = a_case_file()
    bad.agreements[0].owner_id = "someone-not-at-the-table"
    with pytest.raises(ValidationError) as caught:
        store.add_case_files([good, bad], today=TODAY, now=NOW)
    assert caught.value.for_field("owner_id")
    with sqlite3.connect(store_path) as conn:
        for table in ("residents", "cases", "participants", "agreements"):
            assert conn.execute(f"select count(*) from {table}").fetchone() == (0,)


def test_agreement_past_six_weeks_needs_a_reason(store: CaseStore) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    a = f.agreements[1]
    a.due_date += timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        store.save_agreement(a)
    assert caught.value.for_field("outside_norm_reason")
    a.outside_norm_reason = "Wachtlijst bij de schuldhulp."
    store.save_agreement(a)
    saved = next(x for x in queries.case_file(store, f.case.id).agreements if x.id == a.id)
    assert saved.due_date == a.due_date


def test_save_to_unknown_case_is_refused(store: CaseStore) -> None:
    f = a_case_file()
    with pytest.raises(RecordNotFoundError):
        store.save_participant(f.participants[0])


def _swap_names(path: Path) -> tuple[str, str]:
    with sqlite3.connect(path) as conn:
        (id_a, name_a), (id_b, name_b) = conn.execute(
            "select id, name from residents order by id limit 2"
        ).fetchall()
        conn.execute("update residents set name=? where id=?", (name_b, id_a))
        conn.execute("update residents set name=? where id=?", (name_a, id_b))
    return id_a, id_b


def test_moved_ciphertext_marks_rows_damaged_and_keeps_the_list(
    store: CaseStore, store_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    files = [a_case_file(name=n) for n in ("Anna Bakker", "Jan de Vries", "Fatma Koç")]
    store.add_case_files(files, today=TODAY, now=NOW)
    moved = _swap_names(store_path)

    rows = queries.case_summaries(store, today=TODAY)
    assert case_list.case_summaries(store.file, today=TODAY) == rows  # the app's start: the same
    assert len(rows) == 3
    damaged = [r for r in rows if r.damaged]
    assert len(damaged) == 2 and all(r.resident_name is None for r in damaged)
    assert [r.resident_name for r in rows if not r.damaged] != []

    damaged_case = next(f for f in files if f.case.resident.id == moved[0])
    with pytest.raises(DamagedRecordError) as caught:
        queries.case_file(store, damaged_case.case.id)
    assert caught.value.record_id == moved[0] and caught.value.table == "residents"
    assert "Anna" not in str(caught.value) and "Jan" not in str(caught.value)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="models.queries"):
        report = queries.overdue(store, today=TODAY, include_due_soon=False)
    for resident_id in moved:  # once per resident, however many of its rows are in the report
        assert caplog.text.count(f"damaged record {resident_id} in residents.name") == 1
    assert "Anna" not in caplog.text and "Jan" not in caplog.text
    moved_cases = {f.case.id for f in files if f.case.resident.id in moved}
    assert moved_cases <= {item.case_id for item in report}
    for item in report:  # exactly the moved residents' rows are damaged, the rest still named
        assert item.damaged == (item.case_id in moved_cases)
        assert (item.resident_name is None) == item.damaged


def test_flipped_bit_is_detected(store: CaseStore, store_path: Path) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    with sqlite3.connect(store_path) as conn:
        blob = bytearray(conn.execute("select question from cases").fetchone()[0])
        blob[-5] ^= 0x01
        conn.execute("update cases set question=?", (bytes(blob),))
    with pytest.raises(DamagedRecordError) as caught:
        queries.case_file(store, f.case.id)
    assert (caught.value.table, caught.value.column) == ("cases", "question")


def _mdo_waiting(name: str, contact_days_ago: int) -> CaseFile:
    f = a_case_file(name=name, contact=TODAY - timedelta(days=contact_days_ago), held_on=None)
    f.meetings, f.agreements = [], []
    return f


def _running(name: str, held_days_ago: int) -> CaseFile:
    f = a_case_file(name=name, held_on=TODAY - timedelta(days=held_days_ago))
    # Several agreements due on the same days, so ties are broken by kind and record id.
    extra = [
        replace(f.agreements[0], id=str(uuid.uuid4()), due_date=TODAY - timedelta(days=d))
        for d in (4, 4, 1, 0, -2)
    ]
    f.agreements += extra
    return f


@pytest.mark.parametrize(
    ("waiting", "running"),
    [(1, 10), (12, 2)],  # few MDOs among many agreements, and the other way round
    ids=["few-mdos", "many-mdos"],
)
def test_overdue_report_order_is_the_urgency_rule(
    store: CaseStore, waiting: int, running: int
) -> None:
    """SQL hands the rows over in order; that order must be the documented urgency rule."""
    files = [_mdo_waiting(f"Bewoner W{i}", 8 + 3 * i) for i in range(waiting)]
    # An MDO due on the same day as agreements (contact 18 days ago: due 4 days ago).
    files.append(_mdo_waiting("Bewoner Gelijk", 18))
    files += [_running(f"Bewoner R{i}", 15 + i) for i in range(running)]
    store.add_case_files(files, today=TODAY, now=NOW)

    items = queries.overdue(store, today=TODAY)

    expected = sorted(items, key=lambda i: (deadline_urgency_key(i.deadline), i.kind, i.record_id))
    assert items == expected
    agreement_ids = {a.id: a for f in files for a in f.agreements}
    for item in items:
        if item.kind is queries.OverdueKind.AGREEMENT:
            a = agreement_ids[item.record_id]
            assert item.case_id == a.case_id
            assert item.deadline == agreement_deadline(
                due_date=a.due_date, status=a.status, done_on=None, today=TODAY
            )
        else:
            f = next(f for f in files if f.case.id == item.case_id)
            assert item.record_id == item.case_id
            assert item.deadline == meeting_deadline(
                f.case.contact_date, held_on=None, no_meeting_decided_on=None, today=TODAY
            )
        assert item.deadline.days_left <= 3 and not item.damaged and item.resident_name
    # Every open agreement and waiting MDO within the horizon, nothing else.
    due_by = TODAY + timedelta(days=3)
    assert sorted(i.record_id for i in items if i.kind is queries.OverdueKind.AGREEMENT) == sorted(
        a.id for a in agreement_ids.values() if a.due_date <= due_by
    )
    assert len([i for i in items if i.kind is queries.OverdueKind.MEETING]) == len(
        [f for f in files if not f.meetings and f.case.contact_date + timedelta(days=14) <= due_by]
    )
    only_overdue = queries.overdue(store, today=TODAY, include_due_soon=False)
    assert only_overdue == [i for i in items if i.deadline.days_left < 0]


def test_overdue_report_reads_covering_indexes(store: CaseStore) -> None:
    """The plan the report gets (not timed): each part from its covering index (migration 0010)."""
    params = {"horizon": TODAY.isoformat(), "mdo_horizon": TODAY.isoformat()}
    with store.reading() as (conn, _sealer):
        plans = [
            " | ".join(row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params))
            for sql in (queries._OVERDUE_AGREEMENTS_SQL, queries._OVERDUE_MEETINGS_SQL)
        ]
    agreements_plan, meetings_plan = plans
    assert "SEARCH a USING COVERING INDEX ix_agreements_open_due" in agreements_plan
    assert "SEARCH c USING COVERING INDEX ix_cases_awaiting_meeting" in meetings_plan
    # The index hands the rows over in report order: no sort step.
    assert "TEMP B-TREE" not in agreements_plan and "TEMP B-TREE" not in meetings_plan


def test_summaries_follow_the_rules_of_each_whole_case_file(store: CaseStore) -> None:
    """The list's SQL counts agree with the deadline rules applied to each full case file.

    Demo data covers every stage (waiting, planned, held, agreements running, overdue, done,
    cancelled, no MDO needed, closed); the list must say what the rules say of each case.
    """
    files = list(demo_case_files(120, today=TODAY, seed=7))
    store.add_case_files(files, today=TODAY, now=NOW)
    by_id = {f.case.id: f for f in files}

    summaries = queries.case_summaries(store, today=TODAY)

    assert sorted(s.case_id for s in summaries) == sorted(by_id)
    assert {s.stage for s in summaries} >= {CaseStage.CONTACT, CaseStage.CLOSED}
    for s in summaries:
        f = by_id[s.case_id]
        open_agreements = [a for a in f.agreements if a.status is AgreementStatus.OPEN]
        assert s.resident_name == f.case.resident.name and not s.damaged
        assert s.contact_date == f.case.contact_date
        assert s.stage == case_stage_of(f)
        assert s.meeting == case_meeting_deadline(f, today=TODAY)
        assert s.open_agreements == len(open_agreements)
        assert s.overdue_agreements == len([a for a in open_agreements if a.due_date < TODAY])
        assert s.next_agreement == most_urgent(
            agreement_deadline(due_date=a.due_date, status=a.status, done_on=None, today=TODAY)
            for a in open_agreements
        )
    assert summaries == sorted(
        summaries, key=lambda s: (deadline_urgency_key(s.most_urgent), s.case_id)
    )
    # The app's start reads the same list through the file alone (models.case_list): the same.
    assert case_list.case_summaries(store.file, today=TODAY) == summaries
    assert case_list.case_summaries(store.file, today=TODAY, search="a") == queries.case_summaries(
        store, today=TODAY, search="a"
    )

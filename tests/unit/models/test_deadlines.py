"""The deadline rules, driven with plain dates: no clock, no store."""

from __future__ import annotations

import calendar
import random
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.calendar import today_in_amsterdam
from models.deadlines import (
    AGREEMENT_LIMIT_DAYS,
    AGREEMENT_WINDOW_DAYS,
    DUE_SOON_DAYS,
    MEETING_WINDOW_DAYS,
    Deadline,
    DeadlineState,
    agreement_deadline,
    agreement_due_problems,
    case_deadlines,
    case_meeting_deadline,
    case_stage,
    case_stage_of,
    case_urgency_key,
    deadline_urgency_key,
    default_agreement_due,
    first_held_on,
    is_outside_norm,
    is_past_limit,
    latest_agreement_due,
    meeting_deadline,
    meeting_due,
    most_urgent,
    running_deadline,
    running_deadlines,
    urgency_key,
)
from models.domain import (
    Agreement,
    AgreementStatus,
    Case,
    CaseFile,
    CaseStage,
    Meeting,
    NoMeetingDecision,
    Resident,
)

pytestmark = pytest.mark.usefixtures("english")


S = DeadlineState
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
offsets = st.integers(min_value=-400, max_value=400)
states = st.sampled_from(list(DeadlineState))


def open_meeting(contact: date, today: date) -> Deadline:
    return meeting_deadline(contact, held_on=None, no_meeting_decided_on=None, today=today)


# --- the MDO clock ---------------------------------------------------------------------------


def test_windows_are_the_partners_norms() -> None:
    assert (MEETING_WINDOW_DAYS, AGREEMENT_WINDOW_DAYS, DUE_SOON_DAYS) == (14, 42, 3)


@pytest.mark.parametrize(
    ("contact", "due"),
    [
        (date(2026, 1, 31), date(2026, 2, 14)),
        (date(2026, 1, 20), date(2026, 2, 3)),
        (date(2024, 2, 15), date(2024, 2, 29)),  # leap year: 29 February exists
        (date(2024, 2, 20), date(2024, 3, 5)),
        (date(2028, 2, 20), date(2028, 3, 5)),
        (date(2026, 2, 15), date(2026, 3, 1)),  # not a leap year
        (date(2026, 2, 20), date(2026, 3, 6)),
        (date(2026, 12, 25), date(2027, 1, 8)),  # December into January
        (date(2026, 12, 31), date(2027, 1, 14)),
    ],
)
def test_meeting_due_across_month_and_year_ends(contact: date, due: date) -> None:
    assert meeting_due(contact) == due


@given(dates)
def test_meeting_due_is_always_fourteen_days_after_contact(contact: date) -> None:
    assert meeting_due(contact) - contact == timedelta(days=14)


def test_held_on_day_fourteen_is_in_time() -> None:
    contact = date(2026, 1, 31)
    d = meeting_deadline(
        contact, held_on=date(2026, 2, 14), no_meeting_decided_on=None, today=date(2026, 3, 1)
    )
    assert d == Deadline(due=date(2026, 2, 14), state=S.MET, days_left=0)


def test_held_on_day_fifteen_is_late() -> None:
    contact = date(2026, 1, 31)
    d = meeting_deadline(
        contact, held_on=date(2026, 2, 15), no_meeting_decided_on=None, today=date(2026, 3, 1)
    )
    assert d == Deadline(due=date(2026, 2, 14), state=S.MET_LATE, days_left=-1)
    assert d.days_late == 1


@pytest.mark.parametrize(
    ("days_before_due", "state"),
    [
        (14, S.ON_TRACK),
        (4, S.ON_TRACK),
        (3, S.DUE_SOON),
        (1, S.DUE_SOON),
        (0, S.DUE_SOON),  # due today: due soon, not yet overdue
        (-1, S.OVERDUE),
        (-30, S.OVERDUE),
    ],
)
def test_due_soon_boundaries(days_before_due: int, state: DeadlineState) -> None:
    contact = date(2026, 3, 20)
    today = meeting_due(contact) - timedelta(days=days_before_due)
    d = open_meeting(contact, today)
    assert (d.state, d.days_left) == (state, days_before_due)
    assert d.days_late == max(0, -days_before_due)


def test_no_meeting_decision_stops_the_clock() -> None:
    contact = date(2026, 5, 1)
    d = meeting_deadline(
        contact, held_on=None, no_meeting_decided_on=date(2026, 5, 5), today=date(2026, 9, 1)
    )
    assert d == Deadline(due=date(2026, 5, 15), state=S.STOPPED, days_left=10)


def test_late_no_meeting_decision_still_stops_but_shows_the_late_days() -> None:
    contact = date(2026, 5, 1)
    d = meeting_deadline(
        contact, held_on=None, no_meeting_decided_on=date(2026, 5, 20), today=date(2026, 9, 1)
    )
    assert (d.state, d.days_left, d.days_late) == (S.STOPPED, -5, 5)


def test_closing_without_meeting_stops_the_clock() -> None:
    d = meeting_deadline(
        date(2026, 5, 1),
        held_on=None,
        no_meeting_decided_on=None,
        closed_on=date(2026, 5, 10),
        today=date(2026, 9, 1),
    )
    assert (d.state, d.days_left) == (S.STOPPED, 5)


def test_earliest_stopping_event_decides() -> None:
    contact = date(2026, 5, 1)
    held_first = meeting_deadline(
        contact,
        held_on=date(2026, 5, 10),
        no_meeting_decided_on=date(2026, 5, 12),
        today=date(2026, 9, 1),
    )
    decided_first = meeting_deadline(
        contact,
        held_on=date(2026, 5, 30),
        no_meeting_decided_on=date(2026, 5, 12),
        today=date(2026, 9, 1),
    )
    tie = meeting_deadline(
        contact,
        held_on=date(2026, 5, 12),
        no_meeting_decided_on=date(2026, 5, 12),
        today=date(2026, 9, 1),
    )
    assert (held_first.state, decided_first.state, tie.state) == (S.MET, S.STOPPED, S.MET)


def test_held_meeting_after_closing_does_not_count() -> None:
    d = meeting_deadline(
        date(2026, 5, 1),
        held_on=date(2026, 5, 20),
        no_meeting_decided_on=None,
        closed_on=date(2026, 5, 10),
        today=date(2026, 9, 1),
    )
    assert d.state is S.STOPPED


def assert_consistent(d: Deadline) -> None:
    """What each state promises about ``days_left``."""
    if d.state is S.ON_TRACK:
        assert d.days_left > DUE_SOON_DAYS
    elif d.state is S.DUE_SOON:
        assert 0 <= d.days_left <= DUE_SOON_DAYS
    elif d.state in (S.OVERDUE, S.MET_LATE):
        assert d.days_left < 0
    elif d.state is S.MET:
        assert d.days_left >= 0
    assert d.days_late == max(0, -d.days_left)


@given(dates, offsets)
def test_open_meeting_days_left_matches_state(contact: date, offset: int) -> None:
    today = contact + timedelta(days=offset)
    d = open_meeting(contact, today)
    assert d.due == meeting_due(contact)
    assert d.days_left == (d.due - today).days
    assert d.state.is_running
    assert_consistent(d)


@given(dates, offsets, st.integers(min_value=0, max_value=100), offsets)
def test_held_meeting_is_met_iff_held_by_the_due_day(
    contact: date, offset: int, held_after: int, other_offset: int
) -> None:
    held_on = contact + timedelta(days=held_after)
    today = contact + timedelta(days=offset)
    d = meeting_deadline(contact, held_on=held_on, no_meeting_decided_on=None, today=today)
    assert d.state is (S.MET if held_after <= MEETING_WINDOW_DAYS else S.MET_LATE)
    assert not d.state.is_running
    assert_consistent(d)
    # Frozen: another day gives the same answer.
    other_today = contact + timedelta(days=other_offset)
    assert d == meeting_deadline(
        contact, held_on=held_on, no_meeting_decided_on=None, today=other_today
    )


# --- the agreement clock ---------------------------------------------------------------------


def test_default_agreement_due_is_six_weeks_after_the_meeting() -> None:
    assert default_agreement_due(date(2026, 1, 31)) == date(2026, 3, 14)
    assert default_agreement_due(date(2024, 1, 31)) == date(2024, 3, 13)  # leap year
    assert default_agreement_due(date(2026, 12, 1)) == date(2027, 1, 12)


def test_outside_norm_boundary() -> None:
    meeting = date(2026, 4, 1)
    assert not is_outside_norm(meeting, meeting + timedelta(days=42))
    assert is_outside_norm(meeting, meeting + timedelta(days=43))


def test_due_before_meeting_is_a_problem_on_due_date() -> None:
    problems = agreement_due_problems(
        meeting_date=date(2026, 4, 1), due_date=date(2026, 3, 31), outside_norm_reason=""
    )
    assert [p.field for p in problems] == ["due_date"]


def test_due_on_meeting_day_is_fine() -> None:
    meeting = date(2026, 4, 1)
    assert (
        agreement_due_problems(meeting_date=meeting, due_date=meeting, outside_norm_reason="") == []
    )


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_outside_norm_needs_a_non_blank_reason(reason: str) -> None:
    problems = agreement_due_problems(
        meeting_date=date(2026, 4, 1), due_date=date(2026, 5, 14), outside_norm_reason=reason
    )
    assert [p.field for p in problems] == ["outside_norm_reason"]
    assert "reason" in problems[0].message


def test_outside_norm_with_reason_is_allowed() -> None:
    problems = agreement_due_problems(
        meeting_date=date(2026, 4, 1),
        due_date=date(2026, 8, 1),
        outside_norm_reason="Wachtlijst",
    )
    assert problems == []


@given(dates, st.integers(min_value=0, max_value=AGREEMENT_WINDOW_DAYS), st.text())
def test_due_within_the_norm_never_needs_a_reason(meeting: date, days: int, reason: str) -> None:
    due = meeting + timedelta(days=days)
    assert not is_outside_norm(meeting, due)
    assert (
        agreement_due_problems(meeting_date=meeting, due_date=due, outside_norm_reason=reason) == []
    )


@given(
    dates,
    st.integers(min_value=AGREEMENT_WINDOW_DAYS + 1, max_value=AGREEMENT_LIMIT_DAYS),
    st.text(alphabet=" \t\n\r\u00a0\u2003"),
)
def test_due_past_the_norm_without_reason_is_always_a_problem(
    meeting: date, days: int, blank: str
) -> None:
    due = meeting + timedelta(days=days)
    problems = agreement_due_problems(meeting_date=meeting, due_date=due, outside_norm_reason=blank)
    assert [p.field for p in problems] == ["outside_norm_reason"]


def test_the_limit_is_a_year_after_the_meeting_counting_leap_days() -> None:
    assert latest_agreement_due(date(2026, 4, 1)) == date(2027, 4, 1)
    assert latest_agreement_due(date(2027, 4, 1)) == date(2028, 3, 31)  # 2028 has 29 February
    meeting = date(2026, 4, 1)
    assert not is_past_limit(meeting, meeting + timedelta(days=AGREEMENT_LIMIT_DAYS))
    assert is_past_limit(meeting, meeting + timedelta(days=AGREEMENT_LIMIT_DAYS + 1))


@given(dates, st.integers(min_value=AGREEMENT_LIMIT_DAYS + 1, max_value=5000), st.text())
def test_due_past_a_year_is_refused_on_the_date_whatever_the_reason(
    meeting: date, days: int, reason: str
) -> None:
    due = meeting + timedelta(days=days)
    problems = agreement_due_problems(
        meeting_date=meeting, due_date=due, outside_norm_reason=reason
    )
    assert [p.field for p in problems] == ["due_date"]
    assert "year" in problems[0].message


@given(
    dates,
    st.integers(min_value=AGREEMENT_WINDOW_DAYS + 1, max_value=AGREEMENT_LIMIT_DAYS),
    st.text(min_size=1).filter(str.strip),
)
def test_due_past_the_norm_within_a_year_is_fine_with_a_reason(
    meeting: date, days: int, reason: str
) -> None:
    due = meeting + timedelta(days=days)
    assert (
        agreement_due_problems(meeting_date=meeting, due_date=due, outside_norm_reason=reason) == []
    )


@pytest.mark.parametrize(
    ("status", "done_on", "state", "days_left"),
    [
        (AgreementStatus.DONE, date(2026, 5, 13), S.MET, 0),
        (AgreementStatus.DONE, date(2026, 5, 1), S.MET, 12),
        (AgreementStatus.DONE, date(2026, 5, 14), S.MET_LATE, -1),
        (AgreementStatus.CANCELLED, None, S.STOPPED, -18),
        (AgreementStatus.OPEN, None, S.OVERDUE, -18),
    ],
)
def test_agreement_deadline_by_status(
    status: AgreementStatus, done_on: date | None, state: DeadlineState, days_left: int
) -> None:
    d = agreement_deadline(
        due_date=date(2026, 5, 13), status=status, done_on=done_on, today=date(2026, 5, 31)
    )
    assert (d.state, d.days_left) == (state, days_left)


@pytest.mark.parametrize(
    ("days_left", "state"), [(4, S.ON_TRACK), (3, S.DUE_SOON), (0, S.DUE_SOON), (-1, S.OVERDUE)]
)
def test_open_agreement_boundaries(days_left: int, state: DeadlineState) -> None:
    due = date(2026, 3, 1)
    today = due - timedelta(days=days_left)
    d = agreement_deadline(due_date=due, status=AgreementStatus.OPEN, done_on=None, today=today)
    assert (d.state, d.days_left) == (state, days_left)


@given(st.lists(dates, max_size=40), dates)
def test_running_deadlines_give_each_date_its_running_deadline(
    dues: list[date], today: date
) -> None:
    """The report's batch form agrees with the rule date by date, around every boundary."""
    dues = sorted(dues + [today + timedelta(days=k) for k in (-1, 0, 1, 3, 4)])
    assert running_deadlines(dues, today) == [running_deadline(due, today) for due in dues]


def test_running_deadlines_at_the_boundaries_and_out_of_order() -> None:
    today = date(2024, 2, 27)  # a leap year's February end
    dues = [today + timedelta(days=k) for k in (-400, -1, 0, 3, 4, 600)]
    got = running_deadlines(dues, today)
    assert [(d.state, d.days_left) for d in got] == [
        (S.OVERDUE, -400),
        (S.OVERDUE, -1),
        (S.DUE_SOON, 0),
        (S.DUE_SOON, 3),
        (S.ON_TRACK, 4),
        (S.ON_TRACK, 600),
    ]
    assert running_deadlines([], today) == []
    with pytest.raises(ValueError, match="ascending"):
        running_deadlines([today, today - timedelta(days=1)], today)


def test_done_agreement_without_done_on_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="done_on"):
        agreement_deadline(
            due_date=date(2026, 3, 1),
            status=AgreementStatus.DONE,
            done_on=None,
            today=date(2026, 3, 1),
        )


@given(dates, offsets, offsets, st.sampled_from(list(AgreementStatus)))
def test_agreement_days_left_matches_state(
    due: date, today_offset: int, done_offset: int, status: AgreementStatus
) -> None:
    today = due + timedelta(days=today_offset)
    done_on = due + timedelta(days=done_offset) if status is AgreementStatus.DONE else None
    d = agreement_deadline(due_date=due, status=status, done_on=done_on, today=today)
    assert d.due == due
    assert d.state.is_running is (status is AgreementStatus.OPEN)
    assert_consistent(d)


# --- case stage ------------------------------------------------------------------------------

NONE_DONE = {
    "closed_on": None,
    "no_meeting_decided_on": None,
    "meetings_planned": False,
    "meeting_held": False,
    "open_agreements": 0,
    "any_agreements": False,
}


@pytest.mark.parametrize(
    ("changes", "stage"),
    [
        ({}, CaseStage.CONTACT),
        ({"meetings_planned": True}, CaseStage.MEETING_PLANNED),
        ({"meetings_planned": True, "meeting_held": True}, CaseStage.MEETING_HELD),
        (
            {"meeting_held": True, "open_agreements": 2, "any_agreements": True},
            CaseStage.AGREEMENTS_RUNNING,
        ),
        ({"meeting_held": True, "any_agreements": True}, CaseStage.MEETING_HELD),  # all done
        ({"any_agreements": True, "open_agreements": 1}, CaseStage.AGREEMENTS_RUNNING),
        ({"no_meeting_decided_on": date(2026, 1, 2)}, CaseStage.NO_MEETING_NEEDED),
        (
            {"no_meeting_decided_on": date(2026, 1, 2), "meeting_held": True},
            CaseStage.NO_MEETING_NEEDED,
        ),
        (
            {
                "closed_on": date(2026, 3, 1),
                "no_meeting_decided_on": date(2026, 1, 2),
                "meeting_held": True,
                "open_agreements": 1,
                "any_agreements": True,
            },
            CaseStage.CLOSED,
        ),
    ],
)
def test_case_stage_order(changes: dict[str, object], stage: CaseStage) -> None:
    assert case_stage(**{**NONE_DONE, **changes}) is stage  # type: ignore[arg-type]


def make_case_file(
    *,
    contact: date = date(2026, 3, 2),
    meetings: list[Meeting] | None = None,
    agreements: list[Agreement] | None = None,
    no_meeting: NoMeetingDecision | None = None,
    closed_on: date | None = None,
) -> CaseFile:
    case = Case(
        resident=Resident(name="Test Bewoner"),
        contact_date=contact,
        no_meeting=no_meeting,
        closed_on=closed_on,
    )
    return CaseFile(case=case, meetings=meetings or [], agreements=agreements or [])


def make_agreement(
    case_file_id: str,
    due: date,
    status: AgreementStatus = AgreementStatus.OPEN,
    done_on: date | None = None,
) -> Agreement:
    return Agreement(
        case_id=case_file_id,
        meeting_id="m",
        what="x",
        owner_id="p",
        due_date=due,
        status=status,
        done_on=done_on,
    )


def test_case_file_stage_and_meeting_deadline_use_the_first_held_meeting() -> None:
    cf = make_case_file()
    cf.meetings = [
        Meeting(case_id=cf.case.id, planned_for=datetime(2026, 4, 1, 10, 0), held_on=None),
        Meeting(case_id=cf.case.id, held_on=date(2026, 3, 20)),
        Meeting(case_id=cf.case.id, held_on=date(2026, 3, 12)),
    ]
    assert first_held_on(cf) == date(2026, 3, 12)
    assert case_stage_of(cf) is CaseStage.MEETING_HELD
    d = case_meeting_deadline(cf, today=date(2026, 6, 1))
    assert (d.due, d.state, d.days_left) == (date(2026, 3, 16), S.MET, 4)


def test_case_file_stages() -> None:
    cf = make_case_file()
    assert case_stage_of(cf) is CaseStage.CONTACT
    cf.meetings = [Meeting(case_id=cf.case.id)]  # no date yet: not planned
    assert case_stage_of(cf) is CaseStage.CONTACT
    cf.meetings[0].planned_for = datetime(2026, 3, 10, 14, 0)
    assert case_stage_of(cf) is CaseStage.MEETING_PLANNED
    cf.meetings[0].held_on = date(2026, 3, 10)
    cf.agreements = [make_agreement(cf.case.id, date(2026, 4, 1))]
    assert case_stage_of(cf) is CaseStage.AGREEMENTS_RUNNING
    cf.agreements[0].status = AgreementStatus.DONE
    cf.agreements[0].done_on = date(2026, 3, 30)
    assert case_stage_of(cf) is CaseStage.MEETING_HELD
    cf.case.closed_on = date(2026, 4, 2)
    assert case_stage_of(cf) is CaseStage.CLOSED


def test_case_file_no_meeting_needed() -> None:
    cf = make_case_file(no_meeting=NoMeetingDecision(decided_on=date(2026, 3, 5), reason="r"))
    assert case_stage_of(cf) is CaseStage.NO_MEETING_NEEDED
    d = case_meeting_deadline(cf, today=date(2026, 6, 1))
    assert (d.state, d.days_left) == (S.STOPPED, 11)


# --- urgency ---------------------------------------------------------------------------------


def test_urgency_order_for_my_cases() -> None:
    today = date(2026, 6, 10)
    deadlines = {
        "on track late": Deadline(date(2026, 7, 1), S.ON_TRACK, 21),
        "met": Deadline(date(2026, 5, 1), S.MET, 2),
        "due soon later": Deadline(date(2026, 6, 13), S.DUE_SOON, 3),
        "overdue 1 day": Deadline(date(2026, 6, 9), S.OVERDUE, -1),
        "on track soon": Deadline(date(2026, 6, 20), S.ON_TRACK, 10),
        "due today": Deadline(today, S.DUE_SOON, 0),
        "overdue 20 days": Deadline(date(2026, 5, 21), S.OVERDUE, -20),
        "stopped": Deadline(date(2026, 4, 1), S.STOPPED, 0),
    }
    order = sorted(deadlines, key=lambda name: deadline_urgency_key(deadlines[name]))
    assert order == [
        "overdue 20 days",
        "overdue 1 day",
        "due today",
        "due soon later",
        "on track soon",
        "on track late",
        "stopped",
        "met",
    ]


@given(st.lists(st.tuples(dates, offsets), max_size=30), dates)
def test_sorted_by_urgency_puts_the_most_days_late_first(
    cases: list[tuple[date, int]], today: date
) -> None:
    deadlines = [open_meeting(contact, today) for contact, _ in cases]
    ranked = sorted(deadlines, key=deadline_urgency_key)
    rank = {S.OVERDUE: 0, S.DUE_SOON: 1, S.ON_TRACK: 2}
    assert [rank[d.state] for d in ranked] == sorted(rank[d.state] for d in ranked)
    overdue = [d.days_late for d in ranked if d.state is S.OVERDUE]
    assert overdue == sorted(overdue, reverse=True)
    assert [d.days_left for d in ranked] == sorted(d.days_left for d in ranked)


@given(states, dates, states, dates)
def test_running_deadlines_always_come_before_stopped_ones(
    s1: DeadlineState, d1: date, s2: DeadlineState, d2: date
) -> None:
    if s1.is_running and not s2.is_running:
        assert urgency_key(s1, d1) < urgency_key(s2, d2)


def test_most_urgent() -> None:
    a = Deadline(date(2026, 6, 1), S.ON_TRACK, 10)
    b = Deadline(date(2026, 7, 1), S.OVERDUE, -1)
    assert most_urgent([a, b]) == b
    assert most_urgent([]) is None


def test_case_urgency_uses_the_most_urgent_of_meeting_and_agreements() -> None:
    today = date(2026, 5, 1)
    cf = make_case_file(contact=date(2026, 3, 2))
    cf.meetings = [Meeting(case_id=cf.case.id, held_on=date(2026, 3, 10))]
    cf.agreements = [
        make_agreement(cf.case.id, date(2026, 4, 1), AgreementStatus.DONE, date(2026, 4, 2)),
        make_agreement(cf.case.id, date(2026, 4, 20)),
        make_agreement(cf.case.id, date(2026, 4, 10), AgreementStatus.CANCELLED),
    ]
    deadlines = case_deadlines(cf, today=today)
    assert [d.state for d in deadlines] == [S.MET, S.MET_LATE, S.OVERDUE, S.STOPPED]
    assert case_urgency_key(cf, today=today) == urgency_key(S.OVERDUE, date(2026, 4, 20))


# --- properties aimed at the awkward days: 29 February, month ends, DST switch days ----------
#
# The expectations below are computed by hand (ordinals, month lengths, the EU summer-time rule),
# not by the functions under test.


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month, calendar.monthrange(year, month)[1])
    return day - timedelta(days=(day.weekday() - 6) % 7)


years = st.integers(min_value=1996, max_value=2200)
leap_days = st.sampled_from([date(y, 2, 29) for y in range(1996, 2201) if calendar.isleap(y)])
month_ends = st.builds(
    lambda y, m: date(y, m, calendar.monthrange(y, m)[1]), years, st.integers(1, 12)
)
dst_switch_days = st.builds(_last_sunday, years, st.sampled_from([3, 10]))
awkward_dates = st.one_of(
    leap_days,
    month_ends,
    dst_switch_days,
    # the days just around them, so a window that starts or ends on one is covered too
    st.builds(
        lambda d, n: d + timedelta(days=n),
        st.one_of(leap_days, month_ends, dst_switch_days),
        st.integers(-45, 45),
    ),
    dates,
)


def _step_days(start: date, days: int) -> date:
    """Count ``days`` calendar days forward one at a time, by month lengths (no timedelta)."""
    y, m, d = start.year, start.month, start.day
    for _step in range(days):
        if d < calendar.monthrange(y, m)[1]:
            d += 1
        elif m < 12:
            m, d = m + 1, 1
        else:
            y, m, d = y + 1, 1, 1
    return date(y, m, d)


def test_step_days_walks_through_29_february_and_new_year() -> None:
    assert _step_days(date(2024, 2, 28), 2) == date(2024, 3, 1)
    assert _step_days(date(2026, 2, 28), 1) == date(2026, 3, 1)
    assert _step_days(date(2026, 12, 31), 1) == date(2027, 1, 1)


@given(awkward_dates)
def test_mdo_due_is_fourteen_calendar_days_on_awkward_dates(contact: date) -> None:
    due = meeting_due(contact)
    assert due == _step_days(contact, 14)
    assert due.toordinal() - contact.toordinal() == 14


@given(awkward_dates)
def test_agreement_default_is_forty_two_calendar_days_on_awkward_dates(meeting: date) -> None:
    norm = default_agreement_due(meeting)
    assert norm == _step_days(meeting, 42)
    assert not is_outside_norm(meeting, norm)
    assert is_outside_norm(meeting, _step_days(meeting, 43))


@given(awkward_dates, st.integers(min_value=-30, max_value=60))
def test_open_mdo_state_by_days_since_contact(contact: date, days_since: int) -> None:
    """Day 0-10 after contact on track, 11-14 due soon (14: due today), from day 15 overdue."""
    today = date.fromordinal(contact.toordinal() + days_since)
    d = open_meeting(contact, today)
    if days_since <= 10:
        assert d.state is S.ON_TRACK
    elif days_since <= 14:
        assert d.state is S.DUE_SOON
    else:
        assert d.state is S.OVERDUE
        assert d.days_late == days_since - 14
    assert d.days_left == 14 - days_since


@given(awkward_dates, st.integers(min_value=-30, max_value=60))
def test_open_agreement_state_by_days_to_due(due: date, days_before: int) -> None:
    today = date.fromordinal(due.toordinal() - days_before)
    d = agreement_deadline(due_date=due, status=AgreementStatus.OPEN, done_on=None, today=today)
    expected = S.ON_TRACK if days_before > 3 else S.DUE_SOON if days_before >= 0 else S.OVERDUE
    assert (d.state, d.days_left, d.days_late) == (expected, days_before, max(0, -days_before))


def _amsterdam_date(instant: datetime) -> date:
    """The Amsterdam wall-clock date by the EU rule: UTC+2 from 01:00 UTC on the last Sunday of
    March to 01:00 UTC on the last Sunday of October, else UTC+1."""
    as_utc = instant.astimezone(UTC).replace(tzinfo=None)
    start = datetime.combine(_last_sunday(as_utc.year, 3), time(1, 0))
    end = datetime.combine(_last_sunday(as_utc.year, 10), time(1, 0))
    return (as_utc + timedelta(hours=2 if start <= as_utc < end else 1)).date()


@st.composite
def instants_near_switch_nights(draw: st.DrawFn) -> datetime:
    """An instant from 21:00 the evening before to 04:00 local time on a switch day, in UTC."""
    day = draw(dst_switch_days)
    minutes = draw(st.integers(min_value=-4 * 60, max_value=4 * 60))
    return datetime.combine(day, time(0, 0), tzinfo=UTC) + timedelta(minutes=minutes)


@given(instants_near_switch_nights(), st.integers(min_value=0, max_value=30))
def test_mdo_clock_counts_wall_clock_days_across_dst(contact_at: datetime, days_later: int) -> None:
    """Contact recorded around a switch night, looked at whole days of 24 hours later.

    The MDO is due 14 wall-clock days after the contact date: never 14 x 24 hours, which in
    autumn ends an hour early on the wrong date just after midnight.
    """
    contact = today_in_amsterdam(contact_at)
    assert contact == _amsterdam_date(contact_at)
    looked_at = contact_at + timedelta(days=days_later)
    today = today_in_amsterdam(looked_at)
    assert today == _amsterdam_date(looked_at)
    d = open_meeting(contact, today)
    assert d.due == _step_days(contact, 14)
    assert d.days_left == d.due.toordinal() - today.toordinal()
    assert (d.state is S.OVERDUE) is (today > d.due)


@given(awkward_dates, st.integers(0, 60), offsets, offsets)
def test_no_mdo_needed_stops_the_clock_for_good(
    contact: date, decided_after: int, today_a: int, today_b: int
) -> None:
    """Whenever the decision came (in time or late), the clock stands still at that day."""
    decided = date.fromordinal(contact.toordinal() + decided_after)
    seen = [
        meeting_deadline(
            contact,
            held_on=None,
            no_meeting_decided_on=decided,
            today=date.fromordinal(contact.toordinal() + offset),
        )
        for offset in (today_a, today_b)
    ]
    assert seen[0] == seen[1]
    assert seen[0].state is S.STOPPED and not seen[0].state.is_running
    assert seen[0].days_left == 14 - decided_after
    assert urgency_key(seen[0].state, seen[0].due) > urgency_key(S.ON_TRACK, date.max)


@given(awkward_dates, st.integers(min_value=1, max_value=5000), st.text(max_size=20))
def test_due_date_before_the_meeting_is_always_rejected(
    meeting: date, days_before: int, reason: str
) -> None:
    due = date.fromordinal(meeting.toordinal() - days_before)
    problems = agreement_due_problems(
        meeting_date=meeting, due_date=due, outside_norm_reason=reason
    )
    assert [p.field for p in problems] == ["due_date"]


# --- case stage as a property of a case file -------------------------------------------------


@st.composite
def case_files(draw: st.DrawFn) -> CaseFile:
    """A case file with any mix of meetings (planned, held, neither), agreements, decision, end."""
    contact = draw(awkward_dates.filter(lambda d: date(1901, 1, 1) < d < date(2200, 1, 1)))
    after = st.integers(0, 200).map(lambda n: contact + timedelta(days=n))
    cf = make_case_file(
        contact=contact,
        no_meeting=draw(
            st.none() | st.builds(lambda d: NoMeetingDecision(decided_on=d, reason="r"), after)
        ),
        closed_on=draw(st.none() | after),
    )
    for _meeting in range(draw(st.integers(0, 3))):
        planned = draw(st.none() | after.map(lambda d: datetime.combine(d, time(10, 0))))
        cf.meetings.append(
            Meeting(case_id=cf.case.id, planned_for=planned, held_on=draw(st.none() | after))
        )
    for _agreement in range(draw(st.integers(0, 3))):
        status = draw(st.sampled_from(list(AgreementStatus)))
        done_on = draw(after) if status is AgreementStatus.DONE else None
        cf.agreements.append(make_agreement(cf.case.id, draw(after), status, done_on))
    return cf


@settings(max_examples=40)
@given(case_files(), st.randoms(use_true_random=False))
def test_case_stage_follows_the_facts(cf: CaseFile, rnd: random.Random) -> None:
    stage = case_stage_of(cf)
    held = any(m.held_on for m in cf.meetings) or bool(cf.agreements)
    running = any(a.status is AgreementStatus.OPEN for a in cf.agreements)
    planned = any(m.planned_for for m in cf.meetings)
    if cf.case.closed_on is not None:
        assert stage is CaseStage.CLOSED
    elif cf.case.no_meeting is not None:
        assert stage is CaseStage.NO_MEETING_NEEDED
    elif running:
        assert stage is CaseStage.AGREEMENTS_RUNNING
    elif held:
        assert stage is CaseStage.MEETING_HELD
    elif planned:
        assert stage is CaseStage.MEETING_PLANNED
    else:
        assert stage is CaseStage.CONTACT and not cf.agreements
    # The order the records come in does not matter.
    rnd.shuffle(cf.meetings)
    rnd.shuffle(cf.agreements)
    assert case_stage_of(cf) is stage


@settings(max_examples=40)
@given(case_files(), awkward_dates)
def test_closing_or_deciding_no_mdo_moves_any_case_on(cf: CaseFile, day: date) -> None:
    was_closed = cf.case.closed_on is not None
    cf.case.no_meeting = NoMeetingDecision(decided_on=day, reason="r")
    assert case_stage_of(cf) is (CaseStage.CLOSED if was_closed else CaseStage.NO_MEETING_NEEDED)
    cf.case.closed_on = day
    assert case_stage_of(cf) is CaseStage.CLOSED


@settings(max_examples=40)
@given(case_files())
def test_a_new_open_agreement_means_agreements_run(cf: CaseFile) -> None:
    cf.agreements.append(make_agreement(cf.case.id, cf.case.contact_date))
    expected = (
        CaseStage.CLOSED
        if cf.case.closed_on is not None
        else CaseStage.NO_MEETING_NEEDED
        if cf.case.no_meeting is not None
        else CaseStage.AGREEMENTS_RUNNING
    )
    assert case_stage_of(cf) is expected

"""The rule for closed cases leaving the tablet (``models.caseload``, issue #5): counted in
calendar days from the closing date, and only for cases the dossier holds with nothing waiting."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.calendar import today_in_amsterdam
from models.caseload import KEEP_CLOSED_DAYS, CaseOnTablet, leaves_on, may_leave


def _shared(closed_on: date | None, **kw: object) -> CaseOnTablet:
    values: dict[str, object] = {"consent_given": True, "on_dossier": True, **kw}
    return CaseOnTablet(closed_on=closed_on, **values)  # type: ignore[arg-type]


def test_the_choice_is_four_weeks() -> None:
    assert KEEP_CLOSED_DAYS == 28


@pytest.mark.parametrize(
    ("closed_on", "first_day"),
    [
        (date(2026, 3, 1), date(2026, 3, 29)),
        (date(2026, 1, 31), date(2026, 2, 28)),  # month end, not a leap year
        (date(2028, 1, 31), date(2028, 2, 28)),  # leap year: 28 days, not "a month"
        (date(2028, 2, 1), date(2028, 2, 29)),
        (date(2026, 12, 15), date(2027, 1, 12)),  # over the year end
        (date(2026, 3, 10), date(2026, 4, 7)),  # over the spring DST change (29 March)
        (date(2026, 10, 10), date(2026, 11, 7)),  # over the autumn DST change (25 October)
    ],
)
def test_a_closed_case_leaves_exactly_on_day_28_not_before(
    closed_on: date, first_day: date
) -> None:
    assert leaves_on(closed_on) == first_day
    assert may_leave(_shared(closed_on), today=first_day, enrolled=True)
    assert may_leave(_shared(closed_on), today=first_day + timedelta(days=400), enrolled=True)
    assert not may_leave(_shared(closed_on), today=first_day - timedelta(days=1), enrolled=True)


@pytest.mark.parametrize(
    ("now", "leaves"),
    [
        # 28 March 2026 23:30 UTC is already 29 March in Amsterdam (the night of the DST change)
        (datetime(2026, 3, 28, 23, 30, tzinfo=UTC), True),
        (datetime(2026, 3, 28, 22, 59, tzinfo=UTC), False),  # 23:59 on the 28th, CET
        # autumn: 24 October 22:00 UTC is midnight of the 25th in Amsterdam (CEST, +02:00)
        (datetime(2026, 10, 24, 22, 0, tzinfo=UTC), True),
        (datetime(2026, 10, 24, 21, 59, tzinfo=UTC), False),
    ],
)
def test_the_day_is_amsterdams_also_in_the_night_of_a_dst_change(
    now: datetime, leaves: bool
) -> None:
    closed_on = date(2026, 3, 1) if now.month == 3 else date(2026, 9, 27)  # 28 days before
    assert may_leave(_shared(closed_on), today=today_in_amsterdam(now), enrolled=True) is leaves


@pytest.mark.parametrize(
    "case",
    [
        _shared(None),  # still open
        _shared(date(2026, 1, 1), consent_given=None),  # consent never asked
        _shared(date(2026, 1, 1), consent_given=False),  # consent refused
        _shared(date(2026, 1, 1), on_dossier=False),  # shared, not acknowledged yet
        _shared(date(2026, 1, 1), waiting=1),  # a change waits (or is held back)
        _shared(date(2026, 1, 1), conflicts=1),  # an open question
    ],
)
def test_a_case_stays_unless_the_dossier_holds_all_of_it(case: CaseOnTablet) -> None:
    assert not may_leave(case, today=date(2026, 6, 1), enrolled=True)


def test_nothing_leaves_a_tablet_without_a_dossier() -> None:
    assert may_leave(_shared(date(2026, 1, 1)), today=date(2026, 6, 1), enrolled=True)
    assert not may_leave(_shared(date(2026, 1, 1)), today=date(2026, 6, 1), enrolled=False)


def test_a_closing_date_in_the_future_never_qualifies() -> None:
    assert not may_leave(_shared(date(2027, 1, 1)), today=date(2026, 6, 1), enrolled=True)


DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@settings(max_examples=200)
@given(closed_on=DAYS, today=DAYS)
def test_a_shared_case_leaves_iff_closed_at_least_28_days_ago(closed_on: date, today: date) -> None:
    expected = (today - closed_on).days >= KEEP_CLOSED_DAYS
    assert may_leave(_shared(closed_on), today=today, enrolled=True) is expected


@settings(max_examples=200)
@given(
    closed_on=st.none() | DAYS,
    today=DAYS,
    consent=st.sampled_from([None, False, True]),
    on_dossier=st.booleans(),
    waiting=st.integers(0, 3),
    conflicts=st.integers(0, 3),
    enrolled=st.booleans(),
)
def test_an_unshared_or_busy_case_never_leaves(
    closed_on: date | None,
    today: date,
    consent: bool | None,
    on_dossier: bool,
    waiting: int,
    conflicts: int,
    enrolled: bool,
) -> None:
    case = CaseOnTablet(
        closed_on=closed_on,
        consent_given=consent,
        on_dossier=on_dossier,
        waiting=waiting,
        conflicts=conflicts,
    )
    if may_leave(case, today=today, enrolled=enrolled):
        assert closed_on is not None and today >= leaves_on(closed_on)
        assert enrolled and consent is True and on_dossier and waiting == 0 and conflicts == 0
    # and once it may leave, it may on every later day too
    if may_leave(case, today=today, enrolled=enrolled) and today < date(2100, 1, 1):
        assert may_leave(case, today=today + timedelta(days=30), enrolled=enrolled)

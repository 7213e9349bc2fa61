"""The default period and the server's deadline constants, which must agree with the device."""

from __future__ import annotations

from datetime import date

import pytest

from models import deadlines
from server.reports import monitoring, overdue
from server.reports.scope import default_period, months_before
from sync import team_protocol


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 11, 24), 6, date(2026, 5, 24)),
        (date(2026, 8, 31), 6, date(2026, 2, 28)),  # no 31 February: the month's last day
        (date(2028, 8, 31), 6, date(2028, 2, 29)),  # a leap year
        (date(2026, 3, 15), 6, date(2025, 9, 15)),  # into the year before
    ],
)
def test_months_before(day: date, months: int, expected: date) -> None:
    assert months_before(day, months) == expected


def test_the_default_period_is_the_last_half_year_including_today() -> None:
    assert default_period(date(2026, 11, 24)) == (date(2026, 5, 25), date(2026, 11, 24))


def test_the_server_counts_with_the_devices_windows() -> None:
    assert overdue.MEETING_WINDOW_DAYS == deadlines.MEETING_WINDOW_DAYS
    assert monitoring.AGREEMENT_WINDOW_DAYS == deadlines.AGREEMENT_WINDOW_DAYS
    assert team_protocol.DUE_SOON_DAYS == deadlines.DUE_SOON_DAYS


def test_unknown_organisations_are_shown_by_their_slug() -> None:
    assert overdue.organisation_name("ggd") == "GGD Hart voor Brabant"
    assert overdue.organisation_name("buurtteam-noord") == "buurtteam-noord"
    assert overdue.organisation_name(None) is None


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({}, None),
        ({35: 1}, 35.0),
        ({18: 1, 35: 1, 43: 1}, 35.0),  # the middle of three
        ({14: 1, 15: 1}, 14.5),  # the mean of the two middle values
        ({2: 3, 9: 1}, 2.0),  # 2 2 2 9
        ({1: 2, 5: 2}, 3.0),  # 1 1 5 5
        ({-3: 1, 4: 2}, 4.0),  # a negative day (recorded before the meeting) counts too
    ],
)
def test_median_of_counts(counts: dict[int, int], expected: float | None) -> None:
    assert monitoring.median_of_counts(counts) == expected

"""Which day it is in Amsterdam, across DST switches and UTC midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.calendar import AMSTERDAM, today_in_amsterdam


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        # Spring forward: 2026-03-29 01:00 UTC is 02:00 CET -> 03:00 CEST.
        (utc(2026, 3, 28, 22, 59), date(2026, 3, 28)),  # 23:59 CET
        (utc(2026, 3, 28, 23, 0), date(2026, 3, 29)),  # 00:00 CET
        (utc(2026, 3, 29, 0, 59), date(2026, 3, 29)),  # 01:59 CET
        (utc(2026, 3, 29, 1, 0), date(2026, 3, 29)),  # 03:00 CEST
        (utc(2026, 3, 29, 21, 59), date(2026, 3, 29)),  # 23:59 CEST
        (utc(2026, 3, 29, 22, 0), date(2026, 3, 30)),  # 00:00 CEST: midnight is now at 22:00 UTC
        # Fall back: 2026-10-25 01:00 UTC is 03:00 CEST -> 02:00 CET.
        (utc(2026, 10, 24, 21, 59), date(2026, 10, 24)),  # 23:59 CEST
        (utc(2026, 10, 24, 22, 0), date(2026, 10, 25)),  # 00:00 CEST
        (utc(2026, 10, 25, 0, 59), date(2026, 10, 25)),  # 02:59 CEST
        (utc(2026, 10, 25, 1, 0), date(2026, 10, 25)),  # 02:00 CET (the second time)
        (utc(2026, 10, 25, 22, 59), date(2026, 10, 25)),  # 23:59 CET
        (utc(2026, 10, 25, 23, 0), date(2026, 10, 26)),  # 00:00 CET: midnight is now at 23:00 UTC
    ],
)
def test_dst_switches(instant: datetime, expected: date) -> None:
    assert today_in_amsterdam(instant) == expected


def test_late_evening_utc_in_summer_is_tomorrow_in_amsterdam() -> None:
    assert today_in_amsterdam(utc(2026, 7, 1, 23, 30)) == date(2026, 7, 2)  # 01:30 CEST


def test_late_evening_utc_in_winter() -> None:
    assert today_in_amsterdam(utc(2026, 1, 15, 22, 30)) == date(2026, 1, 15)  # 23:30 CET
    assert today_in_amsterdam(utc(2026, 1, 15, 23, 30)) == date(2026, 1, 16)  # 00:30 CET


def test_new_year_in_amsterdam_before_utc() -> None:
    assert today_in_amsterdam(utc(2026, 12, 31, 23, 0)) == date(2027, 1, 1)


def test_other_offsets_are_converted_not_read_as_local() -> None:
    new_york_evening = datetime(2026, 7, 1, 20, 0, tzinfo=timezone(timedelta(hours=-4)))
    assert today_in_amsterdam(new_york_evening) == date(2026, 7, 2)  # 02:00 CEST


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        today_in_amsterdam(datetime(2026, 7, 1, 12, 0))


def test_amsterdam_is_the_iana_zone() -> None:
    assert str(AMSTERDAM) == "Europe/Amsterdam"


fixed_offsets = st.builds(
    lambda minutes: timezone(timedelta(minutes=minutes)),
    st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59),
)


@given(st.datetimes(timezones=st.one_of(st.timezones(), fixed_offsets, st.just(UTC))))
def test_today_is_the_amsterdam_wall_clock_date(instant: datetime) -> None:
    assert today_in_amsterdam(instant) == instant.astimezone(AMSTERDAM).date()


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_utc_midnight_plus_two_hours_is_always_the_same_utc_day_or_later(naive: datetime) -> None:
    """Amsterdam is UTC+1 or UTC+2, so its date is the UTC date or the next day, never earlier."""
    instant = naive.replace(tzinfo=UTC)
    day = today_in_amsterdam(instant)
    assert day in (instant.date(), instant.date() + timedelta(days=1))

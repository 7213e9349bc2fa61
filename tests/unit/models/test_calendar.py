"""Which day it is in Amsterdam, across DST switches and UTC midnight."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta, timezone

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


# The EU summer-time rule, written out by hand (in force since 1996, and the rule the zone data
# continues with): clocks go from UTC+1 to UTC+2 at 01:00 UTC on the last Sunday of March and back
# at 01:00 UTC on the last Sunday of October. The tests below check today_in_amsterdam against this
# rule instead of against zoneinfo, which is what the implementation itself uses.
RULE_YEARS = (1996, 2200)


def last_sunday(year: int, month: int) -> date:
    day = date(year, month, calendar.monthrange(year, month)[1])
    return day - timedelta(days=(day.weekday() - 6) % 7)


def summer_time_window(year: int) -> tuple[datetime, datetime]:
    start = datetime.combine(last_sunday(year, 3), time(1, 0), tzinfo=UTC)
    end = datetime.combine(last_sunday(year, 10), time(1, 0), tzinfo=UTC)
    return start, end


def hand_computed_amsterdam_date(instant: datetime) -> date:
    as_utc = instant.astimezone(UTC)
    start, end = summer_time_window(as_utc.year)
    offset_hours = 2 if start <= as_utc < end else 1
    # The wall clock is UTC plus the offset; its date is what the people at the table call today.
    return (as_utc.replace(tzinfo=None) + timedelta(hours=offset_hours)).date()


def test_hand_rule_knows_the_switch_days() -> None:
    assert (last_sunday(2026, 3), last_sunday(2026, 10)) == (date(2026, 3, 29), date(2026, 10, 25))
    assert (last_sunday(2024, 3), last_sunday(2024, 10)) == (date(2024, 3, 31), date(2024, 10, 27))
    assert (last_sunday(2029, 3), last_sunday(2029, 10)) == (date(2029, 3, 25), date(2029, 10, 28))


switch_days = st.builds(
    last_sunday,
    st.integers(min_value=RULE_YEARS[0], max_value=RULE_YEARS[1]),
    st.sampled_from([3, 10]),
)


@st.composite
def instants_around_switch_nights(draw: st.DrawFn) -> datetime:
    """An instant between 20:00 the evening before and 05:00 local time on a switch day.

    That covers local midnight (22:00 or 23:00 UTC the day before) and the hour that is skipped
    (spring) or happens twice (autumn), written in UTC or in another fixed offset.
    """
    day = draw(switch_days)
    minutes = draw(st.integers(min_value=-5 * 60, max_value=5 * 60))
    instant = datetime.combine(day, time(0, 0), tzinfo=UTC) + timedelta(minutes=minutes)
    return instant.astimezone(draw(st.one_of(st.just(UTC), fixed_offsets)))


@given(instants_around_switch_nights())
def test_switch_nights_give_the_wall_clock_date(instant: datetime) -> None:
    assert today_in_amsterdam(instant) == hand_computed_amsterdam_date(instant)


@given(
    st.datetimes(
        min_value=datetime(RULE_YEARS[0], 1, 1, 12),
        max_value=datetime(RULE_YEARS[1], 12, 31, 12),
        timezones=st.one_of(st.timezones(), fixed_offsets, st.just(UTC)),
    )
)
def test_today_is_the_amsterdam_wall_clock_date(instant: datetime) -> None:
    """Any instant, in any zone it was written in: the date by the hand-written EU rule."""
    assert today_in_amsterdam(instant) == hand_computed_amsterdam_date(instant)


@given(switch_days, st.integers(min_value=0, max_value=23 * 60 + 59))
def test_every_wall_clock_minute_on_a_switch_day_is_that_day(day: date, minute: int) -> None:
    """Local 00:00-23:59 on a 23- or 25-hour day: the UTC instants map back to that date."""
    start = datetime.combine(day - timedelta(days=1), time(23, 0), tzinfo=UTC)  # 00:00 CET
    if day.month == 10:
        start -= timedelta(hours=1)  # 00:00 CEST is an hour earlier in UTC
    length = 23 * 60 if day.month == 3 else 25 * 60  # the night loses or gains an hour
    instant = start + timedelta(minutes=minute * length // (24 * 60))
    assert today_in_amsterdam(instant) == day
    assert today_in_amsterdam(start - timedelta(minutes=1)) == day - timedelta(days=1)
    assert today_in_amsterdam(start + timedelta(minutes=length)) == day + timedelta(days=1)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_utc_midnight_plus_two_hours_is_always_the_same_utc_day_or_later(naive: datetime) -> None:
    """Amsterdam is UTC+1 or UTC+2, so its date is the UTC date or the next day, never earlier."""
    instant = naive.replace(tzinfo=UTC)
    day = today_in_amsterdam(instant)
    assert day in (instant.date(), instant.date() + timedelta(days=1))

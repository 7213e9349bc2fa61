"""Back-off after failed unlocks: three free attempts, then 30 s doubling, capped at an hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.crypto.backoff import (
    FREE_ATTEMPTS,
    check_unlock_allowed,
    unlock_allowed_at,
    unlock_delay,
)
from models.errors import UnlockBackoffError

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [
        (0, 0),
        (1, 0),
        (2, 0),
        (3, 0),
        (4, 30),
        (5, 60),
        (6, 120),
        (7, 240),
        (8, 480),
        (9, 960),
        (10, 1920),
        (11, 3600),
        (12, 3600),
        (1000, 3600),
        (10**9, 3600),
    ],
)
def test_delay_boundaries_and_cap(failures: int, seconds: int) -> None:
    assert unlock_delay(failures) == timedelta(seconds=seconds)


def test_free_attempts() -> None:
    assert FREE_ATTEMPTS == 3


def test_negative_failures_are_a_bug() -> None:
    with pytest.raises(ValueError):
        unlock_delay(-1)


@given(st.integers(min_value=0, max_value=10**6))
def test_delay_is_monotonic_and_capped(failures: int) -> None:
    assert timedelta(0) <= unlock_delay(failures) <= unlock_delay(failures + 1) <= HOUR


@given(st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=200))
def test_allowed_at_is_monotonic(a: int, b: int) -> None:
    low, high = sorted((a, b))
    at_low, at_high = unlock_allowed_at(low, T0), unlock_allowed_at(high, T0)
    if at_high is None:
        assert at_low is None
    elif at_low is not None:
        assert at_low <= at_high


def test_allowed_at() -> None:
    assert unlock_allowed_at(3, T0) is None
    assert unlock_allowed_at(4, None) is None
    assert unlock_allowed_at(4, T0) == T0 + timedelta(seconds=30)


def test_check_within_free_attempts() -> None:
    check_unlock_allowed(3, T0, T0)


def test_check_waits_until_retry_at() -> None:
    with pytest.raises(UnlockBackoffError) as caught:
        check_unlock_allowed(5, T0, T0 + timedelta(seconds=59))
    assert caught.value.retry_at == T0 + timedelta(seconds=60)
    assert caught.value.failures == 5
    check_unlock_allowed(5, T0, T0 + timedelta(seconds=60))  # exactly at retry_at: allowed


def test_check_right_after_failure() -> None:
    with pytest.raises(UnlockBackoffError):
        check_unlock_allowed(4, T0, T0)


def test_capped_wait_ends_after_an_hour() -> None:
    with pytest.raises(UnlockBackoffError):
        check_unlock_allowed(50, T0, T0 + HOUR - timedelta(microseconds=1))
    check_unlock_allowed(50, T0, T0 + HOUR)


def test_clock_set_back_does_not_lock_out_for_months() -> None:
    check_unlock_allowed(50, T0, T0 - timedelta(days=90))


@given(
    failures=st.integers(min_value=0, max_value=100),
    elapsed=st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=2)),
)
def test_check_agrees_with_allowed_at(failures: int, elapsed: timedelta) -> None:
    retry_at = unlock_allowed_at(failures, T0)
    now = T0 + elapsed
    if retry_at is None or now >= retry_at:
        check_unlock_allowed(failures, T0, now)
    else:
        with pytest.raises(UnlockBackoffError):
            check_unlock_allowed(failures, T0, now)

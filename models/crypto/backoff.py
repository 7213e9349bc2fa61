"""When the next unlock attempt is allowed: the back-off after failed unlocks. No I/O, no clock.

Why: the threat is a lost or stolen tablet in the hands of someone guessing PINs at the unlock
screen. The first few typos are free; after that each failure doubles the wait, up to an hour. The
failure count and the time of the last failure are persisted by the store, so restarting the app
does not reset the wait. The clock is a parameter (``now``), so the rule is tested without sleeping.

This slows guessing through the app only. It cannot stop someone who copies the database file and
guesses offline (the KDF cost and the device secret do that), nor someone who can set the tablet's
clock. Accordingly, a clock that has gone *back* past the last failure does not lock the owner
out until it catches up (possibly months): the attempt is allowed, and the next failure restarts
the wait from the new ``now``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from models.errors import UnlockBackoffError

FREE_ATTEMPTS: Final = 3
FIRST_DELAY: Final = timedelta(seconds=30)
MAX_DELAY: Final = timedelta(hours=1)
# 30 s * 2**7 = 64 min already exceeds the cap; larger exponents need not be computed.
_MAX_DOUBLINGS: Final = 7


def unlock_delay(failures: int) -> timedelta:
    """How long to wait after ``failures`` consecutive failed unlocks.

    0 after the first three; 30 s after the fourth, 60 s after the fifth, and so on, doubling,
    capped at 1 h.
    """
    if failures < 0:
        raise ValueError("failures cannot be negative")
    if failures <= FREE_ATTEMPTS:
        return timedelta(0)
    doublings = min(failures - FREE_ATTEMPTS - 1, _MAX_DOUBLINGS)
    return min(FIRST_DELAY * (1 << doublings), MAX_DELAY)


def unlock_allowed_at(failures: int, last_failure_at: datetime | None) -> datetime | None:
    """The earliest moment of the next attempt; ``None`` means now (no wait is due)."""
    delay = unlock_delay(failures)
    if not delay or last_failure_at is None:
        return None
    return last_failure_at + delay


def check_unlock_allowed(failures: int, last_failure_at: datetime | None, now: datetime) -> None:
    """Raise ``UnlockBackoffError`` if an unlock attempt at ``now`` must wait.

    ``last_failure_at`` and ``now`` must both be aware (or both naive, in the same zone).
    """
    retry_at = unlock_allowed_at(failures, last_failure_at)
    if retry_at is None or last_failure_at is None:
        return
    if last_failure_at <= now < retry_at:
        raise UnlockBackoffError(retry_at, failures)

"""The app's calendar: which day it is, as the people at the kitchen table count days.

Every deadline in the way of working (MDO within 14 days, agreements within 42) counts calendar days
in the Netherlands, so "today" is the date on a wall clock in Amsterdam, not in UTC and not on the
device's clock setting. The current instant is always passed in: nothing here reads the clock.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def today_in_amsterdam(now: datetime) -> date:
    """The calendar date in Amsterdam at the instant ``now``.

    ``now`` must be timezone-aware: a naive datetime does not say which instant it is, and
    guessing (the device's zone? UTC?) would shift deadlines by a day around midnight.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("today_in_amsterdam needs a timezone-aware datetime")
    return now.astimezone(AMSTERDAM).date()

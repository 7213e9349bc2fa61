"""Dates and times as people type and read them at the kitchen table.

Typed: day-month-year (``24-11-2026``, ``24-11``, ``24/11/2026``, ``24.11.26``) or ISO
(``2026-11-24``); times as ``14:30``, ``14.30`` or ``14``. Shown: ``24-11-2026`` in forms and lists,
and in words (``dinsdag 24 november 2026``) where a resident reads it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from babel.dates import format_date

from models.calendar import AMSTERDAM
from models.i18n import _, current_language, ngettext

_DMY = re.compile(r"\s*(\d{1,2})[-/. ](\d{1,2})(?:[-/. ](\d{2}|\d{4}))?\s*")
_ISO = re.compile(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*")
_TIME = re.compile(r"\s*(\d{1,2})(?:[:.](\d{2}))?\s*(?:u|uur)?\s*")


def parse_date(text: str, *, today: date) -> date | None:
    """The date in ``text``, or ``None`` when it is not a date. A missing year means this year."""
    iso = _ISO.fullmatch(text)
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        dmy = _DMY.fullmatch(text)
        if not dmy:
            return None
        year = int(dmy[3]) if dmy[3] else today.year
        if dmy[3] and len(dmy[3]) == 2:
            year += 2000
        return date(year, int(dmy[2]), int(dmy[1]))
    except ValueError:  # 31-02, month 13 ...
        return None


def parse_time(text: str) -> time | None:
    match = _TIME.fullmatch(text)
    if not match:
        return None
    hour, minute = int(match[1]), int(match[2] or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def date_error() -> str:
    return _("Write the date as day-month-year, for example 24-11-2026.")


def time_error() -> str:
    return _("Write the time as hours:minutes, for example 14:30.")


def short(day: date | None) -> str:
    return day.strftime("%d-%m-%Y") if day else ""


def hhmm(moment: time | None) -> str:
    return moment.strftime("%H:%M") if moment else ""


def in_words(day: date) -> str:
    """``dinsdag 24 november 2026`` in the current language."""
    return format_date(day, "EEEE d MMMM y", locale=current_language())


def days_from_today(day: date, today: date) -> str:
    """``today``, ``in 3 days``, ``2 days ago``."""
    n = (day - today).days
    if n == 0:
        return _("today")
    if n > 0:
        return ngettext("in {n} day", "in {n} days", n).format(n=n)
    return ngettext("{n} day ago", "{n} days ago", -n).format(n=-n)


def picked_date(value: object) -> date | None:
    """The day a Flet ``DatePicker`` reports: aware values count in Amsterdam time."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(AMSTERDAM).date()
        return value.date()
    if isinstance(value, date):
        return value
    return None


def local_datetime(day: date, moment: time) -> datetime:
    """An aware datetime: ``day`` at ``moment`` on a wall clock in Amsterdam."""
    return datetime.combine(day, moment, tzinfo=AMSTERDAM)


def local_parts(value: datetime) -> tuple[date, time]:
    local = value.astimezone(AMSTERDAM)
    return local.date(), local.time().replace(second=0, microsecond=0)

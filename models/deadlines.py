"""Every deadline rule of the way of working lives in this file, as plain functions.

Nothing here reads the clock, the store or the screen: the caller passes ``today`` (see
``models.calendar.today_in_amsterdam``), so the rules can be tested for any day of any year.
All counting is in calendar days (``date`` arithmetic); weekends and holidays count.

The MDO (meeting) clock
-----------------------
- First contact starts the clock. The MDO is due ``MEETING_WINDOW_DAYS`` (14) days later:
  contact on 1 March -> due 15 March. Holding it on the due day is in time.
- Three things stop the clock; the earliest one decides, and a held meeting wins a tie:
    * the meeting is held: ``MET`` when held on or before the due day, ``MET_LATE`` after it;
    * a recorded "no MDO needed" decision: ``STOPPED``, *also when it was made after the due day*
      (the decision is a judgement about need, not a way to finish in time; the late days stay
      visible in ``days_left`` for monitoring);
    * closing the case without either: ``STOPPED`` (a case can end before a meeting, e.g. the
      resident moved away). Optional parameter; the case stage says "closed" anyway.
- While the clock runs the state depends only on ``days_left = due - today``:
  ``days_left > DUE_SOON_DAYS`` (3) -> ``ON_TRACK``; ``0 <= days_left <= 3`` -> ``DUE_SOON``
  (due today is due soon, not yet overdue); ``days_left < 0`` -> ``OVERDUE``.
- Once the clock stopped, ``days_left`` is frozen at ``due - the day it stopped`` (negative = that
  many days late), so it no longer changes with ``today``.
- Recorded dates are taken as given, even when after ``today`` or before contact: catching those
  is the job of ``models.validation``, not of the clock.

The agreement clock
-------------------
- An agreement is due ``AGREEMENT_WINDOW_DAYS`` (42) days after the meeting by default
  (``default_agreement_due``); that is also the last day within the norm.
- A due date before the meeting is wrong. A due date after meeting + 42 is allowed only with a
  non-blank reason, and is then flagged as outside the norm (``is_outside_norm``).
- A due date more than ``AGREEMENT_LIMIT_DAYS`` (365) days after the meeting is refused even with
  a reason (``is_past_limit``). The issue is silent on this; a date a year or more ahead is almost
  always a typed year (2028 for 2027), and an agreement that far ahead belongs in a later meeting.
  The message asks for an earlier date, not for a reason.
- ``OPEN`` runs like the MDO clock (``ON_TRACK`` / ``DUE_SOON`` / ``OVERDUE``, same thresholds).
- ``DONE`` on or before the due day -> ``MET``; after it -> ``MET_LATE`` ("done late").
  ``days_left`` is frozen at ``due - done_on``.
- ``CANCELLED`` -> ``STOPPED``. An agreement records no cancellation date, so its ``days_left``
  keeps counting to ``today``; screens show "cancelled", not a number.

Case stage (derived, never stored)
----------------------------------
First match wins: closed -> ``CLOSED``; a "no MDO needed" decision -> ``NO_MEETING_NEEDED``;
meeting held and at least one open agreement -> ``AGREEMENTS_RUNNING``; meeting held ->
``MEETING_HELD``; a meeting planned -> ``MEETING_PLANNED``; otherwise ``CONTACT``.
Agreements only come out of a meeting, so recorded agreements count as "meeting held" even when
the meeting's date was not filled in. In a ``CaseFile`` a meeting counts as planned once it has a
planned date, and as held once it has a held date; the first held meeting is the one the MDO clock
looks at.

Urgency ("my cases", most urgent first)
---------------------------------------
``urgency_key(state, due)`` sorts overdue first (earliest due first, i.e. most days late first),
then due soon (earliest due first), then on track by due date, then everything whose clock stopped
(met, met late, stopped) by due date. It needs only a state and a date, so lists of any mix of MDO
and agreement deadlines sort together; a case sorts by its most urgent deadline.
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from enum import StrEnum
from itertools import repeat
from typing import Final, NamedTuple

from models.domain import AgreementStatus, CaseFile, CaseStage
from models.errors import FieldProblem
from models.i18n import _

MEETING_WINDOW_DAYS: Final = 14
AGREEMENT_WINDOW_DAYS: Final = 42
AGREEMENT_LIMIT_DAYS: Final = 365
DUE_SOON_DAYS: Final = 3


class DeadlineState(StrEnum):
    """Where a deadline stands. The first three mean the clock still runs."""

    ON_TRACK = "on_track"  # more than DUE_SOON_DAYS left
    DUE_SOON = "due_soon"  # 0..DUE_SOON_DAYS days left; due today included
    OVERDUE = "overdue"  # past the due day, not done
    MET = "met"  # done on or before the due day
    MET_LATE = "met_late"  # done, but after the due day
    STOPPED = "stopped"  # no longer needed: "no MDO needed", case closed, agreement cancelled

    @property
    def is_running(self) -> bool:
        """Whether the clock still runs (the deadline can still become overdue)."""
        return self in _RUNNING


_RUNNING: Final = frozenset({DeadlineState.ON_TRACK, DeadlineState.DUE_SOON, DeadlineState.OVERDUE})


class Deadline(NamedTuple):
    """A due date and where it stands.

    ``days_left`` is negative when late; ``-days_left`` is the number of days late. While the clock
    runs it counts to ``today``; once it stopped it counts to the day it stopped.

    A named tuple (immutable, compared by value), not a frozen dataclass: *My cases* and the
    overdue report make thousands, and a frozen dataclass takes 1.3 us to make, a tuple 0.2 us.
    """

    due: date
    state: DeadlineState
    days_left: int

    @property
    def days_late(self) -> int:
        """Days past the due day (0 when not late), for "3 days overdue" badges."""
        return max(0, -self.days_left)


# The running states as plain names: an enum member costs a class attribute look-up each time.
_OVERDUE: Final = DeadlineState.OVERDUE
_DUE_SOON: Final = DeadlineState.DUE_SOON
_ON_TRACK: Final = DeadlineState.ON_TRACK
_new_tuple: Final = tuple.__new__
_DAYS: Final = operator.attrgetter("days")


# --- the MDO clock ---------------------------------------------------------------------------


def meeting_due(contact_date: date) -> date:
    """The last day on which the MDO is in time: first contact + 14 calendar days."""
    return contact_date + timedelta(days=MEETING_WINDOW_DAYS)


def running_deadline(due: date, today: date) -> Deadline:
    """The state of a clock that has not stopped, which depends only on the days left.

    An open agreement's deadline, and an MDO's while none is held and nothing stopped the clock.
    """
    days_left = (due - today).days
    if days_left < 0:
        state = _OVERDUE
    elif days_left <= DUE_SOON_DAYS:
        state = _DUE_SOON
    else:
        state = _ON_TRACK
    return _new_tuple(Deadline, (due, state, days_left))  # Deadline(...) without its Python __new__


def running_deadlines(dues: Sequence[date], today: date) -> list[Deadline]:
    """``running_deadline`` of each due date, for dates in ascending order (a report's).

    The same rule without a Python call per date: the days left come in ascending order too, so
    the overdue ones come first, then the due-soon ones, then the rest, and two binary searches
    find where each state starts.
    """
    if not all(map(operator.le, dues, dues[1:])):
        raise ValueError("due dates must be in ascending order")
    days_left = list(map(_DAYS, map(operator.sub, dues, repeat(today))))
    soon = bisect.bisect_left(days_left, 0)
    on_track = bisect.bisect_right(days_left, DUE_SOON_DAYS)
    states = [_OVERDUE] * soon + [_DUE_SOON] * (on_track - soon)
    states += [_ON_TRACK] * (len(days_left) - on_track)
    return list(map(_new_tuple, repeat(Deadline), zip(dues, states, days_left, strict=True)))


def _done(due: date, done_on: date) -> Deadline:
    """A clock stopped because the thing was done: in time or late, frozen at that day."""
    state = DeadlineState.MET if done_on <= due else DeadlineState.MET_LATE
    return Deadline(due=due, state=state, days_left=(due - done_on).days)


def _stopped(due: date, stopped_on: date) -> Deadline:
    return Deadline(due=due, state=DeadlineState.STOPPED, days_left=(due - stopped_on).days)


def meeting_deadline(
    contact_date: date,
    *,
    held_on: date | None,
    no_meeting_decided_on: date | None,
    today: date,
    closed_on: date | None = None,
) -> Deadline:
    """The 14-day MDO deadline of a case (rules in the module docstring).

    The earliest stopping event decides, so a meeting held on day 10 stays ``MET`` even if someone
    later records "no MDO needed"; a held meeting wins a tie because it is the stronger fact.
    """
    due = meeting_due(contact_date)
    stops = [d for d in (no_meeting_decided_on, closed_on) if d is not None]
    first_stop = min(stops) if stops else None
    if held_on is not None and (first_stop is None or held_on <= first_stop):
        return _done(due, held_on)
    if first_stop is not None:
        return _stopped(due, first_stop)
    return running_deadline(due, today)


# --- the agreement clock ---------------------------------------------------------------------


def default_agreement_due(meeting_date: date) -> date:
    """The default due date of an agreement, which is also the last day within the six-week norm."""
    return meeting_date + timedelta(days=AGREEMENT_WINDOW_DAYS)


def is_outside_norm(meeting_date: date, due_date: date) -> bool:
    """Whether ``due_date`` lies past meeting + 42 days: allowed only with a reason, and flagged."""
    return due_date > default_agreement_due(meeting_date)


def latest_agreement_due(meeting_date: date) -> date:
    """The last due date accepted at all (with a reason): a year after the meeting."""
    return meeting_date + timedelta(days=AGREEMENT_LIMIT_DAYS)


def is_past_limit(meeting_date: date, due_date: date) -> bool:
    """Whether ``due_date`` lies more than a year after the meeting: refused, even with a reason."""
    return due_date > latest_agreement_due(meeting_date)


def agreement_due_problems(
    *, meeting_date: date, due_date: date, outside_norm_reason: str
) -> list[FieldProblem]:
    """What is wrong with an agreement's due date, if anything (empty list: fine).

    The messages never repeat the dates: they say what to change.
    """
    problems: list[FieldProblem] = []
    if due_date < meeting_date:
        problems.append(FieldProblem("due_date", _("The due date cannot be before the meeting.")))
    elif is_past_limit(meeting_date, due_date):
        problems.append(
            FieldProblem(
                "due_date",
                _(
                    "This due date is more than a year after the meeting. Choose an earlier date; "
                    "a later step can be agreed at a next meeting."
                ),
            )
        )
    elif is_outside_norm(meeting_date, due_date) and not outside_norm_reason.strip():
        problems.append(
            FieldProblem(
                "outside_norm_reason",
                _(
                    "This due date is more than six weeks after the meeting. "
                    "Give a reason, or choose an earlier date."
                ),
            )
        )
    return problems


def agreement_deadline(
    *, due_date: date, status: AgreementStatus, done_on: date | None, today: date
) -> Deadline:
    """The deadline of one agreement (rules in the module docstring).

    A ``DONE`` agreement without ``done_on`` is a programming error (validation refuses it), so it
    raises ``ValueError`` rather than guessing a day.
    """
    if status is AgreementStatus.DONE:
        if done_on is None:
            raise ValueError("a done agreement needs done_on")
        return _done(due_date, done_on)
    if status is AgreementStatus.CANCELLED:
        return _stopped(due_date, today)
    return running_deadline(due_date, today)


# --- case stage ------------------------------------------------------------------------------


def case_stage(
    *,
    closed_on: date | None,
    no_meeting_decided_on: date | None,
    meetings_planned: bool,
    meeting_held: bool,
    open_agreements: int,
    any_agreements: bool,
) -> CaseStage:
    """Where a case is, from a few plain facts (order of the rules in the module docstring)."""
    held = meeting_held or any_agreements or open_agreements > 0
    if closed_on is not None:
        return CaseStage.CLOSED
    if no_meeting_decided_on is not None:
        return CaseStage.NO_MEETING_NEEDED
    if held and open_agreements > 0:
        return CaseStage.AGREEMENTS_RUNNING
    if held:
        return CaseStage.MEETING_HELD
    if meetings_planned:
        return CaseStage.MEETING_PLANNED
    return CaseStage.CONTACT


def first_held_on(case_file: CaseFile) -> date | None:
    """The day of the first meeting held: the one the 14-day clock looks at."""
    held = [m.held_on for m in case_file.meetings if m.held_on is not None]
    return min(held) if held else None


def case_stage_of(case_file: CaseFile) -> CaseStage:
    """``case_stage`` for a whole case file."""
    case = case_file.case
    return case_stage(
        closed_on=case.closed_on,
        no_meeting_decided_on=case.no_meeting.decided_on if case.no_meeting else None,
        meetings_planned=any(m.planned_for is not None for m in case_file.meetings),
        meeting_held=first_held_on(case_file) is not None,
        open_agreements=sum(a.status is AgreementStatus.OPEN for a in case_file.agreements),
        any_agreements=bool(case_file.agreements),
    )


def case_meeting_deadline(case_file: CaseFile, *, today: date) -> Deadline:
    """``meeting_deadline`` for a whole case file."""
    case = case_file.case
    return meeting_deadline(
        case.contact_date,
        held_on=first_held_on(case_file),
        no_meeting_decided_on=case.no_meeting.decided_on if case.no_meeting else None,
        closed_on=case.closed_on,
        today=today,
    )


def case_deadlines(case_file: CaseFile, *, today: date) -> list[Deadline]:
    """The MDO deadline followed by one deadline per agreement, in the case file's order."""
    agreements = [
        agreement_deadline(due_date=a.due_date, status=a.status, done_on=a.done_on, today=today)
        for a in case_file.agreements
    ]
    return [case_meeting_deadline(case_file, today=today), *agreements]


# --- urgency ---------------------------------------------------------------------------------

_RANK: Final[dict[DeadlineState, int]] = {
    DeadlineState.OVERDUE: 0,
    DeadlineState.DUE_SOON: 1,
    DeadlineState.ON_TRACK: 2,
    DeadlineState.MET_LATE: 3,
    DeadlineState.MET: 3,
    DeadlineState.STOPPED: 3,
}


def urgency_key(state: DeadlineState, due: date) -> tuple[int, int]:
    """A sort key, smallest = most urgent: by state rank, then by due date.

    Among overdue deadlines computed for the same ``today`` the earliest due date is the one most
    days late, so one rule ("earliest first") serves every rank and needs no ``today``.
    """
    return (_RANK[state], due.toordinal())


def deadline_urgency_key(deadline: Deadline) -> tuple[int, int]:
    return urgency_key(deadline.state, deadline.due)


def most_urgent(deadlines: Iterable[Deadline]) -> Deadline | None:
    """The most urgent of ``deadlines`` (``None`` when there are none)."""
    return min(deadlines, key=deadline_urgency_key, default=None)


def case_urgency_key(case_file: CaseFile, *, today: date) -> tuple[int, int]:
    """Sort key for "my cases": the key of the case's most urgent deadline."""
    return min(deadline_urgency_key(d) for d in case_deadlines(case_file, today=today))

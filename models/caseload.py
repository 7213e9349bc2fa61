"""Which closed cases may leave this tablet (issue #5: "the tablet keeps only the active
caseload", SECURITY.md).

A plain rule, like ``models.deadlines``: nothing here reads the clock, the store or the network.
The caller passes ``today`` (``models.calendar.today_in_amsterdam``) and the facts of one case
(``CaseOnTablet``); ``may_leave`` says whether the tablet may let go of it.

A case may leave this tablet when **all** of these hold:

- it was closed at least ``KEEP_CLOSED_DAYS`` (28) calendar days ago: closed on 1 March, it may
  leave on 29 March, not on the 28th. Four weeks are enough for a last follow-up visit, for the
  closing note to be read by a colleague and for their questions to be answered at the table.
  Counting is in calendar days (``date`` arithmetic): a DST change or a month end moves nothing.
  A closing date after ``today`` (a typing error, or a clock running behind) never qualifies;
- this tablet is enrolled with a dossier server;
- the case is on the dossier: the resident gave consent to share it, and the dossier
  acknowledged the case record (this tablet holds a sync base for it, i.e. it pulled the case
  back with the server's sequence number);
- nothing of it waits to be sent: no outbox row of the case (waiting *or* held back), and no
  open conflict question about it.

A case that was never shared (no consent, consent refused, or no dossier at all) is **never**
removed: this tablet holds the only copy, and removing it would lose the case file. It stays,
closed, until the professional deletes it by hand under the organisation's retention rules.

The dossier keeps the case; the tablet can get it back whole (``sync.cycle``: a pulled change of
a released case makes the next pull ask for it, and the dossier back-fills it whole).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

KEEP_CLOSED_DAYS = 28


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseOnTablet:
    """What the rule needs to know of one case on this tablet."""

    closed_on: date | None
    consent_given: bool | None
    on_dossier: bool  # the dossier acknowledged the case record (a sync base for it here)
    waiting: int = 0  # outbox rows of the case, waiting or held back
    conflicts: int = 0  # open conflict questions about the case


def leaves_on(closed_on: date) -> date:
    """The first day a case closed on ``closed_on`` may leave this tablet."""
    return closed_on + timedelta(days=KEEP_CLOSED_DAYS)


def may_leave(case: CaseOnTablet, *, today: date, enrolled: bool) -> bool:
    """True when this tablet may let go of the case (see the module docstring)."""
    if case.closed_on is None or case.closed_on > today:
        return False
    if today < leaves_on(case.closed_on):
        return False
    if not enrolled or case.consent_given is not True or not case.on_dossier:
        return False  # never shared: this tablet holds the only copy
    return case.waiting == 0 and case.conflicts == 0

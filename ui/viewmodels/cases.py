"""My cases: every case on the device, most urgent first, with badges, search and filters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from models import case_list
from models.case_list import CaseSummary
from models.deadlines import DeadlineState
from models.domain import CaseStage
from models.i18n import N_, _, ngettext
from models.store_file import StoreFile


class CaseFilter(StrEnum):
    OPEN = "open"
    WAITING_FOR_MDO = "waiting_for_mdo"
    AGREEMENTS_RUNNING = "agreements_running"
    CLOSED = "closed"


FILTER_LABELS: dict[CaseFilter, str] = {
    CaseFilter.OPEN: N_("Open"),
    CaseFilter.WAITING_FOR_MDO: N_("Waiting for MDO"),
    CaseFilter.AGREEMENTS_RUNNING: N_("Agreements running"),
    CaseFilter.CLOSED: N_("Closed"),
}

STAGE_LABELS: dict[CaseStage, str] = {
    CaseStage.CONTACT: N_("First contact"),
    CaseStage.NO_MEETING_NEEDED: N_("No MDO needed"),
    CaseStage.MEETING_PLANNED: N_("MDO planned"),
    CaseStage.MEETING_HELD: N_("MDO held"),
    CaseStage.AGREEMENTS_RUNNING: N_("Agreements running"),
    CaseStage.CLOSED: N_("Closed"),
}

_WAITING_STAGES = frozenset({CaseStage.CONTACT, CaseStage.MEETING_PLANNED})


def matches(summary: CaseSummary, case_filter: CaseFilter) -> bool:
    if case_filter is CaseFilter.OPEN:
        return summary.stage is not CaseStage.CLOSED
    if case_filter is CaseFilter.WAITING_FOR_MDO:
        return summary.stage in _WAITING_STAGES
    if case_filter is CaseFilter.AGREEMENTS_RUNNING:
        return summary.stage is CaseStage.AGREEMENTS_RUNNING
    return summary.stage is CaseStage.CLOSED


class BadgeKind(StrEnum):
    WARNING = "warning"  # due soon
    DANGER = "danger"  # overdue


@dataclass(frozen=True, slots=True)
class Badge:
    text: str
    kind: BadgeKind


@dataclass(frozen=True, slots=True)
class CaseRow:
    case_id: str
    title: str
    subtitle: str
    badges: tuple[Badge, ...]
    damaged: bool
    next_deadline: str = ""  # "MDO by 08-12-2026", "Next agreement due 05-01-2027"

    @property
    def label(self) -> str:
        """One sentence for screen readers: name, stage, next deadline and every badge."""
        parts = [self.title, self.subtitle, self.next_deadline, *(b.text for b in self.badges)]
        return ". ".join(p for p in parts if p)


def next_deadline_text(summary: CaseSummary) -> str:
    """The next date that matters for a case, or "" when no clock runs."""
    if summary.meeting.state.is_running:
        return _("MDO by {date}").format(date=summary.meeting.due.strftime("%d-%m-%Y"))
    if summary.next_agreement is not None and summary.next_agreement.state.is_running:
        return _("Next agreement due {date}").format(
            date=summary.next_agreement.due.strftime("%d-%m-%Y")
        )
    return ""


def badges_for(summary: CaseSummary) -> tuple[Badge, ...]:
    badges: list[Badge] = []
    meeting = summary.meeting
    if meeting.state is DeadlineState.OVERDUE:
        n = meeting.days_late
        badges.append(
            Badge(
                ngettext("MDO overdue ({n} day)", "MDO overdue ({n} days)", n).format(n=n),
                BadgeKind.DANGER,
            )
        )
    elif meeting.state is DeadlineState.DUE_SOON:
        n = meeting.days_left
        text = (
            _("MDO due today")
            if n == 0
            else ngettext("MDO due soon ({n} day left)", "MDO due soon ({n} days left)", n)
        ).format(n=n)
        badges.append(Badge(text, BadgeKind.WARNING))
    if summary.overdue_agreements:
        n = summary.overdue_agreements
        badges.append(
            Badge(
                ngettext("{n} agreement overdue", "{n} agreements overdue", n).format(n=n),
                BadgeKind.DANGER,
            )
        )
    return tuple(badges)


def row_for(summary: CaseSummary) -> CaseRow:
    title = summary.resident_name if summary.resident_name is not None else _("(damaged record)")
    subtitle = _("{stage} · contact {date}").format(
        stage=_(STAGE_LABELS[summary.stage]), date=summary.contact_date.strftime("%d-%m-%Y")
    )
    return CaseRow(
        summary.case_id,
        title,
        subtitle,
        badges_for(summary),
        summary.damaged,
        next_deadline_text(summary),
    )


# My cases draws the most urgent cases first, a page at a time: a professional's list is short,
# but a team's tablet may hold thousands. Every tile drawn costs time on the server (building and
# sending it) and in the browser (laying it out), and a tablet shows about eight at once: the first
# page is a few screens long, and the list grows as one scrolls or taps "show more"
# (bench/app_startup: 100 tiles took about a second of the start-up at 2,000 cases). Search and
# the filters still work on every case.
PAGE_SIZE = 30


@dataclass
class CasesViewModel:
    file: StoreFile  # the list reads through the file alone (models.case_list)
    today: Callable[[], date]
    search: str = ""
    case_filter: CaseFilter = CaseFilter.OPEN
    shown: int = PAGE_SIZE  # how many of the matching cases the list draws
    loaded: bool = False
    _all: list[CaseSummary] = field(default_factory=list)
    _matching: list[CaseSummary] = field(default_factory=list)  # most urgent first

    def load(self) -> None:
        """Read every case once; search and filters then work on this list."""
        self._all = case_list.case_summaries(self.file, today=self.today())
        self._apply()
        self.loaded = True

    def set_search(self, text: str) -> None:
        self.search = text
        self.shown = PAGE_SIZE
        self._apply()

    def set_filter(self, case_filter: CaseFilter) -> None:
        self.case_filter = case_filter
        self.shown = PAGE_SIZE
        self._apply()

    @property
    def rows(self) -> list[CaseRow]:
        """Every case that matches, most urgent first (the texts are made when asked for)."""
        return [row_for(s) for s in self._matching]

    @property
    def visible_rows(self) -> list[CaseRow]:
        """The most urgent ``shown`` rows: drawing thousands of tiles at once costs seconds."""
        return [row_for(s) for s in self._matching[: self.shown]]

    @property
    def hidden(self) -> int:
        return max(len(self._matching) - self.shown, 0)

    @property
    def more_text(self) -> str | None:
        """The label of the "show more" button, or None when every row is shown."""
        if not self.hidden:
            return None
        n = min(self.hidden, PAGE_SIZE)
        return ngettext("Show {n} more case", "Show {n} more cases", n).format(n=n)

    def show_more(self) -> list[CaseRow]:
        """Draw the next page too; returns its rows (the list only adds these)."""
        start = min(self.shown, len(self._matching))
        self.shown = start + PAGE_SIZE
        return [row_for(s) for s in self._matching[start : self.shown]]

    @property
    def total(self) -> int:
        return len(self._all)

    @property
    def empty_message(self) -> str | None:
        if self._matching:
            return None
        if not self._all:
            return _("No cases yet. A new contact will show up here.")
        return _("No cases match your search or filter.")

    @property
    def count_text(self) -> str:
        n = len(self._matching)
        return ngettext("{n} case", "{n} cases", n).format(n=n)

    def filter_label(self, case_filter: CaseFilter) -> str:
        return _(FILTER_LABELS[case_filter])

    def _apply(self) -> None:
        # The same matching as ``case_list.case_summaries(search=...)``, without opening every name
        # again on each key press. Rows (texts, badges) are made only for the tiles drawn.
        needle = self.search.casefold().strip()
        self._matching = [
            s
            for s in self._all
            if matches(s, self.case_filter)
            and (
                not needle or (s.resident_name is not None and needle in s.resident_name.casefold())
            )
        ]

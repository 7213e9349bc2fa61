"""The team-lead dashboard: what is late across the team, and the figures of a period.

Plain Python over the server's answers (``sync.team_protocol``); the texts come from
``models.team_report`` so the screen and the PDF say the same. Only an account with the team-lead
role reaches this screen (``ui.viewmodels.session``); the server refuses everyone else anyway.

- Overdue: grouped by professional or by organisation (a toggle), most days late first.
- Figures: a period preset (default the last half year, as the programme reports twice a year;
  also the last quarter, the last year and this calendar year). Changing it fetches anew.
- Refresh fetches both answers (``sync.team.fetch_answers``, synchronous: the view runs it off the
  UI thread). They are kept sealed in the store with their time, so the dashboard opens with the
  last answers straight away and still works offline; a failed refresh keeps them and says
  "Offline — showing the figures of <as of>".
- Export: the PDF report (``models.team_report_pdf``) and CSV (``models.team_report_csv``), made
  on the device from the answers shown, so they work offline too and match the screen.
- Opening a case: only when the case is on this device (the lead's tablet holds the cases the
  lead takes part in); otherwise the screen says so.

Heavy or network modules (httpx, reportlab) are imported only when used: the app starts fast.
"""

from __future__ import annotations

import calendar
import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from babel.dates import format_datetime
from sqlalchemy import select

from models import device_audit, team_cache
from models import team_report as tr
from models.calendar import AMSTERDAM
from models.domain import POSITIVE_HEALTH_DIMENSIONS
from models.errors import KeukentafelError
from models.i18n import N_, _, current_language
from models.store import CASES, CaseStore
from models.team_cache import Cached
from sync.team_protocol import MonitoringFigures, OverdueReport

log = logging.getLogger(__name__)

OFFLINE = "offline"


class Tab(StrEnum):
    OVERDUE = "overdue"
    FIGURES = "figures"


class PeriodPreset(StrEnum):
    HALF_YEAR = "half_year"
    QUARTER = "quarter"
    YEAR = "year"
    THIS_YEAR = "this_year"


PRESET_LABELS: dict[PeriodPreset, str] = {
    PeriodPreset.HALF_YEAR: N_("Last half year"),
    PeriodPreset.QUARTER: N_("Last three months"),
    PeriodPreset.YEAR: N_("Last year"),
    PeriodPreset.THIS_YEAR: N_("This calendar year"),
}

GROUPING_LABELS: dict[tr.Grouping, str] = {
    tr.Grouping.PROFESSIONAL: N_("By professional"),
    tr.Grouping.ORGANISATION: N_("By organisation"),
}


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (31 August - 6 months: 28/29 February)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def period_for(preset: PeriodPreset, today: date) -> tuple[date, date]:
    """The period of a preset, ``today`` included; the half year is the server's default."""
    if preset is PeriodPreset.THIS_YEAR:
        return date(today.year, 1, 1), today
    months = {PeriodPreset.HALF_YEAR: 6, PeriodPreset.QUARTER: 3, PeriodPreset.YEAR: 12}[preset]
    return months_before(today, months) + timedelta(days=1), today


def moment_text(moment: datetime, language: str | None = None) -> str:
    """A server time as people here read it: Amsterdam wall-clock time."""
    return format_datetime(
        moment, "d MMMM y, HH:mm", tzinfo=AMSTERDAM, locale=language or current_language()
    )


# -- rows for the view -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemRow:
    case_id: str
    resident: str
    what: str  # "MDO overdue" / "Agreement overdue: <text>"
    due: str  # "12 Oct 2026"
    lateness: str  # "43 days late" / "due in 2 days"
    late: bool
    who: str  # the other grouping: the organisation when grouped by professional, and back
    who_removed: bool = False  # ``who`` names an owner taken off the case: needs handing over

    @property
    def label(self) -> str:
        """Everything a screen reader needs, in one sentence."""
        return f"{self.resident}, {self.what}, {self.lateness}, {self.who}"


@dataclass(frozen=True, slots=True)
class GroupRow:
    name: str
    summary: str  # "2 late, 1 due soon"
    items: tuple[ItemRow, ...]
    removed: bool = False  # the name is an owner taken off the case: their items need handing over


@dataclass(frozen=True, slots=True)
class BarFigure:
    label: str
    value: float
    value_text: str
    residents: int


@dataclass(frozen=True, slots=True)
class OrganisationBar:
    name: str
    made: int
    done: int
    overdue_now: int


@dataclass(frozen=True, slots=True)
class StoryRow:
    question: str
    outcome: str


@dataclass(frozen=True, slots=True)
class Export:
    file_name: str
    content: bytes


Fetch = Callable[[date, date], tuple[Cached[OverdueReport], Cached[MonitoringFigures]]]


def _default_fetch(store: CaseStore) -> Fetch:
    def fetch(start: date, end: date) -> tuple[Cached[OverdueReport], Cached[MonitoringFigures]]:
        team = importlib.import_module("sync.team")  # httpx only when the lead asks for it
        answers = team.fetch_answers(store, start=start, end=end)
        assert answers.overdue is not None and answers.figures is not None
        return answers.overdue, answers.figures

    return fetch


class TeamViewModel:
    def __init__(
        self,
        store: CaseStore,
        *,
        today: Callable[[], date],
        fetch: Fetch | None = None,
    ) -> None:
        self.store = store
        self.today = today
        self._fetch = fetch or _default_fetch(store)
        self.tab = Tab.OVERDUE
        self.grouping = tr.Grouping.PROFESSIONAL
        self.preset = PeriodPreset.HALF_YEAR
        self.overdue: Cached[OverdueReport] | None = None
        self.figures: Cached[MonitoringFigures] | None = None
        self.busy = False
        self.message: str | None = None  # after a refresh: offline, refused ...
        self.message_is_error = False
        self.load_cached()

    # -- loading ------------------------------------------------------------------------------

    def load_cached(self) -> None:
        """The last answers kept on this device (nothing when none, or damaged)."""
        try:
            with self.store.reading() as (conn, sealer):
                self.overdue = team_cache.load_overdue(conn, sealer)
                self.figures = team_cache.load_monitoring(conn, sealer)
        except KeukentafelError as error:
            log.warning("team cache not readable: %s", type(error).__name__)
            self.overdue = self.figures = None

    @property
    def period(self) -> tuple[date, date]:
        return period_for(self.preset, self.today())

    def refresh(self) -> bool:
        """Fetch both answers for the chosen period; True when they came. Never raises for a
        network or server failure: the cached answers stay, and ``message`` says why."""
        self.busy = True
        try:
            start, end = self.period
            self.overdue, self.figures = self._fetch(start, end)
        except KeukentafelError as error:
            self._failed(error)
            return False
        finally:
            self.busy = False
        self.message = None
        self.message_is_error = False
        return True

    def _failed(self, error: KeukentafelError) -> None:
        code = getattr(error, "code", "")
        log.info("team figures not refreshed: %s", code or type(error).__name__)
        self.load_cached()  # e.g. a lost role cleared the cache
        self.message_is_error = True
        shown = self.figures or self.overdue
        if code == OFFLINE and shown is not None:
            self.message = _("Offline — showing the figures of {moment}.").format(
                moment=moment_text(shown.value.as_of)
            )
        elif code == OFFLINE:
            self.message = _(
                "The dossier server cannot be reached, and there are no figures on this "
                "device yet. Try again when you are online."
            )
        elif code == "wrong_role":
            self.message = _("Your account is not a team lead (any more). Ask the administrator.")
        elif code == "no_team":
            self.message = _("Your account is not in a team yet. Ask the administrator.")
        else:
            self.message = error.message

    def choose_preset(self, preset: PeriodPreset) -> None:
        self.preset = preset

    def choose_grouping(self, grouping: tr.Grouping) -> None:
        self.grouping = grouping

    def choose_tab(self, tab: Tab) -> None:
        self.tab = tab

    # -- texts -------------------------------------------------------------------------------

    @staticmethod
    def preset_label(preset: PeriodPreset) -> str:
        return _(PRESET_LABELS[preset])

    @staticmethod
    def grouping_label(grouping: tr.Grouping) -> str:
        return _(GROUPING_LABELS[grouping])

    @property
    def has_data(self) -> bool:
        return self.overdue is not None or self.figures is not None

    @property
    def team_name(self) -> str:
        shown = self.figures or self.overdue
        return shown.value.team_name if shown else ""

    def as_of_text(self) -> str | None:
        """ "As of 24 November 2026, 10:30" of the answers shown; None when there are none."""
        shown = self.figures or self.overdue
        if shown is None:
            return None
        return _("As of {moment}").format(moment=moment_text(shown.value.as_of))

    def period_text(self) -> str | None:
        if self.figures is None:
            return None
        f = self.figures.value
        return tr.period_text(f.start, f.end)

    def shows_other_period(self) -> bool:
        """The figures shown are of another period than the one chosen (e.g. offline)."""
        if self.figures is None:
            return False
        return (self.figures.value.start, self.figures.value.end) != self.period

    # -- overdue -------------------------------------------------------------------------------

    def groups(self) -> list[GroupRow]:
        if self.overdue is None:
            return []
        other = (
            tr.Grouping.ORGANISATION
            if self.grouping is tr.Grouping.PROFESSIONAL
            else tr.Grouping.PROFESSIONAL
        )
        return [
            GroupRow(
                name=group.name,
                summary=tr.group_summary(group),
                items=tuple(
                    ItemRow(
                        case_id=str(item.case_id),
                        resident=item.resident_name,
                        what=tr.item_text(item),
                        due=tr.short_day(item.due),
                        lateness=tr.lateness(item.days_late),
                        late=tr.is_late(item),
                        who=tr.group_name(item, other),
                        who_removed=item.owner_removed and other is tr.Grouping.PROFESSIONAL,
                    )
                    for item in group.items
                ),
                removed=self.grouping is tr.Grouping.PROFESSIONAL
                and all(item.owner_removed for item in group.items),
            )
            for group in tr.group_items(self.overdue.value.items, self.grouping)
        ]

    def overdue_summary(self) -> str | None:
        if self.overdue is None:
            return None
        items = self.overdue.value.items
        if not items:
            return _("Nothing is overdue or due soon.")
        return tr.group_summary(tr.OverdueGroup("", tuple(items)))

    # -- figures -------------------------------------------------------------------------------

    def mdo_rows(self) -> list[tuple[str, str]]:
        return tr.mdo_rows(self.figures.value) if self.figures else []

    def agreement_rows(self) -> list[tuple[str, str]]:
        return tr.agreement_rows(self.figures.value) if self.figures else []

    def wellbeing_line(self) -> str:
        return tr.wellbeing_line(self.figures.value.wellbeing) if self.figures else tr.DASH

    def wellbeing_bars(self) -> list[BarFigure]:
        if self.figures is None:
            return []
        return [
            BarFigure(
                label=tr.moment_label(f.moment),
                value=f.average or 0.0,
                value_text=tr.decimal(f.average),
                residents=f.residents,
            )
            for f in tr.measured(self.figures.value.wellbeing)
        ]

    def health_points(self) -> list[BarFigure]:
        """Positive Health per measured dimension, in the usual order of the six dimensions."""
        if self.figures is None:
            return []
        order = {d: i for i, d in enumerate(POSITIVE_HEALTH_DIMENSIONS)}
        measured = [
            d
            for d in self.figures.value.positive_health
            if d.average is not None and d.residents > 0
        ]
        measured.sort(key=lambda d: order.get(d.dimension, len(order)))
        return [
            BarFigure(
                label=tr.health_label(d.dimension),
                value=d.average or 0.0,
                value_text=tr.decimal(d.average),
                residents=d.residents,
            )
            for d in measured
        ]

    def organisation_bars(self) -> list[OrganisationBar]:
        if self.figures is None:
            return []
        return [
            OrganisationBar(
                tr.organisation_name(o.organisation_id, o.organisation_name),
                o.made,
                o.done,
                o.overdue_now,
            )
            for o in self.figures.value.per_organisation
        ]

    def stories(self) -> list[StoryRow]:
        if self.figures is None:
            return []
        return [StoryRow(s.question, s.outcome or tr.DASH) for s in self.figures.value.stories]

    # -- exports -------------------------------------------------------------------------------

    def export_pdf(self) -> Export | None:
        """The PDF report of the answers shown; None when there are no figures yet."""
        if self.figures is None:
            return None
        pdf = importlib.import_module("models.team_report_pdf")  # reportlab on demand
        f = self.figures.value
        content: bytes = pdf.build_team_report_pdf(
            self.overdue.value if self.overdue else None, f, language=current_language()
        )
        device_audit.team_report_exported(self.store, device_audit.Entity.TEAM_PDF)
        return Export(f"teamrapportage-{f.start.isoformat()}-{f.end.isoformat()}.pdf", content)

    def export_csv(self, which: Tab) -> Export | None:
        csv = importlib.import_module("models.team_report_csv")
        if which is Tab.OVERDUE:
            if self.overdue is None:
                return None
            report = self.overdue.value
            data: bytes = csv.overdue_csv(report, language=current_language())
            device_audit.team_report_exported(self.store, device_audit.Entity.OVERDUE_CSV)
            return Export(f"te-laat-{report.today.isoformat()}.csv", data)
        if self.figures is None:
            return None
        f = self.figures.value
        data = csv.monitoring_csv(f, language=current_language())
        device_audit.team_report_exported(self.store, device_audit.Entity.FIGURES_CSV)
        return Export(f"cijfers-{f.start.isoformat()}-{f.end.isoformat()}.csv", data)

    # -- opening a case --------------------------------------------------------------------------

    def case_on_device(self, case_id: str) -> bool:
        with self.store.engine.connect() as conn:
            return conn.execute(select(CASES.c.id).where(CASES.c.id == case_id)).first() is not None

    def open_case(self, case_id: str) -> bool:
        """True when the case can be opened here; else ``message`` says it is not on this tablet."""
        if self.case_on_device(case_id):
            return True
        self.message = _(
            "This case is not on this tablet: only the cases you take part in are. "
            "Ask the professional on the case."
        )
        self.message_is_error = False
        return False

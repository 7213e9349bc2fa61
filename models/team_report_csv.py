"""The team-lead reports as CSV (issue #6): the same bytes from the server and from the app.

Both functions take the wire models of ``sync.team_protocol``, so the app can export the answer
it keeps for offline viewing, and the server's ``/api/v1/team/*.csv`` routes give the same file.

The format is what Dutch Excel opens without a wizard: UTF-8 with a byte-order mark, fields
separated by semicolons, one header row, CRLF line ends, decimals with a comma in Dutch (a point
in English), dates as ISO ``yyyy-mm-dd`` (Excel reads them as dates in both languages).
Percentages and averages are rounded to one decimal; an empty cell means "no figure" (nothing to
count). Texts that start with ``= + - @`` (or a tab or carriage return) get a leading apostrophe,
so a resident's words can never run as a spreadsheet formula (CSV injection).

The monitoring CSV is one table with the columns Section; Figure; Value; Residents, so every
figure is one row; the stories are rows of the section "Stories" with the question as the figure
and the outcome as the value.
"""

from __future__ import annotations

import csv
import gettext
import io
from collections.abc import Callable
from datetime import date
from typing import Final

from models.i18n import DOMAIN, LANGUAGES, LOCALE_DIR, N_, current_language
from sync.team_protocol import (
    MonitoringFigures,
    OverdueItem,
    OverdueKind,
    OverdueReport,
    WellbeingMoment,
)

BOM: Final = "\ufeff"
DELIMITER: Final = ";"
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")

KIND_LABELS: Final[dict[OverdueKind, str]] = {
    OverdueKind.MDO_OVERDUE: N_("MDO overdue"),
    OverdueKind.MDO_DUE_SOON: N_("MDO due soon"),
    OverdueKind.AGREEMENT_OVERDUE: N_("Agreement overdue"),
    OverdueKind.AGREEMENT_DUE_SOON: N_("Agreement due soon"),
}
MOMENT_LABELS: Final[dict[WellbeingMoment, str]] = {
    WellbeingMoment.CONTACT: N_("At first contact"),
    WellbeingMoment.MEETING: N_("At the MDO"),
    WellbeingMoment.SIX_WEEKS: N_("After six weeks"),
    WellbeingMoment.LATER: N_("Later"),
}
DIMENSION_LABELS: Final[dict[str, str]] = {
    "bodily_functions": N_("Body"),
    "mental_wellbeing": N_("Mental wellbeing"),
    "meaningfulness": N_("Meaning"),
    "quality_of_life": N_("Quality of life"),
    "participation": N_("Taking part"),
    "daily_functioning": N_("Daily life"),
}


def _translator(language: str | None) -> gettext.NullTranslations:
    """The catalogue of ``language`` without changing the process-wide language (the server
    answers many users at once)."""
    language = language or current_language()
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; choose one of {LANGUAGES}")
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language], fallback=True)


def safe_text(text: str) -> str:
    """``text`` as a cell: a leading apostrophe when a spreadsheet would take it as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _number(value: float | None, language: str) -> str:
    if value is None:
        return ""
    shown = f"{value:.1f}"
    return shown.replace(".", ",") if language == "nl" else shown


def _day(value: date) -> str:
    return value.isoformat()


def _render(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=DELIMITER, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerows(rows)
    return (BOM + out.getvalue()).encode("utf-8")


def _owner(item: OverdueItem, gettext_: Callable[[str], str]) -> str:
    """The owner's name, marked when they were taken off the case (it needs handing over)."""
    name = item.professional_name or ""
    if item.owner_removed:
        return gettext_("{name} (no longer taking part)").format(name=name)
    return name


def overdue_csv(report: OverdueReport, *, language: str | None = None) -> bytes:
    """One row per overdue or due-soon item, in the report's order (most days late first)."""
    _ = _translator(language).gettext
    header = [
        _("What is late"),
        _("Days late"),
        _("Due date"),
        _("Resident"),
        _("Agreement"),
        _("Who is on it"),
        _("Organisation"),
        _("Case number"),
        _("Agreement number"),
    ]
    rows = [header]
    for item in report.items:
        rows.append(
            [
                _(KIND_LABELS[item.kind]),
                str(item.days_late),
                _day(item.due),
                safe_text(item.resident_name),
                safe_text(item.what or ""),
                safe_text(_owner(item, _)),
                safe_text(item.organisation_name or ""),
                str(item.case_id),
                str(item.agreement_id or ""),
            ]
        )
    return _render(rows)


def monitoring_csv(figures: MonitoringFigures, *, language: str | None = None) -> bytes:
    """Every figure of the period as a row: Section; Figure; Value; Residents."""
    language = language or current_language()
    _ = _translator(language).gettext
    rows = [[_("Section"), _("Figure"), _("Value"), _("Residents")]]

    def add(section: str, figure: str, value: str, residents: str = "") -> None:
        rows.append([section, figure, value, residents])

    period = _("Period")
    add(period, _("Team"), safe_text(figures.team_name))
    add(period, _("From"), _day(figures.start))
    add(period, _("To"), _day(figures.end))
    add(period, _("As of"), figures.as_of.isoformat(timespec="minutes"))

    mdo = _("MDOs")
    add(mdo, _("Contacts"), str(figures.contacts))
    add(mdo, _("MDOs held"), str(figures.mdos_held))
    add(mdo, _("MDOs within 14 days"), str(figures.mdos_within_14_days))
    add(mdo, _("% MDOs within 14 days"), _number(figures.pct_mdos_within_14_days, language))
    add(
        mdo,
        _("Median days from contact to MDO"),
        _number(figures.median_days_contact_to_mdo, language),
    )
    add(mdo, _("No MDO needed"), str(figures.no_mdo_needed))

    agreements = _("Agreements")
    add(agreements, _("Agreements made"), str(figures.agreements_made))
    add(agreements, _("Agreements done"), str(figures.agreements_done))
    add(agreements, _("Done within six weeks"), str(figures.agreements_done_within_six_weeks))
    add(
        agreements,
        _("Percentage done within six weeks"),
        _number(figures.pct_done_within_six_weeks, language),
    )
    add(agreements, _("Median days to done"), _number(figures.median_days_to_done, language))
    add(agreements, _("Overdue now"), str(figures.agreements_overdue_now))

    wellbeing = _("Wellbeing")
    for w in figures.wellbeing:
        add(wellbeing, _(MOMENT_LABELS[w.moment]), _number(w.average, language), str(w.residents))

    health = _("Positive Health")
    for h in figures.positive_health:
        label = _(DIMENSION_LABELS[h.dimension]) if h.dimension in DIMENSION_LABELS else h.dimension
        add(health, label, _number(h.average, language), str(h.residents))

    per_org = _("Per organisation")
    made, done, overdue = _("agreements made"), _("agreements done"), _("overdue now")
    for o in figures.per_organisation:
        name = safe_text(o.organisation_name or _("Resident and network"))
        add(per_org, f"{name}: {made}", str(o.made))
        add(per_org, f"{name}: {done}", str(o.done))
        add(per_org, f"{name}: {overdue}", str(o.overdue_now))

    stories = _("Stories")
    for s in figures.stories:
        add(stories, safe_text(s.question), safe_text(s.outcome))
    return _render(rows)

"""The team-lead figures as people read them: the texts the dashboard and the PDF share.

Both ``ui.viewmodels.team`` and ``models.team_report_pdf`` show the same numbers, so the wording
and the grouping rules live here, as plain functions over the wire values of
``sync.team_protocol`` (the server computes every figure; nothing is recomputed here).

Choices where the issue is silent:

- Numbers follow the language: Dutch "3,5", English "3.5" (one decimal for averages and
  medians, whole percentages). A figure that cannot be computed (nothing held, nobody
  measured) shows as a dash, never as 0.
- Wellbeing reads like the programme's "3.5 → 8.3 → 8.5": the moments with a measurement in
  order, and the number of residents behind each figure after it:
  "3,5 → 8,3 → 8,5 (n = 12 · 10 · 7)".
- Overdue items are grouped by professional or by organisation. Within a group the most late
  come first (the server's order); groups are ordered by their most late item, then by name.
  An item without a professional belongs to "Not assigned"; without an organisation to
  "Resident and network" (agreements owned by the resident or a network member).
- An owner taken off the case (``OverdueItem.owner_removed``) has no account any more; their
  items are grouped under their name marked "(no longer taking part)", apart from the items of
  anyone of that name still taking part, so a team lead sees at once what needs handing over.
  By organisation they stay in their organisation, marked in the "who" text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from babel.dates import format_date
from babel.numbers import format_decimal

from models.i18n import N_, _, current_language, ngettext
from models.organisations import DEFAULT_ORGANISATIONS
from sync.team_protocol import (
    MonitoringFigures,
    OverdueItem,
    OverdueKind,
    WellbeingFigure,
    WellbeingMoment,
)

DASH = "\u2013"  # an en dash
ARROW = " → "

MOMENT_LABELS: dict[WellbeingMoment, str] = {
    WellbeingMoment.CONTACT: N_("At contact"),
    WellbeingMoment.MEETING: N_("At the MDO"),
    WellbeingMoment.SIX_WEEKS: N_("After six weeks"),
    WellbeingMoment.LATER: N_("Later"),
}

KIND_LABELS: dict[OverdueKind, str] = {
    OverdueKind.MDO_OVERDUE: N_("MDO overdue"),
    OverdueKind.MDO_DUE_SOON: N_("MDO due soon"),
    OverdueKind.AGREEMENT_OVERDUE: N_("Agreement overdue"),
    OverdueKind.AGREEMENT_DUE_SOON: N_("Agreement due soon"),
}


HEALTH_LABELS: dict[str, str] = {  # the same words as on the resident's plan (models.plan_pdf)
    "bodily_functions": N_("Body"),
    "mental_wellbeing": N_("Mental wellbeing"),
    "meaningfulness": N_("Meaning"),
    "quality_of_life": N_("Quality of life"),
    "participation": N_("Taking part"),
    "daily_functioning": N_("Daily life"),
}


class Grouping(StrEnum):
    PROFESSIONAL = "professional"
    ORGANISATION = "organisation"


# -- numbers ---------------------------------------------------------------------------------------


def _language(language: str | None) -> str:
    return language or current_language()


def decimal(value: float | None, language: str | None = None) -> str:
    """One decimal in the language's way ("3,5" / "3.5"); a dash for no value."""
    if value is None:
        return DASH
    return format_decimal(round(value, 1), "0.0", locale=_language(language))


def percent(value: float | None, language: str | None = None) -> str:
    if value is None:
        return DASH
    return format_decimal(round(value), "0", locale=_language(language)) + "%"


def day(value: date, language: str | None = None) -> str:
    return format_date(value, "d MMMM y", locale=_language(language))


def short_day(value: date, language: str | None = None) -> str:
    return format_date(value, "d MMM y", locale=_language(language))


def period_text(start: date, end: date, language: str | None = None) -> str:
    return _("{start} to {end}").format(start=day(start, language), end=day(end, language))


def median_days(value: float | None, language: str | None = None) -> str:
    if value is None:
        return DASH
    return _("{days} days").format(days=decimal(value, language))


def share(part: int, whole: int, pct: float | None, language: str | None = None) -> str:
    """ "9 of 12 (75%)"; just "0 of 0" when there is nothing to count."""
    if pct is None:
        return _("{part} of {whole}").format(part=part, whole=whole)
    return _("{part} of {whole} ({percent})").format(
        part=part, whole=whole, percent=percent(pct, language)
    )


# -- wellbeing -------------------------------------------------------------------------------------


def moment_label(moment: WellbeingMoment) -> str:
    return _(MOMENT_LABELS[moment])


def health_label(dimension: str) -> str:
    label = HEALTH_LABELS.get(dimension)
    return _(label) if label else dimension


def measured(figures: Iterable[WellbeingFigure]) -> list[WellbeingFigure]:
    return [f for f in figures if f.average is not None and f.residents > 0]


def wellbeing_line(figures: Sequence[WellbeingFigure], language: str | None = None) -> str:
    """ "3,5 → 8,3 → 8,5 (n = 12 · 10 · 7)"; a dash when nobody was measured."""
    shown = measured(figures)
    if not shown:
        return DASH
    line = ARROW.join(decimal(f.average, language) for f in shown)
    residents = " · ".join(str(f.residents) for f in shown)
    return f"{line} (n = {residents})"


def residents_text(n: int) -> str:
    return ngettext("{n} resident", "{n} residents", n).format(n=n)


# -- the figures as label/value rows ---------------------------------------------------------------


def mdo_rows(f: MonitoringFigures, language: str | None = None) -> list[tuple[str, str]]:
    return [
        (_("Contacts"), str(f.contacts)),
        (_("MDOs held"), str(f.mdos_held)),
        (
            _("MDOs within 14 days"),
            share(f.mdos_within_14_days, f.mdos_held, f.pct_mdos_within_14_days, language),
        ),
        (_("Median days from contact to MDO"), median_days(f.median_days_contact_to_mdo, language)),
        (_("No MDO needed"), str(f.no_mdo_needed)),
    ]


def agreement_rows(f: MonitoringFigures, language: str | None = None) -> list[tuple[str, str]]:
    return [
        (_("Agreements made"), str(f.agreements_made)),
        (_("Agreements done"), str(f.agreements_done)),
        (
            _("Done within six weeks"),
            share(
                f.agreements_done_within_six_weeks,
                f.agreements_made,
                f.pct_done_within_six_weeks,
                language,
            ),
        ),
        (_("Median days to done"), median_days(f.median_days_to_done, language)),
        (_("Overdue now"), str(f.agreements_overdue_now)),
    ]


def organisation_name(organisation_id: str | None, name: str | None) -> str:
    if name:
        return name
    if organisation_id is None:
        return _("Resident and network")
    known = {o.id: o.name for o in DEFAULT_ORGANISATIONS}
    return known.get(organisation_id, organisation_id)


# -- overdue items ---------------------------------------------------------------------------------


def kind_label(kind: OverdueKind) -> str:
    return _(KIND_LABELS[kind])


def is_late(item: OverdueItem) -> bool:
    return item.days_late > 0


def lateness(days_late: int) -> str:
    """ "12 days late", "due today", "due in 2 days"."""
    if days_late > 0:
        return ngettext("{n} day late", "{n} days late", days_late).format(n=days_late)
    if days_late == 0:
        return _("due today")
    return ngettext("due in {n} day", "due in {n} days", -days_late).format(n=-days_late)


def item_title(item: OverdueItem) -> str:
    """What is late: the agreement's text, or "MDO" for a meeting not yet held."""
    if item.what:
        return item.what
    return _("MDO")


def item_text(item: OverdueItem) -> str:
    """ "MDO overdue", or "Agreement overdue: <the agreement>"."""
    if item.what:
        return f"{kind_label(item.kind)}: {item.what}"
    return kind_label(item.kind)


def owner_text(item: OverdueItem) -> str:
    """Who is on it: the name, marked "(no longer taking part)" when the agreement's owner was
    taken off the case (it needs handing over); "Not assigned" when nobody is named."""
    if item.owner_removed:
        # The same words as for a removed participant on the case screen (ui.viewmodels).
        return _("{name} (no longer taking part)").format(name=item.professional_name or DASH)
    return item.professional_name or _("Not assigned")


def group_name(item: OverdueItem, grouping: Grouping) -> str:
    if grouping is Grouping.ORGANISATION:
        return organisation_name(item.organisation_id, item.organisation_name)
    return owner_text(item)


@dataclass(frozen=True, slots=True)
class OverdueGroup:
    name: str
    items: tuple[OverdueItem, ...]

    @property
    def late(self) -> int:
        return sum(1 for item in self.items if is_late(item))

    @property
    def most_late(self) -> int:
        return max(item.days_late for item in self.items)


def group_summary(group: OverdueGroup) -> str:
    """ "3 late, 1 due soon"."""
    late = group.late
    soon = len(group.items) - late
    parts = []
    if late:
        parts.append(ngettext("{n} late", "{n} late", late).format(n=late))
    if soon:
        parts.append(ngettext("{n} due soon", "{n} due soon", soon).format(n=soon))
    return ", ".join(parts)


def sort_items(items: Iterable[OverdueItem]) -> list[OverdueItem]:
    """Most late first, then by due date, then by case: the server's order, made sure of."""
    return sorted(items, key=lambda i: (-i.days_late, i.due, str(i.case_id)))


def group_items(items: Iterable[OverdueItem], grouping: Grouping) -> list[OverdueGroup]:
    groups: dict[str, list[OverdueItem]] = {}
    for item in sort_items(items):
        groups.setdefault(group_name(item, grouping), []).append(item)
    made = [OverdueGroup(name, tuple(members)) for name, members in groups.items()]
    return sorted(made, key=lambda g: (-g.most_late, g.name.casefold()))

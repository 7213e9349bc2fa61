"""The team-lead dashboard's view-model: grouping, figure texts, periods, offline, exports."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import update

from models import sync_state, team_cache
from models import team_report as tr
from models.i18n import set_language
from models.store import CaseStore
from models.team_cache import Cached
from sync.errors import OfflineError, ServerError
from sync.team_protocol import MonitoringFigures, OverdueItem, OverdueReport
from tests.support.factories import NOW, TODAY, a_case_file
from tests.support.team_reports import (
    DIACRITIC_PROFESSIONAL,
    STORY_QUESTION,
    an_overdue_report,
    some_figures,
)
from ui.viewmodels.team import (
    PeriodPreset,
    Tab,
    TeamViewModel,
    months_before,
    period_for,
)

pytestmark = pytest.mark.usefixtures("english")


def enrol(store: CaseStore, role: str | None) -> None:
    account = sync_state.SyncAccount(
        server_url="https://dossier.example.org",
        device_id="8d0c7e36-5b53-4c9e-9f5c-2f1d1c0f0a01",
        account_id="2b8f8d8e-1f7e-4a8e-bb1c-6a1f0e9d7c02",
        email="teamleider@example.org",
        device_secret="s" * 32,
        refresh_token="r" * 32,
        role=role,
    )
    with store.writing() as (conn, sealer):
        sync_state.save_account(conn, sealer, account, now=NOW)


class FakeServer:
    """Answers like ``sync.team.fetch_answers``: keeps what it returns in the store."""

    def __init__(self, store: CaseStore) -> None:
        self.store = store
        self.error: Exception | None = None
        self.asked: list[tuple[date, date]] = []
        self.overdue: OverdueReport | None = None  # what to answer; default an_overdue_report()

    def __call__(
        self, start: date, end: date
    ) -> tuple[Cached[OverdueReport], Cached[MonitoringFigures]]:
        self.asked.append((start, end))
        if self.error is not None:
            raise self.error
        overdue, figures = self.overdue or an_overdue_report(), some_figures(start=start, end=end)
        with self.store.writing() as (conn, sealer):
            team_cache.save_overdue(conn, sealer, overdue, at=NOW)
            team_cache.save_monitoring(conn, sealer, figures, at=NOW)
        return Cached(overdue, NOW), Cached(figures, NOW)


@pytest.fixture
def server(store: CaseStore) -> FakeServer:
    return FakeServer(store)


@pytest.fixture
def vm(store: CaseStore, server: FakeServer) -> TeamViewModel:
    return TeamViewModel(store, today=lambda: TODAY, fetch=server)


# -- periods ---------------------------------------------------------------------------------


def test_the_default_period_is_the_last_half_year_up_to_today(vm: TeamViewModel) -> None:
    assert vm.preset is PeriodPreset.HALF_YEAR
    assert vm.period == (date(2026, 5, 25), TODAY)


@pytest.mark.parametrize(
    ("preset", "start"),
    [
        (PeriodPreset.QUARTER, date(2026, 8, 25)),
        (PeriodPreset.YEAR, date(2025, 11, 25)),
        (PeriodPreset.THIS_YEAR, date(2026, 1, 1)),
    ],
)
def test_period_presets(preset: PeriodPreset, start: date) -> None:
    assert period_for(preset, TODAY) == (start, TODAY)


def test_months_before_keeps_to_the_end_of_a_short_month() -> None:
    assert months_before(date(2026, 8, 31), 6) == date(2026, 2, 28)
    assert months_before(date(2028, 8, 31), 6) == date(2028, 2, 29)
    assert months_before(date(2026, 3, 15), 6) == date(2025, 9, 15)


def test_a_refresh_asks_for_the_chosen_period(vm: TeamViewModel, server: FakeServer) -> None:
    vm.choose_preset(PeriodPreset.QUARTER)
    assert vm.refresh()
    assert server.asked == [(date(2026, 8, 25), TODAY)]
    assert vm.period_text() == "25 August 2026 to 24 November 2026"
    assert not vm.shows_other_period()


# -- overdue ---------------------------------------------------------------------------------


def test_grouped_by_professional_most_late_first(vm: TeamViewModel) -> None:
    vm.refresh()
    groups = vm.groups()
    for group in groups:  # within a group: most days late first
        members = sorted(_items(vm, group.name), key=lambda i: -i.days_late)
        assert [r.lateness for r in group.items] == [tr.lateness(i.days_late) for i in members]
    # groups: the one with the most late item first
    most_late = [max(i.days_late for i in _items(vm, g.name)) for g in groups]
    assert most_late == sorted(most_late, reverse=True)
    assert DIACRITIC_PROFESSIONAL in [g.name for g in groups]
    assert "Not assigned" in [g.name for g in groups]  # an agreement a neighbour owns


def _items(vm: TeamViewModel, name: str) -> list[OverdueItem]:
    assert vm.overdue is not None
    return [i for i in vm.overdue.value.items if tr.group_name(i, vm.grouping) == name]


def test_grouped_by_organisation_with_the_professional_beside_each_item(
    vm: TeamViewModel,
) -> None:
    vm.refresh()
    vm.choose_grouping(tr.Grouping.ORGANISATION)
    groups = vm.groups()
    names = [g.name for g in groups]
    assert "GGD Hart voor Brabant" in names and "Resident and network" in names
    ggd = next(g for g in groups if g.name == "GGD Hart voor Brabant")
    assert all(row.who == DIACRITIC_PROFESSIONAL for row in ggd.items)


def with_removed_owners() -> OverdueReport:
    """The usual report, with two agreements whose owner was taken off the case: one named like
    a professional still taking part (their items elsewhere), one named by nobody else."""
    report = an_overdue_report()
    agreements = [i for i in report.items if i.agreement_id is not None and i.professional_name]
    first, second = agreements[0], agreements[1]
    gone = {"owner_removed": True, "professional_id": None}  # the removal cleared the account
    changed = {
        first.agreement_id: first.model_copy(
            update={**gone, "professional_name": DIACRITIC_PROFESSIONAL}
        ),
        second.agreement_id: second.model_copy(update={**gone, "professional_name": "Kees Smit"}),
    }
    items = [changed.get(i.agreement_id, i) if i.agreement_id else i for i in report.items]
    return report.model_copy(update={"items": items})


def test_an_owner_taken_off_the_case_is_marked_and_grouped_apart(
    vm: TeamViewModel, server: FakeServer
) -> None:
    server.overdue = with_removed_owners()
    vm.refresh()
    groups = {g.name: g for g in vm.groups()}
    marked = f"{DIACRITIC_PROFESSIONAL} (no longer taking part)"
    # Apart from the same name still taking part, and marked; every item is still there.
    assert DIACRITIC_PROFESSIONAL in groups and marked in groups
    assert len(groups[marked].items) == 1 and groups[marked].removed
    assert not groups[DIACRITIC_PROFESSIONAL].removed
    assert len(groups["Kees Smit (no longer taking part)"].items) == 1
    assert "Kees Smit" not in groups
    assert sum(len(g.items) for g in groups.values()) == len(server.overdue.items)
    # By organisation: they stay in their organisation, marked beside the item.
    vm.choose_grouping(tr.Grouping.ORGANISATION)
    rows = [row for group in vm.groups() for row in group.items]
    removed = [r for r in rows if r.who_removed]
    assert sorted(r.who for r in removed) == sorted([marked, "Kees Smit (no longer taking part)"])
    assert all(not r.who.endswith("(no longer taking part)") for r in rows if not r.who_removed)
    assert all(r.label.endswith("(no longer taking part)") for r in removed)  # screen readers


def test_an_owner_taken_off_the_case_in_dutch_and_a_cache_from_before_the_mark(
    store: CaseStore,
) -> None:
    report = with_removed_owners()
    item = next(i for i in report.items if i.owner_removed)
    assert tr.owner_text(item) == f"{DIACRITIC_PROFESSIONAL} (no longer taking part)"
    set_language("nl")
    try:
        assert tr.owner_text(item) == f"{DIACRITIC_PROFESSIONAL} (doet niet meer mee)"
    finally:
        set_language("en")
    # An answer kept before version 2 has no owner_removed at all: it reads as taking part.
    old = report.model_dump(mode="json")
    for stored in old["items"]:
        del stored["owner_removed"]
    with store.writing() as (conn, sealer):
        payload = sealer.seal_json(old, table="team_cache", column="payload", row_id="overdue")
        conn.execute(
            team_cache.CACHE.insert().values(kind="overdue", payload=payload, fetched_at=NOW)
        )
    with store.reading() as (conn, sealer):
        kept = team_cache.load_overdue(conn, sealer)
    assert kept is not None and len(kept.value.items) == len(report.items)
    assert not any(i.owner_removed for i in kept.value.items)


def test_item_texts(vm: TeamViewModel) -> None:
    vm.refresh()
    rows = [row for group in vm.groups() for row in group.items]
    late = [r for r in rows if r.late]
    soon = [r for r in rows if not r.late]
    assert late and soon
    assert all(r.lateness.endswith("days late") for r in late)
    assert all(r.lateness == "due today" or r.lateness.startswith("due in") for r in soon)
    mdo = next(r for r in rows if r.what == "MDO overdue")
    assert mdo.label.startswith(mdo.resident)
    assert any(r.what.startswith("Agreement overdue: ") for r in rows)


def test_lateness_words() -> None:
    assert tr.lateness(1) == "1 day late"
    assert tr.lateness(12) == "12 days late"
    assert tr.lateness(0) == "due today"
    assert tr.lateness(-1) == "due in 1 day"
    assert tr.lateness(-3) == "due in 3 days"


def test_groups_of_equal_lateness_are_in_name_order() -> None:
    report = an_overdue_report(items=0)
    assert tr.group_items(report.items, tr.Grouping.PROFESSIONAL) == []


# -- figures ---------------------------------------------------------------------------------


def test_figure_texts(vm: TeamViewModel) -> None:
    vm.refresh()
    mdo = dict(vm.mdo_rows())
    assert mdo["Contacts"] == "23"
    assert mdo["MDOs within 14 days"] == "13 of 17 (76%)"
    assert mdo["Median days from contact to MDO"] == "11.5 days"
    assert mdo["No MDO needed"] == "4"
    agreements = dict(vm.agreement_rows())
    assert agreements["Done within six weeks"] == "19 of 39 (49%)"
    assert agreements["Median days to done"] == "23.0 days"
    assert agreements["Overdue now"] == "6"
    assert vm.wellbeing_line() == "3.5 → 8.3 → 8.5 (n = 12 · 10 · 7)"
    bars = vm.wellbeing_bars()
    assert [(b.label, b.value_text, b.residents) for b in bars] == [
        ("At contact", "3.5", 12),
        ("At the MDO", "8.3", 10),
        ("After six weeks", "8.5", 7),
    ]
    health = vm.health_points()
    assert [h.label for h in health][:2] == ["Body", "Mental wellbeing"] and len(health) == 6
    organisations = vm.organisation_bars()
    assert organisations[-1].name == "Resident and network"
    assert (organisations[0].made, organisations[0].done, organisations[0].overdue_now) == (
        14,
        9,
        2,
    )
    assert vm.stories()[0].question == STORY_QUESTION


def test_figures_that_cannot_be_computed_show_a_dash() -> None:
    figures = some_figures(measured=False).model_copy(
        update={
            "mdos_held": 0,
            "mdos_within_14_days": 0,
            "pct_mdos_within_14_days": None,
            "median_days_contact_to_mdo": None,
        }
    )
    rows = dict(tr.mdo_rows(figures, "en"))
    assert rows["MDOs within 14 days"] == "0 of 0"
    assert rows["Median days from contact to MDO"] == tr.DASH
    assert tr.wellbeing_line(figures.wellbeing, "en") == tr.DASH


def test_dutch_numbers_use_a_decimal_comma() -> None:
    figures = some_figures()
    assert tr.wellbeing_line(figures.wellbeing, "nl") == "3,5 → 8,3 → 8,5 (n = 12 · 10 · 7)"
    assert tr.percent(13 / 17 * 100, "nl") == "76%"


# -- offline and failures --------------------------------------------------------------------


def test_the_last_answers_are_kept_sealed_and_shown_offline(
    store: CaseStore, server: FakeServer
) -> None:
    TeamViewModel(store, today=lambda: TODAY, fetch=server).refresh()
    server.error = OfflineError()
    later = TeamViewModel(store, today=lambda: TODAY, fetch=server)
    assert later.has_data  # straight from the store, before any refresh
    assert later.as_of_text() == "As of 24 November 2026, 10:30"
    assert not later.refresh()
    assert later.message == "Offline — showing the figures of 24 November 2026, 10:30."
    assert later.wellbeing_line().startswith("3.5")
    assert later.groups()
    # sealed: the stored bytes do not contain a resident's words
    raw = store.path.read_bytes()
    assert STORY_QUESTION.encode() not in raw


def test_offline_with_nothing_kept_says_so(vm: TeamViewModel, server: FakeServer) -> None:
    server.error = OfflineError()
    assert not vm.refresh()
    assert vm.message is not None and "no figures on this device yet" in vm.message
    assert not vm.has_data and vm.groups() == [] and vm.mdo_rows() == []


def test_another_period_offline_is_marked(vm: TeamViewModel, server: FakeServer) -> None:
    vm.refresh()
    server.error = OfflineError()
    vm.choose_preset(PeriodPreset.YEAR)
    assert not vm.refresh()
    assert vm.shows_other_period()
    assert vm.period_text() == "25 May 2026 to 24 November 2026"


def test_a_refusal_keeps_the_answers_and_says_why(vm: TeamViewModel, server: FakeServer) -> None:
    vm.refresh()
    server.error = ServerError("no_team")
    assert not vm.refresh()
    assert vm.message == "Your account is not in a team yet. Ask the administrator."
    assert vm.has_data
    server.error = ServerError("wrong_role")
    vm.refresh()
    assert vm.message is not None and "not a team lead" in vm.message


def test_a_damaged_cache_reads_as_nothing_kept(store: CaseStore, server: FakeServer) -> None:
    TeamViewModel(store, today=lambda: TODAY, fetch=server).refresh()
    with store.writing() as (conn, _sealer):
        conn.execute(update(team_cache.CACHE).values(payload=b"\x00" * 60))
    vm = TeamViewModel(store, today=lambda: TODAY, fetch=server)
    assert not vm.has_data and vm.as_of_text() is None


# -- exports and opening a case --------------------------------------------------------------


def test_export_the_pdf_of_what_is_shown(vm: TeamViewModel) -> None:
    assert vm.export_pdf() is None  # nothing to export yet
    vm.refresh()
    export = vm.export_pdf()
    assert export is not None
    assert export.file_name == "teamrapportage-2026-05-25-2026-11-24.pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(export.content)).pages)
    assert "Team report" in text and "3.5 → 8.3 → 8.5" in text


def test_export_csv_of_both_answers(vm: TeamViewModel) -> None:
    assert vm.export_csv(Tab.OVERDUE) is None
    vm.refresh()
    overdue = vm.export_csv(Tab.OVERDUE)
    figures = vm.export_csv(Tab.FIGURES)
    assert overdue is not None and figures is not None
    assert overdue.file_name.endswith(".csv") and figures.file_name.endswith(".csv")
    assert vm.overdue is not None
    first = vm.overdue.value.items[0].resident_name
    assert first in overdue.content.decode("utf-8-sig")
    assert "23" in figures.content.decode("utf-8-sig")


def test_a_case_opens_only_when_it_is_on_this_tablet(store: CaseStore, vm: TeamViewModel) -> None:
    here = a_case_file()
    store.add_case_files([here], today=TODAY, now=NOW)
    assert vm.open_case(here.case.id)
    assert vm.message is None
    assert not vm.open_case("00000000-0000-4000-8000-000000000001")
    assert vm.message is not None and "not on this tablet" in vm.message


def test_the_cache_keeps_only_the_newest_answer(store: CaseStore, server: FakeServer) -> None:
    vm = TeamViewModel(store, today=lambda: TODAY, fetch=server)
    vm.refresh()
    vm.choose_preset(PeriodPreset.THIS_YEAR)
    vm.refresh()
    again = TeamViewModel(store, today=lambda: TODAY + timedelta(days=1), fetch=server)
    assert again.figures is not None and again.figures.value.start == date(2026, 1, 1)

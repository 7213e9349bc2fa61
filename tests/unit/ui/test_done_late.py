"""An agreement done after its due date stays recorded, and shown, as done late (#3)."""

from __future__ import annotations

from datetime import timedelta

from models import queries
from models.deadlines import DeadlineState
from models.domain import AgreementStatus
from models.store import CaseStore
from tests.support.factories import NOW, TODAY, a_case_file
from ui.viewmodels import dates
from ui.viewmodels.case_detail import AgreementLine, CaseViewModel


def _lines(store: CaseStore, case_id: str) -> dict[str, AgreementLine]:
    vm = CaseViewModel(store, case_id, today=lambda: TODAY, now=lambda: NOW)
    return {line.agreement.id: line for line in vm.agreement_lines()}


def test_done_after_the_due_day_shows_as_late_and_in_time_does_not(store: CaseStore) -> None:
    f = a_case_file()  # meeting 14-11-2026; agreements due 19-11-2026 and 26-12-2026
    store.add_case_files([f], today=TODAY, now=NOW)
    late, in_time = f.agreements
    vm = CaseViewModel(store, f.case.id, today=lambda: TODAY, now=lambda: NOW)
    assert vm.mark_done(late.id, on=dates.short(late.due_date + timedelta(days=2)), note="") == {}
    assert vm.mark_done(in_time.id, on=dates.short(TODAY), note="") == {}

    lines = _lines(store, f.case.id)  # a fresh screen: what was saved, not what was typed
    assert lines[late.id].deadline.state is DeadlineState.MET_LATE
    assert lines[late.id].deadline.days_late == 2
    assert lines[late.id].text == (
        "Sanne de Bruijn · klaar op 21-11-2026 · te laat klaar (uiterlijk 19-11-2026)"
    )
    assert lines[in_time.id].deadline.state is DeadlineState.MET
    assert lines[in_time.id].text == "Daan Verhoeven · klaar op 24-11-2026"
    assert "te laat" not in lines[in_time.id].text
    for line in lines.values():  # done is done: no badge, no longer overdue anywhere
        assert line.badge is None and not line.open
    assert queries.overdue(store, today=TODAY + timedelta(days=60)) == []


def test_done_on_the_due_day_is_in_time_and_a_day_later_is_late(store: CaseStore) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    first, second = f.agreements
    vm = CaseViewModel(store, f.case.id, today=lambda: TODAY, now=lambda: NOW)
    assert vm.mark_done(first.id, on=dates.short(first.due_date), note="") == {}
    lines = _lines(store, f.case.id)
    assert lines[first.id].deadline.state is DeadlineState.MET
    assert "te laat" not in lines[first.id].text
    assert lines[second.id].agreement.status is AgreementStatus.OPEN

    g = a_case_file(name="Bram de Boer")
    store.add_case_files([g], today=TODAY, now=NOW)
    vm = CaseViewModel(store, g.case.id, today=lambda: TODAY, now=lambda: NOW)
    one_day_late = g.agreements[0].due_date + timedelta(days=1)
    assert vm.mark_done(g.agreements[0].id, on=dates.short(one_day_late), note="") == {}
    line = _lines(store, g.case.id)[g.agreements[0].id]
    assert line.deadline.state is DeadlineState.MET_LATE and "te laat klaar" in line.text

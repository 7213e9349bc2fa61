"""My cases' filters over a store with a case in every stage (#3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from models import queries
from models.domain import AgreementStatus, CaseFile, CaseStage, NoMeetingDecision
from models.store import CaseStore
from tests.support.factories import NOW, TODAY, a_case_file
from tests.support.flet_controls import texts_under
from ui.viewmodels.cases import CaseFilter, CasesViewModel
from ui.views.cases import CasesView


def _contact(name: str) -> CaseFile:
    f = a_case_file(name=name, contact=TODAY - timedelta(days=3), held_on=None)
    f.participants, f.meetings, f.agreements = f.participants[:1], [], []
    return f


def _planned(name: str) -> CaseFile:
    f = a_case_file(name=name, contact=TODAY - timedelta(days=5), held_on=None)
    f.meetings[0].planned_for = datetime.combine(TODAY + timedelta(days=2), time(10), tzinfo=UTC)
    f.meetings[0].present = []
    f.agreements = []
    return f


def _held(name: str) -> CaseFile:
    f = a_case_file(name=name)
    for a in f.agreements:  # every agreement done: the meeting was held, nothing runs
        a.status, a.done_on = AgreementStatus.DONE, TODAY
    return f


def _closed(name: str) -> CaseFile:
    f = _held(name)
    f.case.closed_on, f.case.closing_note = TODAY, "Het gaat goed."
    return f


def _no_mdo(name: str) -> CaseFile:
    f = _contact(name)
    f.case.no_meeting = NoMeetingDecision(decided_on=TODAY, reason="Zelf opgelost")
    return f


STAGES = {
    "Ayşe Yılmaz": (_contact, CaseStage.CONTACT),
    "Mohamed El Amrani": (_planned, CaseStage.MEETING_PLANNED),
    "Joëlle de Wit": (_held, CaseStage.MEETING_HELD),
    "Bram de Boer": (a_case_file, CaseStage.AGREEMENTS_RUNNING),
    "Fatima Benali": (_closed, CaseStage.CLOSED),
    "Gökhan Öztürk": (_no_mdo, CaseStage.NO_MEETING_NEEDED),
}


@pytest.fixture
def cases(store: CaseStore) -> CasesViewModel:
    store.add_case_files(
        [make(name=name) for name, (make, _stage) in STAGES.items()], today=TODAY, now=NOW
    )
    vm = CasesViewModel(store.file, today=lambda: TODAY)
    vm.load()
    return vm


def _names(vm: CasesViewModel) -> set[str]:
    return {row.title for row in vm.rows}


def test_every_stage_is_there(cases: CasesViewModel) -> None:
    stages = {s.resident_name: s.stage for s in cases._all}
    assert stages == {name: stage for name, (_make, stage) in STAGES.items()}


@pytest.mark.parametrize(
    ("case_filter", "names"),
    [
        (
            CaseFilter.OPEN,
            {"Ayşe Yılmaz", "Mohamed El Amrani", "Joëlle de Wit", "Bram de Boer", "Gökhan Öztürk"},
        ),
        (CaseFilter.WAITING_FOR_MDO, {"Ayşe Yılmaz", "Mohamed El Amrani"}),
        (CaseFilter.AGREEMENTS_RUNNING, {"Bram de Boer"}),
        (CaseFilter.CLOSED, {"Fatima Benali"}),
    ],
)
def test_each_filter_shows_its_stages(
    cases: CasesViewModel, case_filter: CaseFilter, names: set[str]
) -> None:
    cases.set_filter(case_filter)
    assert _names(cases) == names
    assert cases.empty_message is None
    n = len(names)
    assert cases.count_text == (f"{n} casus" if n == 1 else f"{n} casussen")


def test_a_filter_and_a_search_narrow_together(cases: CasesViewModel) -> None:
    cases.set_filter(CaseFilter.WAITING_FOR_MDO)
    cases.set_search("amrani")
    assert _names(cases) == {"Mohamed El Amrani"}
    cases.set_search("benali")  # closed: not waiting for an MDO
    assert cases.rows == [] and cases.empty_message is not None
    cases.set_filter(CaseFilter.CLOSED)
    assert _names(cases) == {"Fatima Benali"}


def test_a_case_moves_between_filters_as_it_moves_on(
    store: CaseStore, cases: CasesViewModel
) -> None:
    cases.set_filter(CaseFilter.AGREEMENTS_RUNNING)
    assert _names(cases) == {"Bram de Boer"}
    running = next(s for s in cases._all if s.resident_name == "Bram de Boer")
    for a in queries.case_file(store, running.case_id).agreements:
        store.save_agreement(replace(a, status=AgreementStatus.DONE, done_on=TODAY))
    cases.load()
    assert cases.rows == []  # done agreements: no longer running, and not waiting either
    cases.set_filter(CaseFilter.OPEN)
    assert "Bram de Boer" in _names(cases)


def test_tapping_a_chip_redraws_the_list_with_that_filter(cases: CasesViewModel) -> None:
    view = CasesView(cases, on_activity=lambda: None)
    view._chooser(CaseFilter.CLOSED)()  # type: ignore[call-arg]
    assert view.chips[CaseFilter.CLOSED].selected and not view.chips[CaseFilter.OPEN].selected
    assert [texts_under(c)[0] for c in view.list.controls] == ["Fatima Benali"]
    assert view.count.value == "1 casus"
    view._chooser(CaseFilter.WAITING_FOR_MDO)()  # type: ignore[call-arg]
    drawn = {texts_under(c)[0] for c in view.list.controls}
    assert drawn == {"Ayşe Yılmaz", "Mohamed El Amrani"} and view.count.value == "2 casussen"

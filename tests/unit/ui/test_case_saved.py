"""After a case-screen dialog saves, the screen says what was saved (#3).

The line that changed is often scrolled out of view on a phone: the confirmation stands above
the case, as a live region a screen reader reads out, and goes while the next dialog is open.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from models.domain import MeasurementMoment
from models.store import CaseStore
from tests.support.factories import NOW, TODAY, a_case_file
from ui.viewmodels import dates
from ui.viewmodels.case_detail import CaseViewModel
from ui.views.case_detail import CaseView

pytestmark = pytest.mark.usefixtures("english")


def _vm(store: CaseStore, *, held: bool = True) -> CaseViewModel:
    f = a_case_file()
    if not held:
        f.meetings, f.agreements = [], []
    store.add_case_files([f], today=TODAY, now=NOW)
    return CaseViewModel(store, f.case.id, today=lambda: TODAY, now=lambda: NOW)


def test_each_agreement_save_says_what_was_saved_and_a_refused_one_says_nothing(
    store: CaseStore,
) -> None:
    vm = _vm(store)
    first, second = (line.agreement for line in vm.agreement_lines())
    assert vm.saved_text is None
    assert vm.mark_done(first.id, on="25-11-2026", note="") != {}  # in the future: refused
    assert vm.saved_text is None
    assert vm.mark_done(first.id, on=dates.short(TODAY), note="") == {}
    assert vm.saved_text == "Saved: the agreement is done."
    vm.dismiss_saved()  # the next dialog opens
    assert vm.saved_text is None
    assert vm.move_due(second.id, due="gisteren", reason="") != {}
    assert vm.saved_text is None
    due = TODAY + timedelta(days=7)
    assert vm.move_due(second.id, due=dates.short(due), reason="") == {}
    assert vm.saved_text == "Saved: the new date is 01-12-2026."
    resident = vm.case_file.participants[0]
    assert vm.hand_over(second.id, owner_id=resident.id) == {}
    assert vm.saved_text == f"Saved: {resident.name} takes the agreement over."


def test_wellbeing_and_closing_say_what_was_saved(store: CaseStore) -> None:
    vm = _vm(store)
    six_weeks, today = MeasurementMoment.SIX_WEEKS, dates.short(TODAY)
    assert vm.record_measurement(moment=six_weeks, on=today, wellbeing=None) != {}
    assert vm.saved_text is None
    assert vm.record_measurement(moment=six_weeks, on=today, wellbeing=7) == {}
    assert vm.saved_text == "Saved: wellbeing recorded."
    assert vm.close_case(on="morgen", note="") != {}
    assert vm.saved_text == "Saved: wellbeing recorded."  # the last save still stands
    assert vm.close_case(on=dates.short(TODAY), note="") == {}
    assert vm.saved_text == "Saved: the case is closed."


def test_no_mdo_needed_says_it_was_saved(store: CaseStore) -> None:
    vm = _vm(store, held=False)
    assert vm.decide_no_meeting(reason="Hulp is al geregeld", on=dates.short(TODAY)) == {}
    assert vm.saved_text == "Saved: no MDO needed."


def test_the_case_screen_shows_it_above_the_case_as_a_live_region(
    store: CaseStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    vm = _vm(store)
    view = CaseView(
        vm,
        width=390,
        on_plan=lambda: None,
        on_meeting=lambda: None,
        on_back=lambda: None,
        on_activity=lambda: None,
    )
    # Pinned above the scrolling case: seen wherever the case is scrolled to.
    assert view.control.controls == [view.saved, view.body]
    assert view.body.scroll is not None and view.control.scroll is None
    assert not view.saved.visible
    assert vm.mark_done(vm.agreement_lines()[0].agreement.id, on="24-11-2026", note="") == {}
    view.draw()  # as after the dialog closed
    assert view.saved.visible and view.saved.live_region
    assert view.saved.label == view.saved_text.value == "Saved: the agreement is done."
    # The next dialog hides it: shown again it is a new live region, read out even when the
    # words are the same.
    opened: list[str] = []
    monkeypatch.setattr(
        "ui.views.case_detail.FormDialog",
        lambda _page, title, *_a, **_k: SimpleNamespace(open=lambda: opened.append(title)),
    )
    monkeypatch.setattr(view, "_page", lambda: None)
    view._done(vm.agreement_lines()[1].agreement.id)
    assert opened == ["Agreement done"]
    assert not view.saved.visible and vm.saved_text is None

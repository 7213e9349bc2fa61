"""The case screen: an error under a dropdown goes as soon as a value is chosen; the agreement
cards are as wide as the screen (#3)."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

import flet as ft
import pytest

from models.store import CaseStore
from tests.support.factories import NOW, TODAY, a_case_file
from ui.viewmodels.case_detail import CaseViewModel
from ui.views.case_detail import CaseView, FormDialog, _ErrorText


def test_choosing_a_value_clears_the_error_under_the_dropdown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    score = ft.Dropdown(options=[ft.DropdownOption(key=str(n)) for n in range(1, 11)])
    updates: list[int] = []
    monkeypatch.setattr(score, "update", lambda: updates.append(1))  # no page in a unit test
    target = _ErrorText(score)
    target.error = "Kies een cijfer van 1 tot 10."
    assert score.error_text == "Kies een cijfer van 1 tot 10."

    score.value = "8"
    assert callable(score.on_select)
    score.on_select(SimpleNamespace(control=score))  # type: ignore[arg-type]
    assert target.error is None and score.error_text is None
    assert updates == [1]  # redrawn, so the red text goes at once

    score.on_select(SimpleNamespace(control=score))  # type: ignore[arg-type]
    assert updates == [1]  # nothing to clear: no redraw


def test_typing_clears_the_error_under_a_text_field(monkeypatch: pytest.MonkeyPatch) -> None:
    reason = ft.TextField(label="Waarom later dan zes weken?")
    own = ft.TextField(label="Eigen", on_change=lambda: None)  # a handler of its own is kept
    updates: list[str] = []
    monkeypatch.setattr(reason, "update", lambda: updates.append("reason"))
    FormDialog(
        SimpleNamespace(),  # type: ignore[arg-type]  # not opened: no page needed
        "Datum verschuiven",
        [reason, own],
        save_label="Opslaan",
        save=lambda: {},
        targets={"reason": reason, "own": own},
        on_done=lambda: None,
    )
    reason.error = "Schrijf op waarom het later wordt."
    assert callable(reason.on_change)
    reason.on_change()  # type: ignore[call-arg]
    assert reason.error is None and updates == ["reason"]
    reason.on_change()  # type: ignore[call-arg]
    assert updates == ["reason"]  # nothing to clear: no redraw
    assert own.on_change is not None and own.on_change.__name__ == "<lambda>"


def _cards(control: Any) -> list[ft.Container]:
    """The bordered agreement cards under ``control``."""
    found = [control] if isinstance(control, ft.Container) and control.border is not None else []
    children = list(getattr(control, "controls", None) or [])
    content = getattr(control, "content", None)
    if isinstance(content, ft.Control):
        children.append(content)
    return found + [card for child in children for card in _cards(child)]


def test_every_agreement_card_is_as_wide_as_the_screen(store: CaseStore) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    vm = CaseViewModel(store, f.case.id, today=lambda: TODAY, now=lambda: NOW)
    view = CaseView(
        vm,
        width=390,
        on_plan=lambda: None,
        on_meeting=lambda: None,
        on_back=lambda: None,
        on_activity=lambda: None,
    )
    cards = _cards(view.control)
    assert len(cards) == len(f.agreements) >= 2
    # Sized to their text the cards stood ragged; each fills a row of its own instead.
    assert all(card.expand for card in cards)


def _buttons(control: Any) -> list[ft.Control]:
    found = [control] if isinstance(control, (ft.OutlinedButton, ft.FilledButton)) else []
    children = list(getattr(control, "controls", None) or [])
    content = getattr(control, "content", None)
    if isinstance(content, ft.Control):
        children.append(content)
    return found + [b for child in children for b in _buttons(child)]


def test_every_button_of_a_case_waiting_for_its_mdo_has_an_icon(store: CaseStore) -> None:
    f = a_case_file()
    f = dataclasses.replace(f, meetings=[], agreements=[])
    store.add_case_files([f], today=TODAY, now=NOW)
    vm = CaseViewModel(store, f.case.id, today=lambda: TODAY, now=lambda: NOW)
    assert vm.can_decide_no_meeting
    view = CaseView(
        vm,
        width=390,
        on_plan=lambda: None,
        on_meeting=lambda: None,
        on_back=lambda: None,
        on_activity=lambda: None,
    )
    buttons = _buttons(view.control)
    assert len(buttons) >= 3
    # "No MDO needed" alone stood without one, beside "Start the meeting" and "Plan the MDO".
    assert [b.content for b in buttons if b.icon is None] == []  # type: ignore[attr-defined]

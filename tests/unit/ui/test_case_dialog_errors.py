"""The case screen's dialogs: an error under a dropdown goes as soon as a value is chosen (#3)."""

from __future__ import annotations

from types import SimpleNamespace

import flet as ft
import pytest

from ui.views.case_detail import _ErrorText


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

"""The dashboard's controls build for every state, without a page (controls are plain data)."""

from __future__ import annotations

from typing import Any

import flet as ft
import pytest

from models.store import CaseStore
from sync.errors import OfflineError
from tests.support.factories import TODAY
from tests.unit.ui.test_team_viewmodel import FakeServer
from ui.viewmodels.team import Tab, TeamViewModel
from ui.views.team import TeamView

pytestmark = pytest.mark.usefixtures("english")


class NoPage:
    def run_task(self, *_args: Any) -> None:
        return None


def texts(control: Any) -> list[str]:
    """Every Text value and semantics label under ``control``."""
    found: list[str] = []

    def walk(c: Any) -> None:
        if isinstance(c, ft.Text) and isinstance(c.value, str):
            found.append(c.value)
        if isinstance(c, ft.Semantics) and c.label:
            found.append(c.label)
        for name in ("content", "controls", "label"):
            child = getattr(c, name, None)
            if isinstance(child, list):
                for item in child:
                    walk(item)
            elif isinstance(child, ft.Control):
                walk(child)

    walk(control)
    return found


def view_of(vm: TeamViewModel, width: float = 1280) -> TeamView:
    page: Any = NoPage()
    return TeamView(
        vm, page=page, width=width, on_open_case=lambda _id: None, on_activity=lambda: None
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_both_tabs_show_the_answers(store: CaseStore, width: float) -> None:
    vm = TeamViewModel(store, today=lambda: TODAY, fetch=FakeServer(store))
    vm.refresh()
    view = view_of(vm, width)
    shown = texts(view.control)
    assert any("days late" in t for t in shown)
    vm.choose_tab(Tab.FIGURES)
    view.draw()
    shown = texts(view.control)
    assert "13 of 17 (76%)" in shown
    assert any(t.startswith("Wellbeing per moment: 3.5 → 8.3 → 8.5") for t in shown)
    assert any(t.startswith("Positive Health per dimension: Body 4.0") for t in shown)
    assert any("GGD Hart voor Brabant: 14 made" in t for t in shown)


def test_nothing_kept_and_offline(store: CaseStore) -> None:
    server = FakeServer(store)
    server.error = OfflineError()
    vm = TeamViewModel(store, today=lambda: TODAY, fetch=server)
    vm.refresh()
    view = view_of(vm)
    shown = " ".join(texts(view.control))
    assert "no figures on this device yet" in shown
    assert "No figures on this device yet. Tap Refresh when you are online." in shown

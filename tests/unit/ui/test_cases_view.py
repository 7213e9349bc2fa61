"""My cases as controls: drawn at once when read already, a page at a time, small tiles (#3)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import flet as ft

from models.store import CaseStore
from tests.support.factories import NOW, a_case_file
from tests.support.flet_controls import texts_under
from ui.viewmodels.cases import PAGE_SIZE, Badge, BadgeKind, CaseRow, CasesViewModel
from ui.views.cases import CasesView, case_tile

TODAY = date(2026, 11, 24)


def _count(control: Any) -> int:
    children = list(getattr(control, "controls", None) or [])
    content = getattr(control, "content", None)
    if isinstance(content, ft.Control):
        children.append(content)
    return 1 + sum(_count(c) for c in children)


def _view(store: CaseStore, cases: int) -> CasesView:
    names = [f"Bewoner {n:03d}" for n in range(cases)]
    store.add_case_files([a_case_file(name=n) for n in names], today=TODAY, now=NOW)
    vm = CasesViewModel(store.file, today=lambda: TODAY)
    vm.load()
    return CasesView(vm, on_activity=lambda: None, on_open=lambda _id: None)


def _tiles(view: CasesView) -> list[ft.Control]:
    return [c for c in view.list.controls if " · contact " in " ".join(texts_under(c))]


def test_a_list_read_already_is_drawn_with_the_screen(store: CaseStore) -> None:
    view = _view(store, PAGE_SIZE + 5)
    assert len(_tiles(view)) == PAGE_SIZE
    assert (
        texts_under(view.list.controls[-1]) == []
        and view.count.value == f"{PAGE_SIZE + 5} casussen"
    )


def test_show_more_adds_only_the_next_page_and_moves_the_button(store: CaseStore) -> None:
    view = _view(store, 2 * PAGE_SIZE + 3)
    first = view.list.controls[:PAGE_SIZE]
    view._add_page()
    assert view.list.controls[:PAGE_SIZE] == first  # the tiles drawn stay the same objects
    assert len(_tiles(view)) == 2 * PAGE_SIZE and view.list.controls[-1] is view._more_button
    view._add_page()
    assert len(_tiles(view)) == 2 * PAGE_SIZE + 3 and view._more_button is None
    assert view.list.controls[-1] is _tiles(view)[-1]


def test_scrolling_near_the_end_draws_the_next_page(store: CaseStore) -> None:
    view = _view(store, PAGE_SIZE + 3)
    far = SimpleNamespace(pixels=0.0, max_scroll_extent=3000.0, viewport_dimension=500.0)
    view._scrolled(far)  # type: ignore[arg-type]
    assert len(_tiles(view)) == PAGE_SIZE
    near = SimpleNamespace(pixels=2600.0, max_scroll_extent=3000.0, viewport_dimension=500.0)
    view.list.update = lambda: None  # type: ignore[method-assign]  # not on a page here
    view._scrolled(near)  # type: ignore[arg-type]
    assert len(_tiles(view)) == PAGE_SIZE + 3


def test_a_tile_is_a_few_controls_with_every_text() -> None:
    row = CaseRow(
        "c1",
        "Anna Jansen",
        "Eerste contact · contact 20-11-2026",
        (Badge("MDO 2 dagen te laat", BadgeKind.DANGER),),
        False,
        "MDO uiterlijk 02-12-2026",
    )
    tile = case_tile(row, lambda _id: None)
    assert texts_under(tile) == [
        "Anna Jansen",
        "Eerste contact · contact 20-11-2026\nMDO uiterlijk 02-12-2026",
        "MDO 2 dagen te laat",
    ]
    assert _count(tile) == 6  # tile, column, two texts, the badge and its text
    plain = CaseRow("c2", "Bram", "Afgesloten · contact 01-01-2026", (), False)
    assert _count(case_tile(plain)) == 4
    two = CaseRow("c3", "Cor", "x · contact y", (row.badges[0], row.badges[0]), False)
    assert len(texts_under(case_tile(two))) == 4


def test_on_a_phone_new_contact_shares_the_count_row_so_the_list_keeps_its_room(
    store: CaseStore,
) -> None:
    vm = CasesViewModel(store.file, today=lambda: TODAY)
    vm.load()
    for phone in (True, False):
        view = CasesView(
            vm, on_activity=lambda: None, on_open=lambda _id: None, on_new=lambda: None, phone=phone
        )
        rows = view.control.controls
        assert rows[-1] is view.list
        # Search, progress, chips, count (with "New contact" beside it on a phone), the list.
        assert len(rows) == 5
        with_button = [r for r in rows if _has_new(r)]
        assert len(with_button) == 1
        assert (with_button[0] is rows[3]) is phone  # beside the count on a phone
        assert (with_button[0] is rows[0]) is not phone  # beside the search field otherwise


def _has_new(control: Any) -> bool:
    if isinstance(control, ft.FilledButton) and control.icon == ft.Icons.ADD:
        return True
    children = list(getattr(control, "controls", None) or [])
    content = getattr(control, "content", None)
    if isinstance(content, ft.Control):
        children.append(content)
    return any(_has_new(c) for c in children)


def test_on_a_phone_the_chips_are_one_row_that_scrolls_sideways(store: CaseStore) -> None:
    vm = CasesViewModel(store.file, today=lambda: TODAY)
    vm.load()
    phone = CasesView(vm, on_activity=lambda: None, phone=True)
    tablet = CasesView(vm, on_activity=lambda: None, phone=False)
    for view in (phone, tablet):
        assert view.chip_row in view.control.controls
        assert view.chip_row.controls == list(view.chips.values())
    # Wrapped onto two rows on a phone they took room from the list (#3); the bar shows there
    # are more chips to the right.
    assert not phone.chip_row.wrap and phone.chip_row.scroll is ft.ScrollMode.ALWAYS
    assert tablet.chip_row.wrap and tablet.chip_row.scroll is None

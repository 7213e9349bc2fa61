"""My cases: search, filter chips and the list; only the list is redrawn while typing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import flet as ft

from models.i18n import _
from ui.viewmodels.cases import BadgeKind, CaseFilter, CaseRow, CasesViewModel
from ui.views.common import DANGER_BG, TOUCH, WARNING_BG, labelled_button

SCROLL_INTERVAL_MS = 250  # how often the browser reports scrolling (each report is a message)


def badge(text: str, kind: BadgeKind) -> ft.Container:
    return ft.Container(
        content=ft.Text(text, color="#FFFFFF", size=14, weight=ft.FontWeight.W_600),
        bgcolor=DANGER_BG if kind is BadgeKind.DANGER else WARNING_BG,
        border_radius=12,
        padding=ft.Padding.symmetric(horizontal=10, vertical=4),
    )


def case_tile(row: CaseRow, on_open: Callable[[str], None] | None = None) -> ft.Control:
    """One case: the name, then stage, contact date and next deadline, then any badges.

    Few controls on purpose: every control costs time to build, send and lay out, and the list
    draws dozens of tiles at once (four controls for a tile without badges).
    """
    details = f"{row.subtitle}\n{row.next_deadline}" if row.next_deadline else row.subtitle
    lines: list[ft.Control] = [
        ft.Text(
            row.title,
            size=18,
            weight=ft.FontWeight.W_600,
            italic=row.damaged,
            color="#6B6B6B" if row.damaged else None,
        ),
        ft.Text(details, size=15),
    ]
    if len(row.badges) == 1:
        lines.append(badge(row.badges[0].text, row.badges[0].kind))
    elif row.badges:
        lines.append(
            ft.Row(controls=[badge(b.text, b.kind) for b in row.badges], wrap=True, run_spacing=4)
        )
    return ft.Container(
        on_click=(lambda _e: on_open(row.case_id)) if on_open else None,
        ink=on_open is not None,
        content=ft.Column(controls=lines, spacing=4, tight=True),
        padding=ft.Padding.symmetric(horizontal=16, vertical=12),
        border=ft.Border.only(bottom=ft.BorderSide(1, "#E0E0E0")),
    )


class CasesView:
    def __init__(
        self,
        vm: CasesViewModel,
        *,
        on_activity: Callable[[], None],
        on_open: Callable[[str], None] | None = None,
        on_new: Callable[[], None] | None = None,
        phone: bool = False,
    ) -> None:
        self.vm = vm
        self.on_activity = on_activity
        self.on_open = on_open
        self.search = ft.TextField(
            label=_("Search by name"),
            prefix_icon=ft.Icons.SEARCH,
            value=vm.search,
            on_change=self._search,
            expand=True,
        )
        self.chips = {
            f: ft.Chip(
                label=vm.filter_label(f),
                selected=f is vm.case_filter,
                on_select=self._chooser(f),
                height=TOUCH,  # a touch target; the browser's compact density made it 34 px
            )
            for f in CaseFilter
        }
        # On a phone the chips wrapped onto two rows and took room from the list: one row
        # there that scrolls sideways instead (#3). A tablet has the width for one row anyway.
        self.chip_row = ft.Row(
            controls=list(self.chips.values()),
            wrap=not phone,
            scroll=ft.ScrollMode.ALWAYS if phone else None,  # the bar shows there is more
            height=TOUCH + 8 if phone else None,  # room for the bar under the chips
            vertical_alignment=ft.CrossAxisAlignment.START,
            spacing=8,
        )
        self.count = ft.Text(size=14)
        self._more_button: ft.Control | None = None
        # The list grows by a page when scrolled near its end (and by the "show more" button).
        self.list = ft.ListView(
            expand=True, spacing=0, on_scroll=self._scrolled, scroll_interval=SCROLL_INTERVAL_MS
        )
        self.loading = ft.Row(
            controls=[
                ft.ProgressRing(width=24, height=24, semantics_label=_("Busy")),
                ft.Text(_("Opening the cases…"), size=16),
            ],
            visible=False,
        )
        search_row = ft.Row(controls=[self.search])
        count_row: ft.Control = self.count
        if on_new is not None:
            new = ft.FilledButton(
                content=_("New contact"), icon=ft.Icons.ADD, on_click=on_new, height=48
            )
            if phone:  # no room beside the search field: beside the count, so the list keeps
                # the room a row of its own took (a phone showed 2½ cases)
                count_row = ft.Row(
                    controls=[ft.Container(content=self.count, expand=True), new],
                    vertical_alignment=ft.CrossAxisAlignment.CENTER,
                )
            else:
                search_row = ft.Row(controls=[self.search, new])
        self.control = ft.Column(
            controls=[
                search_row,
                self.loading,
                self.chip_row,
                count_row,
                self.list,
            ],
            expand=True,
            spacing=12,
        )
        if vm.loaded:  # read already (right after unlocking): drawn with the screen, in one go
            self._show()

    def load(self) -> None:
        """Read the cases now (quick for a few hundred)."""
        self.vm.load()
        self._show()

    async def load_in_background(self) -> None:
        """Read the cases off the UI loop, with a progress ring meanwhile (large stores)."""
        self.loading.visible = True
        self.control.update()
        try:
            await asyncio.to_thread(self.vm.load)
        finally:
            self.loading.visible = False
        self._show()
        self.control.update()

    def _chooser(self, case_filter: CaseFilter) -> ft.ControlEventHandler[ft.Chip]:
        def choose() -> None:
            self.on_activity()
            self.vm.set_filter(case_filter)
            self._show()

        return choose

    def _search(self) -> None:
        self.on_activity()
        self.vm.set_search(self.search.value)
        self._show()

    def _more(self) -> None:
        self.on_activity()
        self._add_page()
        self.list.update()

    def _scrolled(self, e: ft.OnScrollEvent) -> None:
        """Near the end of the list: draw the next page before the user gets there."""
        if self.vm.hidden and e.pixels >= e.max_scroll_extent - e.viewport_dimension:
            self._add_page()
            self.list.update()
        else:  # most scroll events change nothing: spare the page-wide update after a handler
            ft.context.disable_auto_update()  # type: ignore[no-untyped-call]

    def _add_page(self) -> None:
        """Add the next page's tiles after the ones drawn (only those are sent)."""
        controls = self.list.controls
        if controls and controls[-1] is self._more_button:
            controls.pop()
        controls.extend(case_tile(r, self.on_open) for r in self.vm.show_more())
        self._add_more_button()

    def _add_more_button(self) -> None:
        more = self.vm.more_text
        self._more_button = (
            ft.Container(
                content=labelled_button(more, self._more, icon=ft.Icons.EXPAND_MORE),
                padding=ft.Padding.all(12),
            )
            if more
            else None
        )
        if self._more_button is not None:
            self.list.controls.append(self._more_button)

    def _show(self) -> None:
        for f, chip in self.chips.items():
            chip.selected = f is self.vm.case_filter
        self.count.value = self.vm.count_text
        empty = self.vm.empty_message
        if empty:
            self.list.controls = [
                ft.Container(content=ft.Text(empty, size=16), padding=ft.Padding.all(16))
            ]
        else:
            self.list.controls = [case_tile(r, self.on_open) for r in self.vm.visible_rows]
            self._add_more_button()

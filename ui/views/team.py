"""The team-lead dashboard: "Overdue" and "Figures", thin over ``ui.viewmodels.team``.

Charts are flet-charts controls (``flet_charts``): wellbeing per moment and the agreements per
organisation as bar charts, Positive Health as a radar. They render in the web client too (checked
in Chromium with ``no_cdn``: the flet-web bundle includes fl_chart). Each chart has a semantics
label that says its numbers, and the same numbers are written beside it as text: a chart alone
is not readable for everyone.

Refreshing runs in a worker thread (``asyncio.to_thread``): the screen stays responsive and the
kept answers stay visible meanwhile. Exports go through ``ft.FilePicker().save_file`` with the
bytes (a download in the browser, a save dialog on desktop and mobile).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import flet as ft
import flet_charts as fch  # type: ignore[import-untyped]

from models import team_report as tr
from models.i18n import _
from ui.viewmodels.team import Export, GroupRow, ItemRow, PeriodPreset, Tab, TeamViewModel
from ui.views.common import DANGER_BG, TOUCH, WARNING_BG, message, section

log = logging.getLogger(__name__)

GREEN = "#1B5E20"
LIGHT_GREEN = "#81C784"
ORANGE = "#E65100"
BLUE = "#1F5F8B"
CARD_BORDER = "#DADADA"
CHART_HEIGHT = 260
ORG_GROUP_WIDTH = 110  # per organisation in the bar chart: room for a name on two lines


def card(title: str, *controls: ft.Control, col: Any = None) -> ft.Container:
    return ft.Container(
        content=ft.Column(controls=[section(title), *controls], spacing=10, tight=True),
        padding=16,
        border=ft.Border.all(1, CARD_BORDER),
        border_radius=12,
        col=col or {"xs": 12, "md": 6},
    )


def figure_table(rows: list[tuple[str, str]]) -> ft.Control:
    return ft.Column(
        controls=[
            ft.Row(
                controls=[
                    ft.Text(label, size=16, expand=True),
                    ft.Text(value, size=16, weight=ft.FontWeight.BOLD),
                ],
            )
            for label, value in rows
        ],
        spacing=6,
    )


def lateness_badge(row: ItemRow) -> ft.Container:
    return ft.Container(
        content=ft.Text(row.lateness, color="#FFFFFF", size=14, weight=ft.FontWeight.W_600),
        bgcolor=DANGER_BG if row.late else WARNING_BG,
        border_radius=12,
        padding=ft.Padding.symmetric(horizontal=10, vertical=4),
    )


def who_text(row: ItemRow) -> ft.Text:
    """The other grouping's name; an owner taken off the case stands out (it needs handing over;
    the words say it too, "(no longer taking part)")."""
    if row.who_removed:
        return ft.Text(row.who, size=14, color=ORANGE, weight=ft.FontWeight.W_600)
    return ft.Text(row.who, size=14, color="#5F5F5F")


def item_tile(row: ItemRow, on_open: Callable[[str], Any]) -> ft.Control:
    return ft.Container(
        on_click=lambda _e: on_open(row.case_id),
        ink=True,
        content=ft.Semantics(
            label=row.label,
            button=True,
            content=ft.Column(
                controls=[
                    ft.Text(row.resident, size=18, weight=ft.FontWeight.W_600),
                    ft.Text(row.what, size=15),
                    ft.Row(
                        controls=[
                            lateness_badge(row),
                            ft.Text(_("due {day}").format(day=row.due), size=14),
                            who_text(row),
                        ],
                        wrap=True,
                        spacing=10,
                    ),
                ],
                spacing=4,
                tight=True,
            ),
        ),
        padding=ft.Padding.symmetric(horizontal=16, vertical=10),
        border=ft.Border.only(bottom=ft.BorderSide(1, "#E0E0E0")),
    )


def group_block(group: GroupRow, on_open: Callable[[str], Any]) -> ft.Control:
    return ft.Column(
        controls=[
            ft.Container(
                content=ft.Row(
                    controls=[
                        ft.Text(
                            group.name,
                            size=18,
                            weight=ft.FontWeight.BOLD,
                            color=ORANGE if group.removed else None,
                            expand=True,
                        ),
                        ft.Text(group.summary, size=15),
                    ],
                ),
                bgcolor="#EEF3EE",
                padding=ft.Padding.symmetric(horizontal=16, vertical=10),
                border_radius=8,
            ),
            *(item_tile(row, on_open) for row in group.items),
        ],
        spacing=0,
        horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
    )


# -- charts ----------------------------------------------------------------------------------------


def wellbeing_steps(vm: TeamViewModel) -> ft.Control:
    """ "3,5 → 8,3 → 8,5 (n = 12 · 10 · 7)" with arrow icons: the web client's bundled Roboto has
    no "→" glyph (and no fallback font offline), so the arrows are icons here."""
    bars = vm.wellbeing_bars()
    if not bars:
        return ft.Text(tr.DASH, size=22)
    big: dict[str, Any] = {"size": 24, "weight": ft.FontWeight.BOLD, "color": GREEN}
    parts: list[ft.Control] = []
    for index, bar in enumerate(bars):
        if index:
            parts.append(ft.Icon(ft.Icons.ARROW_FORWARD, color=GREEN, size=22))
        parts.append(ft.Text(bar.value_text, **big))
    residents = " · ".join(str(b.residents) for b in bars)
    parts.append(ft.Text(f"(n = {residents})", size=18, color=GREEN))
    return ft.Semantics(
        label=vm.wellbeing_line(),
        content=ft.Row(controls=parts, spacing=6, wrap=True),
    )


def wellbeing_chart(vm: TeamViewModel) -> ft.Control:
    bars = vm.wellbeing_bars()
    chart = fch.BarChart(
        groups=[
            fch.BarChartGroup(
                x=i,
                rods=[
                    fch.BarChartRod(
                        to_y=b.value,
                        width=36,
                        color=GREEN,
                        border_radius=4,
                        tooltip=b.value_text,
                    )
                ],
            )
            for i, b in enumerate(bars)
        ],
        min_y=0,
        max_y=10,
        interactive=False,
        left_axis=fch.ChartAxis(
            labels=[fch.ChartAxisLabel(value=v, label=str(v)) for v in (0, 2, 4, 6, 8, 10)],
            label_size=28,
        ),
        bottom_axis=fch.ChartAxis(
            labels=[
                fch.ChartAxisLabel(
                    value=i,
                    label=ft.Text(
                        f"{b.label}\n{b.value_text} · n = {b.residents}",
                        size=13,
                        text_align=ft.TextAlign.CENTER,
                    ),
                )
                for i, b in enumerate(bars)
            ],
            label_size=44,
        ),
        horizontal_grid_lines=fch.ChartGridLines(interval=2, color="#E6E6E6", width=1),
        height=CHART_HEIGHT,
        expand=True,
    )
    label = _("Wellbeing per moment: {line}").format(line=vm.wellbeing_line())
    return ft.Semantics(label=label, content=ft.Container(content=chart, height=CHART_HEIGHT))


def health_chart(vm: TeamViewModel) -> ft.Control:
    points = vm.health_points()
    chart = fch.RadarChart(
        titles=[fch.RadarChartTitle(text=p.label) for p in points],
        data_sets=[
            fch.RadarDataSet(
                entries=[fch.RadarDataSetEntry(p.value) for p in points],
                fill_color=ft.Colors.with_opacity(0.35, BLUE),
                border_color=BLUE,
                border_width=2,
                entry_radius=3,
            ),
            # an invisible ring at 10 and one at 0 fix the scale at 0..10
            fch.RadarDataSet(
                entries=[fch.RadarDataSetEntry(10) for _p in points],
                fill_color=ft.Colors.TRANSPARENT,
                border_color=ft.Colors.TRANSPARENT,
                entry_radius=0,
            ),
            fch.RadarDataSet(
                entries=[fch.RadarDataSetEntry(0) for _p in points],
                fill_color=ft.Colors.TRANSPARENT,
                border_color=ft.Colors.TRANSPARENT,
                entry_radius=0,
            ),
        ],
        # fl_chart turns each title along its spoke; the words are also written under the chart
        title_text_style=ft.TextStyle(size=13),
        title_position_percentage_offset=0.12,
        tick_count=5,
        ticks_text_style=ft.TextStyle(size=0, color=ft.Colors.TRANSPARENT),
        grid_border_side=ft.BorderSide(1, "#BDBDBD"),
        tick_border_side=ft.BorderSide(1, "#E0E0E0"),
        radar_border_side=ft.BorderSide(1, "#9E9E9E"),
        interactive=False,
        expand=True,
    )
    label = _("Positive Health per dimension: {values}").format(
        values=", ".join(f"{p.label} {p.value_text}" for p in points)
    )
    return ft.Semantics(
        label=label,
        content=ft.Container(content=chart, height=CHART_HEIGHT + 40, padding=28),
    )


def organisation_chart(vm: TeamViewModel) -> ft.Control:
    bars = vm.organisation_bars()
    top = (max([b.made for b in bars] + [1]) // 5 + 1) * 5  # a round top above the highest
    chart = fch.BarChart(
        groups=[
            fch.BarChartGroup(
                x=i,
                rods=[
                    fch.BarChartRod(to_y=b.made, width=12, color=BLUE, tooltip=str(b.made)),
                    fch.BarChartRod(to_y=b.done, width=12, color=LIGHT_GREEN, tooltip=str(b.done)),
                    fch.BarChartRod(
                        to_y=b.overdue_now, width=12, color=ORANGE, tooltip=str(b.overdue_now)
                    ),
                ],
                spacing=2,
            )
            for i, b in enumerate(bars)
        ],
        min_y=0,
        max_y=top,
        interactive=False,
        left_axis=fch.ChartAxis(label_size=32),
        bottom_axis=fch.ChartAxis(
            labels=[
                fch.ChartAxisLabel(
                    value=i,
                    label=ft.Container(
                        content=ft.Text(
                            b.name, size=12, text_align=ft.TextAlign.CENTER, max_lines=2
                        ),
                        width=96,
                    ),
                )
                for i, b in enumerate(bars)
            ],
            label_size=40,
        ),
        horizontal_grid_lines=fch.ChartGridLines(color="#E6E6E6", width=1),
        width=max(ORG_GROUP_WIDTH * len(bars), 360),
        height=CHART_HEIGHT,
    )
    legend = ft.Row(
        controls=[
            _legend(BLUE, _("made")),
            _legend(LIGHT_GREEN, _("done")),
            _legend(ORANGE, _("overdue now")),
        ],
        spacing=16,
        wrap=True,
    )
    label = _("Agreements per organisation: {values}").format(
        values="; ".join(
            f"{b.name}: {b.made} {_('made')}, {b.done} {_('done')}, "
            f"{b.overdue_now} {_('overdue now')}"
            for b in bars
        )
    )
    return ft.Column(
        controls=[
            ft.Semantics(
                label=label,
                # many organisations on a phone: the chart scrolls sideways, the page does not
                content=ft.Row(controls=[chart], scroll=ft.ScrollMode.AUTO),
            ),
            legend,
        ],
        spacing=8,
    )


def _legend(colour: str, text: str) -> ft.Control:
    return ft.Row(
        controls=[
            ft.Container(width=14, height=14, bgcolor=colour, border_radius=3),
            ft.Text(text),
        ],
        spacing=6,
        tight=True,
    )


# -- the view --------------------------------------------------------------------------------------


class TeamView:
    def __init__(
        self,
        vm: TeamViewModel,
        *,
        page: ft.Page,
        width: float | None,
        on_open_case: Callable[[str], Any],
        on_activity: Callable[[], None],
    ) -> None:
        self.vm = vm
        self.page = page
        self.phone = width is not None and width < 600
        self.on_open_case = on_open_case
        self.on_activity = on_activity
        self.picker: ft.FilePicker | None = None  # a service: kept while the screen lives
        self.notice: str | None = None  # after an export
        self.body = ft.Column(spacing=16, scroll=ft.ScrollMode.AUTO, expand=True)
        self.control = ft.Container(
            content=self.body,
            padding=ft.Padding.symmetric(horizontal=12 if self.phone else 24, vertical=12),
            expand=True,
        )
        self.draw()

    # -- drawing ------------------------------------------------------------------------------

    def draw(self) -> None:
        vm = self.vm
        controls: list[ft.Control] = [self._header()]
        if vm.message:
            controls.append(message(vm.message, error=vm.message_is_error))
        if self.notice:
            controls.append(message(self.notice))
        controls.append(self._tabs())
        if not vm.has_data:
            controls.append(
                ft.Text(
                    _("Fetching the figures of your team …")
                    if vm.busy
                    else _("No figures on this device yet. Tap Refresh when you are online."),
                    size=16,
                )
            )
        elif vm.tab is Tab.OVERDUE:
            controls += self._overdue()
        else:
            controls += self._figures()
        self.body.controls = controls

    def _update(self) -> None:
        try:
            self.control.update()
        except Exception as error:  # the screen was left meanwhile
            log.debug("team view not updated: %s", type(error).__name__)

    def _header(self) -> ft.Control:
        vm = self.vm
        refresh = ft.FilledButton(
            content=_("Refreshing …") if vm.busy else _("Refresh"),
            icon=ft.Icons.REFRESH,
            on_click=self._refresh_clicked,
            height=TOUCH,
            disabled=vm.busy,
        )
        texts: list[ft.Control] = []
        if vm.team_name:
            texts.append(ft.Text(vm.team_name, size=22, weight=ft.FontWeight.BOLD))
        as_of = vm.as_of_text()
        if as_of:
            texts.append(ft.Text(as_of, size=15, color="#5F5F5F"))
        return ft.ResponsiveRow(
            controls=[
                ft.Column(controls=texts, spacing=2, col={"xs": 12, "md": 8}),
                ft.Row(
                    controls=[refresh],
                    alignment=ft.MainAxisAlignment.END,
                    col={"xs": 12, "md": 4},
                ),
            ],
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        )

    def _tabs(self) -> ft.Control:
        def tab(which: Tab, text: str, icon: ft.IconData) -> ft.Control:
            selected = self.vm.tab is which
            button_type = ft.FilledTonalButton if selected else ft.TextButton
            return ft.Semantics(
                selected=selected,
                content=button_type(
                    content=text,
                    icon=icon,
                    height=TOUCH,
                    on_click=lambda _e: self._choose_tab(which),
                ),
            )

        return ft.Row(
            controls=[
                tab(Tab.OVERDUE, _("Overdue"), ft.Icons.ALARM),
                tab(Tab.FIGURES, _("Figures"), ft.Icons.INSIGHTS),
            ],
            spacing=8,
        )

    def _chips(self, options: list[tuple[str, bool, Callable[[], None]]]) -> ft.Control:
        return ft.Row(
            controls=[
                ft.Chip(
                    label=text,
                    selected=selected,
                    on_select=lambda _e, act=act: act(),
                    height=TOUCH - 8,
                )
                for text, selected, act in options
            ],
            wrap=True,
            spacing=8,
        )

    def _overdue(self) -> list[ft.Control]:
        vm = self.vm
        options = [
            (
                vm.grouping_label(g),
                vm.grouping is g,
                self._grouping_chooser(g),
            )
            for g in tr.Grouping
        ]
        out: list[ft.Control] = [
            ft.ResponsiveRow(
                controls=[
                    ft.Container(content=self._chips(options), col={"xs": 12, "md": 8}),
                    ft.Row(
                        controls=[
                            ft.OutlinedButton(
                                content=_("Export CSV"),
                                icon=ft.Icons.TABLE_VIEW,
                                height=TOUCH,
                                on_click=lambda _e: self._export(vm.export_csv(Tab.OVERDUE)),
                                disabled=vm.overdue is None,
                            )
                        ],
                        alignment=ft.MainAxisAlignment.END,
                        col={"xs": 12, "md": 4},
                    ),
                ],
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            )
        ]
        summary = vm.overdue_summary()
        if summary:
            out.append(ft.Text(summary, size=16, weight=ft.FontWeight.W_500))
        out += [group_block(g, self._open_case) for g in vm.groups()]
        return out

    def _figures(self) -> list[ft.Control]:
        vm = self.vm
        options = [
            (vm.preset_label(p), vm.preset is p, self._preset_chooser(p)) for p in PeriodPreset
        ]
        out: list[ft.Control] = [self._chips(options)]
        period = vm.period_text()
        if period:
            line = _("Period: {period}").format(period=period)
            if vm.shows_other_period():
                line += " · " + _("not the period you chose: refresh when online")
            out.append(ft.Text(line, size=16, weight=ft.FontWeight.W_500))
        out.append(
            ft.Row(
                controls=[
                    ft.FilledButton(
                        content=_("Export PDF"),
                        icon=ft.Icons.PICTURE_AS_PDF,
                        height=TOUCH,
                        on_click=self._export_pdf,
                        disabled=vm.figures is None,
                    ),
                    ft.OutlinedButton(
                        content=_("Export CSV"),
                        icon=ft.Icons.TABLE_VIEW,
                        height=TOUCH,
                        on_click=lambda _e: self._export(vm.export_csv(Tab.FIGURES)),
                        disabled=vm.figures is None,
                    ),
                ],
                wrap=True,
            )
        )
        if vm.figures is None:
            out.append(
                ft.Text(_("No figures on this device yet. Tap Refresh when you are online."))
            )
            return out
        cards: list[ft.Control] = [
            card(_("MDOs"), figure_table(vm.mdo_rows())),
            card(_("Agreements"), figure_table(vm.agreement_rows())),
            card(
                _("Wellbeing"),
                wellbeing_steps(vm),
                ft.Text(_("Average score (0 to 10) per moment, with the number of residents.")),
                wellbeing_chart(vm)
                if vm.wellbeing_bars()
                else ft.Text(_("Nobody was measured in this period.")),
            ),
        ]
        if vm.health_points():
            cards.append(
                card(
                    _("Positive Health"),
                    health_chart(vm),
                    ft.Text(
                        " · ".join(
                            f"{p.label} {p.value_text} (n = {p.residents})"
                            for p in vm.health_points()
                        ),
                        size=14,
                    ),
                )
            )
        if vm.organisation_bars():
            cards.append(
                card(
                    _("Agreements per organisation"),
                    organisation_chart(vm),
                    col={"xs": 12},
                )
            )
        stories = vm.stories()
        story_controls: list[ft.Control] = [
            ft.Text(_("In their own words, from residents who agreed to share them."), size=14)
        ]
        if not stories:
            story_controls.append(ft.Text(_("No stories to share in this period.")))
        for story in stories:
            story_controls.append(
                ft.Container(
                    content=ft.Column(
                        controls=[
                            ft.Text(_("The question"), weight=ft.FontWeight.BOLD),
                            ft.Text(story.question, size=16),
                            ft.Text(_("What came of it"), weight=ft.FontWeight.BOLD),
                            ft.Text(story.outcome, size=16),
                        ],
                        spacing=4,
                        tight=True,
                    ),
                    border=ft.Border.only(left=ft.BorderSide(4, LIGHT_GREEN)),
                    padding=ft.Padding.only(left=12, top=4, bottom=4),
                )
            )
        cards.append(card(_("The stories behind the figures"), *story_controls, col={"xs": 12}))
        out.append(ft.ResponsiveRow(controls=cards, spacing=16, run_spacing=16))
        return out

    # -- events -------------------------------------------------------------------------------

    def _grouping_chooser(self, grouping: tr.Grouping) -> Callable[[], None]:
        return lambda: self._choose_grouping(grouping)

    def _preset_chooser(self, preset: PeriodPreset) -> Callable[[], None]:
        return lambda: self._choose_preset(preset)

    def _choose_tab(self, tab: Tab) -> None:
        self.on_activity()
        self.vm.choose_tab(tab)
        self.notice = None
        self.draw()
        self._update()

    def _choose_grouping(self, grouping: tr.Grouping) -> None:
        self.on_activity()
        self.vm.choose_grouping(grouping)
        self.draw()
        self._update()

    def _choose_preset(self, preset: PeriodPreset) -> None:
        self.on_activity()
        self.vm.choose_preset(preset)
        self.draw()
        self._update()
        self.page.run_task(self.refresh)

    def _open_case(self, case_id: str) -> None:
        self.on_activity()
        if self.vm.open_case(case_id):
            self.on_open_case(case_id)
            return
        self.draw()
        self._update()

    async def _refresh_clicked(self) -> None:
        self.on_activity()
        await self.refresh()

    async def refresh(self) -> None:
        """Fetch anew in a worker thread; the kept answers stay on screen meanwhile."""
        if self.vm.busy:
            return
        self.vm.busy = True
        self.notice = None
        self.draw()
        self._update()
        await asyncio.to_thread(self.vm.refresh)
        self.draw()
        self._update()

    async def _export_pdf(self) -> None:
        self.on_activity()
        export = await asyncio.to_thread(self.vm.export_pdf)
        await self._save(export)

    def _export(self, export: Export | None) -> None:
        self.on_activity()
        self.page.run_task(self._save, export)

    async def _save(self, export: Export | None) -> None:
        if export is None:
            return
        if self.picker is None:
            self.picker = ft.FilePicker()
        try:
            await self.picker.save_file(
                dialog_title=_("Save the export"),
                file_name=export.file_name,
                src_bytes=export.content,
            )
        except Exception as error:  # no file dialog here, the disk refused ...
            self.notice = _("The file could not be saved. Try again.")
            log.warning("saving the export failed: %s", type(error).__name__)
        else:
            self.notice = _("Saved as {name}.").format(name=export.file_name)
        self.draw()
        self._update()

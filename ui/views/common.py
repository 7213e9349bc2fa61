"""Small building blocks shared by the views: sizes, colours, labelled controls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

TOUCH = 48  # minimum touch target, in logical pixels
FORM_WIDTH = 520
TABLET_MIN_WIDTH = 600  # from here on: navigation rail instead of a bottom bar

DANGER_BG = "#B3261E"  # Material 3 error colour; white text has a contrast ratio above 6:1
WARNING_BG = "#7A4B00"  # dark amber; white text has a contrast ratio above 7:1


def is_tablet(width: float | None) -> bool:
    return width is None or width >= TABLET_MIN_WIDTH


def primary_button(
    text: str, on_click: Callable[[], Any], *, disabled: bool = False
) -> ft.FilledButton:
    return ft.FilledButton(content=text, on_click=on_click, height=TOUCH, disabled=disabled)


def centred_form(width: float | None, controls: list[ft.Control]) -> ft.Control:
    """A column of form controls, at most FORM_WIDTH wide, centred, scrolling when needed."""
    available = (width or FORM_WIDTH + 32) - 32
    return ft.Column(
        controls=[
            ft.Container(
                content=ft.Column(
                    controls=controls,
                    spacing=16,
                    tight=True,
                    horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
                ),
                width=min(FORM_WIDTH, max(available, 280)),
                padding=ft.Padding.symmetric(vertical=24),
            )
        ],
        scroll=ft.ScrollMode.AUTO,
        expand=True,
    )


def form_view(route: str, form: ft.Control) -> ft.View:
    """A view for a centred form (first run, unlock)."""
    return ft.View(route=route, controls=[form], horizontal_alignment=ft.CrossAxisAlignment.CENTER)


def passphrase_field(label: str, show_label: str, hide_label: str, **kwargs: Any) -> ft.TextField:
    """A password field with its own show/hide button, labelled for screen readers."""
    field = ft.TextField(label=label, password=True, error_max_lines=4, **kwargs)

    def toggle() -> None:
        field.password = not field.password
        eye.icon = named_icon(
            ft.Icons.VISIBILITY if field.password else ft.Icons.VISIBILITY_OFF,
            show_label if field.password else hide_label,
        )
        eye.tooltip = show_label if field.password else hide_label

    # ``suffix_icon``, not ``suffix``: a suffix shows only while the field has the focus or text,
    # so the button was missing from the screen and from the semantics tree until then.
    eye = icon_button(ft.Icons.VISIBILITY, show_label, toggle)
    field.suffix_icon = eye
    return field


def named_icon(icon: ft.IconData, label: str) -> ft.Icon:
    return ft.Icon(icon, semantics_label=label)


def icon_button(icon: ft.IconData, label: str, on_click: Callable[..., Any]) -> ft.IconButton:
    """A 48 px icon button with a name in the semantics tree.

    A Flet ``IconButton``'s tooltip does not name it there (Flutter showed a button with no
    name, and a ``Semantics`` wrapper only added a second node): the icon carries the name.
    """
    return ft.IconButton(
        icon=named_icon(icon, label),
        tooltip=label,
        on_click=on_click,
        width=TOUCH,
        height=TOUCH,
    )


def message(text: str, *, error: bool = False) -> ft.Container:
    """A block of text in a tinted box: a warning or an error the user must see."""
    return ft.Container(
        content=ft.Text(text, size=16, color="#410E0B" if error else "#3E2D00"),
        bgcolor="#F9DEDC" if error else "#FFEFC7",
        border_radius=8,
        padding=12,
    )


def section(title: str) -> ft.Text:
    return ft.Text(title, size=20, weight=ft.FontWeight.BOLD)


def labelled_button(
    text: str,
    on_click: Callable[..., Any],
    *,
    icon: ft.IconData | None = None,
    filled: bool = False,
    disabled: bool = False,
) -> ft.Control:
    """A button with a visible word (which also names it for screen readers), 48 px high."""
    if filled:
        return ft.FilledButton(
            content=text, icon=icon, on_click=on_click, height=TOUCH, disabled=disabled
        )
    return ft.OutlinedButton(
        content=text, icon=icon, on_click=on_click, height=TOUCH, disabled=disabled
    )


class DateField:
    """A date typed as day-month-year, with a calendar button (a date picker) beside it.

    ``on_change(text)`` runs for every key press and for a picked date.
    """

    def __init__(
        self,
        label: str,
        value: str,
        *,
        on_change: Callable[[str], None],
        parse: Callable[[str], Any],
        choose_label: str,
        helper: str | None = None,
        text_size: int | None = None,
        first: Any = None,
        last: Any = None,
    ) -> None:
        from ui.viewmodels.dates import picked_date, short

        self._on_change = on_change
        self._parse = parse
        self._picked = picked_date
        self._short = short
        self.field = ft.TextField(
            label=label,
            value=value,
            on_change=lambda e: on_change(e.control.value),
            helper=helper,
            helper_max_lines=3,  # "At the latest 12-01-2027 (six weeks)" must not be cut off
            error_max_lines=4,
            text_size=text_size,
            keyboard_type=ft.KeyboardType.DATETIME,
            expand=True,
        )
        limits: dict[str, Any] = {}
        if first is not None:
            limits["first_date"] = first
        if last is not None:
            limits["last_date"] = last
        self.picker = ft.DatePicker(on_change=self._chosen, help_text=label, **limits)
        self.button = icon_button(ft.Icons.CALENDAR_MONTH, choose_label, self._open)
        self.control = ft.Row(
            controls=[self.field, self.button], vertical_alignment=ft.CrossAxisAlignment.START
        )

    @property
    def error(self) -> str | None:
        error = self.field.error
        return error if isinstance(error, str) else None

    @error.setter
    def error(self, message: str | None) -> None:
        self.field.error = message

    def _open(self, e: ft.Event[Any]) -> None:
        current = self._parse(self.field.value or "")
        if current is not None:
            self.picker.value = current
        e.page.show_dialog(self.picker)

    def _chosen(self, e: ft.Event[ft.DatePicker]) -> None:
        day = self._picked(e.control.value)
        if day is None:
            return
        self.field.value = self._short(day)
        self._on_change(self.field.value)
        self.field.update()

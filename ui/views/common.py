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
        eye.icon = ft.Icons.VISIBILITY if field.password else ft.Icons.VISIBILITY_OFF
        eye.tooltip = show_label if field.password else hide_label

    eye = ft.IconButton(icon=ft.Icons.VISIBILITY, tooltip=show_label, on_click=toggle)
    field.suffix = eye
    return field


def message(text: str, *, error: bool = False) -> ft.Container:
    """A block of text in a tinted box: a warning or an error the user must see."""
    return ft.Container(
        content=ft.Text(text, size=16, color="#410E0B" if error else "#3E2D00"),
        bgcolor="#F9DEDC" if error else "#FFEFC7",
        border_radius=8,
        padding=12,
    )

"""Shared view parts name their icon buttons for screen readers and keep 48 px touch targets."""

from __future__ import annotations

from datetime import date

import flet as ft

from ui.views.common import TOUCH, DateField, icon_button, passphrase_field


def name_of(button: ft.IconButton) -> str | None:
    """What a screen reader announces for an icon button: the icon's semantics label."""
    icon = button.icon
    assert isinstance(icon, ft.Icon), "a bare IconData gives the button no name"
    return icon.semantics_label


def test_an_icon_button_is_named_by_its_icon_and_is_a_touch_target() -> None:
    clicks: list[int] = []
    button = icon_button(ft.Icons.DELETE_OUTLINE, "Regel 1 weghalen", lambda: clicks.append(1))
    assert name_of(button) == "Regel 1 weghalen"
    assert (button.width, button.height) == (TOUCH, TOUCH)
    assert button.on_click is not None
    button.on_click()  # type: ignore[call-arg]
    assert clicks == [1]


def test_the_show_passphrase_button_is_always_there_and_says_what_it_does() -> None:
    field = passphrase_field("Wachtzin", "Wachtzin tonen", "Wachtzin verbergen")
    assert field.suffix is None  # a suffix shows only with focus or text: not used
    eye = field.suffix_icon
    assert isinstance(eye, ft.IconButton)
    assert name_of(eye) == "Wachtzin tonen"
    assert field.password
    click = eye.on_click
    assert callable(click)
    click()  # type: ignore[call-arg]
    assert not field.password
    assert name_of(eye) == "Wachtzin verbergen"
    assert eye.tooltip == "Wachtzin verbergen"
    click()
    assert field.password
    assert name_of(eye) == "Wachtzin tonen"


def test_a_date_field_names_its_calendar_button_and_keeps_its_helper_readable() -> None:
    field = DateField(
        "Klaar op",
        "01-12-2026",
        on_change=lambda _t: None,
        parse=lambda _t: date(2026, 12, 1),
        choose_label="Kies een datum",
        helper="Uiterlijk 12-01-2027 (zes weken)",
    )
    assert isinstance(field.button, ft.IconButton)
    assert name_of(field.button) == "Kies een datum"
    assert (field.button.width, field.button.height) == (TOUCH, TOUCH)
    assert (field.field.helper_max_lines or 1) >= 2

"""Reading a Flet control tree in unit tests of views (no browser)."""

from __future__ import annotations

from typing import Any

import flet as ft


def texts_under(control: Any) -> list[str]:
    """Every Text value under a control, depth first (a tile's name comes first)."""
    found: list[str] = []
    if isinstance(control, ft.Text) and control.value:
        found.append(control.value)
    for child in getattr(control, "controls", None) or []:
        found += texts_under(child)
    content = getattr(control, "content", None)
    if isinstance(content, ft.Control):
        found += texts_under(content)
    return found

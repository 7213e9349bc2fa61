"""The signature pad: a white box to sign in with a finger or a stylus, and a "Clear" button.

A thin control over ``ui.viewmodels.signing.SignaturePad``: a ``flet.canvas.Canvas`` shows the
lines while a ``GestureDetector`` over it hands every point to the pad (``drag_interval`` 10 ms,
enough for a smooth line without flooding the connection). The PNG that is signed is drawn from
the pad's strokes by the view-model, so what is signed is exactly what was drawn.

The box has a line to sign on and a semantics label that names whose signature it is, so a screen
reader (and the browser tests) can find it; the buttons are at least 48 px high.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import flet as ft
import flet.canvas as cv

from models.i18n import _
from ui.viewmodels.signing import STROKE_WIDTH, SignaturePad

INK_COLOUR = "#141E5A"  # the PNG's ink (ui.viewmodels.signing.INK)
PAD_BORDER = "#757575"


class SignaturePadView:
    """``control`` is the box; ``clear_button`` is a separate control to place where it fits."""

    def __init__(
        self,
        pad: SignaturePad,
        *,
        label: str,
        on_start: Callable[[float, float], None],
        on_move: Callable[[float, float], None],
        on_clear: Callable[[], Any],
        height: int = 240,
    ) -> None:
        self.pad = pad
        self._on_start = on_start
        self._on_move = on_move
        self._on_clear = on_clear
        self._last: tuple[float, float] | None = None
        self.canvas = cv.Canvas(
            shapes=[],
            content=ft.GestureDetector(
                on_pan_start=self._start,
                on_pan_update=self._move,
                on_pan_end=self._end,
                drag_interval=10,
                mouse_cursor=ft.MouseCursor.PRECISE,
            ),
            on_resize=self._resized,
            resize_interval=50,
            expand=True,
        )
        baseline = ft.Container(
            content=ft.Row(
                controls=[ft.Text("\u00d7", size=28, color=PAD_BORDER)],
                vertical_alignment=ft.CrossAxisAlignment.END,
            ),
            border=ft.Border.only(bottom=ft.BorderSide(2, "#9E9E9E")),
            margin=ft.Margin.only(left=24, right=24, bottom=height // 4),
            bottom=0,
            left=0,
            right=0,
        )
        self.box = ft.Container(
            content=ft.Stack(controls=[baseline, self.canvas], expand=True),
            height=height,
            bgcolor="#FFFFFF",
            border=ft.Border.all(2, PAD_BORDER),
            border_radius=12,
            clip_behavior=ft.ClipBehavior.HARD_EDGE,
        )
        # One node for screen readers, named after the signer (the line and cross are decoration).
        self.control = ft.Semantics(
            label=label, container=True, exclude_semantics=True, content=self.box
        )
        self.clear_button = ft.OutlinedButton(
            content=_("Clear"),
            icon=ft.Icons.CLEAR,
            on_click=self._clear,
            height=56,
            style=ft.ButtonStyle(padding=ft.Padding.symmetric(horizontal=24)),
        )
        self.redraw()

    @staticmethod
    def _paint() -> ft.Paint:
        return ft.Paint(
            color=INK_COLOUR,
            stroke_width=STROKE_WIDTH,
            stroke_cap=ft.StrokeCap.ROUND,
            style=ft.PaintingStyle.STROKE,
        )

    def redraw(self) -> None:
        """Draw the pad's strokes again (after clearing, or when the screen is redrawn)."""
        shapes: list[cv.Shape] = []
        paint = self._paint()
        for stroke in self.pad.strokes:
            shapes.append(cv.Circle(stroke[0][0], stroke[0][1], STROKE_WIDTH / 2, paint=paint))
            for (x1, y1), (x2, y2) in itertools.pairwise(stroke):
                shapes.append(cv.Line(x1, y1, x2, y2, paint=paint))
        self.canvas.shapes = shapes

    def _resized(self, e: cv.CanvasResizeEvent) -> None:
        self.pad.width, self.pad.height = e.width, e.height

    def _start(self, e: ft.DragStartEvent[ft.GestureDetector]) -> None:
        x, y = e.local_position.x, e.local_position.y
        self._on_start(x, y)
        self._last = self.pad.strokes[-1][-1] if self.pad.strokes else (x, y)
        self.canvas.shapes.append(
            cv.Circle(self._last[0], self._last[1], STROKE_WIDTH / 2, paint=self._paint())
        )
        self.canvas.update()

    def _move(self, e: ft.DragUpdateEvent[ft.GestureDetector]) -> None:
        self._on_move(e.local_position.x, e.local_position.y)
        point = self.pad.strokes[-1][-1]
        if self._last is not None:
            self.canvas.shapes.append(
                cv.Line(self._last[0], self._last[1], point[0], point[1], paint=self._paint())
            )
            self.canvas.update()
        self._last = point

    def _end(self, e: ft.DragEndEvent[ft.GestureDetector]) -> None:
        self._last = None

    def _clear(self) -> None:
        self._on_clear()
        self.redraw()
        self.canvas.update()

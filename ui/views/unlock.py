"""Unlock screen: passphrase, wrong-passphrase message, the back-off's "try again at".

While unlocking, "Unlocking…" shows at once and the button and field are disabled; the spinning
ring next to it appears only when the unlock takes longer than ``SPINNER_DELAY_SECONDS`` (a slow
device). An unlock usually takes 0.2-0.5 s, and a ring that flashes up for that long says nothing
the text does not. (In headless Chromium without a GPU each frame of the ring is drawn in
software; two A/B runs of the start-up journey, 8 starts each, gave unlock-to-My-cases 497 vs
545 ms and 528 vs 523 ms: no reliable difference, so this is a choice for the eye, not for speed.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import flet as ft

from models.i18n import _
from ui.launch import trace
from ui.viewmodels.unlock import UnlockViewModel
from ui.views.common import centred_form, message, passphrase_field, primary_button

SPINNER_DELAY_SECONDS = 0.8


class UnlockView:
    def __init__(
        self,
        vm: UnlockViewModel,
        *,
        width: float | None,
        on_unlocked: Callable[[], Awaitable[None]],
    ) -> None:
        self.vm = vm
        self.on_unlocked = on_unlocked
        vm.refresh()
        self.passphrase = passphrase_field(
            _("Passphrase or PIN"),
            _("Show passphrase"),
            _("Hide passphrase"),
            autofocus=True,
            on_submit=self._unlock,
        )
        self.error = ft.Container(visible=False)
        self.retry = ft.Container(visible=False)
        self.spinner = ft.ProgressRing(
            width=24, height=24, semantics_label=_("Busy"), visible=False
        )
        self.progress = ft.Row(
            controls=[self.spinner, ft.Text(_("Unlocking…"), size=16)],
            visible=False,
        )
        self.button = primary_button(_("Unlock"), self._unlock)
        self.control = centred_form(
            width,
            [
                ft.Text(_("Keukentafel is locked"), size=28, weight=ft.FontWeight.BOLD),
                ft.Text(_("Type your passphrase or PIN to open the case file."), size=16),
                self.passphrase,
                self.error,
                self.retry,
                self.progress,
                ft.Row(controls=[self.button], alignment=ft.MainAxisAlignment.END),
            ],
        )
        self._show()

    def _show(self) -> None:
        error = self.vm.error
        self.error.content = message(error, error=True) if error else None
        self.error.visible = bool(error)
        retry = self.vm.retry_message
        self.retry.content = message(retry) if retry else None
        self.retry.visible = bool(retry)
        self.progress.visible = self.vm.busy
        if not self.vm.busy:
            self.spinner.visible = False
        self.button.disabled = self.vm.busy or self.vm.waiting
        self.passphrase.disabled = self.vm.busy

    def tick(self) -> bool:
        """Called every second: re-enables the button when the wait is over. True if changed."""
        before = self.button.disabled
        self._show()
        return before != self.button.disabled

    async def _spinner_if_slow(self) -> None:
        """Show the spinning ring once the unlock has taken ``SPINNER_DELAY_SECONDS``."""
        await asyncio.sleep(SPINNER_DELAY_SECONDS)
        if self.progress.visible:
            self.spinner.visible = True
            self.control.update()

    async def _unlock(self) -> None:
        trace("unlock-pressed")
        if self.vm.busy:
            return
        self.vm.passphrase = self.passphrase.value
        self.passphrase.value = ""
        self.vm.busy = True
        self._show()
        self.control.update()
        spinner = asyncio.ensure_future(self._spinner_if_slow())
        try:
            try:
                ok = await asyncio.to_thread(self.vm.unlock)
                trace("key-derived")
            finally:
                self.vm.busy = False
            if ok:  # My cases is read while "Unlocking…" still shows (see ui.app)
                await self.on_unlocked()
                return
        finally:
            spinner.cancel()
        self._show()
        # After an await in a handler the page is not refreshed by itself: do it here.
        self.control.update()

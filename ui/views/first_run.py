"""First-run screen: profile and passphrase; key derivation runs in a thread with a spinner."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import flet as ft

from models.i18n import _
from models.store import CaseStore
from ui.viewmodels import first_run as fr
from ui.views.common import centred_form, message, passphrase_field, primary_button


class FirstRunView:
    def __init__(
        self,
        vm: fr.FirstRunViewModel,
        *,
        width: float | None,
        on_created: Callable[[CaseStore], Awaitable[None]],
    ) -> None:
        self.vm = vm
        self.on_created = on_created
        self.name = ft.TextField(label=_("Your name"), value=vm.name, on_change=self._sync)
        self.organisation = ft.Dropdown(
            label=_("Organisation"),
            value=vm.organisation_id,
            options=[ft.DropdownOption(key=o.id, text=o.name) for o in vm.organisations],
            on_select=self._sync,
            expand=True,
            menu_height=400,
            enable_search=False,
        )
        self.role = ft.TextField(
            label=_("Your role"), hint_text=_("for example: district nurse"), on_change=self._sync
        )
        show, hide = _("Show passphrase"), _("Hide passphrase")
        self.passphrase = passphrase_field(
            _("Passphrase"), show, hide, helper=vm.passphrase_help, on_change=self._sync
        )
        self.passphrase_again = passphrase_field(
            _("Passphrase again"), show, hide, on_change=self._sync, on_submit=self._create
        )
        self.form_error = ft.Container(visible=False)
        self.progress = ft.Row(
            controls=[
                ft.ProgressRing(width=24, height=24, semantics_label=_("Busy")),
                ft.Text(_("Setting up the encrypted case file…"), size=16),
            ],
            visible=False,
        )
        self.button = primary_button(_("Set up this device"), self._create)
        warning = vm.key_store_warning
        body: list[ft.Control] = [
            ft.Text(_("Welcome to Keukentafel"), size=28, weight=ft.FontWeight.BOLD),
            ft.Text(
                _("Set up this device once. Your name goes on the plans you make."),
                size=16,
            ),
            self.name,
            ft.Semantics(label=_("Organisation"), content=ft.Row(controls=[self.organisation])),
            self.role,
        ]
        if warning:
            body.append(message(warning))
        body += [self.passphrase, self.passphrase_again, self.form_error, self.progress]
        body.append(ft.Row(controls=[self.button], alignment=ft.MainAxisAlignment.END))
        self.control = centred_form(width, body)

    def _sync(self) -> None:
        # An error stays next to its field until that field is changed, not until the next try.
        for field in (self.name, self.role, self.passphrase, self.passphrase_again):
            if field.error and field.value:
                field.error = None
        self.vm.name = self.name.value
        self.vm.organisation_id = self.organisation.value
        self.vm.role = self.role.value
        self.vm.passphrase = self.passphrase.value
        self.vm.passphrase_again = self.passphrase_again.value

    def _show(self) -> None:
        errors = self.vm.errors
        self.name.error = errors.get(fr.NAME)
        self.role.error = errors.get(fr.ROLE)
        self.passphrase.error = errors.get(fr.PASSPHRASE)
        self.passphrase_again.error = errors.get(fr.PASSPHRASE_AGAIN)
        form = errors.get(fr.FORM)
        self.form_error.content = message(form, error=True) if form else None
        self.form_error.visible = bool(form)
        self.progress.visible = self.vm.busy
        self.button.disabled = self.vm.busy
        for field in (self.name, self.organisation, self.role, self.passphrase):
            field.disabled = self.vm.busy
        self.passphrase_again.disabled = self.vm.busy

    async def _create(self) -> None:
        if self.vm.busy:
            return
        self._sync()
        if not self.vm.validate():
            self._show()
            return
        self.vm.busy = True
        self._show()
        self.control.update()
        try:
            store = await asyncio.to_thread(self.vm.create)
        finally:
            self.vm.busy = False
        if store is None:
            self.passphrase.value = self.passphrase_again.value = ""
            self._sync()
            self._show()
            # After an await in a handler the page is not refreshed by itself: do it here.
            self.control.update()
            return
        await self.on_created(store)

"""Settings: the device user, language, auto-lock time, the dossier server, the organisations."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from models.i18n import _
from ui.viewmodels.settings import SettingsViewModel
from ui.views.common import labelled_button, section


def _fact(label: str, value: str) -> ft.Control:
    return ft.Column(
        controls=[ft.Text(label, size=14, color="#5F5F5F"), ft.Text(value, size=18)],
        spacing=2,
        tight=True,
    )


class SettingsView:
    def __init__(
        self,
        vm: SettingsViewModel,
        *,
        on_language: Callable[[], None] | None = None,
        on_idle_lock: Callable[[], None] | None = None,
        on_dossier: Callable[[], None] | None = None,
    ) -> None:
        vm.load()
        self.vm = vm
        self.on_language = on_language
        self.on_idle_lock = on_idle_lock
        self.language = ft.Dropdown(
            label=_("Language"),
            value=vm.language,
            options=[ft.DropdownOption(key=code, text=name) for code, name in vm.languages],
            on_select=self._language,
            enable_search=False,
            width=320,
        )
        self.idle_lock = ft.Dropdown(
            label=_("Locks itself after"),
            value=str(int(vm.idle_lock.total_seconds())),
            options=[
                ft.DropdownOption(key=str(seconds), text=text)
                for seconds, text in vm.idle_lock_choices
            ],
            on_select=self._idle_lock,
            enable_search=False,
            width=320,
        )
        self.organisations = ft.Column(spacing=0)
        self.new_organisation = ft.TextField(
            label=_("New organisation"), error_max_lines=3, on_submit=self._add, expand=True
        )
        self.control = ft.Column(
            controls=[
                section(_("This device")),
                _fact(_("Your name"), vm.name_text),
                _fact(_("Organisation"), vm.organisation_name),
                _fact(_("Your role"), vm.role_text),
                ft.Semantics(label=_("Language"), content=self.language),
                ft.Semantics(label=_("Locks itself after"), content=self.idle_lock),
                *self._dossier(on_dossier),
                section(_("Organisations")),
                ft.Text(
                    _("Switched off: no longer offered for new participants."),
                    size=14,
                    color="#5F5F5F",
                ),
                self.organisations,
                ft.Row(
                    controls=[
                        self.new_organisation,
                        labelled_button(_("Add"), self._add, icon=ft.Icons.ADD),
                    ],
                    vertical_alignment=ft.CrossAxisAlignment.START,
                ),
            ],
            spacing=16,
            scroll=ft.ScrollMode.AUTO,
            expand=True,
        )
        self._show_organisations()

    def _dossier(self, on_dossier: Callable[[], None] | None) -> list[ft.Control]:
        if on_dossier is None:
            return []
        return [
            section(_("Dossier server")),
            ft.Text(
                _("Link this device, see sync, settle conflicts and held-back changes."),
                size=14,
                color="#5F5F5F",
            ),
            ft.Row(
                controls=[
                    labelled_button(_("Dossier server and sync"), on_dossier, icon=ft.Icons.SYNC)
                ]
            ),
        ]

    def _show_organisations(self) -> None:
        self.organisations.controls = [
            ft.Switch(
                label=o.name,
                value=o.active,
                on_change=lambda e, oid=o.id: self._toggle(oid, bool(e.control.value)),
                height=48,
            )
            for o in self.vm.organisations
        ]

    def _language(self, e: ft.Event[ft.Dropdown]) -> None:
        if e.control.value and e.control.value != self.vm.language:
            self.vm.set_language(e.control.value)
            if self.on_language:
                self.on_language()

    def _idle_lock(self, e: ft.Event[ft.Dropdown]) -> None:
        if e.control.value:
            self.vm.set_idle_lock(int(e.control.value))
            if self.on_idle_lock:
                self.on_idle_lock()

    def _toggle(self, organisation_id: str, active: bool) -> None:
        self.vm.set_active(organisation_id, active)

    def _add(self) -> None:
        if self.vm.add_organisation(self.new_organisation.value or "") is not None:
            self.new_organisation.value = ""
            self._show_organisations()
        self.new_organisation.error = self.vm.organisation_error

"""Settings (this slice: read-only facts about the device user and the auto-lock)."""

from __future__ import annotations

import flet as ft

from models.i18n import _
from ui.viewmodels.settings import SettingsViewModel


def _fact(label: str, value: str) -> ft.Control:
    return ft.Column(
        controls=[ft.Text(label, size=14, color="#5F5F5F"), ft.Text(value, size=18)],
        spacing=2,
        tight=True,
    )


class SettingsView:
    def __init__(self, vm: SettingsViewModel) -> None:
        vm.load()
        self.control = ft.Column(
            controls=[
                ft.Text(_("This device"), size=22, weight=ft.FontWeight.BOLD),
                _fact(_("Your name"), vm.name_text),
                _fact(_("Organisation"), vm.organisation_name),
                _fact(_("Your role"), vm.role_text),
                _fact(_("Locks itself after"), vm.idle_lock_text),
            ],
            spacing=16,
            scroll=ft.ScrollMode.AUTO,
            expand=True,
        )

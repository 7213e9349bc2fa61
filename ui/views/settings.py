"""Settings: the device user, language, auto-lock time, the passphrase, the dossier server, the
organisations (add, rename, switch off)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import flet as ft

from models.i18n import _
from ui.viewmodels import first_run as fr
from ui.viewmodels.settings import CURRENT_PASSPHRASE, SettingsViewModel
from ui.views.common import (
    TOUCH,
    icon_button,
    labelled_button,
    message,
    passphrase_field,
    section,
)

# Half the width on a tablet, the whole width on a phone: a form field needs no more.
_FORM_COLUMNS: dict[str | ft.ResponsiveRowBreakpoint, int | float] = {"xs": 12, "md": 10, "lg": 8}


def _done(text: str) -> ft.Control:
    """A confirmation in a green box (dark text on light green: contrast above 7:1)."""
    return ft.Container(
        content=ft.Text(text, size=16, color="#0B3D1E"),
        bgcolor="#DDF3E4",
        border_radius=8,
        padding=12,
    )


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
        self.details = ft.Column(spacing=16)  # who uses this device: the facts, or their form
        self.editing_details = False
        self.name_field: ft.TextField | None = None
        self.organisation_field: ft.Dropdown | None = None
        self.role_field: ft.TextField | None = None
        self._show_details()
        self.editing: str | None = None  # the organisation whose name is being corrected
        self.rename_field: ft.TextField | None = None
        self.organisations = ft.Column(spacing=0)
        self.new_organisation = ft.TextField(
            label=_("New organisation"), error_max_lines=3, on_submit=self._add, expand=True
        )
        self.control = ft.Column(
            controls=[
                section(_("This device")),
                self.details,
                _fact(_("Signing key of this device"), vm.signing_key_text),
                ft.Text(
                    _(
                        "A signed plan PDF names this key for each signature it holds "
                        "(python main.py verify)."
                    ),
                    size=14,
                    color="#5F5F5F",
                ),
                ft.Semantics(label=_("Language"), content=self.language),
                ft.Semantics(label=_("Locks itself after"), content=self.idle_lock),
                *self._passphrase_form(),
                *self._dossier(on_dossier),
                section(_("Organisations")),
                ft.Text(
                    _(
                        "Switched off: no longer offered for new participants. Use the pencil "
                        "to correct a name."
                    ),
                    size=14,
                    color="#5F5F5F",
                ),
                ft.ResponsiveRow(
                    controls=[
                        ft.Column(
                            col=_FORM_COLUMNS,
                            controls=[
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
                        )
                    ]
                ),
            ],
            spacing=16,
            scroll=ft.ScrollMode.AUTO,
            expand=True,
        )
        self._show_organisations()

    # -- who uses this device -------------------------------------------------------------------

    def _show_details(self) -> None:
        vm = self.vm
        if not self.editing_details:
            self.name_field = self.role_field = None
            self.organisation_field = None
            self.details.controls = [
                _fact(_("Your name"), vm.name_text),
                _fact(_("Organisation"), vm.organisation_name),
                _fact(_("Your role"), vm.role_text),
                ft.Row(
                    controls=[
                        labelled_button(
                            _("Change your details"), self._start_details, icon=ft.Icons.EDIT
                        )
                    ]
                ),
            ]
            return
        profile = vm.profile
        current = profile.organisation_id if profile else None
        self.name_field = ft.TextField(
            label=_("Your name"),
            value=profile.name if profile else "",
            error_max_lines=3,
            autofocus=True,
        )
        self.organisation_field = ft.Dropdown(
            label=_("Organisation"),
            value=current,
            options=[
                ft.DropdownOption(key=o.id, text=o.name)
                for o in vm.organisations
                if o.active or o.id == current
            ],
            enable_search=False,
            width=320,
        )
        self.role_field = ft.TextField(
            label=_("Your role"), value=profile.role if profile else "", error_max_lines=3
        )
        self.details.controls = [
            ft.ResponsiveRow(
                controls=[
                    ft.Column(
                        col=_FORM_COLUMNS,
                        controls=[
                            self.name_field,
                            ft.Semantics(label=_("Organisation"), content=self.organisation_field),
                            self.role_field,
                            ft.Text(
                                _(
                                    "Your name is added as the witness of each signature made "
                                    "on this device."
                                ),
                                size=14,
                                color="#5F5F5F",
                            ),
                            ft.Row(
                                controls=[
                                    labelled_button(
                                        _("Save"), self._save_details, icon=ft.Icons.CHECK
                                    ),
                                    labelled_button(_("Cancel"), self._stop_details),
                                ]
                            ),
                        ],
                        spacing=16,
                    )
                ]
            )
        ]

    def _start_details(self) -> None:
        self.editing_details = True
        self._show_details()

    def _stop_details(self) -> None:
        self.editing_details = False
        self._show_details()

    def _save_details(self) -> None:
        assert self.name_field and self.organisation_field and self.role_field
        errors = self.vm.save_details(
            self.name_field.value or "",
            self.organisation_field.value,
            self.role_field.value or "",
        )
        if errors:
            self.name_field.error = errors.get("profile.name")
            self.role_field.error = errors.get("profile.role")
            return
        self._stop_details()

    # -- passphrase -----------------------------------------------------------------------------

    def _passphrase_form(self) -> list[ft.Control]:
        show, hide = _("Show passphrase"), _("Hide passphrase")
        self.current_passphrase = passphrase_field(
            _("Current passphrase or PIN"), show, hide, on_change=self._passphrase_typed
        )
        self.new_passphrase = passphrase_field(
            _("New passphrase or PIN"),
            show,
            hide,
            helper=self.vm.new_passphrase_help,
            helper_max_lines=3,
            on_change=self._passphrase_typed,
        )
        self.new_passphrase_again = passphrase_field(
            _("Repeat the new passphrase or PIN"),
            show,
            hide,
            on_change=self._passphrase_typed,
            on_submit=self._change_passphrase,
        )
        self.passphrase_outcome = ft.Semantics(live_region=True, visible=False)
        self.passphrase_progress = ft.Row(
            controls=[
                ft.ProgressRing(width=24, height=24, semantics_label=_("Busy")),
                ft.Text(_("Changing the passphrase…"), size=16),
            ],
            visible=False,
        )
        self.passphrase_button = labelled_button(
            _("Change passphrase"), self._change_passphrase, icon=ft.Icons.PASSWORD
        )
        form = ft.Column(
            col=_FORM_COLUMNS,
            controls=[
                self.current_passphrase,
                self.new_passphrase,
                self.new_passphrase_again,
                self.passphrase_outcome,
                self.passphrase_progress,
                ft.Row(controls=[self.passphrase_button]),
            ],
            spacing=16,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        )
        return [
            section(_("Change your passphrase or PIN")),
            ft.Text(
                _("To choose a new one, first type your current passphrase or PIN."),
                size=14,
                color="#5F5F5F",
            ),
            ft.ResponsiveRow(controls=[form]),
        ]

    def _passphrase_fields(self) -> tuple[ft.TextField, ft.TextField, ft.TextField]:
        return self.current_passphrase, self.new_passphrase, self.new_passphrase_again

    def _passphrase_typed(self) -> None:
        # An error stays next to its field until that field is changed, not until the next try.
        for box in self._passphrase_fields():
            if box.error and box.value:
                box.error = None

    def _show_passphrase_form(self) -> None:
        vm = self.vm
        errors = vm.passphrase_errors
        self.current_passphrase.error = errors.get(CURRENT_PASSPHRASE)
        self.new_passphrase.error = errors.get(fr.PASSPHRASE)
        self.new_passphrase_again.error = errors.get(fr.PASSPHRASE_AGAIN)
        form_error, done = errors.get(fr.FORM), vm.passphrase_message
        outcome: ft.Control | None = None
        if form_error:
            outcome = message(form_error, error=True)
        elif done:
            outcome = _done(done)
        self.passphrase_outcome.content = outcome
        self.passphrase_outcome.visible = outcome is not None
        self.passphrase_progress.visible = vm.busy
        self.passphrase_button.disabled = vm.busy
        for box in self._passphrase_fields():
            box.disabled = vm.busy

    async def _change_passphrase(self) -> None:
        vm = self.vm
        if vm.busy:
            return
        vm.current_passphrase = self.current_passphrase.value or ""
        vm.new_passphrase = self.new_passphrase.value or ""
        vm.new_passphrase_again = self.new_passphrase_again.value or ""
        if not vm.validate_passphrase_change():
            self._show_passphrase_form()
            return
        for box in self._passphrase_fields():
            box.value = ""
        vm.busy = True
        self._show_passphrase_form()
        self.control.update()
        try:
            await asyncio.to_thread(vm.change_passphrase)
        finally:
            vm.busy = False
        self._show_passphrase_form()
        # After an await in a handler the page is not refreshed by itself: do it here.
        self.control.update()

    # -- dossier server and organisations -------------------------------------------------------

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
        rows: list[ft.Control] = []
        self.rename_field = None
        for o in self.vm.organisations:
            if o.id == self.editing:
                rows.append(self._rename_row(o.id, o.name))
                continue
            # A spacer takes the rest of the row, so the pencils line up at the end of the form.
            rows.append(
                ft.Row(
                    controls=[
                        ft.Switch(
                            label=o.name,
                            value=o.active,
                            on_change=lambda e, oid=o.id: self._toggle(oid, bool(e.control.value)),
                            height=TOUCH,
                        ),
                        ft.Container(expand=True),
                        icon_button(
                            ft.Icons.EDIT,
                            _("Change the name of {name}").format(name=o.name),
                            lambda _e, oid=o.id: self._start_rename(oid),
                        ),
                    ],
                )
            )
        self.organisations.controls = rows

    def _rename_row(self, organisation_id: str, name: str) -> ft.Control:
        self.rename_field = ft.TextField(
            label=_("Name of the organisation"),
            value=name,
            error=self.vm.rename_error,
            error_max_lines=3,
            autofocus=True,
            on_submit=lambda: self._rename(organisation_id),
            expand=True,
        )
        buttons = ft.Row(
            controls=[
                labelled_button(
                    _("Save"), lambda: self._rename(organisation_id), icon=ft.Icons.CHECK
                ),
                labelled_button(_("Cancel"), self._stop_rename),
            ],
        )
        return ft.Column(
            controls=[ft.Row(controls=[self.rename_field]), buttons],
            spacing=8,
        )

    def _start_rename(self, organisation_id: str) -> None:
        self.editing = organisation_id
        self.vm.rename_error = None
        self._show_organisations()

    def _stop_rename(self) -> None:
        self.editing = None
        self.vm.rename_error = None
        self._show_organisations()

    def _rename(self, organisation_id: str) -> None:
        name = self.rename_field.value if self.rename_field else ""
        if self.vm.rename_organisation(organisation_id, name or ""):
            self.editing = None
            self._show_organisations()
        elif self.rename_field is not None:
            self.rename_field.error = self.vm.rename_error

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

    async def _add(self) -> None:
        if self.vm.add_organisation(self.new_organisation.value or "") is not None:
            self.new_organisation.value = ""
            self._show_organisations()
        self.new_organisation.error = self.vm.organisation_error
        if self.new_organisation.error:
            # The field is the last thing on the screen: on a phone its message would be below
            # the fold. Show the end, so the message is seen.
            self.control.update()
            await self.control.scroll_to(offset=-1, duration=200)

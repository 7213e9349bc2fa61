"""Plan the MDO: when and where, and who the resident wants at the table.

Each person has a "Remove" button (not the resident) that asks for confirmation in a dialog; a
refusal (agreements in their name, present at a held MDO) is shown under the list of people.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from models.domain import Participant, ParticipantRole
from models.i18n import _
from ui.viewmodels import plan as pl
from ui.viewmodels.dates import parse_date
from ui.views.common import (
    TOUCH,
    DateField,
    centred_form,
    icon_button,
    labelled_button,
    message,
    section,
)


class PlanView:
    def __init__(
        self,
        vm: pl.PlanViewModel,
        *,
        width: float | None,
        on_saved: Callable[[], Any],
        on_cancel: Callable[[], Any],
    ) -> None:
        self.vm = vm
        self.on_saved = on_saved
        self.day = DateField(
            _("Date of the MDO"),
            vm.date_text,
            on_change=self._date_changed,
            parse=lambda t: parse_date(t, today=vm.today()),
            choose_label=_("Choose the date of the MDO"),
            helper=_("day-month-year"),
            first=vm.case_file.case.contact_date,
        )
        self.late = ft.Container(visible=False)
        self.time = ft.TextField(
            label=_("Time"),
            value=vm.time_text,
            helper=_("hours:minutes"),
            on_change=lambda e: setattr(vm, "time_text", e.control.value),
            error_max_lines=3,
        )
        self.place = ft.TextField(
            label=_("Place"),
            value=vm.place,
            hint_text=_("At home, at the kitchen table"),
            helper=_("Leave empty for: at the resident's home"),
            on_change=lambda e: setattr(vm, "place", e.control.value),
            error_max_lines=3,
        )
        self.people = ft.Column(spacing=4)
        self.remove_error = ft.Container(visible=False)
        # What is typed, kept as it is typed (on_change), read when a button is pressed.
        self.typed: dict[str, str] = {}
        self.network_name = self._field(_("Name of the network member"), "network.name")
        self.network_relation = self._field(
            _("Relation"), "network.relation", hint_text=_("for example: daughter, neighbour")
        )
        self.pro_name = self._field(_("Name of the professional"), "professional.name")
        self.pro_organisation = ft.Dropdown(
            label=_("Organisation of the professional"),
            options=[ft.DropdownOption(key=o.id, text=o.name) for o in vm.organisations],
            enable_search=False,
            menu_height=400,
            expand=True,
        )
        self.pro_role = self._field(
            _("Role of the professional"),
            "professional.relation",
            hint_text=_("for example: district nurse"),
        )
        self.pro_account = self._field(
            _("Dossier account id (optional)"),
            "professional.account_id",
            helper=_("Links them to this case on the dossier server. They find it under Settings."),
            helper_max_lines=3,
        )
        self.pro_account.error_max_lines = 6  # the message shows what an id looks like
        # The field takes the form's full width (beside it, the button squeezed it and cut its
        # helper off); "That is me" goes on the line under it.
        account_part: list[ft.Control] = [self.pro_account]
        if vm.own_account_id:
            account_part.append(
                ft.Row(
                    controls=[labelled_button(_("That is me"), self._use_own_account)],
                    alignment=ft.MainAxisAlignment.END,
                )
            )
        self.form_error = ft.Container(visible=False)
        self.control = centred_form(
            width,
            [
                ft.Text(_("Plan the MDO"), size=28, weight=ft.FontWeight.BOLD),
                ft.Text(_("With {name}").format(name=vm.resident_name), size=18),
                ft.Text(vm.deadline_text, size=16),
                section(_("When and where")),
                self.day.control,
                self.late,
                self.time,
                self.place,
                section(_("Who does the resident want at the table?")),
                self.people,
                self.remove_error,
                ft.Text(_("Family, neighbours, friends, volunteers"), size=14),
                self.network_name,
                self.network_relation,
                ft.Row(
                    controls=[
                        labelled_button(
                            _("Add network member"), self._add_network, icon=ft.Icons.PERSON_ADD
                        )
                    ],
                    alignment=ft.MainAxisAlignment.END,
                ),
                ft.Text(_("Professionals, of any organisation"), size=14),
                self.pro_name,
                ft.Semantics(
                    label=_("Organisation of the professional"),
                    content=ft.Row(controls=[self.pro_organisation]),
                ),
                self.pro_role,
                *account_part,
                ft.Row(
                    controls=[
                        labelled_button(
                            _("Add professional"), self._add_professional, icon=ft.Icons.PERSON_ADD
                        )
                    ],
                    alignment=ft.MainAxisAlignment.END,
                ),
                self.form_error,
                ft.Row(
                    controls=[
                        labelled_button(_("Cancel"), on_cancel),
                        labelled_button(_("Save the plan"), self._save, filled=True),
                    ],
                    alignment=ft.MainAxisAlignment.END,
                    wrap=True,
                ),
            ],
        )
        if isinstance(self.control, ft.Column):  # centred beside a tablet's navigation rail
            self.control.horizontal_alignment = ft.CrossAxisAlignment.CENTER
        self._show_people()
        self._show_late()

    def _field(self, label: str, key: str, **kwargs: Any) -> ft.TextField:
        def changed(e: ft.Event[ft.TextField]) -> None:
            self.typed[key] = e.control.value or ""

        return ft.TextField(label=label, on_change=changed, error_max_lines=3, **kwargs)

    def _show_people(self) -> None:
        self.people.controls = [self._person(p) for p in self.vm.participants]

    def _person(self, person: Participant) -> ft.Control:
        text = ft.Text("• " + self.vm.describe(person), size=16, expand=True)
        controls: list[ft.Control] = [text]
        if self.vm.can_end_access(person):
            controls.append(
                icon_button(
                    ft.Icons.LINK_OFF,
                    _("End dossier access of {name}").format(name=person.name),
                    lambda e, p=person: self._ask_end_access(e.page, p),
                )
            )
        if self.vm.can_remove(person):
            controls.append(
                icon_button(
                    ft.Icons.PERSON_REMOVE,
                    _("Remove {name}").format(name=person.name),
                    lambda e, p=person: self._ask_remove(e.page, p),
                )
            )
        return ft.Row(controls=controls, vertical_alignment=ft.CrossAxisAlignment.CENTER)

    def _confirm(
        self, page: ft.Page, title: str, text: str, label: str, action: Callable[[], None]
    ) -> None:
        """Ask first; on yes, close the dialog, do ``action`` and redraw the screen."""

        def confirmed() -> None:
            page.pop_dialog()
            action()
            self.control.update()

        dialog = ft.AlertDialog(
            modal=True,
            title=ft.Text(title),
            content=ft.Text(text),
            actions=[
                ft.TextButton(content=_("Cancel"), on_click=page.pop_dialog, height=TOUCH),
                ft.FilledButton(content=label, on_click=confirmed, height=TOUCH),
            ],
        )
        page.show_dialog(dialog)
        page.update()

    def _ask_end_access(self, page: ft.Page, person: Participant) -> None:
        def end_access() -> None:
            self.vm.end_access(person.id)
            self._show_people()

        text = self.vm.end_access_text(person)
        self._confirm(page, _("End dossier access?"), text, _("End access"), end_access)

    def _ask_remove(self, page: ft.Page, person: Participant) -> None:
        def remove() -> None:
            removed = self.vm.remove_person(person.id)
            error = self.vm.remove_error
            self.remove_error.content = message(error, error=True) if error else None
            self.remove_error.visible = not removed and bool(error)
            if removed:
                self._show_people()

        text = self.vm.confirm_text(person)
        self._confirm(page, _("Remove from the case?"), text, _("Remove"), remove)

    def _use_own_account(self) -> None:
        own = self.vm.own_account_id or ""
        self.pro_account.value = own
        self.typed["professional.account_id"] = own

    def _show_late(self) -> None:
        warning = self.vm.late_warning
        self.late.content = message(warning) if warning else None
        self.late.visible = bool(warning)

    def _date_changed(self, text: str) -> None:
        self.vm.date_text = text
        self._show_late()
        self.late.update()

    def _add_network(self) -> None:
        person = self.vm.add_person(
            role=ParticipantRole.NETWORK,
            name=self.typed.get("network.name", ""),
            relation=self.typed.get("network.relation", ""),
        )
        self.network_name.error = self.vm.errors.get("network.name")
        self.network_relation.error = self.vm.errors.get("network.relation")
        if person is not None:
            self.network_name.value = self.network_relation.value = ""
            self.typed.pop("network.name", None)
            self.typed.pop("network.relation", None)
            self._show_people()

    def _add_professional(self) -> None:
        person = self.vm.add_person(
            role=ParticipantRole.PROFESSIONAL,
            name=self.typed.get("professional.name", ""),
            relation=self.typed.get("professional.relation", ""),
            organisation_id=self.pro_organisation.value,
            account_id=self.typed.get("professional.account_id", ""),
        )
        self.pro_name.error = self.vm.errors.get("professional.name")
        self.pro_role.error = self.vm.errors.get("professional.relation")
        self.pro_account.error = self.vm.errors.get("professional.account_id")
        if person is not None:
            self.pro_name.value = self.pro_role.value = self.pro_account.value = ""
            self.typed.pop("professional.name", None)
            self.typed.pop("professional.relation", None)
            self.typed.pop("professional.account_id", None)
            self.pro_organisation.value = None
            self._show_people()

    def _save(self) -> None:
        if self.vm.save():
            self.on_saved()
            return
        errors = self.vm.errors
        self.day.error = errors.get(pl.DATE)
        self.time.error = errors.get(pl.TIME)
        self.place.error = errors.get(pl.PLACE)
        form = errors.get(pl.FORM)
        self.form_error.content = message(form, error=True) if form else None
        self.form_error.visible = bool(form)

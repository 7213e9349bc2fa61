"""New contact: resident, contact date (MDO deadline shown live), question, consent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from models.i18n import _
from ui.viewmodels import new_contact as nc
from ui.viewmodels.dates import parse_date
from ui.views.common import TOUCH, DateField, centred_form, labelled_button, message, section


class NewContactView:
    def __init__(
        self,
        vm: nc.NewContactViewModel,
        *,
        width: float | None,
        on_saved: Callable[[str], Any],
        on_cancel: Callable[[], Any],
    ) -> None:
        self.vm = vm
        self.on_saved = on_saved

        def text(label: str, attr: str, **kwargs: Any) -> ft.TextField:
            def changed(e: ft.Event[ft.TextField]) -> None:
                setattr(vm, attr, e.control.value)

            return ft.TextField(
                label=label, value=getattr(vm, attr), on_change=changed, error_max_lines=4, **kwargs
            )

        self.name = text(_("Name of the resident"), "name", autofocus=True)
        self.phone = text(_("Phone"), "phone", keyboard_type=ft.KeyboardType.PHONE)
        self.email = text(_("E-mail"), "email", keyboard_type=ft.KeyboardType.EMAIL)
        self.address = text(_("Address"), "address")
        self.contact_date = DateField(
            _("Date of first contact"),
            vm.contact_date_text,
            on_change=self._date_changed,
            parse=lambda t: parse_date(t, today=vm.today()),
            choose_label=_("Choose the date of first contact"),
            helper=_("day-month-year"),
            last=vm.today(),
        )
        self.deadline = ft.Text(vm.deadline_text, size=18, weight=ft.FontWeight.W_600)
        self.question = text(
            _("The question, in the resident's own words"),
            "question",
            multiline=True,
            min_lines=3,
            max_lines=8,
        )
        self.consent = ft.RadioGroup(
            value=None,
            on_change=self._consent_changed,
            content=ft.Column(
                controls=[
                    ft.Radio(height=TOUCH, value="yes", label=_("Yes, the case may be shared")),
                    ft.Radio(height=TOUCH, value="no", label=_("No, keep it on this device")),
                ],
                spacing=0,
            ),
        )
        self.form_error = ft.Container(visible=False)
        self.control = centred_form(
            width,
            [
                ft.Text(_("New contact"), size=28, weight=ft.FontWeight.BOLD),
                section(_("Resident")),
                self.name,
                self.phone,
                self.email,
                self.address,
                section(_("Contact")),
                self.contact_date.control,
                ft.Container(
                    content=self.deadline,
                    bgcolor="#E8F5E9",
                    border_radius=8,
                    padding=12,
                ),
                self.question,
                ft.Text(
                    _("May the case be shared with the joint dossier of the partners?"), size=16
                ),
                self.consent,
                self.form_error,
                ft.Row(
                    controls=[
                        labelled_button(_("Cancel"), on_cancel),
                        labelled_button(_("Save contact"), self._save, filled=True),
                    ],
                    alignment=ft.MainAxisAlignment.END,
                    wrap=True,
                ),
            ],
        )

    def _date_changed(self, text: str) -> None:
        self.vm.set_contact_date(text)
        self.deadline.value = self.vm.deadline_text
        self.contact_date.error = self.vm.errors.get(nc.CONTACT_DATE)
        self.deadline.update()
        self.contact_date.field.update()

    def _consent_changed(self, e: ft.Event[ft.RadioGroup]) -> None:
        self.vm.consent = {"yes": True, "no": False}.get(e.control.value or "")

    def _save(self) -> None:
        case_id = self.vm.save()
        errors = self.vm.errors
        self.name.error = errors.get(nc.NAME)
        self.phone.error = errors.get(nc.PHONE)
        self.email.error = errors.get(nc.EMAIL)
        self.address.error = errors.get(nc.ADDRESS)
        self.contact_date.error = errors.get(nc.CONTACT_DATE)
        self.question.error = errors.get(nc.QUESTION)
        form = errors.get(nc.FORM)
        self.form_error.content = message(form, error=True) if form else None
        self.form_error.visible = bool(form)
        if case_id is not None:
            self.on_saved(case_id)

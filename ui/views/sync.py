"""The sync screen: status, "Sync now", conflicts, held-back changes, enrolment, log in again.

Thin over ``ui.viewmodels.sync_screen``. Network work (sync, enrol, log in) runs off the UI
thread with a progress ring meanwhile; "Sync now" goes through the shell (``run_sync``) so that
it never runs at the same time as the background sync, and a wiped (revoked) device is handled
there once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from models.errors import KeukentafelError
from models.i18n import _
from sync.cycle import SyncState, SyncStatus
from ui.viewmodels import sync_screen as ss
from ui.views.common import centred_form, labelled_button, message, passphrase_field, section

GREY = "#5F5F5F"


def _fact(label: str, value: str) -> ft.Control:
    return ft.Column(
        controls=[ft.Text(label, size=14, color=GREY), ft.Text(value, size=18)],
        spacing=2,
        tight=True,
    )


class SyncView:
    def __init__(
        self,
        vm: ss.SyncScreenViewModel,
        *,
        width: float | None,
        run_sync: Callable[[], Awaitable[SyncStatus | None]],
        on_enrolled: Callable[[], Any],
        on_activity: Callable[[], None],
        on_back: Callable[[], Any] | None = None,
    ) -> None:
        vm.load()
        self.vm = vm
        self.run_sync = run_sync
        self.on_enrolled = on_enrolled
        self.on_activity = on_activity
        self.on_back = on_back
        self.busy = False
        self.body = ft.Column(
            spacing=16, tight=True, horizontal_alignment=ft.CrossAxisAlignment.STRETCH
        )
        self.control = centred_form(width, [self.body])
        if isinstance(self.control, ft.Column):  # centred beside a tablet's navigation rail
            self.control.horizontal_alignment = ft.CrossAxisAlignment.CENTER
        self._show()

    # -- drawing -------------------------------------------------------------------------------

    def _show(self) -> None:
        vm = self.vm
        controls: list[ft.Control] = [
            ft.Text(_("Dossier server"), size=28, weight=ft.FontWeight.BOLD)
        ]
        if self.on_back is not None:  # the phone's bar cannot go back to the selected "Settings"
            controls.insert(
                0,
                ft.Row(
                    controls=[labelled_button(_("Back"), self.on_back, icon=ft.Icons.ARROW_BACK)]
                ),
            )
        if vm.result:
            controls.append(message(vm.result))
        if vm.enrolled:  # what asks for the user's action first, then the facts
            if vm.needs_login:
                controls += self._login_part()
            controls += self._conflicts_part()
            controls += self._held_part()
            controls += self._status_part()
        else:
            controls += self._enrol_part()
        self.body.controls = controls

    def _busy_row(self, text: str) -> ft.Control:
        return ft.Row(
            controls=[
                ft.ProgressRing(width=24, height=24, semantics_label=_("Busy")),
                ft.Text(text, size=16),
            ],
            visible=self.busy,
        )

    def _status_part(self) -> list[ft.Control]:
        vm = self.vm
        part: list[ft.Control] = [
            _fact(_("Server"), vm.server_text),
            _fact(_("Your account"), vm.email_text),
            _fact(
                _("Your account id (give it to colleagues who add you to a case)"),
                vm.account_id_text,
            ),
            _fact(_("Last synced"), vm.last_sync_text),
            ft.Text(vm.waiting_text, size=16),
        ]
        if vm.kept_text:
            part.append(ft.Text(vm.kept_text, size=16))
        if vm.problem_text:  # offline is a warning (nothing is lost); a refusal an error
            offline = vm.status.state is SyncState.OFFLINE
            part.append(message(vm.problem_text, error=not offline))
        part.append(self._busy_row(_("Syncing…")))
        part.append(
            ft.Row(
                controls=[
                    labelled_button(
                        _("Sync now"),
                        self._sync_now,
                        icon=ft.Icons.SYNC,
                        filled=True,
                        disabled=self.busy,
                    )
                ],
                alignment=ft.MainAxisAlignment.END,
            )
        )
        return part

    def _login_part(self) -> list[ft.Control]:
        self.password = passphrase_field(
            _("Password of your dossier account"),
            _("Show password"),
            _("Hide password"),
            error=self.vm.errors.get(ss.PASSWORD),
            on_submit=self._log_in,
        )
        return [
            section(_("Log in again")),
            ft.Text(
                _("The dossier server asks you to log in again before sync can go on."), size=16
            ),
            self.password,
            self._form_error(),
            ft.Row(
                controls=[labelled_button(_("Log in"), self._log_in, filled=True)],
                alignment=ft.MainAxisAlignment.END,
            ),
        ]

    def _conflicts_part(self) -> list[ft.Control]:
        rows = self.vm.conflicts
        if not rows:
            return []
        part: list[ft.Control] = [section(_("Which one stands?"))]
        for row in rows:
            part.append(
                ft.Container(
                    content=ft.Column(
                        controls=[
                            ft.Text(row.question, size=16, weight=ft.FontWeight.W_600),
                            ft.Text(_("Yours: {value}").format(value=row.mine), size=16),
                            ft.Text(_("Theirs: {value}").format(value=row.theirs), size=16),
                            ft.Row(
                                controls=[
                                    labelled_button(
                                        _("Mine stands"),
                                        self._chooser(row, keep_mine=True),
                                    ),
                                    labelled_button(
                                        _("Theirs stands"),
                                        self._chooser(row, keep_mine=False),
                                    ),
                                ],
                                alignment=ft.MainAxisAlignment.END,
                                wrap=True,
                            ),
                        ],
                        spacing=8,
                        tight=True,
                    ),
                    border=ft.Border.all(1, "#E0E0E0"),
                    border_radius=8,
                    padding=12,
                )
            )
        return part

    def _held_part(self) -> list[ft.Control]:
        rows = self.vm.held_back
        if not rows:
            return []
        part: list[ft.Control] = [
            section(_("Held back")),
            ft.Text(
                _("The server did not take these changes. They stay on this device."),
                size=14,
                color=GREY,
            ),
        ]
        for row in rows:
            part.append(
                ft.Container(
                    content=ft.Column(
                        controls=[
                            ft.Text(row.what, size=16, weight=ft.FontWeight.W_600),
                            ft.Text(row.reason, size=16),
                            ft.Row(
                                controls=[
                                    labelled_button(
                                        _("Try again"),
                                        self._retrier(row.mutation_id),
                                        icon=ft.Icons.REFRESH,
                                    )
                                ],
                                alignment=ft.MainAxisAlignment.END,
                            ),
                        ],
                        spacing=8,
                        tight=True,
                    ),
                    border=ft.Border.all(1, "#E0E0E0"),
                    border_radius=8,
                    padding=12,
                )
            )
        return part

    def _enrol_part(self) -> list[ft.Control]:
        vm, errors = self.vm, self.vm.errors

        def field(label: str, key: str, **kwargs: Any) -> ft.TextField:
            def changed(e: ft.Event[ft.TextField]) -> None:
                setattr(vm.form, key, e.control.value or "")

            return ft.TextField(
                label=label,
                value=getattr(vm.form, key),
                error=errors.get(key),
                error_max_lines=4,
                on_change=changed,
                **kwargs,
            )

        return [
            ft.Text(
                _(
                    "This device is not linked to a dossier server yet. Everything works "
                    "without it; linking lets you share cases with colleagues (only cases whose "
                    "resident agreed). Ask the administrator for a one-time code."
                ),
                size=16,
            ),
            field(
                _("Address of the dossier server"),
                ss.URL,
                keyboard_type=ft.KeyboardType.URL,
                helper=_("for example: https://dossier.example.nl"),
            ),
            field(_("One-time code"), ss.CODE),
            field(
                _("E-mail address of your account"), ss.EMAIL, keyboard_type=ft.KeyboardType.EMAIL
            ),
            self._password_field(),
            self._form_error(),
            self._busy_row(_("Linking this device…")),
            ft.Row(
                controls=[
                    labelled_button(
                        _("Link this device"), self._enrol, filled=True, disabled=self.busy
                    )
                ],
                alignment=ft.MainAxisAlignment.END,
            ),
        ]

    def _password_field(self) -> ft.TextField:
        """With a named 48 px show/hide button (Flet's own reveal button is unnamed and 40 px)."""
        vm = self.vm

        def changed(e: ft.Event[ft.TextField]) -> None:
            vm.form.password = e.control.value or ""

        return passphrase_field(
            _("Password of your account"),
            _("Show password"),
            _("Hide password"),
            value=vm.form.password,
            error=vm.errors.get(ss.PASSWORD),
            on_change=changed,
        )

    def _form_error(self) -> ft.Control:
        text = self.vm.errors.get(ss.FORM)
        return message(text, error=True) if text else ft.Container(height=0)

    def _redraw(self) -> None:
        self._show()
        self.control.update()

    def refresh(self, status: SyncStatus | None) -> None:
        """A background cycle ended: show the new facts, unless the user is filling in a form
        here (enrolment, log in again) or an action of this screen runs."""
        if self.busy or not self.vm.enrolled or self.vm.needs_login:
            return
        try:
            self.vm.load(status)
        except KeukentafelError:  # locked meanwhile: the shell shows the unlock screen
            return
        with contextlib.suppress(RuntimeError):  # no longer on the page
            self._redraw()

    # -- actions -------------------------------------------------------------------------------

    async def _sync_now(self) -> None:
        self.on_activity()
        self.busy, self.vm.result = True, None
        self._redraw()
        try:
            status = await self.run_sync()
        finally:
            self.busy = False
        if status is not None and status.state is SyncState.WIPED:
            return  # the shell shows the first-run screen and says why
        if status is not None:
            self.vm.after_sync(status)
        else:
            self.vm.load()
        self._redraw()

    # Handlers without parameters: Flet passes the click event to a handler that takes one.
    def _chooser(self, row: ss.ConflictRow, *, keep_mine: bool) -> Callable[[], None]:
        return lambda: self._choose(row, keep_mine=keep_mine)

    def _retrier(self, mutation_id: str) -> Callable[[], None]:
        return lambda: self._retry(mutation_id)

    def _choose(self, row: ss.ConflictRow, *, keep_mine: bool) -> None:
        self.on_activity()
        self.vm.choose(row, keep_mine=keep_mine)
        self._redraw()

    def _retry(self, mutation_id: str) -> None:
        self.on_activity()
        self.vm.retry(mutation_id)
        self._redraw()

    async def _enrol(self) -> None:
        self.on_activity()
        self.busy, self.vm.result = True, None
        self._redraw()
        try:
            linked = await asyncio.to_thread(self.vm.enrol)
        finally:
            self.busy = False
        self._redraw()
        if linked:
            self.on_enrolled()

    async def _log_in(self) -> None:
        self.on_activity()
        password = self.password.value or ""
        self.password.value = ""
        self.busy = True
        try:
            ok = await asyncio.to_thread(self.vm.log_in_again, password)
        finally:
            self.busy = False
        self._redraw()
        if ok:
            self.on_enrolled()

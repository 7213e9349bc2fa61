"""The Flet app: the shell (screens, navigation, lock) and how it is started.

Screens follow the session (``ui.viewmodels.session``): no store -> first run, locked -> unlock,
else the app with a navigation rail (tablet, >= 600 px) or a navigation bar (phone). Views are thin
over the view-models in ``ui.viewmodels``.

Started by ``python main.py run`` through ``ui/launch.py``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import flet as ft

from models.calendar import today_in_amsterdam
from models.errors import KeukentafelError
from models.i18n import _, current_language, set_language
from models.profile import load_profile
from models.store import CaseStore
from ui.error_guard import install_error_guard
from ui.viewmodels import preferences
from ui.viewmodels.case_detail import CaseViewModel
from ui.viewmodels.cases import CasesViewModel
from ui.viewmodels.first_run import FirstRunViewModel
from ui.viewmodels.meeting import MeetingViewModel
from ui.viewmodels.new_contact import NewContactViewModel
from ui.viewmodels.plan import PlanViewModel
from ui.viewmodels.session import IDLE_LOCK_VARIABLE, AppSession, Screen, idle_lock_from_env
from ui.viewmodels.settings import SettingsViewModel
from ui.viewmodels.unlock import UnlockViewModel
from ui.views.case_detail import CaseView
from ui.views.cases import CasesView
from ui.views.common import TOUCH, form_view, is_tablet, message
from ui.views.first_run import FirstRunView
from ui.views.meeting import MeetingView
from ui.views.new_contact import NewContactView
from ui.views.plan import PlanView
from ui.views.settings import SettingsView
from ui.views.unlock import UnlockView

log = logging.getLogger(__name__)

IDLE_CHECK_SECONDS = 1.0


def _now() -> datetime:
    return datetime.now(UTC)


def _today() -> date:
    return today_in_amsterdam(_now())


def locale_configuration(language: str) -> ft.LocaleConfiguration:
    """Dutch (the Netherlands) or English, the chosen one first."""
    dutch, english = ft.Locale("nl", "NL"), ft.Locale("en", "GB")
    current = english if language == "en" else dutch
    return ft.LocaleConfiguration(supported_locales=[dutch, english], current_locale=current)


class Shell:
    """One browser tab or window: draws the screen the session is on."""

    def __init__(self, page: ft.Page, session: AppSession) -> None:
        self.page = page
        self.session = session
        self.tablet = is_tablet(page.width)
        self.unlock_view: UnlockView | None = None
        self.cases_view: CasesView | None = None
        self.settings_view: SettingsView | None = None
        self.notice: str | None = None  # a message to show once on the next screen
        self._idle_task: concurrent.futures.Future[None] | None = None

    def start(self) -> None:
        page = self.page
        page.title = "Keukentafel"
        page.theme = ft.Theme(color_scheme_seed="#1B5E20")
        page.theme_mode = ft.ThemeMode.LIGHT
        page.on_resize = self._resized
        page.on_keyboard_event = lambda: self.session.touch()
        page.on_close = self._closed
        page.on_disconnect = self._closed
        install_error_guard(page, self._unexpected_error)
        self.session.start()
        self._apply_preferences()
        self.render()
        self._idle_task = page.run_task(self._watch_idle)

    # -- drawing ---------------------------------------------------------------------------

    def render(self) -> None:
        screen = self.session.screen
        self.unlock_view = None
        # Flutter's own texts (the date picker's days, months, OK/Cancel) follow the app language.
        self.page.locale_configuration = locale_configuration(current_language())
        width = self.page.width
        if screen is Screen.FIRST_RUN:
            first = FirstRunView(
                FirstRunViewModel(self.session.path, clock=self.session.clock),
                width=width,
                on_created=self._created,
            )
            view = form_view("/setup", first.control)
        elif screen is Screen.UNLOCK:
            store = self._store()
            self.unlock_view = UnlockView(
                UnlockViewModel(store, clock=self.session.clock),
                width=width,
                on_unlocked=self._unlocked,
            )
            view = form_view("/unlock", self.unlock_view.control)
        else:
            view = self._app_view(screen)
        self.page.views.clear()
        self.page.views.append(view)
        self.page.update()
        if self.cases_view is not None:
            self.page.run_task(self.cases_view.load_in_background)

    def _app_view(self, screen: Screen) -> ft.View:
        self.cases_view = None
        try:
            title, body = self._body(screen)
        except KeukentafelError as error:  # e.g. a damaged record: say so, go back to the list
            log.warning("could not open screen %s: %s", screen.value, type(error).__name__)
            self.notice = error.message
            self.session.go(Screen.CASES)
            screen = Screen.CASES
            title, body = self._body(screen)
        if self.notice:
            body = ft.Column(controls=[message(self.notice, error=True), body], expand=True)
            self.notice = None
        actions: list[ft.Control] = []
        if screen is Screen.MEETING:
            actions.append(
                ft.TextButton(
                    content=_("Pause"),
                    icon=ft.Icons.PAUSE,
                    on_click=self._leave_meeting,
                    height=TOUCH,
                )
            )
        # A visible word, not only an icon: clearer at the table, and it names the button.
        actions.append(
            ft.TextButton(
                content=_("Lock"), icon=ft.Icons.LOCK_OUTLINE, on_click=self._lock, height=TOUCH
            )
        )
        appbar = ft.AppBar(title=ft.Text(title), automatically_imply_leading=False, actions=actions)
        if screen is Screen.MEETING:  # meeting mode: the whole screen for the meeting
            return ft.View(
                route="/" + screen.value,
                appbar=appbar,
                controls=[body],
                padding=ft.Padding.symmetric(horizontal=16 if self.tablet else 12, vertical=12),
            )
        selected = {Screen.CASES: 0, Screen.SETTINGS: 1}.get(screen)
        labels = [(_("My cases"), ft.Icons.FOLDER_SHARED), (_("Settings"), ft.Icons.SETTINGS)]
        if self.tablet:
            rail = ft.NavigationRail(
                selected_index=selected,
                label_type=ft.NavigationRailLabelType.ALL,
                destinations=[
                    ft.NavigationRailDestination(icon=icon, label=label) for label, icon in labels
                ],
                on_change=self._navigate_rail,
            )
            return ft.View(
                route="/" + screen.value,
                appbar=appbar,
                controls=[
                    ft.Row(
                        controls=[rail, ft.VerticalDivider(width=1), body],
                        expand=True,
                        vertical_alignment=ft.CrossAxisAlignment.STRETCH,
                    )
                ],
            )
        bar = ft.NavigationBar(
            selected_index=selected or 0,
            destinations=[
                ft.NavigationBarDestination(icon=icon, label=label) for label, icon in labels
            ],
            on_change=self._navigate_bar,
        )
        return ft.View(route="/" + screen.value, appbar=appbar, navigation_bar=bar, controls=[body])

    def _body(self, screen: Screen) -> tuple[str, ft.Control]:
        store = self._store()
        width = self.page.width
        case_id = self.session.case_id
        if screen is Screen.SETTINGS:
            settings = SettingsView(
                SettingsViewModel(store, idle_lock=self.session.idle.timeout),
                on_language=self.render,
                on_idle_lock=self._idle_lock_changed,
            )
            self.settings_view = settings
            return _("Settings"), settings.control
        if screen is Screen.NEW_CONTACT:
            vm = NewContactViewModel(
                store, today=_today, now=_now, organisation_id=self._organisation_id()
            )
            return _("New contact"), NewContactView(
                vm, width=width, on_saved=self._open_case, on_cancel=self._to_cases
            ).control
        if screen is Screen.CASE and case_id:
            case_vm = CaseViewModel(store, case_id, today=_today, now=_now)
            return _("Case"), CaseView(
                case_vm,
                width=width,
                on_plan=lambda: self._open_case(case_id, Screen.PLAN),
                on_meeting=lambda: self._open_case(case_id, Screen.MEETING),
                on_back=self._to_cases,
                on_activity=self.session.touch,
            ).control
        if screen is Screen.PLAN and case_id:
            plan_vm = PlanViewModel(store, case_id, today=_today)
            return _("Plan the MDO"), PlanView(
                plan_vm,
                width=width,
                on_saved=lambda: self._open_case(case_id),
                on_cancel=lambda: self._open_case(case_id),
            ).control
        if screen is Screen.MEETING and case_id:
            meeting_vm = MeetingViewModel.open(store, case_id, today=_today())
            title = (
                _("Meeting with {name}").format(name=meeting_vm.resident.name)
                if self.tablet
                else _("Meeting")  # the phone's app bar also holds Pause and Lock
            )
            return title, MeetingView(
                meeting_vm,
                width=width,
                on_finished=lambda: self._open_case(case_id),
                on_activity=self.session.touch,
            ).control
        cases = CasesView(
            CasesViewModel(store, today=_today),
            on_activity=self.session.touch,
            on_open=self._open_case,
            on_new=self._new_contact,
            phone=not self.tablet,
        )
        self.cases_view = cases
        return _("My cases"), cases.control

    def _organisation_id(self) -> str | None:
        try:
            profile = load_profile(self._store())
        except KeukentafelError:
            return None
        return profile.organisation_id if profile else None

    def _apply_preferences(self) -> None:
        """The language and auto-lock time chosen in settings, kept in the store (plaintext)."""
        store = self.session.store
        if store is None:
            return
        language = preferences.stored_language(store)
        if language:
            set_language(language)
        timeout = preferences.stored_idle_lock(store)
        if timeout is not None and not os.environ.get(IDLE_LOCK_VARIABLE):
            self.session.idle.timeout = timeout

    def _store(self) -> CaseStore:
        store = self.session.store
        assert store is not None, "screen needs a store"
        return store

    # -- events ----------------------------------------------------------------------------

    async def _created(self, store: CaseStore) -> None:
        self.session.created(store)
        self.render()

    async def _unlocked(self) -> None:
        self.session.unlocked()
        self.render()

    def _unexpected_error(self) -> None:
        """A handler failed (ui/error_guard.py): say so, redraw the screen from the store."""
        self.notice = _("Something went wrong. What you entered has been saved. Please try again.")
        self.render()

    def _lock(self) -> None:
        self.session.lock()
        self.render()

    def _open_case(self, case_id: str, screen: Screen = Screen.CASE) -> None:
        self.session.open_case(case_id, screen)
        self.render()

    def _new_contact(self) -> None:
        self.session.go(Screen.NEW_CONTACT)
        self.render()

    def _to_cases(self) -> None:
        self.session.go(Screen.CASES)
        self.render()

    def _leave_meeting(self) -> None:
        """Pause: everything is saved already; the case screen offers to resume."""
        if self.session.case_id:
            self._open_case(self.session.case_id)

    def _idle_lock_changed(self) -> None:
        if self.settings_view is not None:
            self.session.idle.timeout = self.settings_view.vm.idle_lock
        self.session.touch()

    def _navigate_rail(self, e: ft.Event[ft.NavigationRail]) -> None:
        self._navigate(e.control.selected_index or 0)

    def _navigate_bar(self, e: ft.Event[ft.NavigationBar]) -> None:
        self._navigate(e.control.selected_index)

    def _navigate(self, index: int) -> None:
        self.session.go([Screen.CASES, Screen.SETTINGS][index])
        self.render()

    def _resized(self, e: ft.PageResizeEvent) -> None:
        tablet = is_tablet(e.width)
        if tablet != self.tablet:
            self.tablet = tablet
            self.render()

    def _closed(self) -> None:
        if self._idle_task is not None:
            self._idle_task.cancel()
        self.session.close()

    async def _watch_idle(self) -> None:
        while True:
            await asyncio.sleep(IDLE_CHECK_SECONDS)
            if self.session.lock_if_idle():
                log.info("locked after idle time")
                self.render()
            elif self.unlock_view is not None and self.unlock_view.tick():
                self.page.update()



def make_main(store_path: Path, *, idle_lock: timedelta | None = None) -> Callable[[ft.Page], None]:
    """The Flet entry for one store: ``main(page)``. Started by ``ui/launch.py``."""

    def main(page: ft.Page) -> None:
        session = AppSession(store_path, clock=_now, idle_lock=idle_lock or idle_lock_from_env())
        Shell(page, session).start()

    return main

"""The Flet app: the shell (screens, navigation, lock) and how it is started.

Screens follow the session (``ui.viewmodels.session``): no store -> first run, locked -> unlock,
else the app with a navigation rail (tablet, >= 600 px) or a navigation bar (phone). Views are thin
over the view-models in ``ui.viewmodels``.

Started by ``python main.py run`` through ``ui/launch.py``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import importlib
import logging
import os
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import flet as ft

from models.calendar import today_in_amsterdam
from models.errors import KeukentafelError, StorageError
from models.i18n import _, current_language, set_language
from ui.error_guard import install_error_guard
from ui.launch import trace
from ui.viewmodels import preferences
from ui.viewmodels.cases import CasesViewModel
from ui.viewmodels.session import (
    CASE_SCREENS,
    IDLE_LOCK_VARIABLE,
    AppSession,
    Screen,
    idle_lock_from_env,
)
from ui.viewmodels.unlock import UnlockViewModel
from ui.views.cases import CasesView
from ui.views.common import TOUCH, form_view, icon_button, is_tablet, message
from ui.views.unlock import UnlockView

if TYPE_CHECKING:
    from models.store import CaseStore
    from models.store_file import StoreFile
    from sync.cycle import SyncStatus
    from ui.background_sync import BackgroundSync
    from ui.views.settings import SettingsView
    from ui.views.sync import SyncView

# The screens after "My cases" load in the body that draws them, so that the start (first run,
# unlock, my cases) does not wait for them: signing alone brings ReportLab, Pillow and Flet's
# canvas (about 0.5 s). So does the whole store (SQLAlchemy, SQLModel, the tables): unlock and My
# cases work on the store's file alone (``AppSession.file``, ``models.store_file``). The store and
# the later screens load in the background a moment after My cases is drawn (``_load_store``,
# ``_warm_screens``), so opening a case does not wait either.
LATER_SCREENS = (
    "ui.views.case_detail",
    "ui.views.plan",
    "ui.views.meeting",
    "ui.views.new_contact",
    "ui.views.settings",
    "ui.views.signing",
)
# Flet's controls load on first use; the ones of the first screens load with the app instead
# (``warm_up``), while the browser is still fetching Flet's web client.
FIRST_CONTROLS = [
    "AppBar",
    "Border",
    "BorderSide",
    "Chip",
    "Column",
    "Container",
    "FilledButton",
    "Icon",
    "IconButton",
    "Icons",
    "ListView",
    "Locale",
    "LocaleConfiguration",
    "NavigationBar",
    "NavigationRail",
    "OutlinedButton",
    "Padding",
    "ProgressRing",
    "Row",
    "Semantics",
    "Text",
    "TextButton",
    "TextField",
    "Theme",
    "ThemeMode",
    "VerticalDivider",
    "View",
]

log = logging.getLogger(__name__)

IDLE_CHECK_SECONDS = 1.0
SYNC_CHECK_SECONDS = 5.0  # how often the background sync looks at its schedule (ui/background_sync)
SYNC_START_DELAY = 1.0  # after the first app screen: sync (and httpx) never slow down the start
APP_DRAWN_CHECK_SECONDS = 0.5
AT_THE_TABLE = (Screen.MEETING, Screen.SIGN)  # never redrawn by sync; the status line informs only


def _now() -> datetime:
    return datetime.now(UTC)


def _today() -> date:
    return today_in_amsterdam(_now())


def _navigation_label(screen: Screen) -> tuple[str, ft.IconData]:
    if screen is Screen.TEAM:
        return _("Team"), ft.Icons.GROUPS
    if screen is Screen.SETTINGS:
        return _("Settings"), ft.Icons.SETTINGS
    return _("My cases"), ft.Icons.FOLDER_SHARED


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
        self._cases_ready: CasesViewModel | None = None  # read right after unlocking, drawn once
        self.settings_view: SettingsView | None = None
        self.notice: str | None = None  # a message to show once on the next screen
        self._idle_task: concurrent.futures.Future[None] | None = None
        self.sync: BackgroundSync | None = None  # made by the sync task after the first screen
        self._sync_task: concurrent.futures.Future[None] | None = None
        self.status_box: ft.Container | None = None  # the sync status line of the screen shown
        self._sync_return: tuple[Screen, str | None] = (Screen.SETTINGS, None)  # "Back" from sync
        self.sync_view: SyncView | None = None  # the sync screen, while it is shown
        self._app_drawn = False  # a screen past unlocking was sent: the start is over
        self._storage_notice: ft.SnackBar | None = None  # "saving did not work", while shown

    def start(self) -> None:
        page = self.page
        page.title = "Keukentafel"
        page.theme = ft.Theme(color_scheme_seed="#1B5E20")
        page.theme_mode = ft.ThemeMode.LIGHT
        page.on_resize = self._resized
        page.on_keyboard_event = lambda: self.session.touch()
        page.on_close = self._closed
        page.on_disconnect = self._closed
        page.on_app_lifecycle_state_change = self._lifecycle
        install_error_guard(page, self._unexpected_error)
        trace("shell-start")
        self.session.start()
        trace("session-started")
        self._apply_preferences()
        self.render()
        self._idle_task = page.run_task(self._watch_idle)
        self._sync_task = page.run_task(self._watch_sync)

    # -- drawing ---------------------------------------------------------------------------

    def render(self) -> None:
        screen = self.session.screen
        self.unlock_view = None
        if screen in (Screen.FIRST_RUN, Screen.UNLOCK):
            self._cases_ready = self.cases_view = None  # locked: keep no opened names
        # Flutter's own texts (the date picker's days, months, OK/Cancel) follow the app language.
        self.page.locale_configuration = locale_configuration(current_language())
        width = self.page.width
        if screen is Screen.FIRST_RUN:
            from ui.viewmodels.first_run import FirstRunViewModel  # with the store: not at start
            from ui.views.first_run import FirstRunView

            first = FirstRunView(
                FirstRunViewModel(self.session.path, clock=self.session.clock),
                width=width,
                on_created=self._created,
            )
            form: ft.Control = first.control
            if self.notice:  # e.g. this device was switched off by the administrator: say why
                form = ft.Column(
                    controls=[message(self.notice, error=True), first.control], expand=True
                )
                self.notice = None
            view = form_view("/setup", form)
        elif screen is Screen.UNLOCK:
            self.unlock_view = UnlockView(
                UnlockViewModel(self._file(), clock=self.session.clock),
                width=width,
                on_unlocked=self._unlocked,
            )
            view = form_view("/unlock", self.unlock_view.control)
        else:
            view = self._app_view(screen)
        trace(f"render-built-{screen.value}")
        self.page.views.clear()
        self.page.views.append(view)
        self.page.update()
        trace(f"render-sent-{screen.value}")
        if screen not in (Screen.FIRST_RUN, Screen.UNLOCK):
            self._app_drawn = True
        if self.cases_view is not None and not self.cases_view.vm.loaded:
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
        # On a tablet a visible word, not only an icon: clearer at the table. On a phone the words
        # squeezed the title to "Ov…" at large text: named icon buttons (the name is a tooltip).
        if screen is Screen.MEETING:
            actions.append(
                ft.TextButton(
                    content=_("Pause"),
                    icon=ft.Icons.PAUSE,
                    on_click=self._leave_meeting,
                    height=TOUCH,
                )
                if self.tablet
                else icon_button(ft.Icons.PAUSE, _("Pause"), self._leave_meeting)
            )
        actions.append(
            ft.TextButton(
                content=_("Lock"), icon=ft.Icons.LOCK_OUTLINE, on_click=self._lock, height=TOUCH
            )
            if self.tablet
            else icon_button(ft.Icons.LOCK_OUTLINE, _("Lock"), self._lock)
        )
        appbar = ft.AppBar(title=ft.Text(title), automatically_imply_leading=False, actions=actions)
        if screen in (Screen.MEETING, Screen.SIGN):  # the whole screen for the table
            return ft.View(
                route="/" + screen.value,
                appbar=appbar,
                controls=[self._status_bar(), body],
                padding=ft.Padding.symmetric(horizontal=16 if self.tablet else 12, vertical=12),
            )
        destinations = self.session.destinations()  # "Team" only for a team lead
        shown = Screen.SETTINGS if screen is Screen.SYNC else screen
        selected = destinations.index(shown) if shown in destinations else None
        labels = [_navigation_label(d) for d in destinations]
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
                    self._status_bar(),
                    ft.Row(
                        controls=[rail, ft.VerticalDivider(width=1), body],
                        expand=True,
                        vertical_alignment=ft.CrossAxisAlignment.STRETCH,
                    ),
                ],
            )
        bar = ft.NavigationBar(
            selected_index=selected or 0,
            destinations=[
                ft.NavigationBarDestination(icon=icon, label=label) for label, icon in labels
            ],
            on_change=self._navigate_bar,
        )
        return ft.View(
            route="/" + screen.value,
            appbar=appbar,
            navigation_bar=bar,
            controls=[self._status_bar(), body],
        )

    def _body(self, screen: Screen) -> tuple[str, ft.Control]:
        if screen is Screen.CASES:
            return self._cases_body()
        store = self._store()  # every other screen works on the whole store
        width = self.page.width
        case_id = self.session.case_id
        if screen is Screen.SETTINGS:
            from ui.viewmodels.settings import SettingsViewModel
            from ui.views.settings import SettingsView

            settings = SettingsView(
                SettingsViewModel(store, idle_lock=self.session.idle.timeout),
                on_language=self.render,
                on_idle_lock=self._idle_lock_changed,
                on_dossier=self._open_sync,
            )
            self.settings_view = settings
            return _("Settings"), settings.control
        if screen is Screen.NEW_CONTACT:
            from ui.viewmodels.new_contact import NewContactViewModel
            from ui.views.new_contact import NewContactView

            vm = NewContactViewModel(
                store, today=_today, now=_now, organisation_id=self._organisation_id()
            )
            return _("New contact"), NewContactView(
                vm, width=width, on_saved=self._open_case, on_cancel=self._to_cases
            ).control
        if screen is Screen.CASE and case_id:
            from ui.viewmodels.case_detail import CaseViewModel
            from ui.viewmodels.signing import signing_entry
            from ui.views.case_detail import CaseView
            from ui.views.signing import with_signing_banner

            case_vm = CaseViewModel(store, case_id, today=_today, now=_now)
            case_view = CaseView(
                case_vm,
                width=width,
                on_plan=lambda: self._open_case(case_id, Screen.PLAN),
                on_meeting=lambda: self._open_case(case_id, Screen.MEETING),
                on_back=self._to_cases,
                on_activity=self.session.touch,
            ).control
            return _("Case"), with_signing_banner(  # "Sign the plan" / "Show the signed plan"
                case_view,
                signing_entry(store, case_id),
                lambda: self._open_case(case_id, Screen.SIGN),
            )
        if screen is Screen.PLAN and case_id:
            from ui.viewmodels.plan import PlanViewModel
            from ui.views.plan import PlanView

            plan_vm = PlanViewModel(store, case_id, today=_today)
            return _("Plan the MDO"), PlanView(
                plan_vm,
                width=width,
                on_saved=lambda: self._open_case(case_id),
                on_cancel=lambda: self._open_case(case_id),
            ).control
        if screen is Screen.MEETING and case_id:
            from ui.viewmodels.meeting import MeetingViewModel
            from ui.views.meeting import MeetingView

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
                on_sign=lambda: self._open_case(case_id, Screen.SIGN),
            ).control
        if screen is Screen.SIGN and case_id:
            from ui.viewmodels.signing import SigningViewModel
            from ui.views.signing import SigningView

            signing_vm = SigningViewModel.open(store, case_id, now=_now)
            return _("Sign the plan"), SigningView(
                signing_vm,
                width=width,
                on_back=lambda: self._open_case(case_id),
                on_meeting=lambda: self._open_case(case_id, Screen.MEETING),
                on_activity=self.session.touch,
            ).control
        if screen is Screen.SYNC:
            return _("Dossier server"), self._sync_screen(store)
        if screen is Screen.TEAM:  # the session lets only a team lead get here
            return _("Team"), self._team_screen(store)
        return self._cases_body()

    def _cases_body(self) -> tuple[str, ft.Control]:
        """My cases, read through the file alone (models.case_list): no SQLAlchemy at start."""
        cases_vm, self._cases_ready = self._cases_ready, None
        cases = CasesView(
            cases_vm if cases_vm is not None else CasesViewModel(self._file(), today=_today),
            on_activity=self.session.touch,
            on_open=self._open_case,
            on_new=self._new_contact,
            phone=not self.tablet,
        )
        self.cases_view = cases
        return _("My cases"), cases.control

    def _team_screen(self, store: CaseStore) -> ft.Control:
        """The team-lead dashboard: the kept answers at once, then a refresh in the background."""
        from ui.viewmodels.team import TeamViewModel  # flet-charts only when a lead opens it
        from ui.views.team import TeamView

        team = TeamView(
            TeamViewModel(store, today=_today),
            page=self.page,
            width=self.page.width,
            on_open_case=self._open_case,
            on_activity=self.session.touch,
        )
        self.page.run_task(team.refresh)
        return team.control

    def _organisation_id(self) -> str | None:
        from models.profile import load_profile

        try:
            profile = load_profile(self._store())
        except KeukentafelError:
            return None
        return profile.organisation_id if profile else None

    def _apply_preferences(self) -> None:
        """The language and auto-lock time chosen in settings, kept in the store (plaintext)."""
        file = self.session.file
        if file is None:
            return
        language = preferences.stored_language(file)
        if language:
            set_language(language)
        timeout = preferences.stored_idle_lock(file)
        if timeout is not None and not os.environ.get(IDLE_LOCK_VARIABLE):
            self.session.idle.timeout = timeout

    def _store(self) -> CaseStore:
        store = self.session.store
        assert store is not None, "screen needs a store"
        return store

    def _file(self) -> StoreFile:
        file = self.session.file
        assert file is not None, "screen needs a store"
        return file

    # -- events ----------------------------------------------------------------------------

    async def _created(self, store: CaseStore) -> None:
        self.session.created(store)
        self.render()

    async def _unlocked(self) -> None:
        """Unlocked: read My cases while "Unlocking…" still shows, then draw it whole, once.

        One update with the list in it, instead of an empty list, a progress ring, then the rows:
        each update is a round trip and a redraw in the browser.
        """
        trace("unlocked")
        self.session.unlocked()
        if self.session.screen is Screen.CASES:
            cases = CasesViewModel(self._file(), today=_today)
            try:
                await asyncio.to_thread(cases.load)
            except Exception as error:  # drawn as before: the list reads (and reports) it again
                log.warning("reading my cases after unlocking failed: %s", type(error).__name__)
            else:
                self._cases_ready = cases
            trace("cases-loaded")
        self.render()

    def _unexpected_error(self, error: BaseException | None = None) -> None:
        """A handler failed (ui/error_guard.py): say so, redraw the screen from the store.

        A write the device refused is different: the screen stays as it is, so what was typed
        stays on it (the meeting's view-model keeps it and saves it with the next keystroke), and
        a bar at the bottom says what to do. The store rolled the write back: nothing is
        half-saved.
        """
        if isinstance(error, StorageError):
            self._storage_refused(error)
            return
        self.notice = _(
            "Something went wrong. The screen now shows what is saved: check your last change and "
            "try again."
        )
        self.render()

    def _storage_refused(self, error: StorageError) -> None:
        """The bar that says the device refused a write: it stays until closed, takes no focus.

        Not a dialog: a dialog takes the keyboard, so the keys typed after the first refused one
        went to the dialog and were lost. The bar leaves the focus in the field, every key lands
        there, and the meeting saves it all once there is room.
        """
        if self._storage_notice is not None:
            return  # one bar, not one per keystroke

        def gone(_e: object = None) -> None:
            self._storage_notice = None

        kept = _("What you typed is still on the screen.")
        title = _("Saving did not work.")
        self._storage_notice = ft.SnackBar(
            content=ft.Text(f"{title} {error.advice}\n{kept}", size=18),
            action=_("OK"),
            persist=True,
            behavior=ft.SnackBarBehavior.FLOATING,
            on_action=gone,
            on_dismiss=gone,
        )
        self.page.show_dialog(self._storage_notice)

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
        self.session.go(self.session.destinations()[index])
        self.render()

    def _resized(self, e: ft.PageResizeEvent) -> None:
        tablet = is_tablet(e.width)
        if tablet != self.tablet:
            self.tablet = tablet
            self.render()

    def _closed(self) -> None:
        if self._idle_task is not None:
            self._idle_task.cancel()
        if self._sync_task is not None:
            self._sync_task.cancel()
        self.session.close()

    async def _watch_idle(self) -> None:
        while True:
            await asyncio.sleep(IDLE_CHECK_SECONDS)
            if self.session.lock_if_idle():
                log.info("locked after idle time")
                self.render()
            elif self.unlock_view is not None and self.unlock_view.tick():
                self.page.update()

    # -- sync with the dossier server (see ui/background_sync.py) ---------------------------

    async def _background(self) -> BackgroundSync:
        if self.sync is None:
            module = await asyncio.to_thread(importlib.import_module, "ui.background_sync")
            if self.sync is None:
                self.sync = module.BackgroundSync(
                    lambda: self.session.store,
                    now=_now,
                    on_change=self._show_sync_status,
                    on_pulled=self._pulled,
                    on_wiped=self._wiped,
                )
        return self.sync

    async def _watch_sync(self) -> None:
        """Sync in the background while the store is unlocked and the device enrolled.

        Nothing syncs while locked. The first app screen (after unlocking) is drawn first; a moment
        later the other screens and the sync code (httpx) load in the background: loading them
        earlier slowed down unlocking and drawing My cases (bench/app_startup.py).
        """
        while not self._app_drawn:
            await asyncio.sleep(APP_DRAWN_CHECK_SECONDS)
        await asyncio.sleep(SYNC_START_DELAY)
        await asyncio.to_thread(self._load_store)
        await asyncio.to_thread(_warm_screens)
        background = await self._background()
        while True:
            try:
                await background.tick()
            except Exception as error:  # never let sync take the app down; keep no details
                log.warning("background sync failed: %s", type(error).__name__)
            self._show_sync_status()  # also moves "synced N minutes ago" on
            await asyncio.sleep(SYNC_CHECK_SECONDS)

    def _load_store(self) -> None:
        """Build the whole store on the unlocked file (SQLAlchemy and the tables load now), so the
        first screen after My cases does not wait for it; run off the UI loop."""
        try:
            _ = self.session.store
        except Exception as error:  # the screen that needs it reports it properly
            log.warning("loading the store in the background failed: %s", type(error).__name__)

    async def _sync_now(self) -> SyncStatus | None:
        return await (await self._background()).sync_now()

    def _status_bar(self) -> ft.Control:
        """The small sync status line under the app bar; tapping it opens the sync screen."""
        # At the table (meeting, signing) the line only informs: the meeting goes first. There it
        # is no button; elsewhere it is one, at least 48 px high. The text wraps at large text.
        clickable = self.session.screen not in AT_THE_TABLE
        text = ft.Text("", size=14, color="#5F5F5F", expand=True, expand_loose=True)
        icon = ft.Icon(ft.Icons.CLOUD_OUTLINED, size=18, color="#5F5F5F")
        self.status_box = ft.Container(
            content=ft.Semantics(
                button=clickable,
                content=ft.Row(
                    # A Container has no minimum height: a zero-wide 48 px strut gives the row one.
                    controls=[icon, text, ft.Container(width=0, height=TOUCH, visible=clickable)],
                    spacing=6,
                    vertical_alignment=ft.CrossAxisAlignment.CENTER,
                ),
            ),
            on_click=self._open_sync if clickable else None,
            padding=ft.Padding.symmetric(horizontal=16 if self.tablet else 12, vertical=4),
            alignment=ft.Alignment.CENTER_LEFT,
            visible=False,
        )
        self._show_sync_status(update=False)
        return self.status_box

    def _show_sync_status(self, *, update: bool = True) -> None:
        box = self.status_box
        line = self.sync.line() if self.sync is not None else None
        if box is None or line is None:
            return
        status = self.sync.status if self.sync is not None else None
        unlinked = status is not None and status.state.value == "not_enrolled"
        if unlinked and self.session.screen in AT_THE_TABLE:
            return  # at the table, "not linked yet" is only noise: say nothing
        semantics = box.content
        assert isinstance(semantics, ft.Semantics) and isinstance(semantics.content, ft.Row)
        icon, text, _strut = semantics.content.controls
        assert isinstance(icon, ft.Icon) and isinstance(text, ft.Text)
        if text.value == line.text and box.visible:
            return
        colour, symbol = {
            "ok": ("#5F5F5F", ft.Icons.CLOUD_DONE_OUTLINED),
            "busy": ("#1B5E20", ft.Icons.SYNC),
            "attention": ("#7A4B00", ft.Icons.WARNING_AMBER_OUTLINED),
            "problem": ("#B3261E", ft.Icons.ERROR_OUTLINE),
        }[line.tone.value]
        offline = status is not None and status.state.value == "offline"
        if offline and self.sync is not None and not self.sync.syncing:
            symbol = ft.Icons.CLOUD_OFF_OUTLINED
        text.value, text.color = line.text, colour
        icon.icon, icon.color = symbol, colour
        semantics.label = line.semantics_label
        box.visible = True
        if update:
            with contextlib.suppress(RuntimeError):  # not on the page (any more)
                box.update()
            if self.sync_view is not None and self.session.screen is Screen.SYNC:
                self.sync_view.refresh(self.sync.status if self.sync else None)

    def _sync_screen(self, store: CaseStore) -> ft.Control:
        from ui.viewmodels.sync_screen import SyncScreenViewModel  # with httpx: only when opened
        from ui.views.sync import SyncView

        self.sync_view = SyncView(
            SyncScreenViewModel(store, now=_now),
            width=self.page.width,
            run_sync=self._sync_now,
            on_enrolled=self._sync_enrolled,
            on_back=self._close_sync,
            on_activity=self.session.touch,
        )
        return self.sync_view.control

    def _open_sync(self) -> None:
        if self.session.screen is not Screen.SYNC:
            self._sync_return = (self.session.screen, self.session.case_id)
        self.session.go(Screen.SYNC)
        self.render()

    def _close_sync(self) -> None:
        """Back to where the sync screen was opened from (the status line works everywhere)."""
        screen, case_id = self._sync_return
        if case_id is not None:
            self.session.open_case(case_id, screen)
        else:
            self.session.go(screen)
        self.render()

    def _lifecycle(self, e: ft.AppLifecycleStateChangeEvent) -> None:
        """Back in the foreground: a sync that failed (offline) is tried again at once."""
        if e.state is ft.AppLifecycleState.RESUME and self.sync is not None:
            self.sync.schedule.app_resumed()

    def _sync_enrolled(self) -> None:
        """Enrolled or logged in again: read the status anew and sync at once."""
        if self.sync is not None:
            self.sync.schedule.resume()
            self.sync.status = None

    def _pulled(self) -> None:
        """The server sent changes: redraw only where nobody is typing (the list of cases).

        The meeting screen saves as typed and other screens hold forms or dialogs: they keep what
        they show, and the new data appears when they are opened again. Only when the case on
        screen is gone (access to it ended and the sync removed it, issue #5) does the screen
        change: back to My cases, with a plain message, since nothing of it can be saved now.
        """
        if self._open_case_gone():
            return
        if self.session.screen is Screen.CASES and self.cases_view is not None:
            self.page.run_task(self.cases_view.load_in_background)

    def _open_case_gone(self) -> bool:
        """True when the case on screen was removed from this device; then My cases is shown."""
        store = self.session.store
        if store is None:
            return False
        _back_screen, back_case = self._sync_return
        if back_case is not None and not store.has_case(back_case):
            self._sync_return = (Screen.CASES, None)  # "Back" from the sync screen
        case_id = self.session.case_id
        if case_id is None or self.session.screen not in CASE_SCREENS or store.has_case(case_id):
            return False
        self.session.go(Screen.CASES)
        if _was_released(store, case_id):
            log.info("the open case was removed: closed long enough ago, the dossier keeps it")
            self.notice = _(
                "This closed case was removed from this tablet. The dossier keeps it; it comes "
                "back here when someone changes it."
            )
        else:
            log.info("the open case was removed: access to it ended")
            self.notice = _(
                "This case was removed from this tablet: you no longer have access to it."
            )
        self.render()
        return True

    def _wiped(self, _status: SyncStatus) -> None:
        """A revoked device: the cycle removed the store; back to the first-run screen."""
        self.session.close()
        self.notice = _(
            "This tablet was switched off by the administrator; the local case files were removed."
        )
        self.render()


def _was_released(store: CaseStore, case_id: str) -> bool:
    """Whether this tablet let go of the case because it was closed (models.caseload)."""
    from models.sync_state import released_case_ids

    with store.engine.connect() as conn:
        return case_id in released_case_ids(conn)


def _warm_screens() -> None:
    """Load the screens after My cases (see LATER_SCREENS); run off the UI loop."""
    for name in LATER_SCREENS:
        try:
            importlib.import_module(name)
        except Exception as error:  # opening that screen reports it properly
            log.warning("loading %s in the background failed: %s", name, type(error).__name__)


def warm_up() -> None:
    """Load Flet's controls of the first screens now (called by ``ui.launch`` in the background)."""
    for name in FIRST_CONTROLS:
        getattr(ft, name)


def make_main(store_path: Path, *, idle_lock: timedelta | None = None) -> Callable[[ft.Page], None]:
    """The Flet entry for one store: ``main(page)``. Started by ``ui/launch.py``."""

    def main(page: ft.Page) -> None:
        session = AppSession(store_path, clock=_now, idle_lock=idle_lock or idle_lock_from_env())
        Shell(page, session).start()

    return main

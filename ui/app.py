"""The Flet app: the shell (screens, navigation, lock) and how it is started.

Screens follow the session (``ui.viewmodels.session``): no store -> first run, locked -> unlock,
else the app with a navigation rail (tablet, >= 600 px) or a navigation bar (phone). Views are thin
over the view-models in ``ui.viewmodels``.

Started by ``python main.py run``: a desktop window where one can be opened, otherwise the app is
served on http://127.0.0.1:<port> (never on all interfaces) with everything loaded locally.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import importlib
import logging
import os
import socket
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import flet as ft

from models.calendar import today_in_amsterdam
from models.i18n import _
from models.store import CaseStore
from ui.viewmodels.cases import CasesViewModel
from ui.viewmodels.first_run import FirstRunViewModel
from ui.viewmodels.session import AppSession, Screen, idle_lock_from_env
from ui.viewmodels.settings import SettingsViewModel
from ui.viewmodels.unlock import UnlockViewModel
from ui.views.cases import CasesView
from ui.views.common import TOUCH, form_view, is_tablet
from ui.views.first_run import FirstRunView
from ui.views.settings import SettingsView
from ui.views.unlock import UnlockView

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
DEFAULT_PORT = 8550
ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
IDLE_CHECK_SECONDS = 1.0


def _now() -> datetime:
    return datetime.now(UTC)


def _today() -> date:
    return today_in_amsterdam(_now())


class Shell:
    """One browser tab or window: draws the screen the session is on."""

    def __init__(self, page: ft.Page, session: AppSession) -> None:
        self.page = page
        self.session = session
        self.tablet = is_tablet(page.width)
        self.unlock_view: UnlockView | None = None
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
        self.session.start()
        self.render()
        self._idle_task = page.run_task(self._watch_idle)

    # -- drawing ---------------------------------------------------------------------------

    def render(self) -> None:
        screen = self.session.screen
        self.unlock_view = None
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

    def _app_view(self, screen: Screen) -> ft.View:
        store = self._store()
        body: ft.Control
        if screen is Screen.SETTINGS:
            title = _("Settings")
            body = SettingsView(
                SettingsViewModel(store, idle_lock=self.session.idle.timeout)
            ).control
        else:
            title = _("My cases")
            body = CasesView(
                CasesViewModel(store, today=_today), on_activity=self.session.touch
            ).control
        appbar = ft.AppBar(
            title=ft.Text(title),
            automatically_imply_leading=False,
            actions=[
                # A visible word, not only an icon: clearer at the table, and it names the button.
                ft.TextButton(
                    content=_("Lock"), icon=ft.Icons.LOCK_OUTLINE, on_click=self._lock, height=TOUCH
                )
            ],
        )
        selected = [Screen.CASES, Screen.SETTINGS].index(screen)
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
            selected_index=selected,
            destinations=[
                ft.NavigationBarDestination(icon=icon, label=label) for label, icon in labels
            ],
            on_change=self._navigate_bar,
        )
        return ft.View(route="/" + screen.value, appbar=appbar, navigation_bar=bar, controls=[body])

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

    def _lock(self) -> None:
        self.session.lock()
        self.render()

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
    """The Flet entry for one store: ``main(page)``."""

    def main(page: ft.Page) -> None:
        session = AppSession(store_path, clock=_now, idle_lock=idle_lock or idle_lock_from_env())
        Shell(page, session).start()

    return main


# -- starting -------------------------------------------------------------------------------


def display_available() -> bool:
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def desktop_client_available() -> bool:
    """Whether Flet's desktop client is here or can be fetched (it downloads on first use)."""
    try:
        flet_desktop = importlib.import_module("flet_desktop")  # untyped; imported only here
        previous = socket.getdefaulttimeout()
        socket.setdefaulttimeout(15)
        try:
            flet_desktop.ensure_client_cached()
        finally:
            socket.setdefaulttimeout(previous)
    except Exception as error:  # offline, no release for this platform, unpack failed ...
        log.info("desktop client not available: %s", type(error).__name__)
        return False
    return True


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def run(store_path: Path, *, web: bool = False, port: int = DEFAULT_PORT) -> int:
    """Start the app: a window if possible (unless ``web``), else serve on 127.0.0.1:port."""
    # Flet lets these variables override host and port: never let the environment widen the bind.
    for variable in ("FLET_SERVER_IP", "FLET_SERVER_PORT"):
        os.environ.pop(variable, None)
    main = make_main(store_path)
    if not web and display_available() and desktop_client_available():
        ft.run(main, view=ft.AppView.FLET_APP, assets_dir=str(ASSETS_DIR))
        return 0
    if not port_free(port):
        print(
            _("Port {port} on 127.0.0.1 is in use. Choose another with --port.").format(port=port),
            file=sys.stderr,
        )
        return 1
    # Serve only: open no browser, load nothing from a CDN. FLET_FORCE_WEB_SERVER keeps Flet from
    # opening a browser window itself (with view=None and a display it would start a socket server).
    os.environ["FLET_FORCE_WEB_SERVER"] = "true"
    print(
        _("Keukentafel runs at {url} — open it in a browser on this device.").format(
            url=f"http://{HOST}:{port}"
        ),
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        ft.run(main, view=None, host=HOST, port=port, no_cdn=True, assets_dir=str(ASSETS_DIR))
    return 0

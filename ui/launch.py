"""How the app is started: a desktop window where one can be opened, else served on 127.0.0.1.

``python main.py run`` calls ``run``. Where a desktop window is possible (a display, and Flet's
desktop client is here or can be fetched) it opens one; otherwise the app is served on
http://127.0.0.1:<port> (never on all interfaces) with everything loaded locally (``no_cdn``).

This module is light on purpose. The app itself (``ui.app``) is imported in a background thread
that starts together with the web server, so it loads while the browser fetches Flet's web client
(about a second), and the first page does not wait for it (``bench/app_startup.py`` measures it).
``ui.app`` itself needs no SQLAlchemy until My cases is drawn (``models.store_file``): about
0.08 s of import instead of 0.5 s, CPU the browser needs on a two-core tablet while it starts.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import flet as ft

from models.i18n import _

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
DEFAULT_PORT = 8550
ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
APP_MODULE = "ui.app"
WARM_UP_SWITCH_INTERVAL = 0.0005  # seconds; see _warm_up
TRACE_VARIABLE = "KEUKENTAFEL_TRACE_STARTUP"  # "1": print start-up phases (bench/app_startup.py)
_TRACING = bool(os.environ.get(TRACE_VARIABLE))


def trace(phase: str) -> None:
    """With KEUKENTAFEL_TRACE_STARTUP set: one line "startup-trace <monotonic s> <phase>" on stderr.

    Phases are fixed words, never data. ``time.monotonic`` is one clock for all processes on the
    machine, so the benchmark lines these up with what the browser saw.
    """
    if _TRACING:
        print(f"startup-trace {time.monotonic():.4f} {phase}", file=sys.stderr, flush=True)


def _warm_up(port: int | None = None) -> None:
    """Import the app in the background; Python's import lock makes a page wait if it is early.

    With a ``port``, the import waits until the web server listens there: both are CPU work in one
    process, and the browser can start loading the web client only once the server is up.
    """

    def load() -> None:
        if port is not None:
            _wait_until_listening(port)
        trace("import-start")
        # Importing is pure Python: it holds the GIL. At the default switch interval (5 ms) the
        # web server thread waited that long after every send before it could go on, and the
        # browser got Flet's client later. A shorter interval while importing keeps it moving.
        interval = sys.getswitchinterval()
        sys.setswitchinterval(WARM_UP_SWITCH_INTERVAL)
        try:
            importlib.import_module(APP_MODULE).warm_up()
            trace("import-done")
        except Exception as error:  # the page's own import reports it properly
            log.warning("loading the app in the background failed: %s", type(error).__name__)
        finally:
            sys.setswitchinterval(interval)

    threading.Thread(target=load, name="keukentafel-warm-up", daemon=True).start()


def _wait_until_listening(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)


def _lazy_main(store_path: Path) -> Callable[[ft.Page], None]:
    """``main(page)`` that imports the app on first use (normally already loaded by then)."""

    def main(page: ft.Page) -> None:
        trace("page-connected")
        app = importlib.import_module(APP_MODULE)
        app.make_main(store_path)(page)

    return main


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
    trace("run")
    # Flet lets these variables override host and port: never let the environment widen the bind.
    for variable in ("FLET_SERVER_IP", "FLET_SERVER_PORT"):
        os.environ.pop(variable, None)
    main = _lazy_main(store_path)
    if not web and display_available() and desktop_client_available():
        _warm_up()
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
    _warm_up(port)
    with contextlib.suppress(KeyboardInterrupt):
        ft.run(main, view=None, host=HOST, port=port, no_cdn=True, assets_dir=str(ASSETS_DIR))
    return 0

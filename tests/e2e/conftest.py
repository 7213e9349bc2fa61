"""End to end: the app as served by ``python main.py run --web``, driven in headless Chromium.

The server runs as a subprocess with its own ``KEUKENTAFEL_HOME`` and no OS key store (the
``fail`` keyring backend, as on these machines), so the store is passphrase-only. The browser is
Debian's ``/usr/bin/chromium`` (``tests/install-test-tools.sh``); every request that is not to
127.0.0.1 is aborted, so a test also proves the app works offline. Controls are found through
Flutter's semantics tree by role and label, the way a screen reader finds them.

Screenshots of every step go to ``test-output/e2e/<test>/``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

playwright_sync = pytest.importorskip("playwright.sync_api")

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO / "test-output" / "e2e"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}
PASSPHRASE = "een lange test wachtzin"  # synthetic, passphrase-only store: >= 12 characters
SERVER_START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def server_env(home: Path) -> dict[str, str]:
    env = {
        "KEUKENTAFEL_HOME": str(home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),  # Flet writes nothing outside the test's folder
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "KEUKENTAFEL_LANG": "nl",
    }
    return env


# The names ``seed`` put in each home's store: make_server looks for them in the server log.
SEEDED_NAMES: dict[Path, set[str]] = {}


def seed(home: Path, cases: int) -> None:
    from models.demo_data import demo_case_files  # the same generator and seed as the command

    files = demo_case_files(cases, today=date.today(), seed=2026)  # names do not hang on the day
    SEEDED_NAMES.setdefault(home, set()).update(
        n for f in files for n in (f.case.resident.name, *(p.name for p in f.participants))
    )
    env = server_env(home) | {"KEUKENTAFEL_PASSPHRASE": PASSPHRASE}
    subprocess.run(
        [sys.executable, str(REPO / "main.py"), "seed", "--cases", str(cases)],
        env=env,
        check=True,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


@dataclass
class AppServer:
    """``python main.py run --web --port N`` as a subprocess."""

    home: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.port = free_port()
        log = (self.home / "server.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, str(REPO / "main.py"), "run", "--web", "--port", str(self.port)],
            env=server_env(self.home) | self.extra_env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        log.close()
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not listen within {SERVER_START_TIMEOUT} s: {self.log()}")

    def log(self) -> str:
        return (self.home / "server.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def app_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    return home


@pytest.fixture
def make_server(app_home: Path) -> Iterator[type[AppServer] | object]:
    servers: list[AppServer] = []

    def start(**extra_env: str) -> AppServer:
        server = AppServer(app_home, extra_env=dict(extra_env))
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()
    # Privacy: whatever the test did, the server's output names none of the seeded people.
    names = SEEDED_NAMES.pop(app_home, set())
    if servers and names:
        log = servers[-1].log()  # every start in this home writes the same server.log
        leaked = sum(n in log for n in names)
        assert leaked == 0, f"{leaked} seeded names in the server log"


@pytest.fixture
def no_key_store() -> Iterator[None]:
    """Seed a store the way the app server opens it: passphrase-only, no OS key store."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: run tests/install-test-tools.sh (make test does)")
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def _local_only(route: object) -> None:
    url: str = route.request.url  # type: ignore[attr-defined]
    if url.startswith(("http://127.0.0.1", "blob:", "data:")):
        route.continue_()  # type: ignore[attr-defined]
    else:
        route.abort()  # type: ignore[attr-defined]


FOCUSED_JS = """(el) => new Promise((ok, fail) => {
    const t0 = Date.now();
    const check = () => document.activeElement === el ? ok(true)
        : Date.now() - t0 > 5000 ? fail(new Error('no focus')) : setTimeout(check, 50);
    check();
})"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Real-browser journeys run last, and may run once more on failure.

    A freshly started Flutter web app on a busy 2-core machine sometimes takes longer to settle
    than any wait we give it; a second failure still fails the suite. Only e2e tests get this.
    """
    for item in items:
        if item.get_closest_marker("e2e") is not None:
            item.add_marker(pytest.mark.flaky(reruns=1, reruns_delay=2))
    # The browser journeys run last. Playwright's sync API keeps an asyncio loop running in the
    # main thread while the (session-wide) browser is open, and every later ``asyncio.run`` in
    # another test would fail with "cannot be called from a running event loop".
    items[:] = sorted(items, key=lambda item: item.get_closest_marker("e2e") is not None)


class App:
    """A browser page on the app, with steps that also take a screenshot."""

    def __init__(
        self, page: object, url: str, shots: Path, counter: list[int] | None = None
    ) -> None:
        self.page = page
        self.url = url
        self.shots = shots
        self._counter = counter if counter is not None else [0]  # shared by a test's pages

    @property
    def step(self) -> int:
        return self._counter[0]

    @property
    def p(self):  # type: ignore[no-untyped-def]
        return self.page

    def open(self) -> None:
        self.p.goto(self.url)
        # Switch the semantics DOM on in the same frame the placeholder appears: a screen drawn
        # quickly puts the focus in its autofocus field first, and Flutter then keeps its own
        # editing element for text fields instead of the semantics one the tests focus.
        self.p.wait_for_function(
            """() => { const p = document.querySelector('flt-semantics-placeholder');
                       if (p) p.click(); return !!p; }""",
            timeout=30_000,
        )
        self.p.wait_for_function("() => !document.getElementById('loading')", timeout=30_000)
        self.p.wait_for_selector("flt-semantics", state="attached", timeout=10_000)

    def textbox(self, name: str):  # type: ignore[no-untyped-def]
        return self.p.get_by_role("textbox", name=re.compile(re.escape(name)))

    def type_into(self, name: str, text: str) -> None:
        box = self.textbox(name).first
        self.focus(box)
        # Select-all does not reach an obscured Flutter field, and the DOM value can lag behind
        # Flutter's: clear it key by key, generously.
        self.p.keyboard.press("End")
        for _ in range(len(box.input_value() or "") + 40):
            self.p.keyboard.press("Backspace")
        self.p.keyboard.type(text)

    def focus(self, box) -> None:  # type: ignore[no-untyped-def]
        """Give a text field the keyboard, and wait until Flutter has moved focus to it.

        Focusing the semantics element asks Flutter to focus the field (and scroll to it); a
        click at coordinates can land on another field while Flutter still scrolls.
        """
        # Generous: on a busy 2-core CI machine a freshly started app can take seconds to settle.
        for attempt in range(5):
            if attempt == 0:
                box.focus()
            else:
                self.p.wait_for_timeout(500)
                self.tap(box)
            try:
                box.evaluate(FOCUSED_JS)
                return
            except Exception:
                continue
        self.shot("no-focus")
        raise AssertionError("the text field did not get the focus")

    def tap(self, locator) -> None:  # type: ignore[no-untyped-def]
        """Click a control that may be scrolled out of view.

        Playwright scrolls the semantics DOM at once, but Flutter follows a frame later: a click
        straight away can land on whatever was there before. Scroll first, wait, then click.
        When Flutter rebuilt its semantics DOM in between (a background sync refreshed the list),
        the element found is gone: find it again, at most twice.
        """
        for attempt in range(3):
            try:
                locator.scroll_into_view_if_needed()
                self.p.wait_for_timeout(300)
                locator.click()
                return
            except playwright_sync.Error as error:
                if "not attached" not in str(error) or attempt == 2:
                    raise
                self.p.wait_for_timeout(500)

    def press(self, name: str, *, exact: bool = False) -> None:
        """Tap the button named ``name``."""
        self.tap(self.button(name, exact=exact))

    def button(self, name: str, *, exact: bool = False):  # type: ignore[no-untyped-def]
        return self.p.get_by_role("button", name=name, exact=exact)

    def text(self, pattern: str):  # type: ignore[no-untyped-def]
        return self.p.get_by_text(re.compile(pattern))

    def see(self, pattern: str, timeout: float = 15_000) -> None:
        """Wait until some element's accessible text or label matches ``pattern``."""
        try:
            self._wait_for_text(pattern, timeout)
        except Exception:
            self.shot("timeout")
            raise

    def _wait_for_text(self, pattern: str, timeout: float) -> None:
        self.p.wait_for_function(
            """(pattern) => {
                const re = new RegExp(pattern);
                return [...document.querySelectorAll('flt-semantics, [aria-label]')].some(
                    (el) => re.test(el.getAttribute('aria-label') || '') ||
                            re.test(el.textContent || ''));
            }""",
            arg=pattern,
            timeout=timeout,
        )

    def shot(self, name: str) -> Path:
        self.p.wait_for_timeout(400)  # the canvas repaints a frame after the semantics DOM
        self._counter[0] += 1
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{self.step:02d}-{name}.png"
        self.p.screenshot(path=str(path))
        return path


def failed_unlocks(home: Path) -> int:
    """The failed-unlock count the store keeps on disk (readable while it is locked)."""
    from datetime import UTC, datetime

    from models.datafolder import STORE_FILENAME
    from models.store import CaseStore

    store = CaseStore.open(home / STORE_FILENAME)
    try:
        return store.unlock_status(now=datetime.now(UTC)).failures
    finally:
        store.close()


def fail_unlocks_until_back_off(app: App, home: Path) -> None:
    """Type a wrong passphrase until the back-off starts (after the fourth failure).

    Each attempt waits for its own outcome: the failure count in the store file goes up. Without
    that, an attempt typed while the one before is still deriving its key is lost on a loaded
    machine (the field and button are busy), and the back-off never comes. A lost attempt is typed
    again.
    """
    for _attempt in range(12):
        failures = failed_unlocks(home)
        if failures >= 4:
            break
        app.type_into("Wachtzin of pincode", "niet de goede wachtzin")
        app.press("Ontgrendelen", exact=True)
        deadline = time.monotonic() + 15
        while failed_unlocks(home) == failures and time.monotonic() < deadline:
            app.p.wait_for_timeout(200)
    app.see(r"Probeer het opnieuw om \d\d:\d\d:\d\d")


@pytest.fixture
def open_app(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    pages: list[object] = []
    counter = [0]
    shots = SHOTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(shots, ignore_errors=True)  # only this run's pictures

    def open_(server: AppServer, viewport: dict[str, int] = TABLET) -> App:
        context = browser.new_context(viewport=viewport)  # type: ignore[attr-defined]
        page = context.new_page()
        page.route("**/*", _local_only)
        pages.append(context)
        app = App(page, server.url, shots, counter)
        app.open()
        return app

    yield open_
    for context in pages:
        context.close()  # type: ignore[attr-defined]

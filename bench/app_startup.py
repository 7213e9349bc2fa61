"""Start-up, open-a-case and memory of the app with 2,000 local cases (issue #3).

1. **Start to interactive "my cases"**: from starting ``main.py run --web`` to the case list with
   its rows in headless Chromium, against a bare Flet hello-world (``bench/flet_hello_world.py``)
   from starting it to its text in the same browser, same run. The app's path has one step the
   hello-world has not: the unlock screen. The app's time is everything from the start to the
   filled list **except the typing**: from the moment the unlock box shows until Playwright has
   filled in the passphrase and pressed *Ontgrendelen* (about 0.25 s of Playwright finding the
   box, focusing it, filling it and finding the button), the app waits for the user, as it would
   for a person typing for several seconds. The app does no work of its own in that span (it
   reads nothing ahead while the box shows), so nothing is hidden in it. The key derivation
   (Argon2id, about 0.15 s) after the press is part of the app's time: a professional waits for
   it too. The time with the typing is reported beside it. Goal: ratio <= 1.3.
   A second baseline, the **floor** (``bench/flet_unlock_floor.py``), walks the same journey in a
   bare Flet page (a passphrase box, the store's Argon2id settings, 30 list tiles) and is timed the
   same way: its ratio to the hello-world is the least the goal's journey costs on this machine,
   and ours against it is the cost of everything else the app does (its imports, the store, the
   real screens).
2. **Open a case** (server side): building the case screen's view-model and controls for one case
   of the 2,000, in-process, against reading the same case file from the store alone (the
   baseline). Goal: <= 150 ms.
3. **Peak memory** of the app process (VmHWM from /proc) after the list and after opening cases.
   Goal: <= 300 MB.

The browser is Debian's ``/usr/bin/chromium`` (``tests/install-test-tools.sh`` installs it);
every request not to 127.0.0.1 is aborted, as in the end-to-end tests. Synthetic data only.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.flet_hello_world import HELLO

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CASES = 2_000
PASSPHRASE = "benchmark passphrase, synthetic data only"
VIEWPORT = {"width": 1280, "height": 800}
ROWS_JS = """() => [...document.querySelectorAll('flt-semantics')].some(
    (e) => / · contact /.test(e.textContent || ''))"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _env(home: Path) -> dict[str, str]:
    return {
        "KEUKENTAFEL_HOME": str(home),
        "HOME": str(home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "KEUKENTAFEL_LANG": "nl",
    }


def _spawn(
    args: list[str], env: dict[str, str], log: Path, repo: Path = REPO
) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, *args], env=env, cwd=repo, stdout=out, stderr=subprocess.STDOUT
        )


def _wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server process exited early")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("the server did not start listening")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def peak_rss_mib(pid: int) -> float:
    """VmHWM: the most resident memory the process ever had, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def _local_only(route: Any) -> None:
    if route.request.url.startswith(("http://127.0.0.1", "blob:", "data:")):
        route.continue_()
    else:
        route.abort()


def _watch_page(page: Any, phases: Phases) -> None:
    """Marks for the browser's side: the web client's files, the first WebSocket messages."""
    first: set[str] = set()

    def once(phase: str) -> None:
        if phase not in first:
            first.add(phase)
            phases.mark(phase)

    def websocket(ws: Any) -> None:
        once("bench: websocket opened")
        ws.on("framesent", lambda _frame: once("bench: first message sent"))
        ws.on("framereceived", lambda _frame: once("bench: first message received"))

    def finished(request: Any) -> None:
        name = request.url.rsplit("/", 1)[-1]
        if name.endswith((".js", ".wasm", ".otf")):  # the client; icon font (not the KaTeX ones)
            once(f"bench: loaded {name}")

    page.on("websocket", websocket)
    page.on("requestfinished", finished)


def _open_page(browser: Any, url: str, phases: Phases) -> Any:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.route("**/*", _local_only)

    _watch_page(page, phases)
    page.goto(url)
    phases.mark("bench: page loaded")
    page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
    phases.mark("bench: flutter up")
    page.evaluate("() => document.querySelector('flt-semantics-placeholder').click()")
    return page


def _has_text(page: Any, pattern: str, timeout: float = 60_000) -> None:
    page.wait_for_function(
        """(p) => [...document.querySelectorAll('flt-semantics, [aria-label]')].some(
            (e) => new RegExp(p).test((e.textContent || '') + ' ' + (e.getAttribute('aria-label')
            || '')))""",
        arg=pattern,
        timeout=timeout,
    )


class Phases:
    """Moments (``time.monotonic``, one clock for every process here) of one timed start."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.marks: list[tuple[float, str]] = []

    def mark(self, phase: str) -> None:
        self.marks.append((time.monotonic(), phase))

    def add_trace(self, log: Path) -> None:
        """The app's own phases (``ui.launch.trace``) from its log."""
        for line in log.read_text(errors="replace").splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0] == "startup-trace":
                self.marks.append((float(parts[1]), "app: " + parts[2]))

    def table(self) -> str:
        rows, previous = [], self.start
        for moment, phase in sorted(self.marks):
            rows.append(f"  {moment - self.start:7.3f}  +{moment - previous:6.3f}  {phase}")
            previous = moment
        return "\n".join(rows)


def _time_hello(browser: Any, home: Path, phases: Phases | None = None) -> float:
    port = _free_port()
    phases = phases or Phases()
    start = time.perf_counter()
    phases.start = time.monotonic()
    process = _spawn(["-m", "bench.flet_hello_world", str(port)], _env(home), home / "hello.log")
    try:
        _wait_listening(port, process)
        phases.mark("bench: listening")
        page = _open_page(browser, f"http://127.0.0.1:{port}", phases)
        _has_text(page, HELLO)
        elapsed = time.perf_counter() - start
        phases.mark("bench: text shown")
        page.context.close()
        return elapsed
    finally:
        _stop(process)


def _time_app(
    browser: Any,
    home: Path,
    *,
    open_cases: int = 0,
    phases: Phases | None = None,
    floor: bool = False,
    repo: Path = REPO,
) -> tuple[float, float, float]:
    """Seconds from start to a filled "my cases" without and with the typing, and peak memory.

    Returns ``(app seconds, typing seconds, peak MiB)``: the typing is the span from the unlock box
    showing to the Unlock button pressed, which the app spends waiting for the user. With
    ``floor``, the same journey through ``bench/flet_unlock_floor.py`` instead of the app. ``repo``
    is the source tree whose ``main.py`` runs (``--against``: another revision's).
    """
    port = _free_port()
    phases = phases or Phases()
    start = time.perf_counter()
    phases.start = time.monotonic()
    env = _env(home) | {"KEUKENTAFEL_TRACE_STARTUP": "1"}
    command = ["-m", "bench.flet_unlock_floor"] if floor else ["main.py", "run", "--web", "--port"]
    process = _spawn([*command, str(port)], env, home / "app.log", repo)
    try:
        _wait_listening(port, process)
        phases.mark("bench: listening")
        page = _open_page(browser, f"http://127.0.0.1:{port}", phases)
        # Seen the way the hello-world's text is seen: a check on every animation frame. (A
        # locator's wait_for polls at up to 500 ms intervals, which timed the poll, not the app.)
        _has_text(page, "Wachtzin of pincode")
        phases.mark("bench: unlock box shown")
        shown = time.perf_counter()
        box = page.get_by_role("textbox", name=re.compile("Wachtzin of pincode"))
        pressed = _unlock(page, box, phases)
        elapsed = time.perf_counter() - start
        typing = pressed - shown
        phases.mark("bench: case tiles shown")
        for index in range(open_cases):  # open a few cases, then back to the list
            tiles = page.locator("flt-semantics[role=button]").filter(has_text=" · contact ")
            tiles.nth(index).click()
            back = page.get_by_role("button", name="Terug naar mijn casussen")
            back.wait_for(timeout=60_000)  # the case screen is there
            back.click()
            page.wait_for_function(ROWS_JS, timeout=60_000)
        memory = peak_rss_mib(process.pid)
        page.context.close()
        return elapsed - typing, typing, memory
    finally:
        _stop(process)
        phases.add_trace(home / "app.log")


def _unlock(page: Any, box: Any, phases: Phases) -> float:
    """Type the passphrase and press Unlock; again if the click came before Flutter was ready.

    Returns the ``perf_counter`` moment the (last) press was done. A retry counts as the app's
    time: the press that did nothing waited for the app, not for the user.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    pressed: float | None = None
    for attempt in range(3):
        box.fill(PASSPHRASE)
        page.get_by_role("button", name="Ontgrendelen", exact=True).click()
        phases.mark("bench: unlock clicked")
        if pressed is None:
            pressed = time.perf_counter()
        try:
            page.wait_for_function(ROWS_JS, timeout=20_000 if attempt < 2 else 120_000)
            return pressed
        except PlaywrightTimeout:
            continue
    raise RuntimeError("the case list did not appear after unlocking")


def seed(home: Path, cases: int, repo: Path = REPO) -> None:
    subprocess.run(
        [sys.executable, "main.py", "seed", "--cases", str(cases)],
        env=_env(home) | {"KEUKENTAFEL_PASSPHRASE": PASSPHRASE},
        cwd=repo,
        check=True,
        capture_output=True,
        timeout=900,
    )


def _open_case_in_process(home: Path, repeat: int) -> tuple[float, float]:
    """Median seconds to build the case screen (view-model + controls) vs reading the case file."""
    from datetime import UTC, datetime

    from models.calendar import today_in_amsterdam
    from models.datafolder import store_path
    from models.queries import case_file, case_summaries
    from models.store import CaseStore
    from ui.viewmodels.case_detail import CaseViewModel
    from ui.views.case_detail import CaseView

    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    now = datetime.now(UTC)
    store = CaseStore.open(store_path(_env(home)))
    store.unlock(PASSPHRASE, now=now)
    ids = [s.case_id for s in case_summaries(store, today=today_in_amsterdam(now))][:repeat]

    def screen(case_id: str) -> Callable[[], Any]:
        def build() -> Any:
            vm = CaseViewModel(
                store, case_id, today=lambda: today_in_amsterdam(now), now=lambda: now
            )
            return CaseView(
                vm,
                width=1280,
                on_plan=lambda: None,
                on_meeting=lambda: None,
                on_back=lambda: None,
                on_activity=lambda: None,
            ).control

        return build

    def read(case_id: str) -> Callable[[], Any]:
        return lambda: case_file(store, case_id)

    ours = statistics.median(_once(screen(i)) for i in ids)
    base = statistics.median(_once(read(i)) for i in ids)
    store.lock()
    return ours, base


def _once(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(cases: int = CASES, repeat: int = 3) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="kt-bench-startup-") as tmp:
        home = Path(tmp)
        seed(home, cases)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                _time_hello(browser, home)  # warm the OS file cache for both, untimed
                hello, app, typed, floor = [], [], [], []
                for _ in range(repeat):  # in turns: the machine's load changes over a run
                    hello.append(_time_hello(browser, home))
                    app_s, typing_s, _ = _time_app(browser, home)
                    app.append(app_s)
                    typed.append(app_s + typing_s)
                    floor.append(_time_app(browser, home, floor=True)[0])
                _, _, memory = _time_app(browser, home, open_cases=5)
            finally:
                browser.close()
        ours_open, base_open = _open_case_in_process(home, 20)
    hello_s, app_s = statistics.median(hello), statistics.median(app)
    typed_s, floor_s = statistics.median(typed), statistics.median(floor)
    return [
        {
            "benchmark": f"Start to interactive 'my cases', {cases:,} cases (vs Flet hello-world)",
            "ours_ms": app_s * 1000,
            "baseline_ms": hello_s * 1000,
            "ratio": app_s / hello_s,
            "goal": "ratio <= 1.3",
        },
        {
            "benchmark": "Floor: the same journey in a bare Flet page (Argon2id, 30 tiles)",
            "ours_ms": floor_s * 1000,
            "baseline_ms": hello_s * 1000,
            "ratio": floor_s / hello_s,
            "goal": "report (the least the goal's journey costs)",
        },
        {
            "benchmark": f"Ours against that floor, {cases:,} cases",
            "ours_ms": app_s * 1000,
            "baseline_ms": floor_s * 1000,
            "ratio": app_s / floor_s,
            "goal": "report",
        },
        {
            "benchmark": f"The same with Playwright's typing of the passphrase, {cases:,} cases",
            "ours_ms": typed_s * 1000,
            "baseline_ms": hello_s * 1000,
            "ratio": typed_s / hello_s,
            "goal": "report",
        },
        {
            "benchmark": f"Open a case screen, {cases:,} cases (vs reading the case file)",
            "ours_ms": ours_open * 1000,
            "baseline_ms": base_open * 1000,
            "ratio": ours_open / base_open,
            "goal": "<= 150 ms",
        },
        {
            "benchmark": f"Peak memory of the app process, {cases:,} cases (MiB)",
            "ours_ms": memory,
            "baseline_ms": None,
            "ratio": None,
            "goal": "<= 300 MiB",
        },
    ]


def main() -> None:
    """``python -m bench.app_startup [--cases N] [--repeat N] [--phases | --against REV]``.

    ``--phases`` prints, for each timed start, when each step happened (the browser's side from
    Playwright, the app's side from its ``KEUKENTAFEL_TRACE_STARTUP`` lines), and skips the rest.
    ``--against REV`` compares this source tree with a git revision (see ``compare``).
    """
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.app_startup")
    parser.add_argument("--cases", type=int, default=CASES)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--phases", action="store_true", help="per-phase times; start-up only")
    parser.add_argument("--home", type=Path, help="with --phases: keep the seeded store here")
    parser.add_argument(
        "--against", metavar="REV", help="A/B: this tree against a git revision, in turns"
    )
    args = parser.parse_args()
    if args.against:
        compare(args.against, args.cases, args.repeat)
        return
    if args.phases:
        print_phases(args.cases, args.repeat, args.home)
        return
    for row in run(args.cases, args.repeat):
        ratio = "-" if row["ratio"] is None else f"{row['ratio']:.2f}"
        base = "-" if row["baseline_ms"] is None else f"{row['baseline_ms']:,.1f}"
        print(f"{row['benchmark']}: {row['ours_ms']:,.1f} vs {base} = {ratio} ({row['goal']})")


def print_phases(cases: int, repeat: int, keep: Path | None = None) -> None:
    """Hello-world, app and floor started in turns; each start's phases, then medians and ratios."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="kt-bench-startup-") as tmp:
        home = keep or Path(tmp)
        if keep is None or not any(keep.iterdir()):
            home.mkdir(parents=True, exist_ok=True)
            seed(home, cases)
        hello, app, floor = [], [], []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                _time_hello(browser, home)  # warm the OS file cache, untimed
                for _ in range(repeat):
                    phases = Phases()
                    hello.append(_time_hello(browser, home, phases))
                    print(f"hello-world {hello[-1] * 1000:,.0f} ms\n{phases.table()}")
                    phases = Phases()
                    app_s, typing_s, _ = _time_app(browser, home, phases=phases)
                    app.append(app_s)
                    print(
                        f"app {app_s * 1000:,.0f} ms (typing {typing_s * 1000:,.0f} ms not "
                        f"counted)\n{phases.table()}",
                        flush=True,
                    )
                    phases = Phases()
                    floor.append(_time_app(browser, home, phases=phases, floor=True)[0])
                    print(f"floor {floor[-1] * 1000:,.0f} ms\n{phases.table()}", flush=True)
            finally:
                browser.close()
    hello_s, app_s = statistics.median(hello), statistics.median(app)
    floor_s = statistics.median(floor)
    print(
        f"median: app {app_s * 1000:,.0f} ms, hello-world {hello_s * 1000:,.0f} ms, "
        f"ratio {app_s / hello_s:.2f}; floor {floor_s * 1000:,.0f} ms, "
        f"ratio {floor_s / hello_s:.2f}; app / floor {app_s / floor_s:.2f}"
    )


def compare(rev: str, cases: int, repeat: int) -> None:
    """A/B of a change: this source tree against git revision ``rev``, started in turns.

    A change to the start-up is a few tens of milliseconds, and this machine's starts vary by more
    than that from one minute to the next: two full runs a minute apart are no comparison. Here
    the hello-world, ``rev`` and this tree start one after the other, ``repeat`` times (the order
    of the two sides alternates), each side on a store its own code seeded with ``cases`` cases;
    the medians and their ratios to the hello-world come from the same minutes. ``rev`` runs in a
    temporary git worktree with this tree's Python environment, so both need the same
    dependencies. Also printed: the medians of three spans of a start (``SPANS``), to see where a
    difference lies.
    """
    from playwright.sync_api import sync_playwright

    sides = ("base", "this tree")
    with tempfile.TemporaryDirectory(prefix="kt-bench-ab-") as tmp:
        base_repo = Path(tmp) / "base"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(base_repo), rev],
            cwd=REPO,
            check=True,
            capture_output=True,
        )
        try:
            repos = {"base": base_repo, "this tree": REPO}
            homes = {side: Path(tmp) / f"home-{n}" for n, side in enumerate(sides)}
            for side in sides:
                homes[side].mkdir()
                seed(homes[side], cases, repos[side])
            hello: list[float] = []
            app: dict[str, list[float]] = {side: [] for side in sides}
            spans: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
                )
                try:
                    _time_hello(browser, homes["base"])  # warm the OS file cache, untimed
                    for turn in range(repeat):
                        hello.append(_time_hello(browser, homes["base"]))
                        for side in sides if turn % 2 == 0 else sides[::-1]:
                            phases = Phases()
                            app[side].append(
                                _time_app(browser, homes[side], phases=phases, repo=repos[side])[0]
                            )
                            spans[side].append(_spans(phases))
                finally:
                    browser.close()
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(base_repo)], cwd=REPO, check=False
            )
    hello_s = statistics.median(hello)
    print(f"hello-world {hello_s * 1000:,.0f} ms ({repeat} starts each, in turns)")
    for side in sides:
        app_s = statistics.median(app[side])
        medians = ", ".join(
            f"{name} {statistics.median(s[name] for s in spans[side]) * 1000:,.0f} ms"
            for name in SPANS
        )
        print(
            f"{side if side != 'base' else rev}: {app_s * 1000:,.0f} ms, ratio "
            f"{app_s / hello_s:.2f}; {medians}"
        )


# Spans of a start that ``compare`` reports: (name, from mark, to mark).
SPANS = {
    "listening to web socket": ("bench: listening", "bench: websocket opened"),
    "first message to unlock box": ("bench: first message received", "bench: unlock box shown"),
    "press to tiles": ("bench: unlock clicked", "bench: case tiles shown"),
}


def _spans(phases: Phases) -> dict[str, float]:
    """The ``SPANS`` of one start, in seconds (the last mark of each name: a repeated press)."""
    moments = {phase: moment for moment, phase in sorted(phases.marks)}
    return {name: moments[end] - moments[begin] for name, (begin, end) in SPANS.items()}


if __name__ == "__main__":
    main()

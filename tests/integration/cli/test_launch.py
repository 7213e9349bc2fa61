"""``python main.py run`` without a display, as a process: served on 127.0.0.1 only.

The listening socket is read from /proc/net/tcp and /proc/net/tcp6 (the kernel's own table), by
the socket inodes the process holds, so a bind to 0.0.0.0 or :: would show however Flet made it.
"""

from __future__ import annotations

import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
DEFAULT_PORT = 8550
START_TIMEOUT = 60.0
LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp

pytestmark = pytest.mark.skipif(
    not Path("/proc/net/tcp").exists(), reason="reads the kernel's socket table in /proc"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def env_without_display(home: Path, **extra: str) -> dict[str, str]:
    env = {
        "KEUKENTAFEL_HOME": str(home),
        "HOME": str(home),  # Flet writes nothing outside the test's folder
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "KEUKENTAFEL_LANG": "en",
        **extra,
    }
    assert "DISPLAY" not in env and "WAYLAND_DISPLAY" not in env
    return env


def _process_tree(pid: int) -> set[int]:
    """``pid`` and every descendant (Flet could serve from a child process)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    tree, grew = {pid}, True
    while grew:
        more = {child for child, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return tree


def _socket_inodes(pids: set[int]) -> set[str]:
    inodes = set()
    for pid in pids:
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    return inodes


def _address(hex_address: str) -> tuple[str, int]:
    host, port = hex_address.split(":")
    raw = bytes.fromhex(host)
    if len(raw) == 4:
        text = socket.inet_ntop(socket.AF_INET, raw[::-1])  # little-endian on x86 and arm
    else:  # four little-endian 32-bit words
        words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
        text = socket.inet_ntop(socket.AF_INET6, words)
    return text, int(port, 16)


def listening(pid: int) -> set[tuple[str, int]]:
    """(address, port) of every TCP socket the process tree listens on."""
    inodes = _socket_inodes(_process_tree(pid))
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            cols = line.split()
            if cols[3] == LISTEN and cols[9] in inodes:
                found.add(_address(cols[1]))
    return found


def test_the_kernel_table_reader_sees_a_listening_socket() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        assert ("127.0.0.1", s.getsockname()[1]) in listening(os.getpid())


class Served:
    def __init__(self, home: Path, *args: str, **env: str) -> None:
        self.output = home / "run.log"
        log = self.output.open("w")
        self.process = subprocess.Popen(
            [sys.executable, str(REPO / "main.py"), "run", *args],
            env=env_without_display(home, **env),
            cwd=home,
            stdout=subprocess.PIPE,
            stderr=log,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        log.close()

    def first_line(self) -> str:
        assert self.process.stdout is not None
        ready, _w, _x = select.select([self.process.stdout], [], [], START_TIMEOUT)
        assert ready, f"nothing printed within {START_TIMEOUT} s: {self.output.read_text()}"
        return self.process.stdout.readline()

    def wait_listening(self) -> set[tuple[str, int]]:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output.read_text()
            found = listening(self.process.pid)
            if found:  # the first listening socket, wherever it is: the caller checks it
                return found
            time.sleep(0.1)
        raise AssertionError(f"not listening within {START_TIMEOUT} s: {self.output.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[list[Served]]:
    started: list[Served] = []
    yield started
    for s in started:
        s.stop()


def _check_served_on_localhost_only(server: Served, port: int, wider_port: int) -> None:
    line = server.first_line()
    match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
    assert match, line
    assert int(match.group(1)) == port
    sockets = server.wait_listening()
    assert sockets == {("127.0.0.1", port)}, sockets  # not 0.0.0.0, not ::, not wider_port
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        assert conn.recv(12).startswith(b"HTTP/1.")
    assert "Traceback" not in server.output.read_text()


def test_without_a_display_run_serves_on_localhost_even_when_told_otherwise(
    tmp_path: Path, served: list[Served]
) -> None:
    """Plain ``run`` (no --web, no --port): no display, so the web server on the default port."""
    if not port_free(DEFAULT_PORT):
        pytest.skip(f"port {DEFAULT_PORT} is in use on this machine")
    wider = free_port()
    server = Served(tmp_path, FLET_SERVER_IP="0.0.0.0", FLET_SERVER_PORT=str(wider))
    served.append(server)
    _check_served_on_localhost_only(server, DEFAULT_PORT, wider)


def test_run_with_a_port_serves_there_on_localhost_only(
    tmp_path: Path, served: list[Served]
) -> None:
    port, wider = free_port(), free_port()
    server = Served(
        tmp_path, "--port", str(port), FLET_SERVER_IP="0.0.0.0", FLET_SERVER_PORT=str(wider)
    )
    served.append(server)
    _check_served_on_localhost_only(server, port, wider)


def test_a_busy_port_says_so_and_exits_1(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, str(REPO / "main.py"), "run", "--port", str(port)],
            env=env_without_display(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    assert result.returncode == 1
    assert result.stderr == (f"Port {port} on 127.0.0.1 is in use. Choose another with --port.\n")
    assert result.stdout == ""


def test_a_port_out_of_range_is_refused(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "main.py"), "run", "--port", "70000"],
        env=env_without_display(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 1 and "65535" in result.stderr
    assert "Traceback" not in result.stderr

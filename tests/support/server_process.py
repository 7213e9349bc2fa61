"""The dossier server as a real process (``python -m server``) on 127.0.0.1 and a free port.

One helper for the tests and the benchmarks (bench/sync_support.py): the environment comes from a
``Settings`` (database, secret key, Argon2id costs), the process's output goes to a log file, and
it can be started, waited for until it listens, SIGKILLed, stopped and started again on the same
port and database.

``module`` picks what runs instead of ``server`` (``python -m <module>``), e.g.
tests/support/die_after_push_commit.py, which serves the same app but kills itself right after a
push commits. Started with ``cwd`` the repository, so ``tests.support.*`` modules import.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Self

from server.settings import Settings

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def server_env(settings: Settings, port: int) -> dict[str, str]:
    """The environment ``python -m server`` reads ``settings`` from (see server/settings.py)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": settings.database_url,
        "KEUKENTAFEL_SECRET_KEY": settings.secret_key.get_secret_value(),
        "KEUKENTAFEL_HOST": "127.0.0.1",
        "KEUKENTAFEL_PORT": str(port),
        "KEUKENTAFEL_ARGON2_MEMORY_KIB": str(settings.argon2_memory_kib),
        "KEUKENTAFEL_ARGON2_TIME_COST": str(settings.argon2_time_cost),
        "KEUKENTAFEL_ARGON2_PARALLELISM": str(settings.argon2_parallelism),
    }


class ServerProcess:
    """``python -m server`` (migrates, then serves) on 127.0.0.1 and a port of its own."""

    def __init__(
        self,
        settings: Settings,
        log: Path,
        *,
        extra_env: dict[str, str] | None = None,
        module: str = "server",
    ) -> None:
        self.port = free_port()
        self.env = server_env(settings, self.port) | (extra_env or {})
        self.log = log
        self.module = module
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def start(self, *, module: str | None = None) -> None:
        """Start (``module`` instead of this server's own, for this run) and wait until it
        listens. Raises ``RuntimeError`` with the log's tail when it exits or never listens."""
        if self.running:
            raise RuntimeError("the server is running already")
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", module or self.module],
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.wait_listening()

    def wait_listening(self, timeout: float = START_TIMEOUT) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the server exited ({self.process.returncode}):\n{self.log_tail()}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"the server did not listen within {timeout} s:\n{self.log_tail()}")

    def wait_exit(self, timeout: float = 10.0) -> int:
        """Wait for the process to end by itself; its return code (``-9``: SIGKILLed)."""
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no clean-up, exactly a crash. Waits until it is gone."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM (uvicorn's graceful shutdown), SIGKILL after 15 seconds."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def restart(self, *, module: str | None = None) -> None:
        """Stop (if running) and start again: the same port, database and log."""
        self.stop()
        self.start(module=module)

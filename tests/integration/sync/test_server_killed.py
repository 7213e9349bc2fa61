"""The dossier server as a real process (``python -m server``), killed with SIGKILL mid-push.

The server commits a push and answers. Here the answer never reaches the device: the moment it
arrives, the test SIGKILLs the server process and the device sees a dropped connection, exactly
what a server crash between commit and answer looks like from the tablet. Then the server starts
again on the same database, the device syncs again, the resend is acknowledged as a duplicate,
and every save is on the server exactly once. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from models.outbox import items as outbox_items
from models.store import CaseStore
from server.models.dossier import AppliedMutation, ChangeRow
from server.settings import Settings
from sync import cycle
from sync.client import DossierClient
from sync.cycle import SyncState
from tests.integration.server.world import World
from tests.integration.sync.conftest import Professional, StoreMaker
from tests.support.factories import TODAY, a_case_file

REPO = Path(__file__).resolve().parents[3]
PUSH_PATH = "/sync/push"


class ServerProcess:
    """``python -m server`` on 127.0.0.1 and a free port, against the test's database."""

    def __init__(self, settings: Settings, log: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port: int = s.getsockname()[1]
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DATABASE_URL": settings.database_url,
            "KEUKENTAFEL_SECRET_KEY": settings.secret_key.get_secret_value(),
            "KEUKENTAFEL_PORT": str(self.port),
            "KEUKENTAFEL_ARGON2_MEMORY_KIB": str(settings.argon2_memory_kib),
            "KEUKENTAFEL_ARGON2_TIME_COST": str(settings.argon2_time_cost),
            "KEUKENTAFEL_ARGON2_PARALLELISM": str(settings.argon2_parallelism),
        }
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "server"],
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text(errors="replace")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the server did not start listening")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        assert self.process.returncode == -signal.SIGKILL

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def server_process(settings: Settings, tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(settings, tmp_path / "server.log")
    server.start()
    yield server
    server.stop()


class KillServerOnAnswer(httpx.HTTPTransport):
    """Real HTTP, but the push's answer is lost: the server is SIGKILLed the moment it arrives."""

    def __init__(self, server: ServerProcess) -> None:
        super().__init__()
        self.server = server
        self.killed = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.url.path == PUSH_PATH and not self.killed:
            response.close()
            self.server.kill()  # committed (it answered), and now gone
            self.killed = True
            raise httpx.ReadError("connection dropped", request=request)
        return response


def _queued(store: CaseStore) -> list[str]:
    with store.reading() as (conn, sealer):
        return sorted(i.mutation_id for i in outbox_items(conn, sealer))


def _on_server(world: World) -> tuple[list[str], int]:
    with Session(world.engine) as session:
        changes = sorted(str(m) for m in session.exec(select(ChangeRow.mutation_id)).all())
        applied = len(session.exec(select(AppliedMutation.id)).all())
    return changes, applied


def test_a_server_killed_after_committing_a_push_duplicates_nothing(
    world: World, server_process: ServerProcess, professional: Professional, new_store: StoreMaker
) -> None:
    store = new_store("tablet")
    cycle.enrol_device(
        store,
        server_process.url,
        world.code(professional.org),
        email=professional.email,
        password=professional.password,
        label="tablet",
    )
    f = a_case_file()  # with the resident's consent: it goes to the dossier
    store.add_case_files([f], today=TODAY, now=datetime.now(UTC))
    queued = _queued(store)
    assert queued

    killer = KillServerOnAnswer(server_process)
    lost = cycle.run_cycle(store, client_factory=lambda url: DossierClient(url, transport=killer))
    assert killer.killed
    assert lost.state is SyncState.OFFLINE
    # The server committed before it died; the device did not hear it, so it keeps everything.
    assert _on_server(world)[0] == queued
    assert _queued(store) == queued

    # Offline now: a sync says so and loses nothing.
    assert cycle.run_cycle(store).state is SyncState.OFFLINE
    assert _queued(store) == queued

    server_process.start()  # the same database, a new process
    status = cycle.run_cycle(store)
    assert status.state is SyncState.SYNCED
    assert status.waiting == 0
    assert _queued(store) == []
    changes, applied = _on_server(world)
    assert changes == queued  # every save exactly once: the resend was a duplicate
    assert applied == len(queued)

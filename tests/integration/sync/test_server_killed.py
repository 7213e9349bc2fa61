"""The dossier server as a real process (``python -m server``), killed with SIGKILL mid-push.

Two crashes, each on SQLite and on PostgreSQL:

- **After the commit, before the answer.** The server runs as
  ``python -m tests.support.die_after_push_commit``: the same app, but the process SIGKILLs itself
  the moment the first push's transaction has committed, before the response is made or written
  (no hook in production code; see that module). The device sees a dropped connection and keeps
  everything. A plain ``python -m server`` then starts on the same database and port, the device
  syncs again, every resent mutation is answered ``duplicate``, and every save is on the server
  exactly once.
- **The answer lost on the way.** The answer was written, but the test SIGKILLs the server the
  moment it reaches the device and drops it there (what a crash while the answer is in flight
  looks like from the tablet). The same recovery follows.

Both use the shared helper tests/support/server_process.py.
"""

from __future__ import annotations

import json
import signal
import uuid
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
from sync.protocol import Outcome
from tests.integration.server.world import World
from tests.integration.sync.conftest import Professional, StoreMaker
from tests.support.factories import TODAY, a_case_file
from tests.support.server_process import ServerProcess

PUSH_PATH = "/sync/push"
DIE_AFTER_PUSH_COMMIT = "tests.support.die_after_push_commit"


class RecordPushes(httpx.HTTPTransport):
    """Real HTTP; keeps every push's mutation ids, and the outcomes of those answered."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[list[str]] = []
        self.outcomes: dict[str, Outcome] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == PUSH_PATH:
            body = json.loads(request.content)
            self.sent.append([m["mutation_id"] for m in body["mutations"]])
        response = super().handle_request(request)
        if request.url.path == PUSH_PATH and response.status_code == 200:
            response.read()
            for result in response.json()["results"]:
                self.outcomes[result["mutation_id"]] = Outcome(result["outcome"])
        return response


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
    """The mutation ids in the change feed, and how many (device, mutation) pairs were applied."""
    with Session(world.engine) as session:
        changes = sorted(str(m) for m in session.exec(select(ChangeRow.mutation_id)).all())
        applied = len(session.exec(select(AppliedMutation.id)).all())
    return changes, applied


def _enrol(store: CaseStore, url: str, world: World, who: Professional) -> None:
    cycle.enrol_device(
        store, url, world.code(who.org), email=who.email, password=who.password, label="tablet"
    )


@pytest.fixture
def dying_server(settings: Settings, tmp_path: Path) -> Iterator[ServerProcess]:
    """The server app that SIGKILLs itself right after its first push commits."""
    server = ServerProcess(settings, tmp_path / "server.log", module=DIE_AFTER_PUSH_COMMIT)
    server.start()
    yield server
    server.stop()


def test_a_server_killed_between_commit_and_answer_duplicates_nothing(
    world: World, dying_server: ServerProcess, professional: Professional, new_store: StoreMaker
) -> None:
    store = new_store("tablet")
    _enrol(store, dying_server.url, world, professional)
    f = a_case_file()  # with the resident's consent: it goes to the dossier
    store.add_case_files([f], today=TODAY, now=datetime.now(UTC))
    queued = _queued(store)
    assert queued
    assert _on_server(world) == ([], 0)

    pushes = RecordPushes()

    def client(url: str) -> DossierClient:
        return DossierClient(url, transport=pushes)

    lost = cycle.run_cycle(store, client_factory=client)
    assert lost.state is SyncState.OFFLINE  # a dropped connection, not an error
    # The server died by its own SIGKILL, after the commit and before any answer.
    assert dying_server.wait_exit() == -signal.SIGKILL
    assert "committed, SIGKILL now" in dying_server.log.read_text(errors="replace")
    assert pushes.outcomes == {}  # no push was ever answered
    [first] = pushes.sent
    # The first batch is in the dossier; the device did not hear it, so it keeps everything.
    changes, applied = _on_server(world)
    assert changes == sorted(first) and applied == len(first)
    assert _queued(store) == queued

    # Offline now: a sync says so and loses nothing.
    assert cycle.run_cycle(store, client_factory=client).state is SyncState.OFFLINE
    assert _queued(store) == queued

    dying_server.start(module="server")  # the real server, the same database and port
    status = cycle.run_cycle(store, client_factory=client)
    assert (status.state, status.waiting, status.conflicts) == (SyncState.SYNCED, 0, 0)
    assert _queued(store) == []
    # The resend of the committed batch is acknowledged as a duplicate; the rest is applied.
    assert {m: pushes.outcomes[m] for m in first} == dict.fromkeys(first, Outcome.DUPLICATE)
    rest = set(queued) - set(first)
    assert {m: pushes.outcomes[m] for m in rest} == dict.fromkeys(rest, Outcome.APPLIED)
    changes, applied = _on_server(world)
    assert changes == queued  # every save exactly once
    assert applied == len(queued)
    assert len({uuid.UUID(m) for m in changes}) == len(changes)


def test_a_server_killed_while_its_answer_is_on_the_way_duplicates_nothing(
    world: World, server_process: ServerProcess, professional: Professional, new_store: StoreMaker
) -> None:
    store = new_store("tablet")
    _enrol(store, server_process.url, world, professional)
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=datetime.now(UTC))
    queued = _queued(store)
    assert queued

    killer = KillServerOnAnswer(server_process)
    lost = cycle.run_cycle(store, client_factory=lambda url: DossierClient(url, transport=killer))
    assert killer.killed
    assert server_process.wait_exit() == -signal.SIGKILL
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

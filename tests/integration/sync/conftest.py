"""Fixtures for the device-side sync tests: the real server on loopback, and app stores.

The server fixtures (database, app, world) come from tests/integration/server. The app talks to
the server over real HTTP with sync.client, either to the app in uvicorn in a thread of pytest
(``live_url``) or to a real ``python -m server`` process on the same database
(``server_process``, tests/support/server_process.py), which can be SIGKILLed and restarted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from models.store import CaseStore
from server.models.accounts import Role
from server.settings import Settings
from tests.integration.server import conftest as server_fixtures
from tests.integration.server.world import PASSWORD, Org, World
from tests.support.factories import NOW, PASSPHRASE, floor_kdf_params
from tests.support.memory_keyring import MemoryKeyring
from tests.support.server_process import ServerProcess

# The server's fixtures, on SQLite and on a private PostgreSQL (see tests/integration/server).
postgres_server = server_fixtures.postgres_server
sqlite_template = server_fixtures.sqlite_template
database_url = server_fixtures.database_url
settings = server_fixtures.settings
engine = server_fixtures.engine
app = server_fixtures.app
client = server_fixtures.client
live_url = server_fixtures.live_url
world = server_fixtures.world


@pytest.fixture
def server_process(settings: Settings, tmp_path: Path) -> Iterator[ServerProcess]:
    """``python -m server`` on 127.0.0.1 and a free port, on the test's database (the ``world``'s
    in-process app shares it: set-up through ``world.client``, devices through ``.url``)."""
    server = ServerProcess(settings, tmp_path / "server.log")
    server.start()
    yield server
    server.stop()


@dataclass
class Professional:
    org: Org
    email: str
    account_id: uuid.UUID
    password: str = PASSWORD


@pytest.fixture
def org(world: World) -> Org:
    return world.organisation("Zorg Oss")


@pytest.fixture
def professional(world: World, org: Org) -> Professional:
    return make_professional(world, org, "wijkverpleegkundige@example.org")


def make_professional(world: World, org: Org, email: str) -> Professional:
    body = {"email": email, "role": Role.PROFESSIONAL.value, "password": PASSWORD}
    created = world.client.post("/accounts", json=body, headers=org.admin.headers)
    assert created.status_code == 201, created.text
    return Professional(org=org, email=email, account_id=uuid.UUID(created.json()["id"]))


StoreMaker = Callable[[str], CaseStore]


@pytest.fixture
def new_store(tmp_path: Path, memory_keyring: MemoryKeyring) -> Iterator[StoreMaker]:
    """Make app stores (each its own file, data key and device secret), closed at the end."""
    made: list[CaseStore] = []

    def make(name: str) -> CaseStore:
        path = tmp_path / name / "keukentafel.db"
        store = CaseStore.create(path, PASSPHRASE, now=NOW, kdf_params=floor_kdf_params())
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()

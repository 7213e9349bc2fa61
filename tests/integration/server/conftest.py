"""Server test fixtures: every test runs on SQLite and on a real PostgreSQL on loopback.

The PostgreSQL cluster is private to the test session: ``postgres.sh`` installs Debian's
postgresql when it is missing, starts a cluster in a temporary folder on a free port, and stops it
at the end. The schema is migrated once into a template database (and a template SQLite file);
each test gets a fresh copy of it.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import Session

from server.app import create_app
from server.db import make_engine, migrate
from server.settings import ARGON2_FLOOR_KIB, Settings
from tests.integration.server.world import World
from tests.support.threaded_server import ThreadedServer

SCRIPT = Path(__file__).with_name("postgres.sh")
LOOPBACK_CLIENT = ("127.0.0.1", 50000)
_numbers = itertools.count()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The base URL (no database name) of a private PostgreSQL cluster on 127.0.0.1."""
    subprocess.run(["sh", str(SCRIPT), "install"], check=True)
    folder = tempfile.mkdtemp(prefix="keukentafel-pg-")  # not under pytest's 0700 tmp folders
    try:
        started = subprocess.run(
            ["sh", str(SCRIPT), "start", folder], check=True, capture_output=True, text=True
        )
        port = int(started.stdout.strip().splitlines()[-1])
        base = f"postgresql+psycopg://postgres@127.0.0.1:{port}"
        _admin(port, "CREATE DATABASE keukentafel_template")
        migrate(f"{base}/keukentafel_template")
        yield base
    finally:
        subprocess.run(["sh", str(SCRIPT), "stop", folder], check=False)
        shutil.rmtree(folder, ignore_errors=True)


def _admin(port: int, sql: str) -> None:
    with psycopg.connect(
        host="127.0.0.1", port=port, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(sql)  # type: ignore[arg-type, unused-ignore]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "server.db"
        shutil.copy(template, path)
        yield f"sqlite:///{path}"
        return
    base: str = request.getfixturevalue("postgres_server")
    port = int(base.rsplit(":", 1)[1])
    name = f"keukentafel_test_{next(_numbers)}"
    _admin(port, f"CREATE DATABASE {name} TEMPLATE keukentafel_template")
    yield f"{base}/{name}"
    _admin(port, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def make_settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=SecretStr("test-secret-key-0123456789-abcdefghijklmnop"),
        argon2_memory_kib=ARGON2_FLOOR_KIB,
        argon2_time_cost=2,
        argon2_parallelism=1,
    )


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def app(settings: Settings, engine: Engine) -> FastAPI:
    return create_app(settings, engine=engine)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, client=LOOPBACK_CLIENT) as client:
        yield client


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def world(client: TestClient, engine: Engine, settings: Settings) -> World:
    return World(client=client, engine=engine, settings=settings)


@pytest.fixture
def live_url(app: FastAPI) -> Iterator[str]:
    """The app served by a real uvicorn on 127.0.0.1 and a free port, for real HTTP clients."""
    with ThreadedServer(app) as served:
        yield served.url

"""Shared pieces of the sync benchmarks: a private PostgreSQL, the server as a real process, and
an organisation with enrolled devices made through the real API.

- ``postgres_cluster()`` starts a PostgreSQL cluster on 127.0.0.1 the way the server tests do
  (``tests/integration/server/postgres.sh``: trust authentication on loopback only, fsync off), and
  ``new_database`` makes a migrated database in it. Without PostgreSQL (no ``initdb`` and not
  root), ``database_or_sqlite`` falls back to a SQLite file and says so in the row's name.
- ``ServerProcess`` runs ``python -m server`` against that database (the tests' helper,
  tests/support/server_process.py) and reads its peak memory and CPU time from /proc.
- ``Organisation.bootstrap`` makes an organisation and its administrator straight in the database
  (what ``python -m server create-admin`` does), gives the administrator a device with a
  bootstrap code, and from then on everything goes over HTTP: the administrator makes accounts and
  one-time codes, devices enrol with a code and log in.

Synthetic data only; Argon2id at OWASP's floor so set-up does not dominate (never in production).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
from pydantic import SecretStr
from sqlmodel import Session

from bench.support import synthetic_case_files
from models import changes
from models.domain import CaseFile, Consent
from server.crud import accounts as crud_accounts
from server.crud import devices as crud_devices
from server.db import make_engine, migrate
from server.models.accounts import AccountCreate, Role
from server.models.types import utcnow
from server.settings import ARGON2_FLOOR_KIB, Settings
from sync.protocol import Entity, Mutation, Op
from tests.support import server_process

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "tests" / "integration" / "server" / "postgres.sh"
PASSWORD = "benchmark password, synthetic only"
SECRET = "benchmark-secret-key-0123456789-abcdefghijklmnop"


def _pg_url(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """The base URL (no database) of a private PostgreSQL on loopback, stopped at the end."""
    subprocess.run(["sh", str(SCRIPT), "install"], check=True)
    folder = tempfile.mkdtemp(prefix="keukentafel-bench-pg-")
    try:
        started = subprocess.run(
            ["sh", str(SCRIPT), "start", folder], check=True, capture_output=True, text=True
        )
        port = int(started.stdout.strip().splitlines()[-1])
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(["sh", str(SCRIPT), "stop", folder], check=False)
        shutil.rmtree(folder, ignore_errors=True)


def postgres_available() -> bool:
    if any(Path("/usr/lib/postgresql").glob("*/bin/initdb")) or shutil.which("initdb"):
        return True
    return os.geteuid() == 0  # postgres.sh can install it


def new_database(base: str, name: str) -> str:
    """A new, migrated database in the cluster; returns its URL."""
    with psycopg.connect(
        host="127.0.0.1", port=_pg_url(base), user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    url = f"{base}/{name}"
    migrate(url)
    return url


def psycopg_connect(url: str) -> psycopg.Connection[tuple[object, ...]]:
    """A plain psycopg connection to a database URL made by ``new_database``."""
    base, name = url.rsplit("/", 1)
    return psycopg.connect(host="127.0.0.1", port=_pg_url(base), user="postgres", dbname=name)


def bench_settings(database_url: str, port: int = 8000) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=SecretStr(SECRET),
        port=port,
        argon2_memory_kib=ARGON2_FLOOR_KIB,
        argon2_time_cost=2,
        argon2_parallelism=1,
    )


class ServerProcess(server_process.ServerProcess):
    """``python -m server`` on 127.0.0.1 and a free port (tests/support/server_process.py), with
    the server's peak memory and CPU time read from /proc."""

    def peak_memory_kib(self) -> int | None:
        """The server process's VmHWM (peak resident set) from /proc, in KiB."""
        if self.process is None:
            return None
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return None

    def cpu_seconds(self) -> float | None:
        """CPU time (user + system, all threads) the server process has used so far, from /proc."""
        if self.process is None:
            return None
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Enrolled:
    """An account logged in on an enrolled device."""

    email: str
    account_id: uuid.UUID
    device_id: uuid.UUID
    device_secret: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def _check(response: httpx.Response, status: int) -> dict[str, object]:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.url.path}: {response.status_code} {response.text}")
    body: dict[str, object] = response.json()
    return body


@dataclass
class Organisation:
    """An organisation with an administrator on an enrolled device, driven over HTTP."""

    http: httpx.Client
    id: uuid.UUID
    admin: Enrolled
    _n: int = field(default=0)

    @classmethod
    def bootstrap(cls, settings: Settings, http: httpx.Client) -> Organisation:
        email = f"beheer-{uuid.uuid4().hex[:8]}@example.org"
        engine = make_engine(settings.database_url)
        try:
            with Session(engine) as session:
                org = crud_accounts.create_organisation(session=session, name="Zorg Oss")
                admin = crud_accounts.create_account(
                    session=session,
                    settings=settings,
                    organisation_id=org.id,
                    account_in=AccountCreate(
                        email=email, role=Role.ADMINISTRATOR, password=PASSWORD
                    ),
                )
                _row, code = crud_devices.create_enrolment_code(
                    session=session,
                    settings=settings,
                    organisation_id=org.id,
                    created_by=admin.id,
                    now=utcnow(),
                )
                session.commit()
                org_id, admin_id = org.id, admin.id
        finally:
            engine.dispose()
        return cls(http=http, id=org_id, admin=enrol(http, code, email, admin_id))

    def code(self) -> str:
        body = _check(self.http.post("/enrolment-codes", headers=self.admin.headers), 201)
        return str(body["code"])

    def professional(self) -> tuple[str, uuid.UUID]:
        """A new professional account (e-mail, id), made by the administrator."""
        self._n += 1
        email = f"professional-{self._n}-{uuid.uuid4().hex[:6]}@example.org"
        body = {"email": email, "role": Role.PROFESSIONAL.value, "password": PASSWORD}
        made = _check(self.http.post("/accounts", json=body, headers=self.admin.headers), 201)
        return email, uuid.UUID(str(made["id"]))

    def enrolled_professional(self) -> Enrolled:
        email, account_id = self.professional()
        return enrol(self.http, self.code(), email, account_id)


def enrol(http: httpx.Client, code: str, email: str, account_id: uuid.UUID) -> Enrolled:
    """Enrol a device with a one-time code and log the account in on it, over HTTP."""
    credential = _check(http.post("/devices/enrol", json={"code": code, "label": "bench"}), 201)
    pair = _check(
        http.post(
            "/auth/token",
            json={
                "device_id": credential["device_id"],
                "device_secret": credential["device_secret"],
                "email": email,
                "password": PASSWORD,
            },
        ),
        200,
    )
    return Enrolled(
        email=email,
        account_id=account_id,
        device_id=uuid.UUID(str(credential["device_id"])),
        device_secret=str(credential["device_secret"]),
        access_token=str(pair["access_token"]),
        refresh_token=str(pair["refresh_token"]),
    )


def consenting_case_files(count: int) -> list[CaseFile]:
    """``bench.support.synthetic_case_files`` with the resident's consent to share (up to ten
    records each: case, resident, two participants, a meeting, five agreements)."""
    files = list(synthetic_case_files(count))
    for f in files:
        f.case.consent = Consent(given=True, recorded_on=f.case.contact_date)
    return files


def case_file_mutations(f: CaseFile, *, now: datetime | None = None) -> list[Mutation]:
    """The mutations a device queues for a new case file, in the order ``models.store`` queues
    them (resident first, then case, participants, meetings, agreements, measurements)."""
    at = now or datetime.now(UTC)
    records: list[changes.Record] = [
        f.case.resident,
        f.case,
        *f.participants,
        *f.meetings,
        *f.agreements,
        *f.measurements,
    ]
    return [
        Mutation(
            mutation_id=uuid.uuid4(),
            entity=Entity(changes.ENTITY_OF[type(r)].value),
            record_id=uuid.UUID(r.id),
            case_id=uuid.UUID(f.case.id),
            op=Op.UPSERT,
            fields=changes.fields_of(r),
            device_time=at,
        )
        for r in records
    ]

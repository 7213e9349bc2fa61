"""``python main.py enrol`` and ``python main.py sync`` as separate processes, against the real
server on loopback (uvicorn on a free port, started by the test); and a sync process killed with
SIGKILL in the middle of a push loses nothing."""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from models import queries, sync_state
from models.outbox import items as outbox_items
from models.store import STORE_FILENAME, CaseStore
from server.models.dossier import ChangeRow
from sync import cycle
from tests.integration.server.world import World
from tests.integration.sync.conftest import Professional, StoreMaker
from tests.support.factories import NOW, TODAY, a_case_file

REPO = Path(__file__).resolve().parents[3]
LONG_PASSPHRASE = "een lange wachtzin voor de test van de synchronisatie"

pytestmark = pytest.mark.slow


def run(
    home: Path, *args: str, who: Professional | None = None, extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        "KEUKENTAFEL_HOME": str(home),
        "KEUKENTAFEL_PASSPHRASE": LONG_PASSPHRASE,
        "PATH": "/usr/bin:/bin",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        **(extra or {}),
    }
    if who is not None:
        env["KEUKENTAFEL_ACCOUNT_EMAIL"] = who.email
        env["KEUKENTAFEL_ACCOUNT_PASSWORD"] = who.password
    return subprocess.run(
        [sys.executable, str(REPO / "main.py"), "--lang", "en", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def opened(home: Path) -> CaseStore:
    store = CaseStore.open(home / STORE_FILENAME)
    store.unlock(LONG_PASSPHRASE, now=NOW)
    return store


def test_enrol_then_sync_from_the_command_line(
    world: World,
    live_url: str,
    professional: Professional,
    tmp_path: Path,
    new_store: StoreMaker,
) -> None:
    home = tmp_path / "home"
    refused = run(home, "enrol", "http://dossier.example.org", "CODE", who=professional)
    assert refused.returncode == 1
    assert len(refused.stderr.strip().splitlines()) <= 2  # the key-store warning, then one line
    assert "https" in refused.stderr

    enrolled = run(home, "enrol", live_url, world.code(professional.org), who=professional)
    assert enrolled.returncode == 0, enrolled.stderr
    assert "linked" in enrolled.stdout
    assert professional.password not in enrolled.stdout + enrolled.stderr

    synced = run(home, "sync")
    assert synced.returncode == 0, synced.stderr
    assert synced.stdout.splitlines() == ["Synced.", "0 changes waiting"]

    store = opened(home)
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=datetime.now(UTC))
    store.close()
    synced = run(home, "sync")
    assert synced.returncode == 0, synced.stderr
    with Session(world.engine) as session:
        assert len(session.exec(select(ChangeRow)).all()) == 9  # the whole case file

    # A second device of the same professional changes the same field first: exit code 3.
    other = new_store("other")
    cycle.enrol_device(
        other, live_url, world.code(professional.org), email=professional.email,
        password=professional.password,
    )  # fmt: skip
    cycle.run_cycle(other)
    agreement = f.agreements[0]
    other.save_agreement(dataclasses.replace(agreement, what="Van de andere tablet"))
    cycle.run_cycle(other)
    store = opened(home)
    store.save_agreement(dataclasses.replace(agreement, what="Van deze tablet"))
    store.close()
    conflicted = run(home, "sync")
    assert conflicted.returncode == 3, conflicted.stderr
    assert "1 conflict to resolve" in conflicted.stdout

    # Revoked: the next sync wipes the case file and says why.
    store = opened(home)
    with store.reading() as (conn, sealer):
        account = sync_state.load_account(conn, sealer)
    store.close()
    assert account is not None
    world.client.post(
        f"/devices/{account.device_id}/revoke", headers=professional.org.admin.headers
    ).raise_for_status()
    wiped = run(home, "sync")
    assert wiped.returncode == 1
    assert "administrator" in wiped.stderr
    assert not (home / STORE_FILENAME).exists()
    assert f.case.resident.name not in wiped.stdout + wiped.stderr


KILLER = """
import os, signal, sys
from datetime import UTC, datetime
from pathlib import Path
import httpx
sys.path.insert(0, {repo!r})
from models.store import CaseStore
from sync import cycle
from sync.client import DossierClient

class Killer(httpx.HTTPTransport):
    def handle_request(self, request):
        if request.url.path == "/sync/push" and {before!r}:
            os.kill(os.getpid(), signal.SIGKILL)  # killed while sending
        response = super().handle_request(request)
        if request.url.path == "/sync/push":
            response.read()
            os.kill(os.getpid(), signal.SIGKILL)  # killed after the server committed
        return response

store = CaseStore.open(Path({path!r}))
store.unlock({passphrase!r}, now=datetime.now(UTC))
cycle.run_cycle(store, client_factory=lambda url: DossierClient(url, transport=Killer()))
"""


@pytest.mark.parametrize("before", [True, False], ids=["before-sending", "after-commit"])
def test_a_sync_killed_in_the_middle_of_a_push_loses_nothing(
    world: World, live_url: str, professional: Professional, tmp_path: Path, before: bool
) -> None:
    home = tmp_path / "home"
    assert (
        run(home, "enrol", live_url, world.code(professional.org), who=professional).returncode == 0
    )
    store = opened(home)
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=datetime.now(UTC))
    with store.reading() as (conn, sealer):
        queued = sorted(i.mutation_id for i in outbox_items(conn, sealer))
    store.close()

    script = KILLER.format(
        repo=str(REPO), before=before, path=str(home / STORE_FILENAME), passphrase=LONG_PASSPHRASE
    )
    killed = subprocess.run(
        [sys.executable, "-c", script],
        env={"PATH": "/usr/bin:/bin", "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    store = opened(home)
    with store.reading() as (conn, sealer):
        assert sorted(i.mutation_id for i in outbox_items(conn, sealer)) == queued
    store.close()
    with Session(world.engine) as session:
        on_server = sorted(str(m) for m in session.exec(select(ChangeRow.mutation_id)).all())
    assert on_server == ([] if before else queued)

    synced = run(home, "sync")
    assert synced.returncode == 0, synced.stderr
    store = opened(home)
    with store.reading() as (conn, sealer):
        assert outbox_items(conn, sealer) == []
    assert queries.case_file(store, f.case.id).case.question == f.case.question
    store.close()
    with Session(world.engine) as session:
        on_server = sorted(str(m) for m in session.exec(select(ChangeRow.mutation_id)).all())
    assert on_server == queued  # every save exactly once


def test_a_mistyped_login_at_enrolment_does_not_waste_the_code(
    world: World, live_url: str, professional: Professional, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    mistyped = dataclasses.replace(professional, password="niet-het-goede-wachtwoord")
    failed = run(home, "enrol", live_url, world.code(professional.org), who=mistyped)
    assert failed.returncode == 1
    assert "do not need a new one" in failed.stderr
    assert "python main.py sync" in failed.stderr
    assert mistyped.password not in failed.stdout + failed.stderr

    # No password at hand: sync says a login is needed, and nothing is sent.
    waiting = run(home, "sync")
    assert waiting.returncode == 1
    assert "Log in again" in waiting.stderr

    # The right password logs the kept device credential in: no new code.
    synced = run(home, "sync", who=professional)
    assert synced.returncode == 0, synced.stderr
    assert synced.stdout.splitlines()[0] == "Synced."
    store = opened(home)
    with store.reading() as (conn, sealer):
        account = sync_state.load_account(conn, sealer)
    store.close()
    assert account is not None
    assert account.refresh_token
    assert account.account_id == str(professional.account_id)


def test_a_mistyped_address_at_enrolment_is_corrected_at_the_next_login(
    world: World, live_url: str, professional: Professional, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    mistyped = dataclasses.replace(professional, email="iemand.anders@example.org")
    assert run(home, "enrol", live_url, world.code(professional.org), who=mistyped).returncode == 1
    synced = run(home, "sync", who=professional)
    assert synced.returncode == 0, synced.stderr
    store = opened(home)
    with store.reading() as (conn, sealer):
        account = sync_state.load_account(conn, sealer)
    store.close()
    assert account is not None
    assert account.email == professional.email

"""Sync in the browser: the app (``main.py run --web``) with an enrolled store and a real dossier
server on loopback (uvicorn, its own SQLite database), driven in headless Chromium.

- With the server up: after unlocking, the status line turns to "synced" by itself (background
  sync); the sync screen opens from the status line and from settings; "Sync now" works.
- With the server down: the status line says offline and what waits; nothing is lost.

The store is prepared in this process (passphrase-only, as on these machines): the e2e seed
command, one case with the resident's consent, and the enrolment through ``sync.cycle``.
"""

from __future__ import annotations

import dataclasses
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from sqlmodel import Session, select

from models import outbox, queries
from models.datafolder import STORE_FILENAME
from models.domain import Consent
from models.store import CaseStore
from server.models.dossier import DossierRecord
from sync import cycle
from tests.e2e.conftest import PASSPHRASE, PHONE, TABLET, App, seed
from tests.integration.server import conftest as server_fixtures
from tests.integration.server.world import World
from tests.integration.sync.conftest import Professional, make_professional
from tests.support.factories import NOW, TODAY, a_case_file, floor_kdf_params
from tests.support.memory_keyring import MemoryKeyring

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# The dossier server's fixtures (tests/integration/server), on SQLite only here.
sqlite_template = server_fixtures.sqlite_template
settings = server_fixtures.settings
engine = server_fixtures.engine
app = server_fixtures.app
client = server_fixtures.client
world = server_fixtures.world


@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "server.db"
    path.write_bytes(sqlite_template.read_bytes())
    return f"sqlite:///{path}"


class Dossier:
    """The dossier server app in uvicorn on 127.0.0.1 and a free port; can be stopped."""

    def __init__(self, app: FastAPI) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port: int = s.getsockname()[1]
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def dossier(app: FastAPI) -> Iterator[Dossier]:
    running = Dossier(app)
    yield running
    running.stop()


@pytest.fixture
def professional(world: World) -> Professional:
    return make_professional(
        world, world.organisation("Zorg Oss"), "wijkverpleegkundige@example.org"
    )


def prepare_store(home: Path, world: World, dossier: Dossier, who: Professional) -> str:
    """A seeded store with one shared case waiting to be sent, enrolled. Returns the case id.

    The device id is kept in ``home / "device_id"`` for the revoke test."""
    seed(home, 2)  # demo cases: they stay on the device
    store = CaseStore.open(home / STORE_FILENAME)
    store.unlock(PASSPHRASE, now=datetime.now(UTC))
    try:
        f = a_case_file(name="Fenna Dijkstra")
        store.add_case_files([f], today=TODAY, now=datetime.now(UTC))
        account = cycle.enrol_device(
            store, dossier.url, world.code(who.org), email=who.email, password=who.password
        )
        (home / "device_id").write_text(account.device_id)
        return f.case.id
    finally:
        store.close()


def unlock(app: App) -> None:
    app.see("Keukentafel is vergrendeld")
    app.type_into("Wachtzin of pincode", PASSPHRASE)
    app.button("Ontgrendelen", exact=True).click()
    app.see("Mijn casussen")


def status_line(app: App) -> Any:
    return app.p.get_by_role("button", name=re.compile("Open het scherm Dossierserver"))


VIEWPORTS = pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])


@VIEWPORTS
def test_the_status_line_turns_to_synced_and_opens_the_sync_screen(
    make_server: Any,
    open_app: Any,
    app_home: Path,
    world: World,
    dossier: Dossier,
    professional: Professional,
    viewport: dict[str, int],
) -> None:
    case_id = prepare_store(app_home, world, dossier, professional)
    app: App = open_app(make_server(), viewport)
    unlock(app)
    app.see("Gesynchroniseerd: zojuist", timeout=45_000)  # the background sync, by itself
    app.shot("synced")
    app.tap(status_line(app).first)
    app.see("Uw account-id")
    app.see(str(professional.account_id))
    app.see("Er wacht niets om verstuurd te worden")
    app.shot("sync-screen")
    app.press("Nu synchroniseren")
    app.see("Gesynchroniseerd\\.")
    app.shot("synced-now")
    app.press("Terug", exact=True)
    app.see("Mijn casussen")
    settings_tab = app.p.get_by_role("button", name="Instellingen").or_(  # rail or bar
        app.p.get_by_role("tab", name=re.compile("Instellingen"))
    )
    app.tap(settings_tab.first)  # the same screen is in settings
    app.press("Dossierserver en synchronisatie")
    app.see("Uw account-id")
    app.shot("from-settings")

    with Session(world.engine) as session:  # the shared case reached the server, no demo case
        records = session.exec(select(DossierRecord.case_id)).all()
    assert {str(r) for r in records} == {case_id}


@VIEWPORTS
def test_with_the_server_down_it_says_offline_and_loses_nothing(
    make_server: Any,
    open_app: Any,
    app_home: Path,
    world: World,
    dossier: Dossier,
    professional: Professional,
    viewport: dict[str, int],
) -> None:
    case_id = prepare_store(app_home, world, dossier, professional)
    dossier.stop()
    server = make_server()
    app: App = open_app(server, viewport)
    unlock(app)
    app.see("Offline · 9 wijzigingen wachten", timeout=45_000)
    app.shot("offline")
    app.tap(status_line(app).first)
    app.see("9 wijzigingen wachten om verstuurd te worden")
    app.press("Nu synchroniseren")
    app.see("De dossierserver is niet bereikbaar")
    app.shot("offline-sync-screen")
    server.stop()

    store = CaseStore.open(app_home / STORE_FILENAME)
    store.unlock(PASSPHRASE, now=datetime.now(UTC))
    try:
        with store.reading() as (conn, sealer):
            assert len(outbox.items(conn, sealer)) == 9
        assert queries.case_file(store, case_id).case.resident.name == "Fenna Dijkstra"
    finally:
        store.close()


def test_a_revoked_tablet_is_wiped_and_says_why(
    make_server: Any,
    open_app: Any,
    app_home: Path,
    world: World,
    dossier: Dossier,
    professional: Professional,
) -> None:
    prepare_store(app_home, world, dossier, professional)
    device_id = (app_home / "device_id").read_text()
    revoked = world.client.post(
        f"/devices/{device_id}/revoke", headers=professional.org.admin.headers
    )
    assert revoked.status_code == 200, revoked.text
    app: App = open_app(make_server(), TABLET)
    unlock(app)
    app.see("Deze tablet is door de beheerder uitgeschakeld", timeout=45_000)
    app.see("Welkom bij Keukentafel")  # the first-run screen: set the tablet up anew
    app.shot("wiped")
    assert not (app_home / STORE_FILENAME).exists()


def test_link_a_tablet_through_the_enrol_form(
    make_server: Any,
    open_app: Any,
    app_home: Path,
    world: World,
    dossier: Dossier,
    professional: Professional,
) -> None:
    seed(app_home, 1)  # a tablet in use, not linked yet
    app: App = open_app(make_server(), TABLET)
    unlock(app)
    app.see("Nog niet gekoppeld aan een dossierserver", timeout=45_000)
    app.tap(status_line(app).first)
    app.see("Vraag de beheerder om een eenmalige code")
    app.type_into("Adres van de dossierserver", "http://dossier.example.nl")
    app.type_into("Eenmalige code", "NIET-GELDIG")
    app.type_into("E-mailadres van uw account", professional.email)
    app.type_into("Wachtwoord van uw account", professional.password)
    app.press("Apparaat koppelen")
    app.see("Gebruik een https-adres voor de dossierserver")
    app.shot("enrol-plain-http-refused")
    app.type_into("Adres van de dossierserver", dossier.url)
    app.type_into("Wachtwoord van uw account", professional.password)  # never kept on screen
    app.press("Apparaat koppelen")
    app.see("Deze code is onbekend, al gebruikt of verlopen")
    app.shot("enrol-wrong-code")
    app.type_into("Eenmalige code", world.code(professional.org))
    app.type_into("Wachtwoord van uw account", professional.password)
    app.press("Apparaat koppelen")
    app.see("Dit apparaat is nu gekoppeld aan de dossierserver")
    app.see(str(professional.account_id))
    app.see("Gesynchroniseerd: zojuist", timeout=45_000)  # the background sync starts at once
    app.see(r"om \d\d:\d\d \(zojuist\)")  # and the open screen shows it too
    app.shot("enrolled-and-synced")


def test_a_case_from_a_colleague_appears_in_my_cases_by_itself(
    make_server: Any,
    open_app: Any,
    app_home: Path,
    tmp_path: Path,
    world: World,
    dossier: Dossier,
    professional: Professional,
    memory_keyring: MemoryKeyring,
) -> None:
    prepare_store(app_home, world, dossier, professional)
    app: App = open_app(make_server(), TABLET)
    unlock(app)
    app.see("Gesynchroniseerd: zojuist", timeout=45_000)
    app.see("Fenna Dijkstra")

    # Another tablet of the same professional adds a case and syncs it.
    other = CaseStore.create(
        tmp_path / "other" / STORE_FILENAME, PASSPHRASE, now=NOW, kdf_params=floor_kdf_params()
    )
    try:
        cycle.enrol_device(
            other,
            dossier.url,
            world.code(professional.org),
            email=professional.email,
            password=professional.password,
        )
        other.add_case_files([a_case_file(name="Bram Kuipers")], today=TODAY, now=datetime.now(UTC))
        assert cycle.run_cycle(other).state is cycle.SyncState.SYNCED
    finally:
        other.close()

    # The next background cycle (within a minute) pulls it, and My cases shows it: no tap needed.
    app.see("Bram Kuipers", timeout=100_000)
    app.shot("colleague-case-appeared")


def test_a_conflict_is_asked_in_plain_words_and_settled(
    make_server: Any,
    open_app: Any,
    app_home: Path,
    tmp_path: Path,
    world: World,
    dossier: Dossier,
    professional: Professional,
    memory_keyring: MemoryKeyring,
) -> None:
    prepare_store(app_home, world, dossier, professional)
    mine = CaseStore.open(app_home / STORE_FILENAME)
    mine.unlock(PASSPHRASE, now=datetime.now(UTC))
    other = CaseStore.create(
        tmp_path / "other" / STORE_FILENAME, PASSPHRASE, now=NOW, kdf_params=floor_kdf_params()
    )
    try:
        assert cycle.run_cycle(mine).state is cycle.SyncState.SYNCED
        cycle.enrol_device(
            other,
            dossier.url,
            world.code(professional.org),
            email=professional.email,
            password=professional.password,
        )
        assert cycle.run_cycle(other).state is cycle.SyncState.SYNCED
        (case_id,) = [s.case_id for s in queries.case_summaries(other, today=TODAY)]
        agreement = queries.case_file(other, case_id).agreements[0]
        other.save_agreement(dataclasses.replace(agreement, what="Elke dinsdag de post."))
        mine.save_agreement(dataclasses.replace(agreement, what="Elke maandag de post."))
        assert cycle.run_cycle(other).state is cycle.SyncState.SYNCED  # theirs is first
    finally:
        mine.close()
        other.close()

    app: App = open_app(make_server(), TABLET)
    unlock(app)
    app.see("1 conflict op te lossen", timeout=45_000)
    app.shot("conflict-in-the-status-line")
    app.tap(status_line(app).first)
    app.see("U en een andere professional hebben allebei de tekst van de afspraak")
    app.see("Van u: Elke maandag de post.")
    app.see("Van de ander: Elke dinsdag de post.")
    app.shot("conflict-question")
    app.press("Die van de ander geldt")
    app.see("De andere versie geldt")
    app.shot("conflict-settled")
    app.see("Gesynchroniseerd: ", timeout=45_000)

    mine = CaseStore.open(app_home / STORE_FILENAME)
    mine.unlock(PASSPHRASE, now=datetime.now(UTC))
    try:
        assert cycle.open_conflicts(mine) == []
        settled = queries.case_file(mine, case_id).agreements[0]
        assert settled.what == "Elke dinsdag de post."
    finally:
        mine.close()


def test_a_held_back_change_shows_its_reason_and_a_retry(
    make_server: Any,
    open_app: Any,
    app_home: Path,
    world: World,
    dossier: Dossier,
    professional: Professional,
) -> None:
    case_id = prepare_store(app_home, world, dossier, professional)
    mine = CaseStore.open(app_home / STORE_FILENAME)
    mine.unlock(PASSPHRASE, now=datetime.now(UTC))
    try:
        assert cycle.run_cycle(mine).state is cycle.SyncState.SYNCED
        f = queries.case_file(mine, case_id)
        withdrawn = dataclasses.replace(f.case, consent=Consent(given=False, recorded_on=TODAY))
        mine.update_case(withdrawn, today=TODAY, now=datetime.now(UTC))
        assert cycle.run_cycle(mine).state is cycle.SyncState.SYNCED
        mine.save_agreement(dataclasses.replace(f.agreements[0], note="Gebeld met de dochter."))
        assert len(cycle.run_cycle(mine).held_back) == 1
    finally:
        mine.close()

    app: App = open_app(make_server(), TABLET)
    unlock(app)
    app.see("1 wijziging tegengehouden", timeout=45_000)
    app.tap(status_line(app).first)
    app.see("Tegengehouden")
    app.see("De bewoner heeft geen toestemming gegeven om deze casus te delen")
    app.shot("held-back")
    app.press("Opnieuw proberen")
    app.see("De wijziging wordt bij de volgende synchronisatie opnieuw verstuurd")
    app.shot("held-back-retried")

"""The team-lead dashboard in Chromium, against a live dossier server with a seeded team.

Set-up, all synthetic (``models.demo_data``, Faker nl_NL): a dossier server in uvicorn on
127.0.0.1 (SQLite); an organisation with a team; a professional in the team whose tablet pushes
demo cases; a team lead whose tablet (the store the app opens) is enrolled and holds one case of
their own. Then the app runs in web mode and the lead unlocks it:

- the navigation shows "Team"; the dashboard shows the overdue items, grouped, and the figures
  with their charts (screenshots at tablet 1280x800, desktop 1920x1080 and phone size);
- an item opens its case summary (the lead's tablet holds the team's shared cases);
- the PDF export downloads, reads back and renders to PNG;
- with the server gone, a refresh keeps the figures and says "Offline — ...".

A professional's tablet never shows "Team": ``tests/unit/ui/test_team_access.py`` and the
server's 403 (``tests/integration/sync/test_team_fetch.py``).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import keyring
import pytest
from fastapi.testclient import TestClient
from keyring.backends import fail
from pypdf import PdfReader

from models.calendar import today_in_amsterdam
from models.demo_data import demo_case_files
from models.store import CaseStore
from server.app import create_app
from server.db import make_engine
from server.models.accounts import Role
from sync import cycle
from sync.cycle import SyncState
from tests.e2e.conftest import PASSPHRASE, PHONE, App
from tests.integration.server import conftest as server_fixtures
from tests.integration.server.conftest import LOOPBACK_CLIENT, make_settings
from tests.integration.server.world import PASSWORD, Org, World
from tests.support.factories import a_case_file, floor_kdf_params
from tests.support.memory_keyring import MemoryKeyring
from tests.support.threaded_server import ThreadedServer

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

sqlite_template = server_fixtures.sqlite_template  # the migrated server database, copied per test

TABLET_WIDE = {"width": 1280, "height": 800}
DESKTOP = {"width": 1920, "height": 1080}
CASES = 14
LEAD_OWN_RESIDENT = "Mirjam van den Heuvel-Šimić"


@dataclass
class Dossier:
    url: str
    world: World
    org: Org
    served: ThreadedServer

    def stop(self) -> None:
        self.served.stop()


@pytest.fixture
def dossier(tmp_path: Path, sqlite_template: Path) -> Iterator[Dossier]:
    db = tmp_path / "server.db"
    shutil.copy(sqlite_template, db)
    settings = make_settings(f"sqlite:///{db}")
    engine = make_engine(settings.database_url)
    app = create_app(settings, engine=engine)
    served = ThreadedServer(app)
    with TestClient(app, client=LOOPBACK_CLIENT) as client:
        world = World(client=client, engine=engine, settings=settings)
        org = world.organisation("Zorg Oss")
        dossier = Dossier(served.url, world, org, served)
        try:
            yield dossier
        finally:
            dossier.stop()
            engine.dispose()


def account(dossier: Dossier, role: Role, email: str) -> None:
    body = {
        "email": email,
        "role": role.value,
        "password": PASSWORD,
        "team_id": str(dossier.org.team_id),
    }
    created = dossier.world.client.post("/accounts", json=body, headers=dossier.org.admin.headers)
    assert created.status_code == 201, created.text


def seed_team(dossier: Dossier, tmp_path: Path, app_home: Path) -> None:
    """A professional pushes demo cases; the lead's store (the app's) is enrolled with one case."""
    today = today_in_amsterdam(datetime.now(UTC))
    account(dossier, Role.PROFESSIONAL, "wijkcoach@example.org")
    account(dossier, Role.TEAM_LEAD, "wijkaanjager@example.org")

    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())  # type: ignore[no-untyped-call]
    try:
        pro = CaseStore.create(
            tmp_path / "pro" / "keukentafel.db",
            PASSPHRASE,
            now=datetime.now(UTC),
            kdf_params=floor_kdf_params(),
        )
        try:
            cycle.enrol_device(
                pro,
                dossier.url,
                dossier.world.code(dossier.org),
                email="wijkcoach@example.org",
                password=PASSWORD,
            )
            pro.add_case_files(
                demo_case_files(CASES, today=today), today=today, now=datetime.now(UTC)
            )
            assert cycle.run_cycle(pro).state is SyncState.SYNCED
        finally:
            pro.close()
        # The app's store is passphrase-only (no OS key store on these machines), as in the app.
        keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
        lead = CaseStore.create(
            app_home / "keukentafel.db",
            PASSPHRASE,
            now=datetime.now(UTC),
            kdf_params=floor_kdf_params(),
        )
        try:
            cycle.enrol_device(
                lead,
                dossier.url,
                dossier.world.code(dossier.org),
                email="wijkaanjager@example.org",
                password=PASSWORD,
            )
            own = a_case_file(name=LEAD_OWN_RESIDENT, held_on=None)  # an MDO 6 days late
            lead.add_case_files([own], today=today, now=datetime.now(UTC))
            assert cycle.run_cycle(lead).state is SyncState.SYNCED
        finally:
            lead.close()
    finally:
        keyring.set_keyring(previous)


def unlock(app: App) -> None:
    app.see("Keukentafel is vergrendeld", timeout=30_000)
    app.type_into("Wachtzin of pincode", PASSPHRASE)
    app.button("Ontgrendelen", exact=True).click()
    app.see("Mijn casussen")


def settled(app: App) -> None:
    """Wait until the dashboard's refresh on opening is done: it redraws the whole screen."""
    app.p.get_by_role("button", name="Vernieuwen", exact=True).wait_for(timeout=45_000)
    app.p.wait_for_timeout(500)


def render_pdf(pdf: Path, prefix: Path) -> list[Path]:
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(prefix)], check=True)
    return sorted(prefix.parent.glob(prefix.name + "-*.png"))


def test_a_team_lead_sees_overdue_items_and_figures_and_exports_the_pdf(
    dossier: Dossier, tmp_path: Path, app_home: Path, make_server: Any, open_app: Any
) -> None:
    seed_team(dossier, tmp_path, app_home)
    app: App = open_app(make_server(), TABLET_WIDE)
    unlock(app)
    app.press("Team")
    settled(app)
    app.see("Wijkteam")  # the team's name from the server
    app.see("dagen te laat")
    app.see("Stand van ")
    app.see(LEAD_OWN_RESIDENT)  # the lead's own case: its MDO is 7 days late
    app.shot("overdue-by-professional-tablet")

    app.tap(app.p.get_by_role("checkbox", name="Per organisatie"))
    app.see("Bewoner en netwerk|ONS Welzijn|Pantein|GGD|BrabantWonen")
    app.shot("overdue-by-organisation-tablet")

    # an item opens its case summary: a team lead's tablet holds the team's shared cases after
    # a sync (a case not on the tablet says so: tests/unit/ui/test_team_viewmodel.py)
    app.tap(app.p.get_by_role("button", name=re.compile(re.escape(LEAD_OWN_RESIDENT))).first)
    app.see("Hoe gaat het met de bewoner")
    app.see(LEAD_OWN_RESIDENT)
    app.shot("case-opened-from-the-list")
    app.press("Team")
    settled(app)
    app.see("dagen te laat")

    app.tap(app.button("Cijfers"))
    app.see("Contacten")
    app.see("MDO's binnen 14 dagen")
    app.see("Welbevinden per moment")
    app.see("De verhalen achter de cijfers")
    app.shot("figures-tablet")
    app.p.mouse.wheel(0, 700)
    app.shot("figures-tablet-charts")

    with app.p.expect_download(timeout=60_000) as download_info:
        app.press("Pdf opslaan")
    download = download_info.value
    assert download.suggested_filename.startswith("teamrapportage-")
    out = app.shots / "downloaded-team-report.pdf"
    download.save_as(str(out))
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(out.read_bytes())).pages)
    assert "Teamrapportage" in text and "Wijkteam" in text and "Contacten" in text
    assert "Šimić" in text.replace("\n", "")
    if shutil.which("pdftoppm"):
        assert render_pdf(out, app.shots / "team-report")

    # desktop size: the same session, the window made bigger
    desktop = app
    desktop.p.set_viewport_size(DESKTOP)
    desktop.p.wait_for_timeout(800)
    desktop.tap(desktop.button("Te laat"))
    desktop.see("dagen te laat")
    desktop.shot("overdue-desktop")
    desktop.tap(desktop.button("Cijfers"))
    desktop.see("Welbevinden per moment")
    desktop.shot("figures-desktop")

    # the server goes away: the kept figures stay, and the screen says so
    dossier.stop()
    desktop.press("Vernieuwen")
    desktop.see("Offline — u ziet de cijfers van", timeout=45_000)
    desktop.see("Contacten")
    desktop.shot("offline-desktop")

    # a phone: the navigation moves to the bottom, the dashboard stacks; still offline
    desktop.p.set_viewport_size(PHONE)
    settled(desktop)
    desktop.see("Offline — u ziet de cijfers van", timeout=45_000)
    desktop.see("dagen te laat")
    desktop.shot("offline-phone")

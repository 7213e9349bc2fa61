"""A tablet's signing key reaches the dossier, so a signed PDF can be traced to an enrolled tablet:
the device list shows the fingerprint that ``python main.py verify`` prints (SQLite, PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from models import plan_pdf
from models.signing import device_key, key_fingerprint
from models.store import CaseStore
from models.verify import verify_pdf
from sync import cycle, signing_key
from sync.cycle import SyncState
from tests.integration.server.world import World
from tests.integration.sync.conftest import Professional, StoreMaker
from tests.support.factories import NOW
from tests.support.signatures import a_plan_case_file, sign_all


def enrol(store: CaseStore, world: World, url: str, who: Professional) -> None:
    cycle.enrol_device(
        store, url, world.code(who.org), email=who.email, password=who.password, label="tablet"
    )


def device_list(world: World, who: Professional) -> dict[str, str | None]:
    answer = world.client.get("/devices", headers=who.org.admin.headers)
    return {d["id"]: d["signing_key_fingerprint"] for d in answer.json()}


def device_id(store: CaseStore) -> str:
    from models import sync_state

    with store.reading() as (conn, sealer):
        account = sync_state.load_account(conn, sealer)
    assert account is not None
    return account.device_id


def test_a_signed_pdf_names_the_key_the_dossier_lists_for_its_tablet(
    world: World,
    live_url: str,
    professional: Professional,
    new_store: StoreMaker,
    tmp_path: Path,
) -> None:
    tablet = new_store("tablet")
    enrol(tablet, world, live_url, professional)
    assert device_list(world, professional)[device_id(tablet)] is None  # nothing sent yet

    signed = sign_all(tablet, a_plan_case_file(agreements=1))
    assert cycle.run_cycle(tablet).state is SyncState.SYNCED
    listed = device_list(world, professional)[device_id(tablet)]
    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(plan_pdf.build_plan_pdf(signed, language="nl"))
    report = verify_pdf(pdf.read_bytes())
    assert report.valid and {s.key_fingerprint for s in report.signers} == {listed}
    assert listed == key_fingerprint(device_key(tablet, now=NOW).public_key)
    assert signing_key.sent_for(tablet) == device_id(tablet)

    # Sent once: a later cycle does not ask the server again.
    calls: list[str] = []

    def counting(url: str) -> cycle.DossierClient:
        client = cycle.DossierClient(url)
        original = client.put_json

        def put_json(path: str, body: dict[str, object], *, access_token: str) -> None:
            calls.append(path)
            original(path, body, access_token=access_token)

        client.put_json = put_json  # type: ignore[method-assign]
        return client

    assert cycle.run_cycle(tablet, client_factory=counting).state is SyncState.SYNCED
    assert calls == []


def test_a_server_that_keeps_no_keys_does_not_stop_the_sync(
    world: World,
    live_url: str,
    professional: Professional,
    new_store: StoreMaker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tablet = new_store("tablet")
    enrol(tablet, world, live_url, professional)
    # An older dossier server: the route does not exist (the real 404 of the app's router).
    monkeypatch.setattr(signing_key, "PATH", "/devices/me/no-such-route")
    assert cycle.run_cycle(tablet).state is SyncState.SYNCED
    assert signing_key.sent_for(tablet) is None  # tried again next cycle
    monkeypatch.undo()
    assert cycle.run_cycle(tablet).state is SyncState.SYNCED
    assert device_list(world, professional)[device_id(tablet)] is not None

"""Participants on the plan screen, in Chromium: remove someone after confirming; a refusal with
its reason for someone the case still needs; the dossier account field for a professional."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from models import queries
from models.datafolder import STORE_FILENAME
from models.store import CaseStore
from tests.e2e.conftest import PASSPHRASE, PHONE, TABLET, App, seed
from tests.support.factories import TODAY, a_case_file

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

RESIDENT = "Fenna Dijkstra"
ACCOUNT = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"


def prepare(home: Path) -> str:
    """A case with a planned MDO; the daughter owns an agreement. Returns the case id."""
    seed(home, 1)
    f = a_case_file(name=RESIDENT, held_on=None)
    f.meetings[0].present = []
    f.agreements = [f.agreements[0]]  # the daughter's
    store = CaseStore.open(home / STORE_FILENAME)
    store.unlock(PASSPHRASE, now=datetime.now(UTC))
    try:
        store.add_case_files([f], today=TODAY, now=datetime.now(UTC))
    finally:
        store.close()
    return f.case.id


@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])
def test_remove_a_participant_and_a_refusal(
    make_server: Any, open_app: Any, app_home: Path, viewport: dict[str, int]
) -> None:
    case_id = prepare(app_home)
    app: App = open_app(make_server(), viewport)
    app.see("Keukentafel is vergrendeld")
    app.type_into("Wachtzin of pincode", PASSPHRASE)
    app.button("Ontgrendelen", exact=True).click()
    app.see("Mijn casussen")
    app.tap(app.p.get_by_role("button", name=re.compile(RESIDENT)).first)
    app.press("MDO-planning wijzigen")
    app.see("Wie wil de bewoner aan tafel?")
    app.type_into("Naam van het netwerklid", "Kees Smit")
    app.type_into("Relatie", "buurman")
    app.press("Netwerklid toevoegen")
    app.see("Kees Smit — Netwerk, buurman")
    app.shot("plan-with-neighbour")

    app.press("Kees Smit verwijderen")
    app.see("Uit de casus verwijderen?")
    app.shot("confirm-remove")
    app.press("Verwijderen", exact=True)
    expect(app.button("Kees Smit verwijderen")).to_have_count(0, timeout=15_000)
    app.shot("neighbour-removed")

    app.press("Sanne de Bruijn verwijderen")
    app.press("Verwijderen", exact=True)
    app.see("er staan afspraken op zijn of haar naam")
    app.shot("refused")

    app.type_into("Naam van de professional", "Noor Jansen")
    app.type_into("Dossieraccount-id", "noor@example.org")  # an e-mail address is not an id
    app.press("Professional toevoegen")
    app.see("Dit is geen dossieraccount-id")
    app.shot("account-id-explained")
    app.type_into("Dossieraccount-id", ACCOUNT.upper())  # as read out: capitals are fine
    app.press("Professional toevoegen")
    app.see("Noor Jansen — Professional, gekoppeld aan het dossier")
    app.shot("professional-linked")

    # Her dossier access ends; she stays in the case.
    app.press("Toegang tot het dossier van Noor Jansen beëindigen")
    app.see("Toegang tot het dossier beëindigen?")
    app.shot("confirm-end-access")
    app.press("Toegang beëindigen", exact=True)
    expect(app.button("Toegang tot het dossier van Noor Jansen beëindigen")).to_have_count(
        0, timeout=15_000
    )
    app.see("Noor Jansen — Professional")
    app.shot("access-ended")

    store = CaseStore.open(app_home / STORE_FILENAME)
    store.unlock(PASSPHRASE, now=datetime.now(UTC))
    try:
        participants = queries.case_file(store, case_id).participants
    finally:
        store.close()
    # Kept and marked, not deleted: another tablet may have named them (see remove_participant).
    removed = {p.name: p.removed_on for p in participants}
    assert removed["Kees Smit"] is not None and removed["Sanne de Bruijn"] is None
    unlinked = next(p for p in participants if p.name == "Noor Jansen")
    assert (unlinked.account_id, unlinked.removed_on) == (None, None)

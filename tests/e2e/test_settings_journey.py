"""Settings in a real browser: change the passphrase, lock, and only the new one unlocks; correct
an organisation's name (#3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PASSPHRASE, PHONE, TABLET, App, failed_unlocks, seed

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NEW_PASSPHRASE = "een nieuwe lange wachtzin"  # passphrase-only store: >= 12 characters


def unlock(app: App, passphrase: str) -> None:
    app.type_into("Wachtzin of pincode", passphrase)
    app.press("Ontgrendelen", exact=True)


def fill_in(app: App, current: str, new: str) -> None:
    app.type_into("Huidige wachtzin of pincode", current)
    app.type_into("Nieuwe wachtzin of pincode", new)
    app.type_into("Herhaal de nieuwe wachtzin of pincode", new)
    app.press("Wachtzin wijzigen")


def test_change_the_passphrase_then_only_the_new_one_unlocks(
    make_server: Any, open_app: Any, app_home: Path
) -> None:
    seed(app_home, 3)
    app = open_app(make_server(), TABLET)
    app.see("Keukentafel is vergrendeld")
    unlock(app, PASSPHRASE)
    app.see("Mijn casussen")

    app.press("Instellingen")
    app.see("Wachtzin of pincode wijzigen")
    app.see("Minstens 12 tekens, niet alleen cijfers")  # the first-run rule, no key store here
    app.shot("settings-passphrase")

    fill_in(app, "niet de goede wachtzin", NEW_PASSPHRASE)
    app.see("Uw huidige wachtzin of pincode klopt niet")
    assert failed_unlocks(app_home) == 1  # the same back-off as the unlock screen
    app.shot("wrong-current-passphrase")

    fill_in(app, PASSPHRASE, NEW_PASSPHRASE)
    app.see("Uw wachtzin is gewijzigd")
    assert failed_unlocks(app_home) == 0
    app.shot("passphrase-changed")

    app.press("Naam wijzigen van GGD Hart voor Brabant")
    app.type_into("Naam van de organisatie", "GGD Brabant-Zuidoost")
    app.press("Opslaan", exact=True)
    app.see("GGD Brabant-Zuidoost")
    app.shot("organisation-renamed")

    app.press("Vergrendelen")
    app.see("Keukentafel is vergrendeld")
    unlock(app, PASSPHRASE)
    app.see("Die wachtzin of pincode klopt niet")
    app.shot("old-passphrase-refused")
    unlock(app, NEW_PASSPHRASE)
    app.see("Mijn casussen")
    app.shot("unlocked-with-the-new-one")


def test_on_a_phone_a_refused_organisation_name_shows_its_message_on_screen(
    make_server: Any, open_app: Any, app_home: Path
) -> None:
    seed(app_home, 1)
    app = open_app(make_server(), PHONE)
    unlock(app, PASSPHRASE)
    app.see("Mijn casussen")
    app.tap(app.p.get_by_role("tab", name="Instellingen", exact=True).first)  # the phone's bar
    app.see("Organisaties")

    app.type_into("Nieuwe organisatie", "Pantein")  # already on the default list
    app.press("Toevoegen", exact=True)
    app.see("Deze organisatie staat al in de lijst")
    app.p.wait_for_timeout(600)  # the screen scrolls to the message
    app.shot("organisation-refused-phone")
    field = app.textbox("Nieuwe organisatie").first.bounding_box()
    bar = app.p.get_by_role("tab", name="Mijn casussen", exact=True).first.bounding_box()
    assert field is not None and bar is not None
    # The field's box holds its message: all of it is above the tab bar.
    assert field["y"] >= 0 and field["y"] + field["height"] <= bar["y"]

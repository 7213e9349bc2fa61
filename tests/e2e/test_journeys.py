"""Journeys through the app in a real browser: set-up, my cases, lock and unlock, seeded data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PASSPHRASE, PHONE, TABLET, App, fail_unlocks_until_back_off, seed

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def set_up_device(app: App) -> None:
    app.see("Welkom bij Keukentafel")
    app.see("Alleen uw wachtzin beschermt het dossier")  # no key store on these machines
    app.shot("first-run")
    app.type_into("Uw naam", "Sanne de Vries")
    app.button("Organisatie").click()
    app.button("GGD Hart voor Brabant").click()
    app.type_into("Uw functie", "wijkverpleegkundige")
    app.type_into("Wachtzin", "1234")  # a PIN: refused without a key store
    app.type_into("Wachtzin nog een keer", "1234")
    app.button("Apparaat instellen").click()
    app.see("Een pincode is hier niet veilig")
    app.shot("pin-refused")
    app.type_into("Wachtzin", PASSPHRASE)
    app.type_into("Wachtzin nog een keer", PASSPHRASE)
    app.shot("first-run-filled")
    app.button("Apparaat instellen").click()
    app.see("Mijn casussen")


def lock_and_unlock(app: App) -> None:
    app.button("Vergrendelen").click()
    app.see("Keukentafel is vergrendeld")
    app.shot("locked")
    app.type_into("Wachtzin of pincode", "niet de goede wachtzin")
    app.button("Ontgrendelen", exact=True).click()
    app.see("Die wachtzin of pincode klopt niet")
    app.shot("wrong-passphrase")
    app.type_into("Wachtzin of pincode", PASSPHRASE)
    app.button("Ontgrendelen", exact=True).click()
    app.see("Mijn casussen")
    app.shot("unlocked")


def test_first_run_lock_and_unlock_on_a_tablet(make_server: Any, open_app: Any) -> None:
    app = open_app(make_server(), TABLET)
    set_up_device(app)
    app.see("Nog geen casussen")
    app.shot("my-cases-empty")
    lock_and_unlock(app)
    app.button("Instellingen").click()
    app.see("Sanne de Vries")
    app.see("GGD Hart voor Brabant")
    app.shot("settings")


def test_first_run_lock_and_unlock_on_a_phone(make_server: Any, open_app: Any) -> None:
    app = open_app(make_server(), PHONE)
    set_up_device(app)
    app.see("Nog geen casussen")
    app.shot("my-cases-empty")
    lock_and_unlock(app)


def test_the_lock_survives_a_restart_and_shows_the_back_off(
    make_server: Any, open_app: Any, app_home: Path
) -> None:
    seed(app_home, 3)
    server = make_server()
    app = open_app(server, TABLET)
    fail_unlocks_until_back_off(app, app_home)  # three free tries, then 30 s back-off
    app.shot("back-off")
    server.stop()  # the count is on disk: a restart does not reset the wait
    app = open_app(make_server(), TABLET)
    app.see(r"Probeer het opnieuw om \d\d:\d\d:\d\d")
    app.shot("back-off-after-restart")


@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])
def test_seeded_cases_show_badges_and_search_narrows(
    make_server: Any, open_app: Any, app_home: Path, viewport: dict[str, int]
) -> None:
    seed(app_home, 30)
    app = open_app(make_server(), viewport)
    app.see("Keukentafel is vergrendeld")
    app.type_into("Wachtzin of pincode", PASSPHRASE)
    app.button("Ontgrendelen", exact=True).click()
    app.see("Mijn casussen")
    app.see(r"MDO \d+ dagen? te laat")
    app.see(r"afspra(ak|ken) te laat")  # 1 afspraak, 2 afspraken
    app.shot("my-cases-seeded")
    before = count_cases(app)
    first_name = app.p.evaluate(FIRST_CASE_NAME)
    needle = first_name.split()[-1][:5]
    app.type_into("Zoek op naam", needle)
    app.p.wait_for_function(f"() => {COUNT_JS} < {before}", timeout=10_000)
    app.see(first_name)
    app.shot("search")
    app.type_into("Zoek op naam", "")
    app.p.wait_for_function(f"() => {COUNT_JS} == {before}", timeout=10_000)
    chips = [app.p.get_by_role("checkbox", name=n, exact=True) for n in FILTER_CHIPS]
    tops = {round(chip.bounding_box()["y"]) for chip in chips}
    assert len(tops) == 1, "the filter chips are one row (on a phone it scrolls sideways)"
    app.tap(app.p.get_by_role("checkbox", name="Afgesloten"))  # scrolled into view on a phone
    app.see("Afgesloten · contact")
    app.p.wait_for_function(f"() => {COUNT_JS} > 0 && {COUNT_JS} < {before}", timeout=10_000)
    app.p.wait_for_timeout(300)
    app.shot("filter-closed")


FILTER_CHIPS = ("Open", "Wacht op MDO", "Afspraken lopen", "Afgesloten")

COUNT_JS = """(() => {
  const el = [...document.querySelectorAll('flt-semantics')].find(
      (e) => /^\\d+ (casus|casussen|cases?)$/.test((e.textContent || '').trim()));
  return el ? parseInt(el.textContent) : -1;
})()"""

# A case tile is one semantics node: "name\nstage · contact date\nbadges".
FIRST_CASE_NAME = """() => {
  const tiles = [...document.querySelectorAll('flt-semantics')].filter((e) => {
      const text = e.textContent || '';
      return (text.match(/ · contact /g) || []).length === 1;
  });
  return tiles.length ? tiles[0].textContent.split('\\n')[0].trim() : '';
}"""


def count_cases(app: App) -> int:
    count: int = app.p.evaluate(f"() => {COUNT_JS}")
    return count


def test_the_app_locks_itself_after_idle_time(
    make_server: Any, open_app: Any, app_home: Path
) -> None:
    seed(app_home, 3)
    app = open_app(make_server(KEUKENTAFEL_AUTOLOCK_SECONDS="5"), TABLET)
    app.type_into("Wachtzin of pincode", PASSPHRASE)
    app.button("Ontgrendelen", exact=True).click()
    app.see("Mijn casussen")
    app.see("Keukentafel is vergrendeld", timeout=20_000)  # nobody touched it for 5 s
    app.shot("auto-locked")

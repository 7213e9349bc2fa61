"""Journeys of issue 3's meeting app: new contact -> plan -> meeting -> my cases, on tablet and
phone; a meeting interrupted by a server restart resumes with nothing lost; a due date past six
weeks without a reason shows its error next to the field."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from models.calendar import today_in_amsterdam
from tests.e2e.conftest import PASSPHRASE, PHONE, TABLET, App
from tests.e2e.test_journeys import set_up_device

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

RESIDENT = "Fenna de Bruijn"


def today() -> str:
    return today_in_amsterdam(datetime.now(UTC)).strftime("%d-%m-%Y")


def in_days(n: int) -> str:
    return (today_in_amsterdam(datetime.now(UTC)) + timedelta(days=n)).strftime("%d-%m-%Y")


def new_contact(app: App) -> None:
    app.press("Nieuw contact")
    app.see("Naam van de bewoner")
    app.type_into("Naam van de bewoner", RESIDENT)
    app.type_into("Telefoon", "06-12345678")
    app.type_into("Adres", "Kruisstraat 1, Oss")
    app.see("Datum eerste contact")
    app.see("MDO uiterlijk op .* \\(over 14 dagen\\)")
    # The deadline follows the date as it is typed.
    app.type_into("Datum eerste contact", in_days(-10))
    app.see("MDO uiterlijk op .* \\(over 4 dagen\\)")
    app.type_into("De vraag, in de eigen woorden van de bewoner", "Ik red het niet meer alleen.")
    app.tap(app.p.get_by_role("radio", name="Ja, de casus mag gedeeld worden"))
    app.shot("new-contact")
    app.press("Contact opslaan")
    app.see("Eerste contact op")
    app.see(RESIDENT)
    app.shot("case-new")


def plan_mdo(app: App) -> None:
    app.press("MDO plannen")
    app.see("Wie wil de bewoner aan tafel?")
    app.type_into("Naam van het netwerklid", "Sanne de Bruijn")
    app.type_into("Relatie", "dochter")
    app.press("Netwerklid toevoegen")
    app.see("Sanne de Bruijn — Netwerk, dochter")
    app.type_into("Naam van de professional", "Daan Verhoeven")
    app.type_into("Rol van de professional", "wijkverpleegkundige")
    app.press("Professional toevoegen")
    app.see("Daan Verhoeven — Professional, wijkverpleegkundige")
    app.shot("plan")
    app.press("Plan opslaan")
    app.see("MDO gepland op")
    app.shot("case-planned")


def type_line(app: App, label: str, text: str) -> None:
    app.type_into(label, text)
    has_value(app, label, text)


def has_value(app: App, label: str, text: str) -> None:
    """The text box labelled ``label`` holds ``text`` (typed, or restored after a restart)."""
    box = app.textbox(label).first
    try:
        box.wait_for(state="attached", timeout=15_000)
        # Flutter fills in the DOM value of a text field only while it has the focus.
        app.focus(box)
        app.p.wait_for_function(
            "([el, text]) => (el.value || '').includes(text)",
            arg=[box.element_handle(), text],
            timeout=15_000,
        )
    except Exception:
        app.shot("timeout")
        raise


def meeting(app: App, *, interrupt: Any = None) -> App:
    app.press("Overleg starten")
    app.see("Stap 1 van 7")
    app.see("Wie zit er aan tafel?")
    app.see("Sanne de Bruijn")
    app.shot("meeting-1-present")
    app.press("Volgende")
    app.see("Stap 2 van 7")
    type_line(app, "Ik wil 1", "Weer zelf boodschappen doen")
    app.p.keyboard.press("Enter")  # Enter starts a new line
    app.see("Ik wil 2")
    type_line(app, "Ik wil 2", "Mijn post op orde hebben")
    app.shot("meeting-2-wants")
    app.press("Volgende")
    app.see("Stap 3 van 7")
    type_line(app, "Ik kan 1", "Koken voor mezelf")
    app.shot("meeting-3-can")
    if interrupt is not None:
        app = interrupt(app)
        app.see("Stap 3 van 7")
        has_value(app, "Ik kan 1", "Koken voor mezelf")
        app.shot("meeting-3-resumed")
        app.press("Terug")
        app.see("Stap 2 van 7")
        has_value(app, "Ik wil 1", "Weer zelf boodschappen doen")
        has_value(app, "Ik wil 2", "Mijn post op orde hebben")
        app.press("Volgende")
        app.see("Stap 3 van 7")
    app.press("Volgende")
    app.see("Stap 4 van 7")
    type_line(app, "Ik heb nodig 1", "Hulp bij de administratie")
    app.shot("meeting-4-need")
    app.press("Volgende")
    app.see("Stap 5 van 7")
    app.type_into("Afspraak 1: wat gaan we doen?", "Samen de post doorlopen")
    app.see("Wie doet het\\? \\(afspraak 1\\)")
    app.press("Een afspraak toevoegen")
    app.type_into("Afspraak 2: wat gaan we doen?", "Boodschappenhulp regelen")
    app.press("Wie doet het? (afspraak 2)")
    app.press("Daan Verhoeven", exact=True)
    app.shot("meeting-5-agreements")
    app.press("Volgende")
    app.see("Stap 6 van 7")
    app.press("Cijfer 7", exact=True)
    app.see("Uw cijfer: 7")
    app.shot("meeting-6-wellbeing")
    app.press("Volgende")
    app.see("Stap 7 van 7")
    app.see("Samen de post doorlopen — Fenna de Bruijn")
    app.see("Boodschappenhulp regelen — Daan Verhoeven")
    app.see("Hulp bij de administratie")
    app.shot("meeting-7-readback")
    app.press("Overleg afronden")
    app.see("MDO gehouden op")
    app.shot("case-after-meeting")
    return app


def back_on_my_cases(app: App) -> None:
    app.press("Terug naar mijn casussen")
    app.see("Mijn casussen")
    app.see(RESIDENT)
    app.see(f"Volgende afspraak uiterlijk {in_days(42)}")
    app.see("Afspraken lopen")
    app.shot("my-cases-after")


def journey(app: App, *, interrupt: Any = None) -> None:
    set_up_device(app)
    new_contact(app)
    plan_mdo(app)
    app = meeting(app, interrupt=interrupt)
    back_on_my_cases(app)


def test_new_contact_plan_and_meeting_on_a_tablet(make_server: Any, open_app: Any) -> None:
    journey(open_app(make_server(), TABLET))


def test_the_meeting_journey_on_a_phone(make_server: Any, open_app: Any) -> None:
    journey(open_app(make_server(), PHONE))


def test_a_meeting_interrupted_by_a_restart_resumes_with_nothing_lost(
    make_server: Any, open_app: Any, app_home: Path
) -> None:
    server = make_server()
    app = open_app(server, TABLET)

    def restart(app: App) -> App:
        server.process.kill()  # type: ignore[union-attr]  # like a crash or a flat battery
        server.process.wait(timeout=10)  # type: ignore[union-attr]
        again = open_app(make_server(), TABLET)
        again.see("Keukentafel is vergrendeld")
        again.type_into("Wachtzin of pincode", PASSPHRASE)
        again.press("Ontgrendelen", exact=True)
        again.see("Mijn casussen")
        again.see(RESIDENT)
        again.shot("after-restart")
        again.tap(again.p.get_by_role("button", name=re.compile(RESIDENT)).first)
        again.see("Overleg hervatten")
        again.press("Overleg hervatten")
        return again

    journey(app, interrupt=restart)


def test_a_due_date_past_six_weeks_needs_a_reason(make_server: Any, open_app: Any) -> None:
    app = open_app(make_server(), TABLET)
    set_up_device(app)
    new_contact(app)
    app.press("Overleg starten")
    for step in range(1, 5):
        app.see(f"Stap {step} van 7")
        app.press("Volgende")
    app.see("Stap 5 van 7")
    app.type_into("Afspraak 1: wat gaan we doen?", "Een nieuwe woning zoeken")
    app.see("Klaar op \\(afspraak 1\\)")
    app.type_into("Klaar op (afspraak 1)", in_days(60))
    app.see("Waarom later dan zes weken\\? \\(afspraak 1\\)")
    app.see("Deze datum is meer dan zes weken na het MDO")
    app.shot("past-six-weeks")
    app.press("Volgende")
    app.see("Verbeter eerst de afspraken die rood zijn")
    app.see("Stap 5 van 7")
    app.type_into("Waarom later dan zes weken? (afspraak 1)", "Wachtlijst woningcorporatie")
    app.p.wait_for_function(
        """() => ![...document.querySelectorAll('flt-semantics')].some(
            (e) => /meer dan zes weken na het MDO/.test(e.textContent || ''))""",
        timeout=10_000,
    )
    app.shot("reason-given")
    app.press("Volgende")
    app.see("Stap 6 van 7")


def test_settings_switch_the_language_live_and_add_an_organisation(
    make_server: Any, open_app: Any
) -> None:
    app = open_app(make_server(), TABLET)
    set_up_device(app)
    app.press("Instellingen")
    app.see("Organisaties")
    # Who uses this device can be corrected (the witness of later signatures).
    app.press("Uw gegevens wijzigen")
    app.see("Uw naam komt als getuige bij elke handtekening")
    app.type_into("Uw functie", "wijkcoach")
    app.shot("settings-details-form")
    app.press("Opslaan", exact=True)
    app.see("wijkcoach")
    app.see("Uw gegevens wijzigen")
    app.type_into("Nieuwe organisatie", "Buurtteam Ruwaard")
    app.press("Toevoegen")
    app.see("Buurtteam Ruwaard")
    app.shot("settings-nl")
    app.press("Taal")
    app.press("English", exact=True)
    app.see("Locks itself after")
    app.see("My cases")
    app.shot("settings-en")

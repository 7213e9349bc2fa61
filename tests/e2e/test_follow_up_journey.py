"""Issue 3's follow-up, end to end: after the MDO, on the case screen, in headless Chromium.

A case whose meeting was held six weeks ago is put straight into the store before the app
starts: one agreement overdue, one running. The professional marks the overdue one done with a
note, moves the other past six weeks (refused without a reason, next to the field; saved with
one), records wellbeing after six weeks, and closes the case with a date chosen in the date
picker. Each dialog's result is checked on the screen and in the store afterwards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from faker import Faker

from models.calendar import today_in_amsterdam
from models.datafolder import STORE_FILENAME
from models.domain import (
    Agreement,
    AgreementStatus,
    Case,
    CaseFile,
    Consent,
    MeasurementMoment,
    Meeting,
    Participant,
    ParticipantRole,
    Resident,
)
from models.queries import case_file
from models.store import CaseStore
from tests.e2e.conftest import PASSPHRASE, App
from tests.support.factories import floor_kdf_params

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WIDE = {"width": 1280, "height": 900}
# Until the catalogue has its Dutch, the English msgid shows.
SAVED_DONE = "Opgeslagen: de afspraak is klaar"


@dataclass
class Seeded:
    case_id: str
    resident: str
    overdue_id: str
    running_id: str
    meeting_day: date
    helper: str


def seed_followed_up_case(home: Path) -> Seeded:
    fake = Faker("nl_NL")
    fake.seed_instance(33)
    now = datetime.now(UTC)
    today = today_in_amsterdam(now)
    meeting_day = today - timedelta(days=41)
    resident_name, helper_name = fake.name(), fake.name()
    case = Case(
        resident=Resident(name=resident_name, phone="06-12345678", address=fake.street_address()),
        contact_date=meeting_day - timedelta(days=10),
        question="Ik wil weer zelf mijn boodschappen doen.",
        organisation_id="ons-welzijn",
        consent=Consent(given=False, recorded_on=meeting_day - timedelta(days=10)),
    )
    resident = Participant(case_id=case.id, role=ParticipantRole.RESIDENT, name=resident_name)
    helper = Participant(
        case_id=case.id, role=ParticipantRole.NETWORK, name=helper_name, relation="buurman"
    )
    meeting = Meeting(
        case_id=case.id,
        held_on=meeting_day,
        wants=["Zelf boodschappen doen"],
        strengths=["Ik kan goed plannen"],
        needs=["Iemand die meeloopt naar de winkel"],
        present=[resident.id, helper.id],
        progress="done",
    )
    overdue = Agreement(
        case_id=case.id,
        meeting_id=meeting.id,
        what="Samen naar de supermarkt lopen",
        owner_id=helper.id,
        due_date=today - timedelta(days=8),
    )
    running = Agreement(
        case_id=case.id,
        meeting_id=meeting.id,
        what="Boodschappenlijst maken",
        owner_id=resident.id,
        due_date=today + timedelta(days=1),  # the last day of the six weeks
    )
    store = CaseStore.create(
        home / STORE_FILENAME, PASSPHRASE, now=now, kdf_params=floor_kdf_params()
    )
    try:
        store.add_case_files(
            [
                CaseFile(
                    case=case,
                    participants=[resident, helper],
                    meetings=[meeting],
                    agreements=[overdue, running],
                )
            ],
            today=today,
            now=now,
        )
    finally:
        store.close()
    return Seeded(case.id, resident_name, overdue.id, running.id, meeting_day, helper_name)


def dutch(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def open_case(app: App, seeded: Seeded) -> None:
    app.see("Keukentafel is vergrendeld")
    app.type_into("Wachtzin of pincode", PASSPHRASE)
    app.button("Ontgrendelen", exact=True).click()
    app.see("Mijn casussen")
    app.see(r"Afspraak \d+ dagen? te laat|afspra(ak|ken) te laat")
    app.tap(app.p.locator("flt-semantics").filter(has_text=seeded.resident).last)
    app.see("Samen naar de supermarkt lopen")
    app.p.evaluate(RECORD_ANNOUNCEMENTS_JS)
    app.shot("case-before-follow-up")


def has_date(app: App, label: str, text: str) -> None:
    """The date field labelled ``label`` holds ``text`` (Flutter fills the DOM value on focus)."""
    box = app.textbox(label).last
    app.focus(box)
    app.p.wait_for_function("([el, t]) => el.value === t", arg=[box.element_handle(), text])


# Flutter puts what a live region says into an aria-live element, and takes it out again soon
# after: keep every text it held, so a check afterwards cannot miss it.
RECORD_ANNOUNCEMENTS_JS = """() => {
    window.announced = [];
    const host = document.querySelector('flt-announcement-host') || document.body;
    new MutationObserver(() => {
        for (const el of host.querySelectorAll('[aria-live="polite"]')) {
            const text = (el.textContent || '').trim();
            if (text && window.announced.at(-1) !== text) window.announced.push(text);
        }
    }).observe(host, {subtree: true, childList: true, characterData: true});
}"""


def announced(app: App, pattern: str) -> None:
    """A screen reader was given ``pattern`` to read out (Flutter's polite aria-live element)."""
    app.p.wait_for_function(
        "(pattern) => (window.announced || []).some((t) => new RegExp(pattern).test(t))",
        arg=pattern,
        timeout=10_000,
    )


def agreement_button(app: App, label: str, index: int) -> Any:
    return app.button(label, exact=True).nth(index)


def test_follow_up_done_move_wellbeing_and_close_with_the_date_picker(
    make_server: Any, open_app: Any, app_home: Path, no_key_store: None
) -> None:
    seeded = seed_followed_up_case(app_home)
    today = today_in_amsterdam(datetime.now(UTC))
    app = open_app(make_server(), WIDE)
    open_case(app, seeded)

    # 1. The overdue agreement is done: date (today by default) and a note.
    app.tap(agreement_button(app, "Klaar", 0))
    app.see("Afspraak klaar")
    app.type_into("Notitie (mag leeg)", "Ging goed, volgende week weer.")
    app.shot("done-dialog")
    app.press("Opslaan", exact=True)
    app.see(f"klaar op {dutch(today)}")
    app.see(SAVED_DONE)  # said above the case, where it is seen even when scrolled
    announced(app, SAVED_DONE)  # and read out by a screen reader (a live region)
    app.shot("done-saved")

    # 2. Move the running one past six weeks: refused without a reason, next to the field.
    late = seeded.meeting_day + timedelta(days=60)
    app.tap(agreement_button(app, "Datum verschuiven", 0))
    app.see("Nieuwe datum")
    app.type_into("Nieuwe datum", dutch(late))
    app.press("Opslaan", exact=True)
    app.see("reden|Reden")
    app.shot("move-needs-a-reason")
    app.type_into("Waarom later dan zes weken?", "De buurman is op vakantie.")
    app.press("Opslaan", exact=True)
    app.see("Later dan zes weken: De buurman is op vakantie.")
    announced(app, f"Opgeslagen: de nieuwe datum is {dutch(late)}")
    app.shot("moved")

    # 2b. The resident hands the running one over to the neighbour.
    app.tap(agreement_button(app, "Overdragen", 0))
    app.see("Afspraak overdragen")
    app.see(f"Nu: {seeded.resident}")
    app.tap(app.button("Wie neemt het over?", exact=True).last)
    app.tap(app.button(seeded.helper, exact=True).last)
    app.shot("hand-over-dialog")
    app.press("Opslaan", exact=True)
    app.see(f"{seeded.helper} · uiterlijk")
    app.shot("handed-over")

    # 3. Wellbeing after six weeks (suggested: none was recorded at that moment yet).
    app.press("Welzijn vastleggen")
    app.see("Wanneer")
    app.tap(app.button("Welzijn (1 tot 10)", exact=True).last)
    app.tap(app.button("8", exact=True).last)
    app.shot("wellbeing-dialog")
    app.press("Opslaan", exact=True)
    app.see("welzijn 8")
    app.shot("wellbeing-saved")

    # 4. Close the case with a date picked in the calendar: the first day of this month.
    app.press("Casus afsluiten")
    app.see("Afgesloten op")
    app.tap(app.button("Kies een datum").last)
    app.see("Vandaag")  # the picker speaks Dutch: the app's language, not the browser's
    first = today.replace(day=1)
    app.tap(app.p.get_by_role("button", name=re.compile(rf"^{first.day}, ")).first)
    app.shot("date-picker")
    app.tap(app.button("OK", exact=True).last)
    has_date(app, "Afgesloten op", dutch(first))
    app.shot("close-date-picked")
    app.type_into("Notitie bij het afsluiten", "Boodschappen lukken weer zelf.")
    app.press("Casus afsluiten", exact=True)
    app.see(f"Afgesloten op {dutch(first)}")
    app.shot("closed")

    # Everything is in the store, as shown.
    store = CaseStore.open(app_home / STORE_FILENAME)
    store.unlock(PASSPHRASE, now=datetime.now(UTC))
    try:
        saved = case_file(store, seeded.case_id)
    finally:
        store.close()
    by_id = {a.id: a for a in saved.agreements}
    assert by_id[seeded.overdue_id].status is AgreementStatus.DONE
    assert by_id[seeded.overdue_id].done_on == today
    assert by_id[seeded.overdue_id].note == "Ging goed, volgende week weer."
    assert by_id[seeded.running_id].due_date == late
    assert by_id[seeded.running_id].outside_norm_reason == "De buurman is op vakantie."
    helper = next(p for p in saved.participants if p.name == seeded.helper)
    assert by_id[seeded.running_id].owner_id == helper.id
    [measurement] = saved.measurements
    assert (measurement.moment, measurement.wellbeing) == (MeasurementMoment.SIX_WEEKS, 8)
    assert saved.case.closed_on == first
    assert saved.case.closing_note == "Boodschappen lukken weer zelf."

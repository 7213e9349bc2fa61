"""Issue 4 end to end: co-signing on the tablet with the mouse as a finger, then the plan PDF.

A case whose meeting was held, with two people present (the resident and a daughter; a nurse who
was not there does not sign), is put straight into the store before the app starts. In headless
Chromium each draws a signature on the pad, signs, and the PDF is made and downloaded. The PDF
(the browser's download and the sealed copy the app kept in the store) must verify: hash, both
signatures, both names printed. Page 1 is rendered to test-output/e2e/ for a person to look at.
The empty pad, clearing it, and the way in from the meeting's read-back are tested too.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from faker import Faker

from models import signing
from models.calendar import today_in_amsterdam
from models.datafolder import STORE_FILENAME
from models.domain import (
    Agreement,
    Case,
    CaseFile,
    Consent,
    Meeting,
    Participant,
    ParticipantRole,
    Resident,
)
from models.profile import Profile, save_profile
from models.store import CaseStore
from models.verify import verify_pdf
from tests.e2e.conftest import PASSPHRASE, PHONE, App
from tests.support.factories import floor_kdf_params

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TABLET_WIDE = {"width": 1280, "height": 800}


@dataclass
class Seeded:
    case_id: str
    meeting_id: str
    resident: str
    daughter: str
    nurse: str


WITNESS = "Sanne de Vries"  # the professional holding the tablet (synthetic)


def seed_held_meeting(home: Path, *, progress: str = "done", seed: int = 4) -> Seeded:
    """One case with a meeting held today: resident and daughter present, the nurse not."""
    fake = Faker("nl_NL")
    fake.seed_instance(seed)
    now = datetime.now(UTC)
    today = today_in_amsterdam(now)
    resident_name, daughter_name, nurse_name = (fake.name() for _n in range(3))
    case = Case(
        resident=Resident(name=resident_name, phone="06-12345678", address=fake.street_address()),
        contact_date=today - timedelta(days=9),
        question="Ik red het niet meer met de post.",
        organisation_id="ons-welzijn",
        consent=Consent(given=True, recorded_on=today - timedelta(days=9)),
    )
    resident = Participant(case_id=case.id, role=ParticipantRole.RESIDENT, name=resident_name)
    daughter = Participant(
        case_id=case.id, role=ParticipantRole.NETWORK, name=daughter_name, relation="dochter"
    )
    nurse = Participant(
        case_id=case.id,
        role=ParticipantRole.PROFESSIONAL,
        name=nurse_name,
        relation="wijkverpleegkundige",
        organisation_id="pantein",
    )
    meeting = Meeting(
        case_id=case.id,
        held_on=today,
        wants=["Ik wil weer zelf boodschappen doen."],
        strengths=["Mijn dochter komt elke week."],
        needs=["Ik heb hulp nodig bij de post."],
        present=[resident.id, daughter.id],
        progress=progress,
    )
    agreements = [
        Agreement(
            case_id=case.id,
            meeting_id=meeting.id,
            what="Samen de post doorlopen.",
            owner_id=daughter.id,
            due_date=today + timedelta(days=7),
        ),
        Agreement(
            case_id=case.id,
            meeting_id=meeting.id,
            what="Boodschappenhulp regelen.",
            owner_id=resident.id,
            due_date=today + timedelta(days=28),
        ),
    ]
    store = CaseStore.create(
        home / STORE_FILENAME, PASSPHRASE, now=now, kdf_params=floor_kdf_params()
    )
    try:
        store.add_case_files(
            [
                CaseFile(
                    case=case,
                    participants=[resident, daughter, nurse],
                    meetings=[meeting],
                    agreements=agreements,
                    measurements=[],
                )
            ],
            today=today,
            now=now,
        )
        # The device's own user, as the first run records it: the witness of every signature.
        save_profile(store, Profile(WITNESS, "pantein", "wijkverpleegkundige"), now=now)
    finally:
        store.close()
    return Seeded(case.id, meeting.id, resident_name, daughter_name, nurse_name)


def unlock_and_open_case(app: App, seeded: Seeded) -> None:
    app.see("Keukentafel is vergrendeld")
    app.type_into("Wachtzin of pincode", PASSPHRASE)
    app.press("Ontgrendelen", exact=True)
    app.see("Mijn casussen")
    app.tap(app.p.get_by_role("button", name=re.compile(re.escape(seeded.resident))).first)


def pad(app: App, name: str):  # type: ignore[no-untyped-def]
    label = re.compile(f"^Handtekening van {re.escape(name)}$")
    locator = app.p.locator("flt-semantics").filter(has_text=label).last
    locator.wait_for(state="attached", timeout=15_000)
    return locator


def draw_signature(app: App, name: str, *, loops: int = 4) -> None:
    """Write a looping scribble on ``name``'s pad with the mouse, like a finger would."""
    target = pad(app, name)
    target.scroll_into_view_if_needed()
    app.p.wait_for_timeout(400)
    box = target.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 120, box
    x0, y0 = box["x"] + box["width"] * 0.12, box["y"] + box["height"] * 0.55
    step = box["width"] * 0.7 / (loops * 8)
    mouse = app.p.mouse
    mouse.move(x0, y0)
    mouse.down()
    for i in range(loops * 8):
        phase = i % 8
        dy = [-40, -55, -40, 0, 25, 30, 20, 0][phase]
        mouse.move(x0 + step * i, y0 + dy, steps=3)
        app.p.wait_for_timeout(15)
    mouse.up()
    # a second stroke: the underline
    mouse.move(x0 + 10, y0 + 45)
    mouse.down()
    mouse.move(x0 + box["width"] * 0.6, y0 + 40, steps=12)
    mouse.up()
    app.p.wait_for_timeout(500)


def pdf_text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def render_page_1(pdf: Path, folder: Path) -> Path:
    prefix = folder / "plan-page"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(pdf), str(prefix)], check=True
    )
    pages = sorted(folder.glob("plan-page*.png"))
    assert pages, "pdftoppm made no page"
    return pages[0]


def kept_pdf(home: Path, meeting_id: str) -> bytes | None:
    store = CaseStore.open(home / STORE_FILENAME)
    try:
        store.unlock(PASSPHRASE, now=datetime.now(UTC))
        return signing.load_plan_pdf(store, signing.signed_plan(store, meeting_id))
    finally:
        store.close()


def test_two_people_sign_with_the_mouse_and_the_pdf_verifies(
    make_server: Any, open_app: Any, app_home: Path, no_key_store: None
) -> None:
    seeded = seed_held_meeting(app_home)
    app = open_app(make_server(), TABLET_WIDE)
    unlock_and_open_case(app, seeded)
    app.see("Het plan is nog niet ondertekend")
    app.shot("case-unsigned")
    app.press("Plan ondertekenen")

    # the resident first; the nurse was not at the table and is not asked
    app.see("Handtekening 1 van 2")
    app.see("U ondertekent versie 1 van het plan")
    app.see(seeded.daughter)
    pad(app, seeded.resident)
    assert app.p.get_by_text(seeded.nurse).count() == 0
    app.shot("sign-resident-empty")

    # an empty pad is refused with a message next to it
    app.press("Ondertekenen", exact=True)
    app.see("Het vak is nog leeg")
    app.shot("empty-pad-refused")

    # draw, clear, and the pad is empty again: signing is refused once more
    draw_signature(app, seeded.resident)
    app.shot("drawn-then-clear")
    app.press("Wissen")
    app.p.wait_for_timeout(500)
    app.press("Ondertekenen", exact=True)
    app.see("Het vak is nog leeg")
    app.shot("cleared-pad-refused")

    # the resident signs
    draw_signature(app, seeded.resident)
    app.shot("resident-drawn")
    app.press("Ondertekenen", exact=True)
    app.see("Handtekening 2 van 2")
    pad(app, seeded.daughter)
    app.see("getekend op")
    app.shot("sign-daughter")

    # the daughter signs
    draw_signature(app, seeded.daughter, loops=3)
    app.press("Ondertekenen", exact=True)
    app.see("Het plan is ondertekend")
    app.see("Versie 1 van het plan is ondertekend")
    app.see("Controlecode: ")
    app.shot("plan-signed")

    app.press("Pdf maken")
    app.see("De pdf is klaar", timeout=60_000)
    app.shot("pdf-ready")
    with app.p.expect_download(timeout=30_000) as download_info:
        app.press("Pdf opslaan of delen")
    download = download_info.value
    assert download.suggested_filename.startswith("keukentafel-plan-")
    assert download.suggested_filename.endswith("-v1.pdf")
    downloaded = app.shots / "downloaded-plan.pdf"
    download.save_as(str(downloaded))

    kept = kept_pdf(app_home, seeded.meeting_id)
    assert kept is not None, "the app kept no sealed copy of the PDF"
    assert downloaded.read_bytes() == kept
    for source in (kept, downloaded):
        report = verify_pdf(source)
        assert report.valid, report.all_problems
        assert [s.name for s in report.signers] == [seeded.resident, seeded.daughter]
        assert all(s.valid for s in report.signers)
        assert all(s.witness and s.witness.name == WITNESS for s in report.signers)
    text = pdf_text(downloaded)
    assert seeded.resident in text and seeded.daughter in text
    assert text.count(f"Getuige: {WITNESS}") == 2  # under each signature
    assert "Samen de post doorlopen." in text
    page = render_page_1(downloaded, app.shots)
    assert page.stat().st_size > 10_000

    app.press("Terug naar de casus")
    app.see("Iedereen heeft versie 1 van het plan ondertekend")
    app.shot("case-signed")
    app.press("Ondertekend plan bekijken")
    app.see("Het plan is ondertekend")
    app.see("De pdf is klaar")  # the kept copy is offered at once
    app.shot("signed-plan-again")


def test_from_the_read_back_to_signing_on_a_phone(
    make_server: Any, open_app: Any, app_home: Path, no_key_store: None
) -> None:
    seeded = seed_held_meeting(app_home, progress="readback", seed=7)
    app = open_app(make_server(), PHONE)
    unlock_and_open_case(app, seeded)
    app.press("Overleg hervatten")
    app.see("Stap 7 van 7")
    app.shot("readback")
    app.press("Plan ondertekenen")
    app.see("Handtekening 1 van 2")
    pad(app, seeded.resident)
    app.shot("phone-sign")
    app.press("Ondertekenen", exact=True)
    app.see("Het vak is nog leeg")
    app.shot("phone-empty-pad")
    draw_signature(app, seeded.resident, loops=2)
    app.shot("phone-drawn")
    # before anyone signed, the meeting can still be changed: back to the read-back
    app.press("Terug naar het overleg")
    app.see("Stap 7 van 7")
    app.press("Plan ondertekenen")
    draw_signature(app, seeded.resident, loops=2)
    app.press("Ondertekenen", exact=True)
    app.see("Handtekening 2 van 2")
    app.shot("phone-second-signer")
    app.press("Later ondertekenen")
    app.see("1 van de 2 mensen hebben het plan ondertekend")
    app.shot("phone-case-partly-signed")


def test_finishing_without_someone_who_will_not_sign(
    make_server: Any, open_app: Any, app_home: Path, no_key_store: None
) -> None:
    seeded = seed_held_meeting(app_home, seed=11)
    app = open_app(make_server(), TABLET_WIDE)
    unlock_and_open_case(app, seeded)
    app.press("Plan ondertekenen")
    app.see("Handtekening 1 van 2")
    draw_signature(app, seeded.resident)
    app.press("Ondertekenen", exact=True)
    app.see("Handtekening 2 van 2")
    app.shot("partial-before-finish")

    # the daughter does not want to sign: finish without her
    app.press("Afronden zonder de anderen")
    app.see("Het plan is ondertekend")
    app.see("1 van de 2 heeft getekend.")
    app.see(f"Niet getekend: {seeded.daughter}.")
    app.shot("partial-finished")
    app.press("Pdf maken")
    app.see("De pdf is klaar", timeout=60_000)
    with app.p.expect_download(timeout=30_000) as download_info:
        app.press("Pdf opslaan of delen")
    downloaded = app.shots / "partly-signed-plan.pdf"
    download_info.value.save_as(str(downloaded))
    report = verify_pdf(downloaded.read_bytes())
    assert report.valid, report.all_problems
    assert [s.name for s in report.signers] == [seeded.resident]
    text = " ".join(pdf_text(downloaded).split())
    assert "Deze mensen waren erbij, maar hebben niet getekend:" in text
    assert seeded.daughter in text

    # the case screen keeps saying that the plan is only partly signed
    app.press("Terug naar de casus")
    app.see("1 van de 2 mensen hebben het plan ondertekend")

"""Synthetic drawn signatures and a fully signed plan, for the signing and PDF tests."""

from __future__ import annotations

import io
import math
import random
from datetime import timedelta

from PIL import Image, ImageDraw

from models import signing
from models.domain import (
    Agreement,
    CaseFile,
    Measurement,
    MeasurementMoment,
    Participant,
    ParticipantRole,
)
from models.profile import Profile, load_profile, save_profile
from models.store import CaseStore
from tests.support.factories import NOW, TODAY, a_case_file

RESIDENT_NAME = "Şükrü Yılmaz-Öztürk"
NEIGHBOUR_NAME = "Anaïs Brouwer"
WITNESS_NAME = "Daan Verhoeven-Çelik"  # the professional holding the tablet (the device profile)
WITNESS_ROLE = "wijkverpleegkundige"


def signature_png(seed: int, size: tuple[int, int] = (600, 200)) -> bytes:
    """A scribble like a finger signature on the tablet: a few smooth strokes, transparent PNG."""
    rng = random.Random(seed)
    width, height = size
    image = Image.new("RGBA", size, (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    for stroke in range(3):
        x0 = 30 + stroke * width // 3
        points = []
        turns, amplitude = rng.uniform(1.5, 4), rng.uniform(20, 70)
        for i in range(40):
            t = i / 39
            x = x0 + t * (width // 3 - 20)
            points.append((x, height / 2 + math.sin(t * math.pi * turns) * amplitude))
        draw.line(points, fill=(20, 30, 90, 255), width=5, joint="curve")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def a_plan_case_file(*, agreements: int = 10) -> CaseFile:
    """A case with diacritics everywhere, four participants present and that many agreements."""
    f = a_case_file(name=RESIDENT_NAME, question="Ik wil mijn leven weer op orde.")
    case_id = f.case.id
    meeting = f.meetings[0]
    resident, daughter, nurse = f.participants
    daughter.name = "Eliza de Bruijn-Öztürk"
    neighbour = Participant(
        case_id=case_id, role=ParticipantRole.NETWORK, name=NEIGHBOUR_NAME, relation="buurvrouw"
    )
    f.participants.append(neighbour)
    meeting.present.append(neighbour.id)
    meeting.wants = [
        "Ik wil weer zelf naar de markt, en koffie drinken bij café \u2019t Hoekje.",
        "Ik wil mijn kleinzoon İlkay in İstanbul bellen met de tablet.",
    ]
    meeting.strengths = [
        "Ik kan goed koken: börek, erwtensoep en ğözleme.",
        "Mijn buurvrouw Anaïs helpt als het nodig is.",
    ]
    meeting.needs = [
        "Ik heb hulp nodig bij de post en de rekeningen (ı en İ: zo schrijf ik mijn naam).",
        "Ik heb een rollator nodig die in de lift past.",
    ]
    owners = [daughter, nurse, neighbour, resident]
    day = meeting.held_on or TODAY
    f.agreements = [
        Agreement(
            case_id=case_id,
            meeting_id=meeting.id,
            what=f"Afspraak {i + 1}: samen de brieven van de gemeente lezen en beantwoorden ({i}).",
            owner_id=owners[i % len(owners)].id,
            due_date=day + timedelta(days=5 + 3 * i),
        )
        for i in range(agreements)
    ]
    if agreements:
        f.agreements[-1].due_date = day + timedelta(days=60)
        f.agreements[-1].outside_norm_reason = "De wachtlijst voor de rollator is lang (ü, é, ë)."
    f.measurements.append(
        Measurement(
            case_id=case_id,
            moment=MeasurementMoment.MEETING,
            taken_on=day,
            wellbeing=6,
            positive_health={
                "bodily_functions": 4,
                "mental_wellbeing": 6,
                "meaningfulness": 7,
                "quality_of_life": 5,
                "participation": 3,
                "daily_functioning": 6,
            },
        )
    )
    return f


def sign_all(store: CaseStore, f: CaseFile) -> signing.SignedPlan:
    """Store ``f`` and let every participant sign, the resident first, a minute apart, with the
    device's profile (``WITNESS_NAME``, the first organisation) as the witness."""
    store.add_case_files([f], today=TODAY, now=NOW)
    if load_profile(store) is None:
        organisation = store.organisations()[0].id
        save_profile(store, Profile(WITNESS_NAME, organisation, WITNESS_ROLE), now=NOW)
    meeting = f.meetings[0]
    ordered = sorted(f.participants, key=lambda p: p.role is not ParticipantRole.RESIDENT)
    for i, p in enumerate(ordered):
        signing.sign_plan(
            store,
            f.case.id,
            meeting.id,
            signer_id=p.id,
            image=signature_png(i),
            now=NOW + timedelta(minutes=i),
        )
    return signing.signed_plan(store, meeting.id)

"""Synthetic demo cases for trying the app, tests and benchmarks. Never real people.

Names come from Faker ``nl_NL`` and ``tr_TR`` (so ë, é, ş, ğ, ı, İ appear) plus transliterated
Moroccan-Dutch given names and surnames, mixed at random. Cases are spread over every stage relative
to ``today``: fresh contacts, MDOs due soon and overdue, "no MDO needed", meetings planned and held,
agreements running (some overdue, some due soon, some done late), and closed cases.
Deterministic for a given ``seed``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from faker import Faker

from models.calendar import AMSTERDAM
from models.deadlines import default_agreement_due
from models.domain import (
    POSITIVE_HEALTH_DIMENSIONS,
    Agreement,
    AgreementStatus,
    Case,
    CaseFile,
    Consent,
    Measurement,
    MeasurementMoment,
    Meeting,
    NoMeetingDecision,
    Participant,
    ParticipantRole,
    Resident,
)
from models.organisations import DEFAULT_ORGANISATIONS
from models.profile import Profile

MOROCCAN_GIVEN = (
    "Mohamed",
    "Fatima",
    "Youssef",
    "Khadija",
    "Said",
    "Naima",
    "Hamza",
    "Zineb",
    "Abdelkader",
    "Malika",
    "Soufiane",
    "Houda",
)
MOROCCAN_FAMILY = (
    "El Amrani",
    "Bouzid",
    "Benali",
    "El Idrissi",
    "Azzouzi",
    "Chaouki",
    "Ouali",
    "Tahiri",
    "El Khattabi",
    "Boukhari",
)

WANTS = (
    "Ik wil weer zelf boodschappen doen.",
    "Ik wil dat mijn huis weer schoon is.",
    "Ik wil minder alleen zijn.",
    "Ik wil mijn schulden op een rij.",
    "Ik wil dat mijn zoon weer naar school gaat.",
    "Ik wil 's nachts weer kunnen slapen.",
)
STRENGTHS = (
    "Ik kan goed koken.",
    "Mijn dochter komt elke week langs.",
    "Ik kan zelf de bus nemen.",
    "De buurvrouw helpt graag.",
    "Ik kan goed met geld omgaan als ik overzicht heb.",
)
NEEDS = (
    "Ik heb hulp nodig bij de post.",
    "Ik heb iemand nodig om mee te wandelen.",
    "Ik heb een rustige plek nodig om te werken.",
    "Ik heb hulp nodig met de formulieren.",
    "Ik heb een maatje nodig.",
)
ACTIONS = (
    "Samen de post doorlopen en een map maken.",
    "Aanmelden bij het wandelclubje.",
    "Afspraak maken bij de schuldhulp.",
    "Een maatje zoeken via de vrijwilligerscentrale.",
    "De huisarts bellen over slaapproblemen.",
    "Schoonmaakhulp regelen.",
    "Met school praten over het rooster.",
)
QUESTIONS = (
    "Ik red het niet meer met de rekeningen.",
    "Mijn huis wordt me te veel.",
    "Ik voel me eenzaam sinds mijn man is overleden.",
    "Mijn zoon gaat niet meer naar school.",
    "Ik kan mijn trap niet meer op.",
)
RELATIONS = ("dochter", "zoon", "buurvrouw", "buurman", "vriendin", "zus", "broer", "vrijwilliger")
PROFESSIONS = (
    "wijkverpleegkundige",
    "maatschappelijk werker",
    "woonconsulent",
    "welzijnswerker",
    "jeugdconsulent",
    "sportcoach",
)


class DemoFactory:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fakers = {"nl": Faker("nl_NL"), "tr": Faker("tr_TR")}
        for i, faker in enumerate(self.fakers.values()):
            faker.seed_instance(seed * 10 + i)

    def person_name(self) -> str:
        roll = self.rng.random()
        if roll < 0.3:  # first + last name: Faker's name() adds titles such as "Dr." or "Doç."
            return f"{self.rng.choice(MOROCCAN_GIVEN)} {self.rng.choice(MOROCCAN_FAMILY)}"
        faker = self.fakers["tr" if roll < 0.45 else "nl"]
        return f"{faker.first_name()} {faker.last_name()}"

    def resident(self) -> Resident:
        nl = self.fakers["nl"]
        born = date(1935, 1, 1) + timedelta(days=self.rng.randrange(0, 365 * 70))
        return Resident(
            name=self.person_name(),
            date_of_birth=born,
            address=f"{nl.street_address()}, Oss",
            phone=nl.phone_number(),
            email=nl.email() if self.rng.random() < 0.5 else "",
        )

    def case_file(self, today: date) -> CaseFile:
        """One case at a random stage, dated relative to ``today``."""
        age = self.rng.choice((1, 3, 8, 11, 12, 14, 16, 20, 30, 45, 60, 90, 120, 200))
        contact = today - timedelta(days=age)
        resident = self.resident()
        case = Case(
            resident=resident,
            contact_date=contact,
            question=self.rng.choice(QUESTIONS),
            organisation_id=self.rng.choice(DEFAULT_ORGANISATIONS).id,
            consent=Consent(given=self.rng.random() < 0.8, recorded_on=contact),
        )
        f = CaseFile(case=case)
        f.measurements.append(self.measurement(case.id, MeasurementMoment.CONTACT, contact, 2, 5))
        roll = self.rng.random()
        if age <= 14 and roll < 0.5:
            return f  # fresh contact, no MDO yet (some due soon)
        if roll < 0.1:
            case.no_meeting = NoMeetingDecision(
                decided_on=contact + timedelta(days=min(age, 5)),
                reason="Bewoner heeft het zelf opgelost met hulp van familie.",
            )
            return f
        if roll < 0.25:
            return f  # MDO overdue when age > 14
        resident_p = Participant(case_id=case.id, role=ParticipantRole.RESIDENT, name=resident.name)
        network = Participant(
            case_id=case.id,
            role=ParticipantRole.NETWORK,
            name=self.person_name(),
            relation=self.rng.choice(RELATIONS),
        )
        professional = Participant(
            case_id=case.id,
            role=ParticipantRole.PROFESSIONAL,
            name=self.person_name(),
            relation=self.rng.choice(PROFESSIONS),
            organisation_id=self.rng.choice(DEFAULT_ORGANISATIONS).id,
        )
        f.participants += [resident_p, network, professional]
        days_to_meeting = self.rng.randrange(3, 18)
        meeting_day = contact + timedelta(days=min(age - 1, days_to_meeting))
        meeting = Meeting(case_id=case.id)
        f.meetings.append(meeting)
        # Planned, not held yet: the meeting's day is still to come, or (roll 0.25-0.35) an MDO
        # that is late and now planned. (``meeting_day`` is at most yesterday by construction.)
        if days_to_meeting >= age or roll < 0.35:
            planned = datetime.combine(today + timedelta(days=2), time(10, 0), tzinfo=AMSTERDAM)
            meeting.planned_for = planned.astimezone(UTC)
            return f
        meeting.planned_for = datetime.combine(meeting_day, time(14, 0), tzinfo=AMSTERDAM)
        meeting.held_on = meeting_day
        meeting.present = [p.id for p in f.participants]
        meeting.wants = self.rng.sample(WANTS, 2)
        meeting.strengths = self.rng.sample(STRENGTHS, 2)
        meeting.needs = self.rng.sample(NEEDS, 2)
        f.measurements.append(
            self.measurement(case.id, MeasurementMoment.MEETING, meeting_day, 4, 7)
        )
        owners = f.participants
        for _ in range(self.rng.randrange(1, 4)):
            f.agreements.append(self.agreement(case.id, meeting.id, meeting_day, owners, today))
        if age > 60 and all(a.status is not AgreementStatus.OPEN for a in f.agreements):
            six_weeks = meeting_day + timedelta(days=42)
            f.measurements.append(
                self.measurement(case.id, MeasurementMoment.SIX_WEEKS, six_weeks, 6, 9)
            )
            case.closed_on = min(today, six_weeks + timedelta(days=7))
            case.closing_note = "Afspraken zijn nagekomen; bewoner redt het weer."
        return f

    def agreement(
        self,
        case_id: str,
        meeting_id: str,
        meeting_day: date,
        owners: list[Participant],
        today: date,
    ) -> Agreement:
        due = meeting_day + timedelta(days=self.rng.choice((7, 14, 21, 28, 42)))
        reason = ""
        if self.rng.random() < 0.05:
            due = default_agreement_due(meeting_day) + timedelta(days=14)
            reason = "Wachtlijst bij de schuldhulp."
        a = Agreement(
            case_id=case_id,
            meeting_id=meeting_id,
            what=self.rng.choice(ACTIONS),
            owner_id=self.rng.choice(owners).id,
            due_date=due,
            outside_norm_reason=reason,
            cost_estimate_cents=self.rng.choice((None, 0, 4500, 12000)),
        )
        roll = self.rng.random()
        if roll < 0.55:
            done = due + timedelta(days=self.rng.randrange(-10, 6))
            done = max(meeting_day, min(done, today))
            if done <= today:
                a.status, a.done_on = AgreementStatus.DONE, done
        elif roll < 0.6:
            a.status = AgreementStatus.CANCELLED
        return a

    def measurement(
        self, case_id: str, moment: MeasurementMoment, taken_on: date, low: int, high: int
    ) -> Measurement:
        m = Measurement(
            case_id=case_id, moment=moment, taken_on=taken_on, wellbeing=self.rng.randint(low, high)
        )
        if self.rng.random() < 0.3:
            m.positive_health = {
                d: self.rng.randint(max(0, low - 1), min(10, high + 1))
                for d in POSITIVE_HEALTH_DIMENSIONS
            }
        return m


DEMO_ROLE = "wijkcoach (demo)"


def demo_profile(organisation_id: str | None, *, seed: int = 2026) -> Profile:
    """A synthetic professional for a device set up by ``seed``: the name Settings shows and the
    witness of signatures made in a demo. Never a real person (Faker, seeded)."""
    faker = Faker("nl_NL")
    faker.seed_instance(seed)
    return Profile(
        name=f"{faker.first_name()} {faker.last_name()}",
        organisation_id=organisation_id,
        role=DEMO_ROLE,
    )


def demo_case_files(count: int, *, today: date, seed: int = 2026) -> Iterator[CaseFile]:
    factory = DemoFactory(seed)
    for _ in range(count):
        yield factory.case_file(today)

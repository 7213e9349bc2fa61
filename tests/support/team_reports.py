"""Synthetic team-lead answers (``sync.team_protocol``) for the dashboard and the PDF tests.

Names come from Faker nl_NL with a fixed seed, plus a few with diacritics the PDF must keep.
Nothing here is real data. The figures are made up but consistent (done <= made, within <= held).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from faker import Faker

from models.domain import POSITIVE_HEALTH_DIMENSIONS
from sync.team_protocol import (
    HealthDimensionFigure,
    MonitoringFigures,
    OrganisationFigure,
    OverdueItem,
    OverdueKind,
    OverdueReport,
    Story,
    WellbeingFigure,
    WellbeingMoment,
)
from tests.support.factories import NOW, TODAY

TEAM_ID = uuid.UUID("6d1a3c1e-0000-4000-8000-00000000e0a6")
TEAM_NAME = "Wijkteam Ruwaard-Zuid"
DIACRITIC_RESIDENT = "Şükrü Öztürk-Çelik"
DIACRITIC_PROFESSIONAL = "Zoë Haïdari"
STORY_QUESTION = "Ik wil weer zelf naar de markt in Oss, maar mijn rollator past niet in de bus."
STORY_OUTCOME = "Met de buurtbus en een buurvrouw gaat Ségolène nu elke donderdag naar de markt."


def _id(n: int) -> uuid.UUID:
    return uuid.UUID(int=0xE6 << 96 | n)


def an_overdue_report(
    *, today: date = TODAY, as_of: datetime = NOW, items: int = 9, seed: int = 6
) -> OverdueReport:
    fake = Faker("nl_NL")
    fake.seed_instance(seed)
    professionals = [
        (_id(900), DIACRITIC_PROFESSIONAL, "ggd", "GGD Hart voor Brabant"),
        (_id(901), fake.name(), "brabantwonen", "BrabantWonen"),
        (_id(902), fake.name(), "ons-welzijn", "ONS Welzijn"),
    ]
    made: list[OverdueItem] = []
    kinds = list(OverdueKind)
    for n in range(items):
        kind = kinds[n % len(kinds)]
        late = kind in (OverdueKind.MDO_OVERDUE, OverdueKind.AGREEMENT_OVERDUE)
        days_late = (3 + 5 * n) if late else -(n % 4)
        prof_id, prof_name, org_id, org_name = professionals[n % len(professionals)]
        agreement = kind in (OverdueKind.AGREEMENT_OVERDUE, OverdueKind.AGREEMENT_DUE_SOON)
        network_owned = agreement and n % 8 == 2  # a neighbour owns it: no organisation
        made.append(
            OverdueItem(
                kind=kind,
                case_id=_id(n),
                agreement_id=_id(100 + n) if agreement else None,
                resident_name=DIACRITIC_RESIDENT if n == 0 else fake.name(),
                what=(fake.sentence(nb_words=6) if agreement else None),
                due=today - timedelta(days=days_late),
                days_late=days_late,
                professional_id=None if network_owned else prof_id,
                professional_name=None if network_owned else prof_name,
                organisation_id=None if network_owned else org_id,
                organisation_name=None if network_owned else org_name,
            )
        )
    made.sort(key=lambda i: (-i.days_late, i.due, str(i.case_id)))
    return OverdueReport(team_id=TEAM_ID, team_name=TEAM_NAME, today=today, as_of=as_of, items=made)


def some_figures(
    *,
    start: date = TODAY - timedelta(days=182),
    end: date = TODAY,
    as_of: datetime = NOW,
    stories: int = 2,
    measured: bool = True,
) -> MonitoringFigures:
    fake = Faker("nl_NL")
    fake.seed_instance(66)
    wellbeing = [
        WellbeingFigure(moment=WellbeingMoment.CONTACT, average=3.5, residents=12),
        WellbeingFigure(moment=WellbeingMoment.MEETING, average=8.3, residents=10),
        WellbeingFigure(moment=WellbeingMoment.SIX_WEEKS, average=8.5, residents=7),
        WellbeingFigure(moment=WellbeingMoment.LATER, average=None, residents=0),
    ]
    health = [
        HealthDimensionFigure(dimension=d, average=4.0 + i * 0.75, residents=9 - i)
        for i, d in enumerate(POSITIVE_HEALTH_DIMENSIONS)
    ]
    if not measured:
        wellbeing = [WellbeingFigure(moment=m, average=None, residents=0) for m in WellbeingMoment]
        health = []
    per_org = [
        OrganisationFigure(
            organisation_id="ggd",
            organisation_name="GGD Hart voor Brabant",
            made=14,
            done=9,
            overdue_now=2,
        ),
        OrganisationFigure(
            organisation_id="brabantwonen",
            organisation_name="BrabantWonen",
            made=8,
            done=6,
            overdue_now=1,
        ),
        OrganisationFigure(
            organisation_id="ons-welzijn",
            organisation_name="ONS Welzijn",
            made=11,
            done=4,
            overdue_now=3,
        ),
        OrganisationFigure(
            organisation_id=None, organisation_name=None, made=6, done=5, overdue_now=0
        ),
    ]
    told = [Story(case_id=_id(500), question=STORY_QUESTION, outcome=STORY_OUTCOME)]
    told += [
        Story(
            case_id=_id(501 + n),
            question=fake.sentence(nb_words=12),
            outcome=fake.paragraph(nb_sentences=2),
        )
        for n in range(max(stories - 1, 0))
    ]
    return MonitoringFigures(
        team_id=TEAM_ID,
        team_name=TEAM_NAME,
        start=start,
        end=end,
        as_of=as_of,
        contacts=23,
        mdos_held=17,
        mdos_within_14_days=13,
        pct_mdos_within_14_days=13 / 17 * 100,
        median_days_contact_to_mdo=11.5,
        no_mdo_needed=4,
        agreements_made=39,
        agreements_done=24,
        agreements_done_within_six_weeks=19,
        pct_done_within_six_weeks=19 / 39 * 100,
        median_days_to_done=23.0,
        agreements_overdue_now=6,
        wellbeing=wellbeing,
        positive_health=health,
        per_organisation=per_org,
        stories=told[:stories],
    )

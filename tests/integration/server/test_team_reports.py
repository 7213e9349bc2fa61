"""The team-lead reports (issue #6) over the real push path, on SQLite and PostgreSQL.

One seeded dataset, every figure computed by hand below. Today is Tuesday 24 November 2026 and
the period is 1 September .. 24 November 2026. Team 1 (professional ``pro1``, organisation GGD):

case  contact  meeting held        notes
A     01-09    15-09 (day 14: in)  agreements A1 done 20-10 (35 days), A2 open due 27-10,
                                   A3 cancelled; measurements below
B     10-09    25-09 (day 15: late) B1 done 07-11 (43 days, Pantein), B2 open due 26-11 (pro1);
                                   one measurement; closed 20-11 with an outcome (story)
C     01-10    -                   "no MDO needed" 05-10; closed with an outcome, consent withdrawn
D     05-11    -                   MDO due 19-11: 5 days late; one Positive Health measurement
E     12-11    -                   MDO due 26-11: due soon (-2)
F     20-11    -                   MDO due 04-12: not listed
G     15-08    02-09               contact before the period, meeting in it: G1 done 20-09 (18 days)

Team 2 (``pro2``): case X, contact 05-09, meeting 08-09, X1 open due 01-10 (54 days late).
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from pydantic import ConfigDict, ValidationError, create_model
from pypdf import PdfReader
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from models.changes import ENTITY_OF, Record, fields_of
from models.domain import (
    Agreement,
    AgreementStatus,
    Case,
    Consent,
    Measurement,
    MeasurementMoment,
    Meeting,
    NoMeetingDecision,
    Participant,
    ParticipantRole,
    Resident,
)
from server.app import create_app
from server.db import MIGRATIONS, migrate, normalise_url
from server.models.accounts import Role
from server.models.audit import AuditEvent
from server.settings import Settings
from sync.protocol import Entity, Mutation, Op, PushRequest
from sync.team_protocol import MonitoringFigures, OverdueItem, OverdueReport
from tests.integration.server.conftest import LOOPBACK_CLIENT
from tests.integration.server.world import Login, Org, World

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
PERIOD = {"start": "2026-09-01", "end": "2026-11-24", "today": "2026-11-24"}
OVERDUE = "/api/v1/team/overdue"
MONITORING = "/api/v1/team/monitoring"


def d(month: int, day: int) -> date:
    return date(2026, month, day)


def case_id(letter: str) -> uuid.UUID:
    """Fixed case ids in letter order, so ties in the overdue list sort predictably."""
    return uuid.UUID(f"{ord(letter):08x}-0000-4000-8000-000000000000")


@dataclass
class Scene:
    world: World
    org: Org
    pro1: Login
    pro2: Login
    lead1: Login
    lead2: Login
    ids: dict[str, str]  # record names -> record ids (agreements, participants)


class CaseBuilder:
    """One case's records as the device makes them (``models.changes.fields_of``)."""

    def __init__(self, letter: str, contact: date, pro: Login, *, org: str = "ggd") -> None:
        self.resident = Resident(name=f"Bewoner {letter}")
        self.case = Case(
            id=str(case_id(letter)),
            resident=self.resident,
            contact_date=contact,
            question=f"Vraag van bewoner {letter}",
            organisation_id=org,
            consent=Consent(given=True, recorded_on=contact),
        )
        self.records: list[Record] = [self.resident, self.case]
        self.me = self.participant(ParticipantRole.RESIDENT, f"Bewoner {letter}")
        self.pro = self.participant(
            ParticipantRole.PROFESSIONAL,
            f"Professional {letter}",
            organisation_id=org,
            account_id=str(pro.account_id),
        )
        self.meeting: Meeting | None = None

    def participant(self, role: ParticipantRole, name: str, **extra: Any) -> Participant:
        p = Participant(case_id=self.case.id, role=role, name=name, **extra)
        self.records.append(p)
        return p

    def held(self, day: date) -> Meeting:
        self.meeting = Meeting(case_id=self.case.id, held_on=day)
        self.records.append(self.meeting)
        return self.meeting

    def agreement(self, owner: Participant, due: date, **extra: Any) -> Agreement:
        assert self.meeting is not None
        a = Agreement(
            case_id=self.case.id,
            meeting_id=self.meeting.id,
            what="Samen de post doorlopen",
            owner_id=owner.id,
            due_date=due,
            **extra,
        )
        self.records.append(a)
        return a

    def measure(self, moment: MeasurementMoment, day: date, **extra: Any) -> None:
        self.records.append(Measurement(case_id=self.case.id, moment=moment, taken_on=day, **extra))

    def mutations(self) -> list[Mutation]:
        return [mutation(r, uuid.UUID(self.case.id), fields_of(r)) for r in self.records]


def mutation(record: Record, case: uuid.UUID, fields: dict[str, Any]) -> Mutation:
    return Mutation(
        mutation_id=uuid.uuid4(),
        entity=Entity(ENTITY_OF[type(record)].value),
        record_id=uuid.UUID(record.id),
        case_id=case,
        op=Op.UPSERT,
        fields=fields,
        device_time=NOW,
    )


def push(world: World, login: Login, mutations: list[Mutation]) -> None:
    response = world.dossier(login).push(
        PushRequest(device_id=login.device_id, mutations=mutations)
    )
    assert [r.outcome for r in response.results] == ["applied"] * len(mutations)


def seed(world: World) -> Scene:
    org = world.organisation()
    team2 = world.client.post(
        "/teams", json={"name": "Wijkteam Ruwaard"}, headers=org.admin.headers
    )
    team2_id = uuid.UUID(team2.json()["id"])
    pro1 = world.member(org, team_id=org.team_id)
    pro2 = world.member(org, team_id=team2_id)
    lead1 = world.member(org, Role.TEAM_LEAD)
    lead2 = world.member(org, Role.TEAM_LEAD, team_id=team2_id)
    ids: dict[str, str] = {}
    W = MeasurementMoment

    a = CaseBuilder("A", d(9, 1), pro1)
    neighbour = a.participant(ParticipantRole.NETWORK, "Buurman A", relation="buurman")
    a.held(d(9, 15))
    ids["A1"] = a.agreement(a.pro, d(10, 13), status=AgreementStatus.DONE, done_on=d(10, 20)).id
    ids["A2"] = a.agreement(neighbour, d(10, 27)).id
    ids["A3"] = a.agreement(a.pro, d(10, 1), status=AgreementStatus.CANCELLED).id
    a.measure(W.CONTACT, d(9, 1), wellbeing=3)
    a.measure(W.CONTACT, d(9, 2), wellbeing=4)  # the latest at contact counts
    a.measure(W.MEETING, d(9, 15), wellbeing=7)
    a.measure(
        W.SIX_WEEKS,
        d(10, 27),
        wellbeing=8,
        positive_health={"mental_wellbeing": 6, "meaningfulness": 7},
    )
    a.measure(W.LATER, d(11, 20), positive_health={"mental_wellbeing": 8})  # no wellbeing score

    b = CaseBuilder("B", d(9, 10), pro1)
    pantein = b.participant(
        ParticipantRole.PROFESSIONAL, "Wijkverpleging B", organisation_id="pantein"
    )
    b.held(d(9, 25))
    b.agreement(pantein, d(11, 6), status=AgreementStatus.DONE, done_on=d(11, 7))
    ids["B2"] = b.agreement(b.pro, d(11, 26)).id
    b.measure(W.CONTACT, d(9, 10), wellbeing=5)  # a single measurement
    b.case.closed_on = d(11, 20)
    b.case.closing_note = "Ik heb weer overzicht over mijn post."

    c = CaseBuilder("C", d(10, 1), pro1)
    c.case.no_meeting = NoMeetingDecision(decided_on=d(10, 5), reason="Hulp via de huisarts")
    c.case.closed_on = d(10, 6)
    c.case.closing_note = "Dit verhaal mag niet gedeeld worden."

    dd = CaseBuilder("D", d(11, 5), pro1)
    dd.measure(W.CONTACT, d(11, 5), positive_health={"mental_wellbeing": 5})

    e = CaseBuilder("E", d(11, 12), pro1)
    f = CaseBuilder("F", d(11, 20), pro1)

    g = CaseBuilder("G", d(8, 15), pro1)
    g.held(d(9, 2))
    g.agreement(g.pro, d(10, 14), status=AgreementStatus.DONE, done_on=d(9, 20))
    g.measure(W.CONTACT, d(8, 15), wellbeing=1)  # contact before the period: not counted
    g.case.closed_on = d(10, 1)
    g.case.closing_note = "Buiten de periode."

    x = CaseBuilder("X", d(9, 5), pro2, org="pantein")
    x.held(d(9, 8))
    ids["X1"] = x.agreement(x.pro, d(10, 1)).id
    x.measure(W.CONTACT, d(9, 5), wellbeing=10)

    for builder in (a, b, c, dd, e, f, g):
        push(world, pro1, builder.mutations())
    push(world, pro2, x.mutations())
    # Case C's resident withdraws consent: the case stays counted, its story is not shown.
    push(world, pro1, [mutation(c.case, case_id("C"), {"consent_given": False})])
    return Scene(world, org, pro1, pro2, lead1, lead2, ids)


@pytest.fixture
def scene(world: World) -> Scene:
    return seed(world)


def get(scene: Scene, path: str, login: Login, **params: str) -> Any:
    response = scene.world.client.get(path, params=params, headers=login.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    # Every answer is valid under the wire contract the app reads it with.
    if path == OVERDUE:
        OverdueReport.model_validate_json(response.content)
    else:
        MonitoringFigures.model_validate_json(response.content)
    return response.json()


# -- overdue -------------------------------------------------------------------------------------


def test_overdue_list_of_team_one_by_hand(scene: Scene) -> None:
    report = get(scene, OVERDUE, scene.lead1, today="2026-11-24")
    assert report["today"] == "2026-11-24"
    assert report["team_name"] == "Wijkteam"
    rows = [
        (i["kind"], i["case_id"], i["agreement_id"], i["due"], i["days_late"])
        for i in report["items"]
    ]
    assert rows == [
        # A2: open, due 27-10: 24-11 - 27-10 = 4 + 24 = 28 days late
        ("agreement_overdue", str(case_id("A")), scene.ids["A2"], "2026-10-27", 28),
        # D: contact 05-11 + 14 = 19-11; 24-11 - 19-11 = 5 days late
        ("mdo_overdue", str(case_id("D")), None, "2026-11-19", 5),
        # B2 and E are both due 26-11 (-2); B sorts before E by case id. B is closed, but its
        # open agreement still counts (as on the device).
        ("agreement_due_soon", str(case_id("B")), scene.ids["B2"], "2026-11-26", -2),
        # E: contact 12-11 + 14 = 26-11
        ("mdo_due_soon", str(case_id("E")), None, "2026-11-26", -2),
    ]
    # Not listed: F (due 04-12, 10 days left), C ("no MDO needed"), A3 (cancelled), X (team 2).
    a2, d_mdo = report["items"][0], report["items"][1]
    assert a2["resident_name"] == "Bewoner A"
    assert a2["what"] == "Samen de post doorlopen"
    assert a2["professional_name"] == "Buurman A"  # a network member: no organisation
    assert a2["professional_id"] is None and a2["organisation_id"] is None
    assert d_mdo["professional_id"] == str(scene.pro1.account_id)
    assert d_mdo["professional_name"] == "Professional D"
    assert (d_mdo["organisation_id"], d_mdo["organisation_name"]) == (
        "ggd",
        "GGD Hart voor Brabant",
    )


def test_team_two_sees_only_its_own_case(scene: Scene) -> None:
    report = get(scene, OVERDUE, scene.lead2, today="2026-11-24")
    # X1: open, due 01-10: 24-11 - 01-10 = 30 + 24 = 54 days late
    assert [(i["agreement_id"], i["days_late"]) for i in report["items"]] == [(scene.ids["X1"], 54)]
    assert report["team_name"] == "Wijkteam Ruwaard"


def test_overdue_moves_with_today(scene: Scene) -> None:
    # On 16-11: D is due in 3 days (19-11 - 16-11), E (26-11) is 10 days away, B2 too;
    # A2 is 16-11 - 27-10 = 4 + 16 = 20 days late.
    report = get(scene, OVERDUE, scene.lead1, today="2026-11-16")
    assert [(i["kind"], i["days_late"]) for i in report["items"]] == [
        ("agreement_overdue", 20),
        ("mdo_due_soon", -3),
    ]


# -- monitoring ----------------------------------------------------------------------------------


def test_monitoring_figures_of_team_one_by_hand(scene: Scene) -> None:
    f = get(scene, MONITORING, scene.lead1, **PERIOD)
    assert (f["start"], f["end"]) == ("2026-09-01", "2026-11-24")
    # Contacts in the period: A B C D E F (G's contact, 15-08, is before it; X is team 2).
    assert f["contacts"] == 6
    # Held: A (day 14) and B (day 15); in time: only A (day 14 counts, day 15 does not).
    assert f["mdos_held"] == 2
    assert f["mdos_within_14_days"] == 1
    assert f["pct_mdos_within_14_days"] == pytest.approx(50.0)  # 1 / 2 * 100
    assert f["median_days_contact_to_mdo"] == pytest.approx(14.5)  # (14 + 15) / 2
    assert f["no_mdo_needed"] == 1  # C
    # Agreements of meetings held in the period (A 15-09, B 25-09, G 02-09), A3 cancelled:
    # A1 A2 B1 B2 G1.
    assert f["agreements_made"] == 5
    assert f["agreements_done"] == 3  # A1 B1 G1
    # Done within 42 days of the meeting: A1 (15-09 -> 20-10 = 15 + 20 = 35), G1 (02-09 ->
    # 20-09 = 18); not B1 (25-09 -> 07-11 = 5 + 31 + 7 = 43).
    assert f["agreements_done_within_six_weeks"] == 2
    assert f["pct_done_within_six_weeks"] == pytest.approx(40.0)  # 2 / 5 * 100
    assert f["median_days_to_done"] == pytest.approx(35.0)  # middle of 18, 35, 43
    assert f["agreements_overdue_now"] == 1  # A2 (due 27-10); B2 is due 26-11
    # Wellbeing, latest per resident and moment: contact A 4 (09-02 beats 09-01's 3), B 5 (B's
    # single measurement counts at contact only): (4 + 5) / 2 = 4.5; meeting A 7; six weeks A 8;
    # later: A's later measurement has no wellbeing score, so nobody.
    assert [(w["moment"], w["average"], w["residents"]) for w in f["wellbeing"]] == [
        ("contact", 4.5, 2),
        ("meeting", 7.0, 1),
        ("six_weeks", 8.0, 1),
        ("later", None, 0),
    ]
    # Positive Health, latest per resident that has the dimension: mental A 8 (20-11 beats
    # 27-10's 6), D 5: (8 + 5) / 2 = 6.5; meaning A 7. Others: nobody, so not listed.
    assert [(h["dimension"], h["average"], h["residents"]) for h in f["positive_health"]] == [
        ("mental_wellbeing", 6.5, 2),
        ("meaningfulness", 7.0, 1),
    ]
    # Per organisation of the owner: GGD A1 B2 G1 (done A1 G1), Pantein B1 (done), the
    # resident's network A2 (overdue).
    assert [
        (o["organisation_id"], o["organisation_name"], o["made"], o["done"], o["overdue_now"])
        for o in f["per_organisation"]
    ] == [
        ("ggd", "GGD Hart voor Brabant", 3, 2, 0),
        ("pantein", "Pantein", 1, 1, 0),
        (None, None, 1, 0, 1),
    ]
    # Stories: B only (C withdrew consent; G's contact is outside the period).
    assert f["stories"] == [
        {
            "case_id": str(case_id("B")),
            "question": "Vraag van bewoner B",
            "outcome": "Ik heb weer overzicht over mijn post.",
        }
    ]


def test_monitoring_of_team_two(scene: Scene) -> None:
    f = get(scene, MONITORING, scene.lead2, **PERIOD)
    # X: contact 05-09, held 08-09 (3 days), X1 open and overdue; wellbeing 10 at contact.
    assert (f["contacts"], f["mdos_held"], f["mdos_within_14_days"]) == (1, 1, 1)
    assert f["median_days_contact_to_mdo"] == pytest.approx(3.0)
    assert (f["agreements_made"], f["agreements_done"], f["agreements_overdue_now"]) == (1, 0, 1)
    assert f["pct_done_within_six_weeks"] == pytest.approx(0.0)
    assert f["median_days_to_done"] is None
    assert f["wellbeing"][0] == {"moment": "contact", "average": 10.0, "residents": 1}
    assert f["stories"] == []


def test_an_empty_period_has_no_percentages(scene: Scene) -> None:
    f = get(
        scene, MONITORING, scene.lead1, start="2025-01-01", end="2025-01-31", today="2026-11-24"
    )
    assert (f["contacts"], f["mdos_held"], f["agreements_made"]) == (0, 0, 0)
    assert f["pct_mdos_within_14_days"] is None and f["median_days_contact_to_mdo"] is None
    assert f["pct_done_within_six_weeks"] is None and f["median_days_to_done"] is None
    assert [w["residents"] for w in f["wellbeing"]] == [0, 0, 0, 0]
    assert f["positive_health"] == [] and f["per_organisation"] == [] and f["stories"] == []


def test_default_period_is_the_last_half_year(scene: Scene) -> None:
    f = get(scene, MONITORING, scene.lead1, today="2026-11-24")
    assert (f["start"], f["end"]) == ("2026-05-25", "2026-11-24")
    assert f["contacts"] == 7  # A..F and G (15-08) are all in it


def test_a_period_the_wrong_way_round_is_refused(scene: Scene) -> None:
    response = scene.world.client.get(
        MONITORING, params={"start": "2026-11-01", "end": "2026-10-01"}, headers=scene.lead1.headers
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_period"
    response = scene.world.client.get(
        OVERDUE, params={"today": "9999-12-31"}, headers=scene.lead1.headers
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_date"


# -- changes after the fact: the projection follows every push -----------------------------------


def test_edits_and_deletes_reach_the_figures(scene: Scene) -> None:
    world, pro1 = scene.world, scene.pro1
    a = case_id("A")
    agreement = uuid.UUID(scene.ids["A2"])
    # A2 done on 01-11: 15-09 -> 01-11 = 15 + 31 + 1 = 47 days, so not within six weeks.
    done = Mutation(
        mutation_id=uuid.uuid4(),
        entity=Entity.AGREEMENT,
        record_id=agreement,
        case_id=a,
        op=Op.UPSERT,
        fields={"status": "done", "done_on": "2026-11-01"},
        device_time=NOW,
    )
    push(world, pro1, [done])
    f = get(scene, MONITORING, scene.lead1, **PERIOD)
    assert (f["agreements_done"], f["agreements_done_within_six_weeks"]) == (4, 2)
    assert f["median_days_to_done"] == pytest.approx(39.0)  # 18, 35, 43, 47: (35 + 43) / 2
    assert f["agreements_overdue_now"] == 0
    # Deleting case E's record takes it out of every figure and list.
    gone = Mutation(
        mutation_id=uuid.uuid4(),
        entity=Entity.CASE,
        record_id=case_id("E"),
        case_id=case_id("E"),
        op=Op.DELETE,
        device_time=NOW,
    )
    push(world, pro1, [gone])
    f = get(scene, MONITORING, scene.lead1, **PERIOD)
    assert f["contacts"] == 5
    report = get(scene, OVERDUE, scene.lead1, today="2026-11-24")
    assert [i["case_id"] for i in report["items"]] == [str(case_id("D")), str(case_id("B"))]


def test_renaming_a_resident_and_moving_a_meeting(scene: Scene) -> None:
    report = get(scene, OVERDUE, scene.lead1, today="2026-11-24")
    d_case = case_id("D")
    with Session(scene.world.engine) as session:
        from server.models.dossier import DossierRecord

        resident = session.exec(
            select(DossierRecord).where(
                DossierRecord.case_id == d_case, DossierRecord.entity == "resident"
            )
        ).one()
    rename = Mutation(
        mutation_id=uuid.uuid4(),
        entity=Entity.RESIDENT,
        record_id=resident.record_id,
        case_id=d_case,
        op=Op.UPSERT,
        fields={"name": "Bewoner D (nieuw)"},
        device_time=NOW,
    )
    # D's MDO is held on 20-11 (15 days after 05-11): it leaves the overdue list.
    meeting = Mutation(
        mutation_id=uuid.uuid4(),
        entity=Entity.MEETING,
        record_id=uuid.uuid4(),
        case_id=d_case,
        op=Op.UPSERT,
        fields={"case_id": str(d_case), "held_on": "2026-11-20"},
        device_time=NOW,
    )
    push(scene.world, scene.pro1, [rename])
    assert any(
        i["resident_name"] == "Bewoner D (nieuw)"
        for i in get(scene, OVERDUE, scene.lead1, today="2026-11-24")["items"]
    )
    push(scene.world, scene.pro1, [meeting])
    after = get(scene, OVERDUE, scene.lead1, today="2026-11-24")
    assert len(after["items"]) == len(report["items"]) - 1
    f = get(scene, MONITORING, scene.lead1, **PERIOD)
    # Held now: A 14, B 15, D 15: median 15; in time still only A.
    assert (f["mdos_held"], f["mdos_within_14_days"]) == (3, 1)
    assert f["median_days_contact_to_mdo"] == pytest.approx(15.0)


# -- access --------------------------------------------------------------------------------------

REPORT_PDF = "/api/v1/team/report.pdf"
ROUTES = [OVERDUE, MONITORING, OVERDUE + ".csv", MONITORING + ".csv", REPORT_PDF]


@pytest.mark.parametrize("path", ROUTES)
def test_professionals_and_administrators_are_refused(scene: Scene, path: str) -> None:
    for login in (scene.pro1, scene.org.admin):
        response = scene.world.client.get(path, headers=login.headers)
        assert response.status_code == 403, path
        assert response.json()["code"] == "wrong_role"
    assert scene.world.client.get(path).status_code == 401


def test_a_team_lead_without_a_team_is_refused(scene: Scene) -> None:
    lead = scene.world.member(scene.org, Role.TEAM_LEAD)
    patched = scene.world.client.patch(
        f"/accounts/{lead.account_id}", json={"team_id": None}, headers=scene.org.admin.headers
    )
    assert patched.status_code == 200, patched.text
    response = scene.world.client.get(OVERDUE, headers=lead.headers)
    assert response.status_code == 403
    assert response.json()["code"] == "no_team"


def test_reads_and_exports_are_in_the_audit_log(scene: Scene, engine: Engine) -> None:
    get(scene, OVERDUE, scene.lead1, today="2026-11-24")
    scene.world.client.get(MONITORING + ".csv", params=PERIOD, headers=scene.lead1.headers)
    with Session(engine) as session:
        rows = session.exec(
            select(AuditEvent)
            .where(AuditEvent.account_id == scene.lead1.account_id)
            .order_by(col(AuditEvent.id))
        ).all()
    reads = [(r.action, r.route, r.case_id) for r in rows if r.route == OVERDUE]
    assert reads == [
        ("read", OVERDUE, None),
        ("read", OVERDUE, case_id("A")),
        ("read", OVERDUE, case_id("D")),
        ("read", OVERDUE, case_id("B")),
        ("read", OVERDUE, case_id("E")),
    ]
    exports = [(r.action, r.case_id) for r in rows if r.route == MONITORING + ".csv"]
    assert exports == [("export", None), ("export", case_id("B"))]  # B: the one story shown


# -- CSV -----------------------------------------------------------------------------------------


def test_csv_exports_for_dutch_excel(scene: Scene) -> None:
    response = scene.world.client.get(
        OVERDUE + ".csv", params={"today": "2026-11-24"}, headers=scene.lead1.headers
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 1 + 4  # the header and A2, D, B2, E
    assert rows[1][1:4] == ["28", "2026-10-27", "Bewoner A"]
    monitoring = scene.world.client.get(
        MONITORING + ".csv", params={**PERIOD, "language": "nl"}, headers=scene.lead1.headers
    )
    text_rows = list(csv.reader(io.StringIO(monitoring.content.decode("utf-8-sig")), delimiter=";"))
    values = [row[2] for row in text_rows]
    assert "50,0" in values and "14,5" in values and "40,0" in values  # Dutch decimal commas
    assert [row[2] for row in text_rows if row[1] == "Vraag van bewoner B"] == [
        "Ik heb weer overzicht over mijn post."
    ]


# -- the migration's back-fill -------------------------------------------------------------------


def test_the_migration_back_fills_the_read_model(scene: Scene, database_url: str) -> None:
    before_overdue = get(scene, OVERDUE, scene.lead1, today="2026-11-24")
    before_figures = get(scene, MONITORING, scene.lead1, **PERIOD)
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = normalise_url(database_url)
    scene.world.engine.dispose()
    command.downgrade(config, "0001")
    with scene.world.engine.connect() as connection:
        tables = connection.execute(text("SELECT count(*) FROM dossier_record")).scalar_one()
        assert tables > 0
    migrate(database_url)  # 0002 again: creates the tables and fills them from dossier_record
    after_overdue = get(scene, OVERDUE, scene.lead1, today="2026-11-24")
    after_figures = get(scene, MONITORING, scene.lead1, **PERIOD)
    for answer in (before_overdue, before_figures, after_overdue, after_figures):
        answer.pop("as_of")
    assert after_overdue == before_overdue
    assert after_figures == before_figures


def _upsert(entity: Entity, record: uuid.UUID, case: uuid.UUID, **fields: Any) -> Mutation:
    return Mutation(
        mutation_id=uuid.uuid4(),
        entity=entity,
        record_id=record,
        case_id=case,
        op=Op.UPSERT,
        fields=fields,
        device_time=NOW,
    )


def test_a_deleted_case_takes_its_agreements_along_and_brings_them_back(scene: Scene) -> None:
    a = case_id("A")
    gone = Mutation(
        mutation_id=uuid.uuid4(),
        entity=Entity.CASE,
        record_id=a,
        case_id=a,
        op=Op.DELETE,
        device_time=NOW,
    )
    push(scene.world, scene.pro1, [gone])
    report = get(scene, OVERDUE, scene.lead1, today="2026-11-24")
    assert str(a) not in [i["case_id"] for i in report["items"]]
    f = get(scene, MONITORING, scene.lead1, **PERIOD)
    # Without A (A1 A2; A3 was cancelled): B1 B2 G1 made, B1 G1 done; A's measurements gone too.
    assert (f["contacts"], f["agreements_made"], f["agreements_done"]) == (5, 3, 2)
    assert f["wellbeing"][1] == {"moment": "meeting", "average": None, "residents": 0}
    # The case comes back (the same device upserts it again): so do its records.
    push(
        scene.world,
        scene.pro1,
        [
            _upsert(
                Entity.CASE,
                a,
                a,
                contact_date="2026-09-01",
                consent_given=True,
                question="Vraag van bewoner A",
            )
        ],
    )
    f = get(scene, MONITORING, scene.lead1, **PERIOD)
    assert (f["contacts"], f["agreements_made"], f["agreements_done"]) == (6, 5, 3)
    assert f["wellbeing"][1] == {"moment": "meeting", "average": 7.0, "residents": 1}


def test_an_owner_renamed_later_is_renamed_in_the_list(scene: Scene) -> None:
    report = get(scene, OVERDUE, scene.lead1, today="2026-11-24")
    a2 = report["items"][0]
    with Session(scene.world.engine) as session:
        from server.models.reports import ReportAgreement

        owner = session.exec(
            select(ReportAgreement.owner_id).where(
                ReportAgreement.agreement_id == uuid.UUID(a2["agreement_id"])
            )
        ).one()
    assert owner is not None
    push(
        scene.world,
        scene.pro1,
        [
            _upsert(
                Entity.PARTICIPANT,
                owner,
                case_id("A"),
                case_id=str(case_id("A")),
                role="professional",
                name="Wijkagent A",
                organisation_id="gemeente-oss",
            )
        ],
    )
    item = get(scene, OVERDUE, scene.lead1, today="2026-11-24")["items"][0]
    assert (item["professional_name"], item["organisation_name"]) == ("Wijkagent A", "Gemeente Oss")
    f = get(scene, MONITORING, scene.lead1, **PERIOD)
    assert ("gemeente-oss", 1, 0, 1) in [
        (o["organisation_id"], o["made"], o["done"], o["overdue_now"])
        for o in f["per_organisation"]
    ]


# -- PDF -----------------------------------------------------------------------------------------


def test_the_team_report_pdf_reads_back(scene: Scene, engine: Engine) -> None:
    response = scene.world.client.get(
        REPORT_PDF, params={**PERIOD, "language": "nl"}, headers=scene.lead1.headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))
    assert "Wijkteam" in text
    assert "Ik heb weer overzicht over mijn post." in text  # B's story
    assert "Dit verhaal mag niet gedeeld worden." not in text  # C withdrew consent
    assert "Bewoner A" in text and "Bewoner D" in text  # the overdue list
    assert "Bewoner X" not in text  # team 2
    with Session(engine) as session:
        exported = session.exec(
            select(AuditEvent.case_id).where(
                AuditEvent.route == REPORT_PDF, AuditEvent.action == "export"
            )
        ).all()
    # The request, B's story, and the overdue items' cases A D B E (B once).
    assert sorted(str(c) for c in exported) == sorted(["None", *(str(case_id(x)) for x in "BADE")])


def test_a_report_pdf_over_the_row_cap_is_refused_and_one_at_the_cap_is_served(
    scene: Scene, settings: Settings, engine: Engine
) -> None:
    """The cap counts the PDF's table rows: overdue items, organisations and stories."""
    overdue = get(scene, OVERDUE, scene.lead1, today=PERIOD["today"])
    figures = get(scene, MONITORING, scene.lead1, **PERIOD)
    rows = len(overdue["items"]) + len(figures["per_organisation"]) + len(figures["stories"])
    # A D B E late or due soon; GGD, Pantein and the network; B's story
    assert rows == 4 + 3 + 1

    def pdf(cap: int) -> Any:
        capped = create_app(settings.model_copy(update={"max_report_pdf_rows": cap}), engine=engine)
        with TestClient(capped, client=LOOPBACK_CLIENT) as client:
            return client.get(REPORT_PDF, params=PERIOD, headers=scene.lead1.headers)

    served = pdf(rows)
    assert served.status_code == 200 and served.content.startswith(b"%PDF")
    refused = pdf(rows - 1)
    assert refused.status_code == 422
    assert refused.json() == {
        "code": "report_too_large",
        "message": f"The report has {rows} rows, more than fit in a PDF ({rows - 1}). "
        "Choose a shorter period, or use the CSV or JSON exports.",
        "rows": rows,
        "limit": rows - 1,
    }
    with Session(engine) as session:
        exports = session.exec(
            select(AuditEvent.id).where(
                AuditEvent.route == REPORT_PDF,
                AuditEvent.case_id == None,  # noqa: E711
            )
        ).all()
    assert len(exports) == 1  # the served PDF's; the refused one exported nothing


def test_two_measurements_on_one_day_resolve_to_the_higher_score(scene: Scene) -> None:
    f_case = case_id("F")
    first, second = uuid.UUID(int=2**127), uuid.UUID(int=1)
    push(
        scene.world,
        scene.pro1,
        [
            _upsert(
                Entity.MEASUREMENT,
                first,
                f_case,
                case_id=str(f_case),
                moment="contact",
                taken_on="2026-11-20",
                wellbeing=2,
            ),
            _upsert(
                Entity.MEASUREMENT,
                second,
                f_case,
                case_id=str(f_case),
                moment="contact",
                taken_on="2026-11-20",
                wellbeing=9,
            ),
        ],
    )
    contact = get(scene, MONITORING, scene.lead1, **PERIOD)["wellbeing"][0]
    # A 4, B 5 and F 9 (the higher of 2 and 9 on one day): (4 + 5 + 9) / 3 = 6.0
    assert contact == {"moment": "contact", "average": 6.0, "residents": 3}


def test_stories_are_the_most_recently_closed_up_to_the_limit(scene: Scene) -> None:
    from server.models.dossier import CaseMember
    from server.models.reports import ReportCase
    from sync.team_protocol import STORIES_LIMIT

    extra = STORIES_LIMIT + 5
    ids = [uuid.UUID(int=10_000 + n) for n in range(extra)]
    with Session(scene.world.engine) as session:
        for n, case in enumerate(ids):  # closed on 1, 2, ... October: the last one most recently
            session.add(CaseMember(case_id=case, account_id=scene.pro1.account_id))
            session.add(
                ReportCase(
                    case_id=case,
                    resident_name=f"Bewoner {n}",
                    contact_date=d(9, 1),
                    closed_on=date(2026, 10, 1 + n % 31) if n < 31 else date(2026, 11, n - 30),
                    consent_given=True,
                    question=f"Vraag {n}",
                    closing_note=f"Uitkomst {n}",
                )
            )
        session.commit()
    stories = get(scene, MONITORING, scene.lead1, **PERIOD)["stories"]
    assert len(stories) == STORIES_LIMIT
    # B (closed 20-11) sorts among them by its closing day; the oldest closings fall off.
    questions = [s["question"] for s in stories]
    assert questions[0] == f"Vraag {extra - 1}"  # closed 24-11: the most recent
    assert "Vraag 0" not in questions and "Vraag 4" not in questions


# -- an owner taken off the case (issue #5): marked for the apps that read it --------------------

Version1Item = create_model(  # OverdueItem as an app from before version 2 reads it
    "Version1Item",
    __config__=ConfigDict(extra="forbid", frozen=True),
    **{
        name: (field.annotation, field)
        for name, field in OverdueItem.model_fields.items()
        if name != "owner_removed"
    },  # type: ignore[call-overload]
)


def owner_of(scene: Scene, agreement: str) -> uuid.UUID:
    with Session(scene.world.engine) as session:
        from server.models.reports import ReportAgreement

        owner = session.exec(
            select(ReportAgreement.owner_id).where(
                ReportAgreement.agreement_id == uuid.UUID(scene.ids[agreement])
            )
        ).one()
    assert owner is not None
    return owner


def take_off(scene: Scene, participant: uuid.UUID, case: uuid.UUID, day: str | None) -> None:
    """What ``CaseStore.remove_participant`` sends: ``removed_on`` alone, then the cleared
    fields (``day`` None: taken back, as a merge on another tablet could)."""
    batch = [_upsert(Entity.PARTICIPANT, participant, case, removed_on=day)]
    if day is not None:
        batch.append(_upsert(Entity.PARTICIPANT, participant, case, relation=None, phone=None))
    push(scene.world, scene.pro1, batch)


def overdue_v2(scene: Scene) -> dict[str, dict[str, Any]]:
    report = get(scene, OVERDUE, scene.lead1, today="2026-11-24", protocol="2")
    return {i["agreement_id"] or i["case_id"]: i for i in report["items"]}


def test_an_owner_taken_off_the_case_later_is_marked_only_for_apps_that_read_it(
    scene: Scene,
) -> None:
    before = overdue_v2(scene)
    assert not any(i["owner_removed"] for i in before.values())
    take_off(scene, owner_of(scene, "A2"), case_id("A"), "2026-11-20")
    items = overdue_v2(scene)
    a2 = items[scene.ids["A2"]]
    # Still named, with no account (network member) and no organisation, and marked.
    assert (a2["professional_name"], a2["owner_removed"]) == ("Buurman A", True)
    assert [k for k, i in items.items() if i["owner_removed"]] == [scene.ids["A2"]]
    # An app that sends no version gets the answer it knows: no new field, valid for it.
    old = get(scene, OVERDUE, scene.lead1, today="2026-11-24")
    assert all("owner_removed" not in i for i in old["items"])
    for item in old["items"]:
        Version1Item.model_validate(item)
    assert old["items"][0]["professional_name"] == "Buurman A"
    with pytest.raises(ValidationError):  # why: it refuses a field it does not know
        Version1Item.model_validate(a2)
    # Taken back (another tablet's merge): no longer marked.
    take_off(scene, owner_of(scene, "A2"), case_id("A"), None)
    assert overdue_v2(scene)[scene.ids["A2"]]["owner_removed"] is False


def test_an_agreement_given_to_someone_already_taken_off_in_the_same_push(scene: Scene) -> None:
    a = case_id("A")
    person = Participant(
        case_id=str(a),
        role=ParticipantRole.PROFESSIONAL,
        name="Kees Smit",
        organisation_id="pantein",
        removed_on=d(11, 1),
    )
    agreement = Agreement(
        case_id=str(a),
        meeting_id=str(uuid.uuid4()),
        what="Formulieren invullen",
        owner_id=person.id,
        due_date=d(11, 10),
    )
    push(
        scene.world,
        scene.pro1,
        [mutation(person, a, fields_of(person)), mutation(agreement, a, fields_of(agreement))],
    )
    item = overdue_v2(scene)[agreement.id]
    assert (item["professional_name"], item["organisation_name"]) == ("Kees Smit", "Pantein")
    assert item["owner_removed"] is True and item["days_late"] == 14  # 10-11 -> 24-11


def test_the_csv_and_pdf_mark_an_owner_taken_off_the_case(scene: Scene) -> None:
    take_off(scene, owner_of(scene, "A2"), case_id("A"), "2026-11-20")
    response = scene.world.client.get(
        OVERDUE + ".csv", params={"today": "2026-11-24"}, headers=scene.lead1.headers
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert [row[5] for row in rows[1:]] == [
        "Buurman A (doet niet meer mee)",  # A2
        "Professional D",
        "Professional B",
        "Professional E",
    ]
    pdf = scene.world.client.get(
        REPORT_PDF, params={**PERIOD, "language": "en"}, headers=scene.lead1.headers
    )
    text = re.sub(
        r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    )
    assert "Buurman A (no longer taking part)" in text


def test_migration_0005_back_fills_an_owner_taken_off_the_case(
    scene: Scene, database_url: str
) -> None:
    take_off(scene, owner_of(scene, "A2"), case_id("A"), "2026-11-20")
    before = get(scene, OVERDUE, scene.lead1, today="2026-11-24", protocol="2")
    assert [i["owner_removed"] for i in before["items"]] == [True, False, False, False]
    before.pop("as_of")
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = normalise_url(database_url)
    for down_to in ("0004", "0001"):  # 0005's own back-fill; then 0002's rebuild and 0005's
        scene.world.engine.dispose()
        command.downgrade(config, down_to)
        migrate(database_url)
        after = get(scene, OVERDUE, scene.lead1, today="2026-11-24", protocol="2")
        after.pop("as_of")
        assert after == before, down_to

"""Erasure on request (AVG art. 17, issue #5): ``python -m server erase-case``, on SQLite and
PostgreSQL.

Device A (organisation 1) brings a case to the server with every kind of record and names the
professional of device B (organisation 2, in a team with a team lead) as a participant; B changes
the case too. The erasure must leave no row of the case in any table but the audit log (kept
whole, one row more), ``case_access_end`` and ``case_erasure`` (ids only); tell every member and
the team lead once; refuse a late push instead of making the case again; and change nothing for an
unknown case. The command itself runs as a real ``python -m server`` process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from faker import Faker
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session

import server.models  # noqa: F401  (registers every table)
from server import audit
from server.audit import verify_database
from server.erasure import AlreadyErasedError, UnknownCaseError, erase_case
from server.models.accounts import Role
from server.models.audit import AuditEvent, AuditHead
from server.models.dossier import ChangeRow, SyncHead
from server.models.erasure import CaseErasure
from server.models.types import metadata
from server.settings import ARGON2_FLOOR_KIB
from sync.protocol import Entity, Mutation, Op, PullRequest, PullResponse, PushRequest
from tests.integration.server.world import Login, World

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
REASON = "AVG-2026/014"  # the request's reference in the organisation's own register
FREE_TEXT = "Verzoek van mevrouw Jansen, brief 12-2026"  # what --request must refuse
# Tables allowed to keep the case's id after the erasure: ids and codes only.
KEEPS_IDS = {"audit_event", "case_access_end", "case_erasure"}


def _pull(client: TestClient, login: Login, cursor: int) -> tuple[list[str], int]:
    """Every page of a version-2 pull from ``cursor``: the cases named as ended, the cursor."""
    ended: list[str] = []
    while True:
        body = PullRequest(cursor=cursor, limit=500).model_dump(mode="json")
        response = client.post("/sync/pull?protocol=2", json=body, headers=login.headers)
        assert response.status_code == 200, response.text
        page = PullResponse.model_validate(response.json())
        ended += [str(c) for c in page.access_ended]
        cursor = page.cursor
        if page.done:
            return ended, cursor


def _push(client: TestClient, login: Login, *mutations: Mutation) -> list[tuple[str, str | None]]:
    body = PushRequest(device_id=login.device_id, mutations=list(mutations))
    response = client.post("/sync/push", json=body.model_dump(mode="json"), headers=login.headers)
    assert response.status_code == 200, response.text
    return [(r["outcome"], r.get("reason")) for r in response.json()["results"]]


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


class Setting:
    """A's case (every entity, B linked and editing) and A's other case, which stays."""

    def __init__(self, world: World) -> None:
        fake = Faker("nl_NL")
        self.world, self.client = world, world.client
        org_a, org_b = world.organisation("Zorg Oss"), world.organisation("Woonstichting")
        self.org_a, self.org_b = org_a, org_b
        self.a = world.member(org_a)
        self.b = world.member(org_b, team_id=org_b.team_id)
        self.lead_b = world.member(org_b, Role.TEAM_LEAD)
        self.case, self.other = uuid.uuid4(), uuid.uuid4()
        self.name = fake.name()
        resident, participant_b, meeting = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        agreement = uuid.uuid4()
        case = self.case
        self.mutations = [
            _upsert(
                Entity.CASE,
                case,
                case,
                consent_given=True,
                resident_id=str(resident),
                contact_date="2026-11-20",
                question=f"{self.name} wil weer zelf boodschappen doen",
            ),
            _upsert(Entity.RESIDENT, resident, case, name=self.name, phone=fake.phone_number()),
            _upsert(
                Entity.PARTICIPANT,
                participant_b,
                case,
                role="professional",
                name=fake.name(),
                account_id=str(self.b.account_id),
            ),
            _upsert(Entity.MEETING, meeting, case, held_on="2026-11-27"),
            _upsert(
                Entity.AGREEMENT,
                agreement,
                case,
                meeting_id=str(meeting),
                owner_id=str(participant_b),
                what=f"Met {self.name} naar de schuldhulp",
                due_date="2026-12-11",
            ),
            _upsert(
                Entity.MEASUREMENT,
                uuid.uuid4(),
                case,
                moment="contact",
                taken_on="2026-11-20",
                wellbeing=6,
            ),
        ]
        assert {o for o, _ in _push(self.client, self.a, *self.mutations)} == {"applied"}
        # B takes part: its own change of the case, and a resend of it (acknowledged).
        self.by_b = _upsert(Entity.AGREEMENT, agreement, case, status="done", done_on="2026-12-01")
        assert _push(self.client, self.b, self.by_b) == [("applied", None)]
        assert _push(self.client, self.b, self.by_b) == [("duplicate", None)]
        self.mutations.append(self.by_b)
        # A's other case.
        other = _upsert(Entity.CASE, self.other, self.other, consent_given=True, question="Hulp")
        other_agreement = _upsert(
            Entity.AGREEMENT, uuid.uuid4(), self.other, what="Buurtkamer bezoeken"
        )
        assert _push(self.client, self.a, other, other_agreement) == [("applied", None)] * 2
        self.cursors = {
            who: _pull(self.client, login, 0)[1]
            for who, login in (("a", self.a), ("b", self.b), ("lead_b", self.lead_b))
        }
        self.ids = {str(case)} | {str(m.record_id) for m in self.mutations}
        self.ids |= {str(m.mutation_id) for m in self.mutations}

    def rows(self) -> dict[str, list[str]]:
        """Every row of every server table, as text (UUIDs and JSON included)."""
        with self.world.engine.connect() as connection:
            return {
                table.name: [str(tuple(row)) for row in connection.execute(select(table))]
                for table in metadata.sorted_tables
            }

    def naming(self, needles: set[str], *, skip: set[str] = KEEPS_IDS) -> dict[str, int]:
        """Per table, the rows holding one of ``needles``."""
        found: dict[str, int] = {}
        for table, rows in self.rows().items():
            if table in skip:
                continue
            hits = sum(1 for row in rows if any(n in row for n in needles))
            if hits:
                found[table] = hits
        return found

    def erase(self) -> None:
        with Session(self.world.engine) as session:
            erased = erase_case(session, self.case)
            session.commit()
        assert (erased.records, erased.members) == (6, 2)  # A (creator) and B


@pytest.fixture
def setting(world: World) -> Setting:
    return Setting(world)


def _other_case_rows(s: Setting) -> dict[str, list[str]]:
    return {
        table: sorted(r for r in rows if str(s.other) in r)
        for table, rows in s.rows().items()
        if table not in {"audit_event", "audit_head", "sync_head"}
    }


def test_erasure_leaves_no_row_of_the_case_and_keeps_everything_else(setting: Setting) -> None:
    s = setting
    before = s.naming(s.ids)
    # The case is everywhere first: records, change log, applied mutations, access, members and
    # each table of the team-report read model.
    for table in (
        "dossier_record",
        "change_log",
        "applied_mutation",
        "case_access",
        "case_member",
        "report_case",
        "report_participant",
        "report_meeting",
        "report_agreement",
        "report_measurement",
    ):
        assert table in before, table
    assert s.naming({s.name}, skip=set())  # the resident's name is on the server
    other_before = _other_case_rows(s)
    with Session(s.world.engine) as session:
        audit_before = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
        changes = session.execute(
            select(func.count()).select_from(ChangeRow).where(ChangeRow.case_id == s.case)  # type: ignore[arg-type]
        ).scalar_one()
    assert changes == 7

    s.erase()

    assert s.naming(s.ids) == {}
    assert s.naming({s.name, REASON}, skip=set()) == {}  # nowhere, the audit log included
    assert _other_case_rows(s) == other_before
    with Session(s.world.engine) as session:
        assert verify_database(session) is None  # the chain is whole: nothing removed or changed
        events = session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().all()  # type: ignore[arg-type]
        assert len(events) == audit_before + 1
        last = events[-1]
        assert (last.action, last.outcome, last.reason, last.case_id, last.entity) == (
            "delete",
            "success",
            "erased_on_request",
            s.case,
            "case",
        )
        assert last.account_id is None and last.route == "cli:erase-case"
        assert session.get(CaseErasure, s.case) is not None


def test_every_member_and_their_team_lead_is_told_once(setting: Setting, world: World) -> None:
    s = setting
    s.erase()
    for who, login in (("a", s.a), ("b", s.b), ("lead_b", s.lead_b)):
        ended, cursor = _pull(s.client, login, s.cursors[who])
        assert ended == [str(s.case)], who
        assert _pull(s.client, login, cursor)[0] == [], who  # once
    stranger = world.member(world.organisation("Derde"))
    assert _pull(s.client, stranger, 0)[0] == []
    # A device that pulls from the start has nothing of the case to remove, and gets no change
    # of it.
    body = PullRequest(cursor=0).model_dump(mode="json")
    answer = s.client.post("/sync/pull?protocol=2", json=body, headers=s.a.headers).json()
    assert {c["case_id"] for c in answer["changes"]} == {str(s.other)}


def test_a_late_push_cannot_bring_the_case_back(setting: Setting) -> None:
    s = setting
    s.erase()
    # A (offline meanwhile) sends the case again with consent, and a new agreement; B resends
    # the change it made before the erasure. Another case in the same batch goes through.
    again = _upsert(Entity.CASE, s.case, s.case, consent_given=True, question="Opnieuw")
    agreement = _upsert(Entity.AGREEMENT, uuid.uuid4(), s.case, what=f"Bellen met {s.name}")
    unrelated = _upsert(Entity.AGREEMENT, uuid.uuid4(), s.other, what="Koffie drinken")
    assert _push(s.client, s.a, again, agreement, unrelated) == [
        ("rejected", "case_erased"),
        ("rejected", "case_erased"),
        ("applied", None),
    ]
    assert _push(s.client, s.b, s.by_b) == [("rejected", "case_erased")]
    new_ids = {str(again.mutation_id), str(agreement.mutation_id), str(agreement.record_id)}
    assert s.naming(s.ids | new_ids | {s.name}) == {}
    with Session(s.world.engine) as session:
        refused = session.execute(
            select(AuditEvent.outcome, AuditEvent.reason)  # type: ignore[call-overload]
            .where(AuditEvent.case_id == s.case, AuditEvent.route == "/sync/push")
            .order_by(AuditEvent.id)
        ).all()
    assert [tuple(r) for r in refused[-3:]] == [("refused", "case_erased")] * 3


def test_an_unknown_or_erased_case_changes_nothing(setting: Setting) -> None:
    s = setting

    def state() -> tuple[int, int, str, int]:
        with Session(s.world.engine) as session:
            head = session.get(SyncHead, 1)
            audit = session.get(AuditHead, 1)
            assert head is not None and audit is not None
            ends = session.execute(select(func.count()).select_from(CaseErasure)).scalar_one()
            return head.seq, audit.count, audit.last_hash, ends

    before = state()
    with Session(s.world.engine) as session, pytest.raises(UnknownCaseError):
        erase_case(session, uuid.uuid4())
    assert state() == before
    s.erase()
    erased = state()
    assert erased[0] == before[0] + 1 and erased[1] == before[1] + 1
    with Session(s.world.engine) as session, pytest.raises(AlreadyErasedError):
        erase_case(session, s.case)
    assert state() == erased


def _command(
    database_url: str, *args: str, command: str = "erase-case"
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEUKENTAFEL_")}
    env.update(
        DATABASE_URL=database_url,
        KEUKENTAFEL_ARGON2_MEMORY_KIB=str(ARGON2_FLOOR_KIB),
        KEUKENTAFEL_ARGON2_TIME_COST="2",
        KEUKENTAFEL_ARGON2_PARALLELISM="1",
    )
    return subprocess.run(
        [sys.executable, "-m", "server", command, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_the_command_says_one_line_and_never_the_reason(
    setting: Setting, database_url: str
) -> None:
    s = setting
    malformed = _command(database_url, "not-a-case", "--request", REASON)
    assert malformed.returncode == 2 and malformed.stdout == ""
    assert malformed.stderr == "erase-case: CASE_ID is not a case id (a UUID)\n"
    free = _command(database_url, str(s.case), "--request", FREE_TEXT)  # a name, a sentence
    assert free.returncode == 2 and free.stdout == "" and free.stderr.count("\n") == 1
    assert "must be a reference" in free.stderr and s.naming(s.ids) != {}  # nothing erased
    unknown = _command(database_url, str(uuid.uuid4()), "--request", REASON)
    assert unknown.returncode == 1 and unknown.stdout == ""
    assert unknown.stderr.count("\n") == 1 and "no case" in unknown.stderr

    done = _command(database_url, str(s.case), "--request", REASON)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and done.stdout.count("\n") == 1
    assert done.stdout.startswith(f"case {s.case} erased: 6 records, 7 changes;")
    assert s.naming(s.ids) == {}

    again = _command(database_url, str(s.case), "--request", REASON)
    assert again.returncode == 1 and again.stdout == ""
    assert again.stderr == f"erase-case: case {s.case} was erased already; nothing was changed\n"
    for result in (malformed, free, unknown, done, again):
        assert REASON not in result.stdout + result.stderr
        assert FREE_TEXT not in result.stdout + result.stderr
        assert s.name not in result.stdout + result.stderr


def test_an_erasure_that_fails_half_way_leaves_the_case_whole(
    setting: Setting, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Everything is deleted before the audit row is written: when that last step fails, the
    transaction is rolled back and the case is there as before, for the tablets too."""
    s = setting
    before = s.rows()

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("server.erasure.audit", SimpleNamespace(event=audit.event, record=broken))
    with Session(s.world.engine) as session, pytest.raises(RuntimeError):
        erase_case(session, s.case)
    assert s.rows() == before
    assert _pull(s.client, s.b, s.cursors["b"])[0] == []
    monkeypatch.undo()
    s.erase()
    assert s.naming(s.ids) == {}

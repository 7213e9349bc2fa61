"""Back-fill for a new member (issue #5), against the real server (SQLite and PostgreSQL).

Device A (organisation 1) has had its case on the server for a while; device B (organisation 2)
has synced past all of it, seeing nothing. Then A names B's professional as a participant. B's
next pull must bring the whole history of the case, in seq order, before the newer changes,
and never twice once the cursor has passed the grant (see server/sync_pull.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import cast

from pydantic import JsonValue
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from server.models.accounts import Role
from server.models.audit import AuditEvent
from sync.protocol import Entity, Mutation, Op, PullRequest, PushRequest
from tests.integration.server.world import Login, Org, World
from tests.support.fake_dossier import FakeDossier
from tests.support.sync_device import CASE, NOW, SimDevice

AGREEMENT = Entity.AGREEMENT
PARTICIPANT_B = uuid.UUID(int=21)
OTHER_CASE = uuid.UUID(int=2)


@dataclass
class Setting:
    a: SimDevice
    b: SimDevice
    server_a: FakeDossier
    server_b: FakeDossier
    login_b: Login
    org_b: Org
    other: FakeDossier  # a professional of a third organisation with a case of their own


def _mutation(entity: Entity, record: uuid.UUID, case: uuid.UUID, **fields: JsonValue) -> Mutation:
    return Mutation(
        mutation_id=uuid.uuid4(),
        entity=entity,
        record_id=record,
        case_id=case,
        op=Op.UPSERT,
        fields=fields,
        device_time=NOW,
    )


def _dossier(world: World, login: Login) -> FakeDossier:
    """The live server over HTTP; it answers the same push and pull calls as the fake."""
    return cast(FakeDossier, world.dossier(login))


def _make(world: World, *, b_team: bool = False) -> Setting:
    org_a, org_b = world.organisation("Zorg Oss"), world.organisation("Woonstichting")
    login_a = world.member(org_a)
    login_b = world.member(org_b, team_id=org_b.team_id if b_team else None)
    login_c = world.member(world.organisation("Derde"))
    a, b = SimDevice(device_id=login_a.device_id), SimDevice(device_id=login_b.device_id)
    server_a, server_b = _dossier(world, login_a), _dossier(world, login_b)
    other = _dossier(world, login_c)
    # A's older case, with a history: made, changed, a record deleted, interleaved with C's case.
    a.edit(Entity.CASE, CASE, consent_given=True, question="Schulden")
    a.edit(AGREEMENT, uuid.UUID(int=101), what="Post openen")
    a.sync(server_a)
    other.push(
        PushRequest(
            device_id=login_c.device_id,
            mutations=[_mutation(Entity.CASE, OTHER_CASE, OTHER_CASE, consent_given=True)],
        )
    )
    a.edit(AGREEMENT, uuid.UUID(int=101), what="Post samen openen")
    a.edit(AGREEMENT, uuid.UUID(int=102), what="Weg te gooien")
    a.sync(server_a)
    a.delete(AGREEMENT, uuid.UUID(int=102))
    a.sync(server_a)
    # B is synced to the head and has seen nothing.
    b.sync(server_b)
    assert b.replica == {} and b.cursor > 0
    return Setting(a, b, server_a, server_b, login_b, org_b, other)


def _history(server: FakeDossier) -> list[int]:
    """The seqs of every change of CASE, from a member pulling from the start."""
    page = server.pull(PullRequest(cursor=0, limit=1000))
    return [c.seq for c in page.changes if c.case_id == CASE]


def test_a_member_added_later_gets_the_whole_history_first(world: World, engine: Engine) -> None:
    s = _make(world)
    history_before = _history(s.server_a)
    s.a.edit(
        Entity.PARTICIPANT, PARTICIPANT_B, role="professional", account_id=str(s.login_b.account_id)
    )
    s.a.edit(AGREEMENT, uuid.UUID(int=103), what="Na de koppeling")
    s.a.sync(s.server_a)
    page = s.server_b.pull(PullRequest(cursor=s.b.cursor, limit=100))
    seqs = [c.seq for c in page.changes]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
    assert {c.case_id for c in page.changes} == {CASE}
    assert seqs == _history(s.server_a)
    assert seqs[: len(history_before)] == history_before
    assert all(seq <= s.b.cursor for seq in history_before)
    assert page.done
    # The next pull brings nothing again.
    again = s.server_b.pull(PullRequest(cursor=page.cursor, limit=100))
    assert again.changes == [] and again.done
    # Editing the linking participant keeps the grant: only the edit comes, no back-fill again.
    s.a.edit(Entity.PARTICIPANT, PARTICIPANT_B, name="Noor Jansen")
    s.a.sync(s.server_a)
    edited = s.server_b.pull(PullRequest(cursor=again.cursor, limit=100))
    assert [(c.entity, c.record_id) for c in edited.changes] == [
        (Entity.PARTICIPANT, PARTICIPANT_B)
    ]
    # The back-filled case is audited as read, like every pulled case.
    with Session(engine) as session:
        reads = session.exec(
            select(AuditEvent.case_id).where(
                col(AuditEvent.route) == "/sync/pull", col(AuditEvent.case_id) == CASE
            )
        ).all()
    assert reads


def test_paging_ends_in_the_same_state_as_a_at_the_head(world: World) -> None:
    s = _make(world)
    s.a.edit(
        Entity.PARTICIPANT, PARTICIPANT_B, role="professional", account_id=str(s.login_b.account_id)
    )
    for i in range(5):
        s.a.edit(AGREEMENT, uuid.UUID(int=200 + i), what=str(i))
    s.a.sync(s.server_a)
    s.b.pull(s.server_b, limit=1)  # every page stops early: the back-fill comes again, harmless
    assert s.b.replica == s.a.replica
    assert s.b.conflicts == []
    after = s.server_b.pull(PullRequest(cursor=s.b.cursor, limit=1))
    assert after.changes == [] and after.done


def test_an_account_never_added_gets_nothing(world: World) -> None:
    s = _make(world)
    # C (with a case of their own) has synced to the head too.
    start = s.other.pull(PullRequest(cursor=0, limit=100))
    assert {c.case_id for c in start.changes} == {OTHER_CASE}
    s.a.edit(
        Entity.PARTICIPANT, PARTICIPANT_B, role="professional", account_id=str(s.login_b.account_id)
    )
    s.a.sync(s.server_a)
    assert s.other.pull(PullRequest(cursor=start.cursor, limit=100)).changes == []
    stranger = _dossier(world, world.member(world.organisation("Vierde")))
    assert stranger.pull(PullRequest(cursor=1, limit=100)).changes == []


def test_a_team_lead_gets_the_back_fill_when_a_team_member_is_added(world: World) -> None:
    s = _make(world, b_team=True)
    lead = _dossier(world, world.member(s.org_b, Role.TEAM_LEAD))
    start = lead.pull(PullRequest(cursor=0, limit=1000))
    assert start.changes == []
    cursor = start.cursor
    s.a.edit(
        Entity.PARTICIPANT, PARTICIPANT_B, role="professional", account_id=str(s.login_b.account_id)
    )
    s.a.sync(s.server_a)
    page = lead.pull(PullRequest(cursor=cursor, limit=1000))
    assert [c.seq for c in page.changes] == _history(s.server_b)
    assert lead.pull(PullRequest(cursor=page.cursor, limit=1000)).changes == []

"""The sync rules of tests/support/fake_dossier.py, against the real server (SQLite and
PostgreSQL), driven by the simulated devices of tests/support/sync_device.py.

Device A (organisation 1) brings the case to the server with the resident's consent and names
the professional of device B (organisation 2) as a participant: a joint dossier across
organisations, as in the Ruwaard.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

import pytest

from sync import engine
from sync.engine import DELETED, EntryState, OutboxEntry
from sync.protocol import Entity, Mutation, Op, Outcome, PullRequest, PushRequest
from tests.integration.server.world import HttpDossier, Login, World
from tests.support.sync_device import CASE, NOW, SimDevice

AGREEMENT = Entity.AGREEMENT
R1, R2 = uuid.UUID(int=11), uuid.UUID(int=12)
PARTICIPANT_B = uuid.UUID(int=21)


@dataclass
class Pair:
    a: SimDevice
    b: SimDevice
    server_a: HttpDossier
    server_b: HttpDossier
    login_a: Login
    login_b: Login


@pytest.fixture
def pair(world: World) -> Pair:
    login_a = world.member(world.organisation("Zorg Oss"))
    login_b = world.member(world.organisation("Woonstichting"))
    a, b = SimDevice(device_id=login_a.device_id), SimDevice(device_id=login_b.device_id)
    server_a, server_b = world.dossier(login_a), world.dossier(login_b)
    a.edit(Entity.CASE, CASE, consent_given=True)
    a.edit(
        Entity.PARTICIPANT, PARTICIPANT_B, role="professional", account_id=str(login_b.account_id)
    )
    a.sync(server_a)
    b.sync(server_b)
    assert a.outbox == [] and b.replica == a.replica
    return Pair(a, b, server_a, server_b, login_a, login_b)


def test_a_resend_is_acknowledged_and_applied_once(pair: Pair) -> None:
    m = pair.a.edit(AGREEMENT, R1, what="Samen de post doorlopen")
    results = [
        pair.server_a.push(PushRequest(device_id=pair.a.device_id, mutations=[m])).results[0]
        for _ in range(5)
    ]
    assert [r.outcome for r in results] == [Outcome.APPLIED] + [Outcome.DUPLICATE] * 4
    assert pair.server_a.apply_count[m.mutation_id] == 1
    pair.a.push(pair.server_a)
    assert pair.a.outbox == [] and m.mutation_id in pair.a.acknowledged


def test_same_id_with_another_payload_is_refused_and_held_back(pair: Pair) -> None:
    a, server = pair.a, pair.server_a
    m = a.edit(AGREEMENT, R1, what="Samen de post doorlopen")
    server.push(PushRequest(device_id=a.device_id, mutations=[m]))
    forged = m.model_copy(update={"fields": {"what": "iets anders"}})
    a.outbox = [OutboxEntry(mutation=forged)]
    a.push(server)
    assert a.outbox[0].state is EntryState.HELD_BACK
    assert a.outbox[0].reason == "mutation_id_reused"
    assert server.state()[(AGREEMENT, R1)] == {"what": "Samen de post doorlopen"}


def test_edits_to_different_fields_merge(pair: Pair) -> None:
    a, b = pair.a, pair.b
    a.edit(AGREEMENT, R1, what="Post doorlopen", due="2026-12-01")
    a.sync(pair.server_a)
    b.sync(pair.server_b)
    a.edit(AGREEMENT, R1, what="Post doorlopen en ordenen")
    b.edit(AGREEMENT, R1, due="2026-12-15")
    a.sync(pair.server_a)
    b.sync(pair.server_b)
    a.sync(pair.server_a)
    expected = {"what": "Post doorlopen en ordenen", "due": "2026-12-15"}
    assert a.replica[(AGREEMENT, R1)] == b.replica[(AGREEMENT, R1)] == expected
    assert a.conflicts == b.conflicts == []


def test_same_field_is_a_conflict_never_a_silent_overwrite(pair: Pair) -> None:
    a, b = pair.a, pair.b
    a.edit(AGREEMENT, R1, what="Post doorlopen")
    a.sync(pair.server_a)
    b.sync(pair.server_b)
    a.edit(AGREEMENT, R1, what="Versie van A")
    b.edit(AGREEMENT, R1, what="Versie van B")
    a.sync(pair.server_a)
    b.sync(pair.server_b)
    assert [(c.field, c.mine, c.theirs) for c in b.conflicts] == [
        ("what", "Versie van B", "Versie van A")
    ]
    assert pair.server_a.state()[(AGREEMENT, R1)]["what"] == "Versie van A"
    b.resolve_all(keep_mine=True)
    b.sync(pair.server_b)
    a.sync(pair.server_a)
    assert a.replica == b.replica == pair.server_a.state()
    assert pair.server_a.state()[(AGREEMENT, R1)]["what"] == "Versie van B"


def test_conflict_found_by_the_server_at_push_time(pair: Pair) -> None:
    a, b = pair.a, pair.b
    a.edit(AGREEMENT, R1, what="begin", note="begin")
    a.sync(pair.server_a)
    b.sync(pair.server_b)
    a.edit(AGREEMENT, R1, what="van A")
    a.sync(pair.server_a)
    b.edit(AGREEMENT, R1, what="van B", note="ook van B")
    b.push(pair.server_b)
    assert [(c.mine, c.theirs) for c in b.conflicts] == [("van B", "van A")]
    assert b.outbox[0].state is EntryState.CONFLICT
    b.resolve_all(keep_mine=False)
    b.sync(pair.server_b)
    assert b.replica == pair.server_b.state() and b.outbox == []
    assert pair.server_b.state()[(AGREEMENT, R1)] == {"what": "van A", "note": "ook van B"}


def test_deleted_on_the_server_while_edited_here(pair: Pair) -> None:
    a, b = pair.a, pair.b
    a.edit(AGREEMENT, R1, what="begin")
    a.sync(pair.server_a)
    b.sync(pair.server_b)
    a.delete(AGREEMENT, R1)
    a.sync(pair.server_a)
    b.edit(AGREEMENT, R1, what="toch nog")
    b.push(pair.server_b)  # pushed without pulling first: the server finds the deletion
    assert [c.field for c in b.conflicts] == [DELETED]
    b.resolve_all(keep_mine=False)
    b.sync(pair.server_b)
    assert (AGREEMENT, R1) not in b.replica and b.outbox == []


def test_deleting_what_someone_else_changed_asks_first(pair: Pair) -> None:
    a, b = pair.a, pair.b
    a.edit(AGREEMENT, R1, what="begin")
    a.sync(pair.server_a)
    b.sync(pair.server_b)
    a.edit(AGREEMENT, R1, what="aangepast")
    a.sync(pair.server_a)
    b.delete(AGREEMENT, R1)
    b.push(pair.server_b)
    assert [(c.field, c.theirs) for c in b.conflicts] == [(DELETED, {"what": "aangepast"})]
    b.resolve_all(keep_mine=False)
    b.sync(pair.server_b)
    assert b.replica == pair.server_b.state()
    assert pair.server_b.state()[(AGREEMENT, R1)] == {"what": "aangepast"}


def test_a_blocked_record_skips_its_later_mutations_in_the_batch(pair: Pair) -> None:
    a, b = pair.a, pair.b
    a.edit(AGREEMENT, R1, what="begin")
    a.sync(pair.server_a)
    b.sync(pair.server_b)
    a.edit(AGREEMENT, R1, what="A")
    a.sync(pair.server_a)
    first = b.edit(AGREEMENT, R1, what="B")
    b.edit(AGREEMENT, R1, note="later")
    other = b.edit(AGREEMENT, R2, what="ander")
    response = pair.server_b.push(
        PushRequest(device_id=b.device_id, mutations=[e.mutation for e in b.outbox])
    )
    assert [(r.mutation_id, r.outcome) for r in response.results] == [
        (first.mutation_id, Outcome.CONFLICT),
        (other.mutation_id, Outcome.APPLIED),
    ]


@pytest.mark.parametrize("seed", range(3))
def test_random_offline_edits_converge(pair: Pair, seed: int) -> None:
    """Both devices edit and delete offline in random order, some responses get lost; after
    healing, both replicas equal the server and every acknowledged save is there exactly once."""
    rng = random.Random(seed)
    devices = [(pair.a, pair.server_a), (pair.b, pair.server_b)]
    records = [uuid.UUID(int=100 + i) for i in range(3)]
    for _step in range(40):
        device, server = rng.choice(devices)
        action = rng.random()
        record = rng.choice(records)
        if action < 0.4:
            name = rng.choice(["what", "due", "note"])
            device.edit(AGREEMENT, record, **{name: rng.choice(["x", "y", "z", ""])})
        elif action < 0.5 and (AGREEMENT, record) in device.replica:
            device.delete(AGREEMENT, record)
        elif action < 0.75:
            device.push(server, lose_response=rng.random() < 0.3)
        elif action < 0.9:
            device.pull(server)
        else:
            device.resolve_all(keep_mine=rng.random() < 0.5)
    for _round in range(12):
        for device, server in devices:
            device.resolve_all(keep_mine=False)
            device.sync(server)
        if all(not d.outbox and not d.conflicts for d, _ in devices):
            break
    for device, server in devices:
        device.pull(server)
    state = pair.server_a.state()
    counts = pair.server_a.apply_count
    assert all(n == 1 for n in counts.values())
    for device, _server in devices:
        assert not device.outbox
        assert device.replica == state
        assert all(counts[m] == 1 for m in device.acknowledged)


# -- consent and authorisation -------------------------------------------------------------------


def _mutation(entity: Entity, record: uuid.UUID, case: uuid.UUID, **fields: object) -> Mutation:
    return Mutation(
        mutation_id=uuid.uuid4(),
        entity=entity,
        record_id=record,
        case_id=case,
        op=Op.UPSERT,
        fields=fields,  # type: ignore[arg-type]
        device_time=NOW,
    )


def test_a_case_without_consent_never_reaches_the_server(world: World) -> None:
    login = world.member(world.organisation())
    server = world.dossier(login)
    case = uuid.uuid4()
    no_consent = _mutation(Entity.CASE, case, case, consent_given=False, stage="contact")
    agreement = _mutation(AGREEMENT, uuid.uuid4(), case, what="x")
    response = server.push(
        PushRequest(device_id=login.device_id, mutations=[no_consent, agreement])
    )
    assert [(r.outcome, r.reason) for r in response.results] == [
        (Outcome.REJECTED, "no_consent"),
        (Outcome.REJECTED, "no_consent"),
    ]
    assert server.state() == {}
    # Consent given: the case arrives; withdrawn: later changes are held back again.
    consent = _mutation(Entity.CASE, case, case, consent_given=True)
    withdraw = _mutation(Entity.CASE, case, case, consent_given=False)
    after = _mutation(AGREEMENT, uuid.uuid4(), case, what="y")
    response = server.push(
        PushRequest(device_id=login.device_id, mutations=[consent, agreement, withdraw, after])
    )
    assert [(r.outcome, r.reason) for r in response.results] == [
        (Outcome.APPLIED, None),
        (Outcome.APPLIED, None),
        (Outcome.APPLIED, None),
        (Outcome.REJECTED, "no_consent"),
    ]


def test_consent_given_later_in_the_batch_lets_the_whole_case_in(world: World) -> None:
    """The device queued the case from first contact on; consent came later. One batch."""
    login = world.member(world.organisation())
    server = world.dossier(login)
    case, agreement = uuid.uuid4(), uuid.uuid4()
    batch = [
        _mutation(Entity.CASE, case, case, consent_given=None, stage="contact"),
        _mutation(AGREEMENT, agreement, case, what="Boodschappen"),
        _mutation(Entity.CASE, case, case, consent_given=True),
    ]
    response = server.push(PushRequest(device_id=login.device_id, mutations=batch))
    assert [r.outcome for r in response.results] == [Outcome.APPLIED] * 3
    assert server.state()[(Entity.CASE, case)] == {"consent_given": True, "stage": "contact"}
    # A batch that ends without consent brings nothing, in whatever order.
    other = uuid.uuid4()
    batch = [
        _mutation(Entity.CASE, other, other, consent_given=True),
        _mutation(AGREEMENT, uuid.uuid4(), other, what="x"),
        _mutation(Entity.CASE, other, other, consent_given=False),
        _mutation(AGREEMENT, uuid.uuid4(), other, what="y"),
    ]
    response = server.push(PushRequest(device_id=login.device_id, mutations=batch))
    assert [(r.outcome, r.reason) for r in response.results] == [
        (Outcome.APPLIED, None),
        (Outcome.APPLIED, None),
        (Outcome.APPLIED, None),
        (Outcome.REJECTED, "no_consent"),
    ]
    # Consent promised but its upsert refused: the batch is judged again without the promise.
    third = uuid.uuid4()
    batch = [
        _mutation(AGREEMENT, uuid.uuid4(), third, what="z"),
        _mutation(Entity.CASE, third, third, consent_given="ja"),
        _mutation(Entity.CASE, third, third, consent_given=True),
    ]
    response = server.push(PushRequest(device_id=login.device_id, mutations=batch))
    assert [(r.outcome, r.reason) for r in response.results] == [
        (Outcome.REJECTED, "no_consent"),
        (Outcome.REJECTED, "invalid_consent"),
    ]
    assert not [k for k in server.state() if k[1] == third]


def test_only_members_change_and_see_a_case(world: World, pair: Pair) -> None:
    org = world.organisation("Derde")
    stranger = world.member(org)
    server = world.dossier(stranger)
    m = _mutation(AGREEMENT, uuid.uuid4(), CASE, what="ingebroken")
    response = server.push(PushRequest(device_id=stranger.device_id, mutations=[m]))
    assert [(r.outcome, r.reason) for r in response.results] == [
        (Outcome.REJECTED, "not_authorised")
    ]
    page = server.pull(PullRequest(cursor=0, limit=100))
    assert page.changes == [] and page.done
    # Moving a record into a case one may change is refused too.
    own_case = uuid.uuid4()
    server.push(
        PushRequest(
            device_id=stranger.device_id,
            mutations=[_mutation(Entity.CASE, own_case, own_case, consent_given=True)],
        )
    )
    steal = _mutation(Entity.PARTICIPANT, PARTICIPANT_B, own_case, account_id=None)
    response = server.push(PushRequest(device_id=stranger.device_id, mutations=[steal]))
    assert [(r.outcome, r.reason) for r in response.results] == [
        (Outcome.REJECTED, "case_mismatch")
    ]


@pytest.mark.parametrize(
    "how",
    ["marked removed, account cleared", "marked removed, account kept", "deleted"],
)
def test_removing_a_participant_ends_their_access(pair: Pair, how: str) -> None:
    """The app marks someone removed and clears the account; a merge with another tablet's edit
    may leave the account on; tablets before the ``removed_on`` field deleted the record."""
    if how == "deleted":
        pair.a.delete(Entity.PARTICIPANT, PARTICIPANT_B)
    elif how == "marked removed, account kept":
        pair.a.edit(Entity.PARTICIPANT, PARTICIPANT_B, removed_on="2026-12-03")
    else:
        pair.a.edit(Entity.PARTICIPANT, PARTICIPANT_B, removed_on="2026-12-03", account_id=None)
    pair.a.sync(pair.server_a)
    m = pair.b.edit(AGREEMENT, R1, what="na afloop")
    pair.b.push(pair.server_b)
    assert pair.b.outbox[0].mutation == m
    assert (pair.b.outbox[0].state, pair.b.outbox[0].reason) == (
        EntryState.HELD_BACK,
        "not_authorised",
    )


def test_pull_pages_by_sequence_with_cursor_and_done(pair: Pair) -> None:
    for i in range(7):
        pair.a.edit(AGREEMENT, uuid.UUID(int=200 + i), what=str(i))
    pair.a.sync(pair.server_a)
    cursor, seen, pages = 0, [], 0
    while True:
        page = pair.server_b.pull(PullRequest(cursor=cursor, limit=3))
        seen += [c.seq for c in page.changes]
        cursor, pages = page.cursor, pages + 1
        if page.done:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 9
    assert pages == 3
    assert engine.next_push(pair.b.outbox) == []

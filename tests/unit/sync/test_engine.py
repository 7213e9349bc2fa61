"""The sans-I/O sync engine, against an in-memory dossier with the server's rules."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from sync import engine
from sync.engine import DELETED, EntryState, OutboxEntry
from sync.protocol import (
    Change,
    Entity,
    MutationResult,
    Op,
    Outcome,
    PullResponse,
    PushRequest,
    PushResponse,
)
from tests.support.fake_dossier import FakeDossier
from tests.support.sync_device import SimDevice

AGREEMENT = Entity.AGREEMENT
R1, R2 = uuid.UUID(int=11), uuid.UUID(int=12)


def test_push_is_oldest_first_and_never_jumps_a_blocked_record() -> None:
    d = SimDevice()
    a1 = d.edit(AGREEMENT, R1, what="eerste")
    d.edit(AGREEMENT, R1, what="tweede")
    b1 = d.edit(AGREEMENT, R2, what="ander")
    d.outbox[0] = OutboxEntry(mutation=a1, state=EntryState.HELD_BACK, reason="no_consent")
    assert engine.next_push(d.outbox) == [b1]


def test_a_resend_is_acknowledged_and_applied_once() -> None:
    server, d = FakeDossier(), SimDevice()
    m = d.edit(AGREEMENT, R1, what="Samen de post doorlopen")
    for _ in range(50):
        server.push(PushRequest(device_id=d.device_id, mutations=[m]))
    assert server.apply_count[m.mutation_id] == 1
    d.push(server)
    assert d.outbox == [] and m.mutation_id in d.acknowledged


def test_same_id_with_another_payload_is_refused_and_held_back() -> None:
    server, d = FakeDossier(), SimDevice()
    m = d.edit(AGREEMENT, R1, what="Samen de post doorlopen")
    server.push(PushRequest(device_id=d.device_id, mutations=[m]))
    forged = m.model_copy(update={"fields": {"what": "iets anders"}})
    d.outbox = [OutboxEntry(mutation=forged)]
    d.push(server)
    assert d.outbox[0].state is EntryState.HELD_BACK
    assert d.outbox[0].reason == "mutation_id_reused"
    assert server.state()[(AGREEMENT, R1)] == {"what": "Samen de post doorlopen"}
    # Held back, not dropped: still there, and retry puts it back in line.
    assert engine.retry(d.outbox, forged.mutation_id)[0].state is EntryState.WAITING


def test_a_result_missing_from_the_response_waits_for_the_next_round() -> None:
    d = SimDevice()
    m = d.edit(AGREEMENT, R1, what="x")
    outcome = engine.read_push_response([m], PushResponse(results=[]))
    assert engine.apply_push_outcome(d.outbox, outcome) == d.outbox
    stranger = MutationResult(mutation_id=uuid.uuid4(), outcome=Outcome.APPLIED, server_seq=1)
    outcome = engine.read_push_response([m], PushResponse(results=[stranger]))
    assert outcome.acknowledged == frozenset()


def test_edits_to_different_fields_merge() -> None:
    server, a, b = FakeDossier(), SimDevice(), SimDevice()
    a.edit(AGREEMENT, R1, what="Post doorlopen", due="2026-12-01")
    a.sync(server)
    b.sync(server)
    a.edit(AGREEMENT, R1, what="Post doorlopen en ordenen")
    b.edit(AGREEMENT, R1, due="2026-12-15")
    a.sync(server)
    b.sync(server)
    a.sync(server)
    expected = {"what": "Post doorlopen en ordenen", "due": "2026-12-15"}
    assert a.replica[(AGREEMENT, R1)] == b.replica[(AGREEMENT, R1)] == expected
    assert a.conflicts == b.conflicts == []


def test_same_field_is_a_conflict_never_a_silent_overwrite() -> None:
    server, a, b = FakeDossier(), SimDevice(), SimDevice()
    a.edit(AGREEMENT, R1, what="Post doorlopen")
    a.sync(server)
    b.sync(server)
    a.edit(AGREEMENT, R1, what="Versie van A")
    b.edit(AGREEMENT, R1, what="Versie van B")
    a.sync(server)
    b.sync(server)  # pulls A's edit: conflict with its own unsent value
    assert [(c.field, c.mine, c.theirs) for c in b.conflicts] == [
        ("what", "Versie van B", "Versie van A")
    ]
    assert b.replica[(AGREEMENT, R1)]["what"] == "Versie van B"  # kept until B chooses
    assert server.state()[(AGREEMENT, R1)]["what"] == "Versie van A"

    b.resolve_all(keep_mine=True)
    b.sync(server)
    a.sync(server)
    assert a.replica == b.replica == server.state()
    assert server.state()[(AGREEMENT, R1)]["what"] == "Versie van B"


@pytest.mark.parametrize("page", [3, 1])  # both changes on one page, or on two
def test_a_question_goes_away_when_the_newest_server_value_is_mine(page: int) -> None:
    """Found by the stateful test on the real stack: A changes a text twice, B changes it to
    A's last words. B pulls A's first change (a conflict) and then the second (the same value as
    B's): no question is left, and B must not be able to take A's first, stale text."""
    server, a, b = FakeDossier(), SimDevice(), SimDevice()
    a.edit(AGREEMENT, R1, what="begin")
    a.sync(server)
    b.sync(server)
    a.edit(AGREEMENT, R1, what="Iets anders.")
    a.edit(AGREEMENT, R1, what="Wandelclubje.")
    a.sync(server)
    b.edit(AGREEMENT, R1, what="Wandelclubje.", note="Boodschappen")
    b.pull(server, limit=page)
    assert b.conflicts == []
    assert [e.state for e in b.outbox] == [EntryState.WAITING]
    b.sync(server)
    a.sync(server)
    assert b.outbox == [] and b.conflicts == []
    assert a.replica == b.replica == server.state()
    assert server.state()[(AGREEMENT, R1)] == {"what": "Wandelclubje.", "note": "Boodschappen"}


def test_a_question_stays_while_another_field_of_the_change_still_differs() -> None:
    server, a, b = FakeDossier(), SimDevice(), SimDevice()
    a.edit(AGREEMENT, R1, what="begin", note="")
    a.sync(server)
    b.sync(server)
    a.edit(AGREEMENT, R1, what="van A", note="notitie van A")
    a.edit(AGREEMENT, R1, what="samen")
    a.sync(server)
    b.edit(AGREEMENT, R1, what="samen", note="notitie van B")
    b.pull(server, limit=1)
    assert [(c.field, c.mine, c.theirs) for c in b.conflicts] == [
        ("note", "notitie van B", "notitie van A")
    ]
    assert [e.state for e in b.outbox] == [EntryState.CONFLICT]


@pytest.mark.parametrize("keep_mine", [False, True])
def test_older_values_of_a_field_in_question_wait_with_the_newest(keep_mine: bool) -> None:
    """Found by the stateful test on the real stack: B changed a note three times offline, A
    once. B's question is about its newest note; its two older notes must not go out meanwhile
    (they would change the server under the question, and "take theirs" then wrote a value the
    server no longer had)."""
    server, a, b = FakeDossier(), SimDevice(), SimDevice()
    a.edit(AGREEMENT, R1, note="begin")
    a.sync(server)
    b.sync(server)
    b.edit(AGREEMENT, R1, note="Wandelclubje.")
    b.edit(AGREEMENT, R1, note="")
    b.edit(AGREEMENT, R1, note="Boodschappen")
    a.edit(AGREEMENT, R1, note="Wandelclubje.")
    a.sync(server)
    b.sync(server)
    assert [(c.field, c.mine, c.theirs) for c in b.conflicts] == [
        ("note", "Boodschappen", "Wandelclubje.")
    ]
    assert [e.state for e in b.outbox] == [EntryState.CONFLICT] * 3
    assert server.state()[(AGREEMENT, R1)] == {"note": "Wandelclubje."}
    b.resolve_all(keep_mine=keep_mine)
    b.sync(server)
    a.sync(server)
    assert b.outbox == [] and b.conflicts == []
    assert a.replica == b.replica == server.state()
    expected = "Boodschappen" if keep_mine else "Wandelclubje."
    assert server.state()[(AGREEMENT, R1)] == {"note": expected}


def test_the_spec_keeps_a_devices_newer_edit_when_its_older_batch_arrives_last() -> None:
    """The executable spec follows the server's device_seq rule (test_batches_reordered.py runs
    the same against the real server): older fields are superseded, the rest applies."""
    server, a = FakeDossier(), SimDevice()
    first = a.edit(AGREEMENT, R1, what="oud", note="notitie")
    second = a.edit(AGREEMENT, R1, what="nieuw")
    later = server.push(PushRequest(device_id=a.device_id, mutations=[second]))
    earlier = server.push(PushRequest(device_id=a.device_id, mutations=[first]))
    assert [r.outcome for r in later.results + earlier.results] == [Outcome.APPLIED] * 2
    assert server.state()[(AGREEMENT, R1)] == {"what": "nieuw", "note": "notitie"}
    again = server.push(PushRequest(device_id=a.device_id, mutations=[first]))
    assert [r.outcome for r in again.results] == [Outcome.DUPLICATE]  # digest of what was sent
    only_what = a.edit(AGREEMENT, R1, what="nog ouder")
    newest = a.edit(AGREEMENT, R1, what="nieuwst")
    server.push(PushRequest(device_id=a.device_id, mutations=[newest]))
    late = server.push(PushRequest(device_id=a.device_id, mutations=[only_what]))
    assert [r.outcome for r in late.results] == [Outcome.SUPERSEDED]
    assert server.state()[(AGREEMENT, R1)]["what"] == "nieuwst"


def test_taking_theirs_for_a_field_of_a_record_deleted_here_writes_nothing() -> None:
    """Found by the stateful test (a pulled write it could not apply): B edited a field, then
    deleted the record; the question about the field is answered with the server's value. There
    is no record here to write it into: the deletion goes out, and the server asks about that."""
    server, a, b = FakeDossier(), SimDevice(), SimDevice()
    a.edit(AGREEMENT, R1, what="begin", note="notitie")
    a.sync(server)
    b.sync(server)
    a.edit(AGREEMENT, R1, what="van A")
    a.sync(server)
    b.edit(AGREEMENT, R1, what="van B")
    b.delete(AGREEMENT, R1)
    b.push(server)
    [question] = b.conflicts
    resolution = engine.resolve(b.outbox, question, keep_mine=False)
    assert resolution.local_write is None
    assert [e.mutation.op for e in resolution.outbox] == [Op.DELETE]
    b.outbox, b.conflicts = resolution.outbox, []
    b.sync(server)
    assert [c.field for c in b.conflicts] == [DELETED]  # they changed what B deleted
    b.resolve_all(keep_mine=True)
    b.sync(server)
    a.sync(server)
    assert a.replica == b.replica == server.state() == {}


def test_conflict_found_by_the_server_at_push_time() -> None:
    """B pushes without pulling first: the server's per-field check catches it."""
    server, a, b = FakeDossier(), SimDevice(), SimDevice()
    a.edit(AGREEMENT, R1, what="begin")
    a.sync(server)
    b.sync(server)
    a.edit(AGREEMENT, R1, what="van A")
    a.sync(server)
    b.edit(AGREEMENT, R1, what="van B")
    b.push(server)
    assert [(c.mine, c.theirs) for c in b.conflicts] == [("van B", "van A")]
    assert b.outbox[0].state is EntryState.CONFLICT
    b.resolve_all(keep_mine=False)
    b.sync(server)
    assert b.replica == server.state() and b.outbox == []


def test_keeping_one_field_does_not_decide_the_others() -> None:
    server, a, b = FakeDossier(), SimDevice(), SimDevice()
    a.edit(AGREEMENT, R1, what="begin", note="begin")
    a.sync(server)
    b.sync(server)
    a.edit(AGREEMENT, R1, what="A", note="A")
    a.sync(server)
    b.edit(AGREEMENT, R1, what="B", note="B")
    b.push(server)
    what = next(c for c in b.conflicts if c.field == "what")
    result = engine.resolve(b.outbox, what, keep_mine=True)
    b.outbox, b.conflicts = result.outbox, []
    b.push(server)
    b.push(server)
    assert server.state()[(AGREEMENT, R1)] == {"what": "B", "note": "A"}
    assert [c.field for c in b.conflicts] == ["note"]  # asked again, not silently overwritten


def test_keeping_two_fields_of_one_mutation_one_after_the_other() -> None:
    """The second choice still finds its value after the first split the mutation."""
    server, a, b = FakeDossier(), SimDevice(), SimDevice()
    a.edit(AGREEMENT, R1, what="begin", note="begin")
    a.sync(server)
    b.sync(server)
    a.edit(AGREEMENT, R1, what="A", note="A")
    a.sync(server)
    b.edit(AGREEMENT, R1, what="B", note="B")
    b.push(server)
    assert {c.field for c in b.conflicts} == {"what", "note"}
    for conflict in list(b.conflicts):
        b.outbox = engine.resolve(b.outbox, conflict, keep_mine=True).outbox
    b.conflicts = []
    b.sync(server)
    assert server.state()[(AGREEMENT, R1)] == {"what": "B", "note": "B"}


def test_deleted_on_the_server_while_edited_here() -> None:
    server, a, b = FakeDossier(), SimDevice(), SimDevice()
    a.edit(AGREEMENT, R1, what="begin")
    a.sync(server)
    b.sync(server)
    a.delete(AGREEMENT, R1)
    a.sync(server)
    b.edit(AGREEMENT, R1, what="toch nog")
    b.pull(server)
    assert [c.field for c in b.conflicts] == [DELETED]
    b.resolve_all(keep_mine=False)
    b.sync(server)
    assert (AGREEMENT, R1) not in b.replica and b.outbox == []


def test_deleting_what_someone_else_changed_asks_first() -> None:
    server, a, b = FakeDossier(), SimDevice(), SimDevice()
    a.edit(AGREEMENT, R1, what="begin")
    a.sync(server)
    b.sync(server)
    a.edit(AGREEMENT, R1, what="aangepast")
    a.sync(server)
    b.delete(AGREEMENT, R1)
    b.push(server)
    assert [(c.field, c.theirs) for c in b.conflicts] == [(DELETED, {"what": "aangepast"})]
    b.resolve_all(keep_mine=False)  # keep the record: restored locally from the server's copy
    b.sync(server)
    assert b.replica == server.state() == {(AGREEMENT, R1): {"what": "aangepast"}}


def test_deleted_and_made_again_elsewhere_while_edited_here() -> None:
    """Found by the state machine: the deletion still applies under the re-created record."""
    server, a, b = FakeDossier(), SimDevice(), SimDevice()
    a.edit(AGREEMENT, R1, what="eerst")
    a.delete(AGREEMENT, R1)
    a.edit(AGREEMENT, R1, due="2026-12-01")
    b.edit(AGREEMENT, R1, due="2026-12-01")
    a.sync(server)
    b.sync(server)
    a.sync(server)
    assert a.replica == b.replica == server.state() == {(AGREEMENT, R1): {"due": "2026-12-01"}}


class Convergence(RuleBasedStateMachine):
    """Devices edit offline and sync in any order, some responses get lost; in the end every
    replica equals the server, and every acknowledged save is on the server exactly once."""

    def __init__(self) -> None:
        super().__init__()
        self.server = FakeDossier()
        self.devices = [SimDevice() for _ in range(3)]
        self.records = [uuid.UUID(int=100 + i) for i in range(3)]

    @rule(
        d=st.integers(0, 2),
        r=st.integers(0, 2),
        name=st.sampled_from(["what", "due", "note"]),
        value=st.text(max_size=3),
    )
    def edit(self, d: int, r: int, name: str, value: str) -> None:
        self.devices[d].edit(AGREEMENT, self.records[r], **{name: value})

    @rule(d=st.integers(0, 2), r=st.integers(0, 2))
    def delete(self, d: int, r: int) -> None:
        if (AGREEMENT, self.records[r]) in self.devices[d].replica:
            self.devices[d].delete(AGREEMENT, self.records[r])

    @rule(d=st.integers(0, 2), lose=st.booleans())
    def push(self, d: int, lose: bool) -> None:
        self.devices[d].push(self.server, lose_response=lose)

    @rule(d=st.integers(0, 2))
    def pull(self, d: int) -> None:
        self.devices[d].pull(self.server)

    @rule(d=st.integers(0, 2), keep=st.booleans())
    def resolve(self, d: int, keep: bool) -> None:
        self.devices[d].resolve_all(keep_mine=keep)

    @invariant()
    def applied_at_most_once(self) -> None:
        assert all(n == 1 for n in self.server.apply_count.values())

    @precondition(lambda self: True)
    @rule()
    def heal_and_converge(self) -> None:
        for _round in range(12):
            for device in self.devices:
                device.resolve_all(keep_mine=False)
                device.sync(self.server)
            if all(not d.outbox and not d.conflicts for d in self.devices):
                break
        for device in self.devices:
            device.pull(self.server)
        assert all(not d.outbox for d in self.devices)
        for device in self.devices:
            assert device.replica == self.server.state()
            for mutation_id in device.acknowledged:
                assert self.server.apply_count.get(mutation_id) == 1


Convergence.TestCase.settings = settings(max_examples=300, stateful_step_count=30, deadline=None)
TestConvergence = Convergence.TestCase


def test_superseded_is_acknowledged_neither_held_back_nor_a_conflict() -> None:
    """The server already holds a newer edit of this device: the older one leaves the outbox."""
    d = SimDevice()
    older = d.edit(AGREEMENT, R1, what="eerste")
    newer = d.edit(AGREEMENT, R1, what="tweede")
    assert (older.device_seq, newer.device_seq) == (1, 2)
    response = PushResponse(
        results=[
            MutationResult(mutation_id=older.mutation_id, outcome=Outcome.SUPERSEDED, server_seq=9),
            MutationResult(mutation_id=newer.mutation_id, outcome=Outcome.APPLIED, server_seq=9),
        ]
    )
    outcome = engine.read_push_response([older, newer], response)
    assert outcome.acknowledged == {older.mutation_id, newer.mutation_id}
    assert not outcome.held_back and not outcome.conflicts and not outcome.rebased
    assert engine.apply_push_outcome(d.outbox, outcome) == []


# -- an upsert that a later change on the same page deletes ------------------------------------


def _change(seq: int, op: Op, device: uuid.UUID, **fields: str) -> Change:
    return Change(
        seq=seq,
        entity=AGREEMENT,
        record_id=R1,
        case_id=R2,
        op=op,
        fields=dict(fields),
        origin_device=device,
        mutation_id=uuid.uuid4(),
        server_time=datetime(2026, 12, 3, 9, 0, tzinfo=UTC),
    )


def _ops(plan: engine.PullPlan) -> list[tuple[Op, int]]:
    return [(w.op, w.server_seq) for w in plan.writes]


@pytest.mark.parametrize("own", [True, False])
def test_an_upsert_deleted_later_on_the_page_is_not_written(own: bool) -> None:
    # A tablet that sent an edit and then the deletion gets its own edit back for a record it no
    # longer has: writing it could only fail (a record with one field), and the deletion follows.
    device = uuid.uuid4()
    origin = device if own else uuid.uuid4()
    page = PullResponse(
        changes=[
            _change(1, Op.UPSERT, origin, what="Samen de post doorlopen"),
            _change(2, Op.DELETE, origin),
        ],
        cursor=2,
        done=True,
    )
    plan = engine.plan_pull(page, [], own_device=device)
    assert _ops(plan) == [(Op.DELETE, 2)] and plan.conflicts == ()


def test_a_record_made_again_after_its_deletion_keeps_the_newer_upsert() -> None:
    device, other = uuid.uuid4(), uuid.uuid4()
    page = PullResponse(
        changes=[
            _change(1, Op.UPSERT, other, what="eerst"),
            _change(2, Op.DELETE, other),
            _change(3, Op.UPSERT, other, what="opnieuw"),
        ],
        cursor=3,
        done=True,
    )
    plan = engine.plan_pull(page, [], own_device=device)
    assert _ops(plan) == [(Op.DELETE, 2), (Op.UPSERT, 3)]
    assert plan.writes[1].fields == {"what": "opnieuw"}


def test_an_upsert_deleted_later_still_counts_when_edited_here() -> None:
    # Unsent edits of the record here: the page is planned change by change as before, so the
    # deletion asks about the edits (the question, not the upsert, is what matters).
    d = SimDevice()
    d.edit(AGREEMENT, R1, what="hier aangepast")
    other = uuid.uuid4()
    page = PullResponse(
        changes=[_change(1, Op.UPSERT, other, what="daar"), _change(2, Op.DELETE, other)],
        cursor=2,
        done=True,
    )
    plan = engine.plan_pull(page, d.outbox, own_device=d.device_id)
    assert [c.field for c in plan.conflicts] == [DELETED]
    assert _ops(plan) == [(Op.UPSERT, 1)]  # "what" stays ours: nothing written for it
    assert plan.writes[0].fields == {} and not plan.writes[0].advances_base

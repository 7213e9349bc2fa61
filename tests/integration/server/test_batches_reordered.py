"""One device's push batches arriving out of order (SQLite and PostgreSQL).

How batches can overtake each other: the app pushes one batch at a time, and a batch always holds
every earlier mutation that was not yet acknowledged, oldest first (``sync.engine.next_push``,
``sync.cycle.push_all``). So a later batch never arrives *without* the mutations it builds on: when
a push times out (its request stuck in a proxy, or waiting for the sync lock) or its answer is
lost, the retry carries the earlier mutations again, plus the newer ones. If the retry arrives
first, it applies everything in the device's order, and the delayed original, arriving last, is
acknowledged as DUPLICATE and changes nothing. The rule that makes this safe is the protocol's
idempotency: a (device, mutation id) is applied once.

The correct outcome, checked here: nothing lost, nothing applied twice, no sequence number spent
by the late batch, and the final state equal to in-order delivery, on the server and on the device.
A later batch sent *alone*, before an earlier one that is still unacknowledged (a client that
pipelined its pushes), is ordered by ``Mutation.device_seq``, the device's own number of each
change: per field, the newest value from the same device wins (server/sync_push.py). The older
batch is acknowledged, APPLIED for the fields nothing newer holds and SUPERSEDED when nothing of it
applies, and audited as such. Mutations without a number (older clients) keep the order of
arrival, as before.
"""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, func, select

from server.models.audit import AuditEvent
from server.models.dossier import ChangeRow
from sync import engine
from sync.protocol import Entity, Mutation, Outcome, PushRequest, PushResponse
from tests.integration.server.world import HttpDossier, Login, World
from tests.support.sync_device import CASE, SimDevice

AGREEMENT = Entity.AGREEMENT
RECORD = uuid.UUID(int=31)


def _device(world: World) -> tuple[SimDevice, HttpDossier, Login]:
    login = world.member(world.organisation())
    device, server = SimDevice(device_id=login.device_id), world.dossier(login)
    device.edit(Entity.CASE, CASE, consent_given=True, stage="contact")
    device.sync(server)
    assert device.outbox == []
    return device, server, login


def _send(device: SimDevice, server: HttpDossier, batch: list[Mutation]) -> PushResponse:
    """Deliver a batch and let the device read the answer, as the app does."""
    response = server.push(PushRequest(device_id=device.device_id, mutations=batch))
    outcome = engine.read_push_response(batch, response)
    device.acknowledged |= outcome.acknowledged
    device.outbox = engine.apply_push_outcome(device.outbox, outcome)
    return response


def _last_seq(server: HttpDossier) -> int:
    with Session(server.engine) as session:
        return session.exec(select(func.max(col(ChangeRow.seq)))).one() or 0


def _check_as_in_order(device: SimDevice, server: HttpDossier) -> None:
    expected = {
        (Entity.CASE, CASE): {"consent_given": True, "stage": "uitvoering"},
        (AGREEMENT, RECORD): {"what": "Post ordenen", "due": "2026-12-01"},
    }
    assert server.state() == expected
    assert all(n == 1 for n in server.apply_count.values())
    device.pull(server)
    assert device.outbox == [] and device.conflicts == []
    assert device.replica == expected


def test_a_retry_overtaking_its_delayed_original(world: World) -> None:
    device, server, _login = _device(world)
    # Batch 1: the agreement is made and the case moves on; the request gets stuck on its way.
    created = device.edit(AGREEMENT, RECORD, what="Post doorlopen", due="2026-12-01")
    device.edit(Entity.CASE, CASE, stage="plan")
    first = engine.next_push(device.outbox)
    # Meanwhile the agreement is edited and the case moves on again. The app's push timed out,
    # so the retry (batch 2) carries batch 1's mutations again, before the new ones.
    edited = device.edit(AGREEMENT, RECORD, what="Post ordenen")
    device.edit(Entity.CASE, CASE, stage="uitvoering")
    second = engine.next_push(device.outbox)
    assert second[: len(first)] == first and len(second) == 4
    assert created.base_seq is None and edited.base_seq is None

    response = _send(device, server, second)  # batch 2 arrives first
    assert [r.outcome for r in response.results] == [Outcome.APPLIED] * 4
    seq = _last_seq(server)
    late = _send(device, server, first)  # then the stuck batch 1
    assert [r.outcome for r in late.results] == [Outcome.DUPLICATE] * 2
    # Each duplicate names the seq its first delivery got: batch 2's first two.
    assert [r.server_seq for r in late.results] == [r.server_seq for r in response.results[:2]]
    assert _last_seq(server) == seq, "the late batch spent no sequence number"
    _check_as_in_order(device, server)


def test_an_edit_based_on_batch_one_arrives_before_batch_one_again(world: World) -> None:
    """Batch 1 is applied but its answer is lost; the device pulls (its own change comes back,
    so its next edit is based on batch 1's version), edits, and pushes batch 2, which carries
    batch 1 again. A copy of batch 1 (a proxy's retry) arrives after batch 2."""
    device, server, _login = _device(world)
    device.edit(AGREEMENT, RECORD, what="Post doorlopen", due="2026-12-01")
    device.edit(Entity.CASE, CASE, stage="plan")
    first = engine.next_push(device.outbox)
    applied = server.push(PushRequest(device_id=device.device_id, mutations=first))
    assert [r.outcome for r in applied.results] == [Outcome.APPLIED] * 2  # the answer is lost
    device.pull(server)
    assert device.conflicts == [] and len(device.outbox) == 2  # not acknowledged yet
    edited = device.edit(AGREEMENT, RECORD, what="Post ordenen")
    device.edit(Entity.CASE, CASE, stage="uitvoering")
    assert edited.base_seq == applied.results[0].server_seq  # based on batch 1's version
    second = engine.next_push(device.outbox)
    assert second[:2] == first and len(second) == 4

    response = _send(device, server, second)
    assert [r.outcome for r in response.results] == [
        Outcome.DUPLICATE,
        Outcome.DUPLICATE,
        Outcome.APPLIED,
        Outcome.APPLIED,
    ]
    seq = _last_seq(server)
    late = server.push(PushRequest(device_id=device.device_id, mutations=first))
    assert [r.outcome for r in late.results] == [Outcome.DUPLICATE] * 2
    assert _last_seq(server) == seq
    _check_as_in_order(device, server)


def test_the_case_s_later_edits_in_a_retry_before_its_earlier_ones(world: World) -> None:
    """Three rounds of case edits; the first two pushes get stuck and arrive last, newest first."""
    device, server, _login = _device(world)
    device.edit(Entity.CASE, CASE, stage="plan")
    first = engine.next_push(device.outbox)
    device.edit(AGREEMENT, RECORD, what="Post doorlopen", due="2026-12-01")
    second = engine.next_push(device.outbox)
    device.edit(AGREEMENT, RECORD, what="Post ordenen")
    device.edit(Entity.CASE, CASE, stage="uitvoering")
    third = engine.next_push(device.outbox)
    assert third[: len(second)] == second and second[: len(first)] == first

    assert {r.outcome for r in _send(device, server, third).results} == {Outcome.APPLIED}
    seq = _last_seq(server)
    for stuck in (second, first):
        late = _send(device, server, stuck)
        assert [r.outcome for r in late.results] == [Outcome.DUPLICATE] * len(stuck)
    assert _last_seq(server) == seq
    _check_as_in_order(device, server)


def test_a_later_batch_sent_alone_first(world: World) -> None:
    device, server, _login = _device(world)
    device.edit(AGREEMENT, RECORD, what="Post doorlopen", due="2026-12-01")
    device.edit(Entity.CASE, CASE, stage="plan")
    first = engine.next_push(device.outbox)
    device.edit(AGREEMENT, RECORD, what="Post ordenen")
    device.edit(Entity.CASE, CASE, stage="uitvoering")
    later = engine.next_push(device.outbox)[len(first) :]
    seq = _last_seq(server)
    assert _outcomes(_send(device, server, later)) == [Outcome.APPLIED] * 2  # batch 2 alone
    assert _last_seq(server) == seq + 2
    # Batch 1 late: the agreement's due day applies, its older "what" does not; the case's older
    # stage is replaced as a whole. Both are acknowledged, neither is a conflict.
    late = _send(device, server, first)
    assert _outcomes(late) == [Outcome.APPLIED, Outcome.SUPERSEDED]
    assert late.results[1].server_seq == seq + 2  # the case as batch 2 left it
    assert _last_seq(server) == seq + 3, "one seq for the due day, none for the superseded one"
    with Session(server.engine) as session:
        logged = session.exec(
            select(ChangeRow.fields).where(ChangeRow.mutation_id == first[0].mutation_id)
        ).one()
    assert logged == {"due": "2026-12-01"}, "other devices pull only what was applied"
    assert _audited(server, first) == [
        ("update", "success", "partly_superseded"),  # the record exists on the server
        ("update", "superseded", "newer_from_device"),
    ]
    _check_as_in_order(device, server)
    again = server.push(PushRequest(device_id=device.device_id, mutations=first))
    assert _outcomes(again) == [Outcome.DUPLICATE] * 2, "a resend is recognised by its id"
    assert _last_seq(server) == seq + 3


def test_the_same_device_s_later_batches_in_reverse(world: World) -> None:
    """Four batches, one edit each, arriving newest first."""
    device, server, _login = _device(world)
    device.edit(AGREEMENT, RECORD, what="Post doorlopen", due="2026-11-01")
    device.edit(AGREEMENT, RECORD, due="2026-12-01")
    device.edit(AGREEMENT, RECORD, what="Post ordenen")
    device.edit(Entity.CASE, CASE, stage="uitvoering")
    batches = [[m] for m in engine.next_push(device.outbox)]
    outcomes = [_outcomes(_send(device, server, b)) for b in reversed(batches)]
    assert outcomes == [[Outcome.APPLIED]] * 3 + [[Outcome.SUPERSEDED]]
    _check_as_in_order(device, server)


def test_an_edit_arriving_after_the_same_device_s_deletion_stays_deleted(world: World) -> None:
    device, server, _login = _device(world)
    device.edit(AGREEMENT, RECORD, what="Post doorlopen", due="2026-12-01")
    device.sync(server)
    edit = device.edit(AGREEMENT, RECORD, what="Post ordenen")
    deletion = device.delete(AGREEMENT, RECORD)
    assert _outcomes(_send(device, server, [deletion])) == [Outcome.APPLIED]
    assert _outcomes(_send(device, server, [edit])) == [Outcome.SUPERSEDED]
    assert (AGREEMENT, RECORD) not in server.state()
    device.pull(server)
    assert device.outbox == [] and device.conflicts == []
    assert device.replica == server.state()


def test_a_deletion_arriving_after_the_same_device_made_the_record_again(world: World) -> None:
    """Decided in server/sync_push.py: the device's newer edit stands, the older deletion is
    acknowledged without being applied (applying it would throw the newer edit away)."""
    device, server, _login = _device(world)
    device.edit(AGREEMENT, RECORD, what="Post doorlopen", due="2026-11-01")
    device.sync(server)
    deletion = device.delete(AGREEMENT, RECORD)
    again = device.edit(AGREEMENT, RECORD, what="Post ordenen", due="2026-12-01")
    assert _outcomes(_send(device, server, [again])) == [Outcome.APPLIED]
    assert _outcomes(_send(device, server, [deletion])) == [Outcome.SUPERSEDED]
    made_again = {"what": "Post ordenen", "due": "2026-12-01"}
    assert server.state()[(AGREEMENT, RECORD)] == made_again
    device.pull(server)
    assert device.outbox == [] and device.conflicts == []
    assert device.replica == server.state()


def test_another_device_s_older_edit_still_conflicts(world: World) -> None:
    """The rule compares a device with itself only: another device (here the same professional's
    second device) editing a field the first changed after its base is a conflict, as before."""
    org = world.organisation()
    login = world.member(org)
    device, server = SimDevice(device_id=login.device_id), world.dossier(login)
    device.edit(Entity.CASE, CASE, consent_given=True, stage="contact")
    device.sync(server)
    second_login = world.login_new_device(
        world.code(org), login.email, login.account_id, login.role
    )
    second, second_server = SimDevice(device_id=second_login.device_id), world.dossier(second_login)
    second.sync(second_server)
    second.last_device_seq = 1000  # its numbers are its own: higher ones give it no priority
    device.edit(Entity.CASE, CASE, stage="plan")
    device.sync(server)
    theirs = second.edit(Entity.CASE, CASE, stage="uitvoering")
    response = second_server.push(PushRequest(device_id=second.device_id, mutations=[theirs]))
    assert _outcomes(response) == [Outcome.CONFLICT]
    assert response.results[0].server_fields == {"stage": "plan"}


def test_unnumbered_mutations_of_an_older_client_keep_the_order_of_arrival(world: World) -> None:
    device, server, _login = _device(world)
    older = device.edit(Entity.CASE, CASE, stage="plan")
    newer = device.edit(Entity.CASE, CASE, stage="uitvoering")
    for m in (newer, older):
        unnumbered = m.model_copy(update={"device_seq": None})
        assert _outcomes(_send(device, server, [unnumbered])) == [Outcome.APPLIED]
    assert server.state()[(Entity.CASE, CASE)]["stage"] == "plan"


def _outcomes(response: PushResponse) -> list[Outcome]:
    return [r.outcome for r in response.results]


def _audited(server: HttpDossier, batch: list[Mutation]) -> list[tuple[str, str, str | None]]:
    """The audit rows of the last push of ``batch``, in order (action, outcome, reason)."""
    with Session(server.engine) as session:
        rows = session.exec(
            select(AuditEvent)
            .where(AuditEvent.route == "/sync/push")
            .order_by(col(AuditEvent.id).desc())
            .limit(len(batch))
        ).all()
    assert [r.record_id for r in reversed(rows)] == [m.record_id for m in batch]
    return [(r.action, r.outcome, r.reason) for r in reversed(rows)]

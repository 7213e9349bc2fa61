"""A simulated device for sync tests: a replica (dict), an outbox and the sans-I/O engine."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

from pydantic import JsonValue

from sync import engine
from sync.engine import Conflict, LocalWrite, OutboxEntry
from sync.protocol import Entity, Mutation, Op, PullRequest, PushRequest
from tests.support.fake_dossier import FakeDossier

CASE = uuid.UUID(int=1)
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@dataclass
class SimDevice:
    device_id: UUID = field(default_factory=uuid.uuid4)
    replica: dict[tuple[Entity, UUID], dict[str, JsonValue]] = field(default_factory=dict)
    base: dict[tuple[Entity, UUID], int] = field(default_factory=dict)
    outbox: list[OutboxEntry] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    cursor: int = 0
    acknowledged: set[UUID] = field(default_factory=set)
    last_device_seq: int = 0  # the outbox's numbering: each change gets the next device_seq

    def edit(self, entity: Entity, record: UUID, **fields: JsonValue) -> Mutation:
        key = (entity, record)
        self.replica.setdefault(key, {}).update(fields)
        m = Mutation(
            mutation_id=uuid.uuid4(),
            entity=entity,
            record_id=record,
            case_id=CASE,
            op=Op.UPSERT,
            fields=fields,
            base_seq=self.base.get(key),
            device_time=NOW,
            device_seq=self._next_device_seq(),
        )
        self.outbox.append(OutboxEntry(mutation=m))
        return m

    def delete(self, entity: Entity, record: UUID) -> Mutation:
        key = (entity, record)
        self.replica.pop(key, None)
        m = Mutation(
            mutation_id=uuid.uuid4(),
            entity=entity,
            record_id=record,
            case_id=CASE,
            op=Op.DELETE,
            base_seq=self.base.get(key),
            device_time=NOW,
            device_seq=self._next_device_seq(),
        )
        self.outbox.append(OutboxEntry(mutation=m))
        return m

    def _next_device_seq(self) -> int:
        self.last_device_seq += 1
        return self.last_device_seq

    def apply(self, write: LocalWrite) -> None:
        key = (write.entity, write.record_id)
        if write.op is Op.DELETE:
            self.replica.pop(key, None)
        else:
            record = self.replica.setdefault(key, {})
            record.update(write.fields)
            for name in [n for n, v in record.items() if v is None]:
                del record[name]  # null and absent mean the same: "empty"
        if write.advances_base:
            self.base[key] = max(self.base.get(key, 0), write.server_seq)

    def pull(self, server: FakeDossier, *, limit: int = 3) -> None:
        while True:
            page = server.pull(PullRequest(cursor=self.cursor, limit=limit))
            plan = engine.plan_pull(
                page, self.outbox, own_device=self.device_id, open_conflicts=self.conflicts
            )
            for write in plan.writes:
                self.apply(write)
            self.outbox = engine.mark_conflicts(self.outbox, plan.conflicts)
            self.conflicts = list(plan.conflicts)
            self.cursor = plan.cursor
            if plan.done:
                return

    def push(self, server: FakeDossier, *, lose_response: bool = False) -> None:
        batch = engine.next_push(self.outbox, limit=4)
        if not batch:
            return
        response = server.push(PushRequest(device_id=self.device_id, mutations=batch))
        if lose_response:
            return  # the server applied it, the device never heard: it will resend
        outcome = engine.read_push_response(batch, response)
        self.acknowledged |= outcome.acknowledged
        self.outbox = engine.apply_push_outcome(self.outbox, outcome)
        self.conflicts = engine.merge_conflicts(self.conflicts, outcome.conflicts)
        self.outbox = engine.mark_conflicts(self.outbox, self.conflicts)

    def resolve_all(self, *, keep_mine: bool) -> None:
        for conflict in self.conflicts:
            result = engine.resolve(self.outbox, conflict, keep_mine=keep_mine)
            self.outbox = result.outbox
            if result.local_write is not None:
                self.apply(result.local_write)
        self.conflicts = []
        self.outbox = [
            OutboxEntry(mutation=e.mutation) if e.state is engine.EntryState.CONFLICT else e
            for e in self.outbox
        ]

    def sync(self, server: FakeDossier) -> None:
        self.pull(server)
        while engine.next_push(self.outbox):
            before = list(self.outbox)
            self.push(server)
            if self.outbox == before:
                break  # nothing moved (as in sync.cycle.push_all): the rest waits
        self.pull(server)

"""An in-memory dossier server with the real server's sync rules, for sans-I/O tests.

The rules (the real server must follow them too; see sync/protocol.py):
- a (device, mutation id) is applied once: a resend with the same digest is DUPLICATE, with another
  digest REJECTED ("mutation_id_reused");
- per field, the last change is remembered as (seq, device). A mutation conflicts when any of its
  fields was changed by *another* device after the mutation's base_seq;
- every applied mutation gets the next sequence number and lands in the change log pulled by cursor;
- a device numbers its own changes (``device_seq``): a field (or a deletion) keeps the number of the
  mutation that wrote it, and what the same device's newer mutation already replaced is not
  applied. A mutation replaced whole is SUPERSEDED (acknowledged, nothing changed, no new
  sequence number); one replaced in part applies its other fields. Unnumbered mutations go by
  the order of arrival (``server.sync_push.superseded`` is the real rule).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

from pydantic import JsonValue

from sync.protocol import (
    ACKNOWLEDGED,
    Change,
    Entity,
    Mutation,
    MutationResult,
    Op,
    Outcome,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@dataclass
class ServerRecord:
    case_id: UUID
    fields: dict[str, JsonValue] = field(default_factory=dict)
    # field -> (seq, device, device_seq); the deletion's mark likewise
    last_change: dict[str, Mark] = field(default_factory=dict)
    deleted_at: Mark | None = None
    seq: int = 0


Mark = tuple[int, UUID, int | None]


def _newer_from(mark: Mark | None, device: UUID, number: int) -> bool:
    return mark is not None and mark[1] == device and mark[2] is not None and mark[2] > number


def superseded(record: ServerRecord, m: Mutation, device: UUID) -> tuple[bool, frozenset[str]]:
    """(replaced whole, the names of the replaced fields), as ``server.sync_push.superseded``."""
    number = m.device_seq
    if number is None:
        return False, frozenset()
    if record.deleted_at is not None:
        return _newer_from(record.deleted_at, device, number), frozenset()
    names = record.fields if m.op is Op.DELETE else m.fields
    newer = frozenset(
        name
        for name in names
        if name in record.fields and _newer_from(record.last_change.get(name), device, number)
    )
    if m.op is Op.DELETE:
        return bool(newer), frozenset()
    return bool(newer) and len(newer) == len(m.fields), newer


@dataclass
class FakeDossier:
    records: dict[tuple[Entity, UUID], ServerRecord] = field(default_factory=dict)
    applied: dict[tuple[UUID, UUID], str] = field(default_factory=dict)  # (device, id) -> digest
    log: list[Change] = field(default_factory=list)
    apply_count: dict[UUID, int] = field(default_factory=dict)  # mutation id -> times applied

    def push(self, request: PushRequest) -> PushResponse:
        # A record's mutations apply in order: once one is not applied, the record's later ones
        # in this batch are skipped (no result), so they wait on the device behind it.
        results: list[MutationResult] = []
        stopped: set[tuple[Entity, UUID]] = set()
        for m in request.mutations:
            key = (m.entity, m.record_id)
            if key in stopped:
                continue
            result = self._apply(request.device_id, m)
            if result.outcome not in ACKNOWLEDGED:
                stopped.add(key)
            results.append(result)
        return PushResponse(results=results)

    def _apply(self, device: UUID, m: Mutation) -> MutationResult:
        digest = m.digest()  # of the mutation as sent, also when part of it is superseded
        seen = self.applied.get((device, m.mutation_id))
        if seen is not None:
            if seen != digest:
                return MutationResult(
                    mutation_id=m.mutation_id, outcome=Outcome.REJECTED, reason="mutation_id_reused"
                )
            return MutationResult(mutation_id=m.mutation_id, outcome=Outcome.DUPLICATE)
        key = (m.entity, m.record_id)
        record = self.records.get(key)
        base = m.base_seq or 0
        skipped: frozenset[str] = frozenset()
        if record is not None:
            whole, skipped = superseded(record, m, device)
            if whole:
                self.applied[(device, m.mutation_id)] = digest
                return MutationResult(
                    mutation_id=m.mutation_id, outcome=Outcome.SUPERSEDED, server_seq=record.seq
                )
            # A delete touches every field: deleting what someone else just changed is a conflict.
            touched = list(record.fields) if m.op is Op.DELETE else list(m.fields)
            stale = {
                name: record.fields.get(name)
                for name in touched
                if name in record.last_change
                and record.last_change[name][1] != device
                and record.last_change[name][0] > base
            }
            if m.op is Op.DELETE and stale:
                stale = dict(record.fields)  # the whole record, so "take theirs" can restore it
            gone = record.deleted_at
            if gone and gone[1] != device and gone[0] > base and m.op is not Op.DELETE:
                stale = {DELETED_FIELD: True}
            if stale:
                return MutationResult(
                    mutation_id=m.mutation_id,
                    outcome=Outcome.CONFLICT,
                    server_fields=stale,
                    server_base_seq=record.seq,
                )
        else:
            record = self.records[key] = ServerRecord(case_id=m.case_id)
        if skipped:  # fields the device's newer edits hold: the rest applies
            m = m.model_copy(
                update={"fields": {k: v for k, v in m.fields.items() if k not in skipped}}
            )
        seq = len(self.log) + 1
        if m.op is Op.DELETE:
            record.deleted_at = (seq, device, m.device_seq)
            record.fields = {}
        else:
            record.deleted_at = None
            for name, value in m.fields.items():
                record.fields[name] = value
                record.last_change[name] = (seq, device, m.device_seq)
        record.seq = seq
        self.applied[(device, m.mutation_id)] = digest
        self.apply_count[m.mutation_id] = self.apply_count.get(m.mutation_id, 0) + 1
        self.log.append(
            Change(
                seq=seq,
                entity=m.entity,
                record_id=m.record_id,
                case_id=m.case_id,
                op=m.op,
                fields=dict(m.fields),
                origin_device=device,
                mutation_id=m.mutation_id,
                server_time=NOW,
            )
        )
        return MutationResult(mutation_id=m.mutation_id, outcome=Outcome.APPLIED, server_seq=seq)

    def pull(self, request: PullRequest) -> PullResponse:
        page = [c for c in self.log if c.seq > request.cursor][: request.limit]
        cursor = page[-1].seq if page else request.cursor
        return PullResponse(changes=page, cursor=cursor, done=cursor >= len(self.log))

    def state(self) -> dict[tuple[Entity, UUID], dict[str, JsonValue]]:
        return {
            k: {name: v for name, v in r.fields.items() if v is not None}  # null means empty
            for k, r in self.records.items()
            if r.deleted_at is None
        }


DELETED_FIELD = "__deleted__"

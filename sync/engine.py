"""The sync engine, sans I/O: it decides, the HTTP client and the store act.

Every rule of the device side of sync lives in this module, in plain functions over plain values
(model: h11, "contains no IO code whatsoever"). Tests drive it with no network and no database.

Push:
- ``next_push(outbox)``: the oldest waiting mutations, in order. A record whose earlier mutation is
  held back or in conflict is not pushed past it, so a record's edits always reach the server in
  the order they were made.
- ``read_push_response(sent, response)``: APPLIED, DUPLICATE and SUPERSEDED (the server holds a
  newer edit of this device already) are acknowledged (they leave the outbox), REJECTED is held
  back with its reason (visible, with a retry), CONFLICT becomes a ``Conflict`` per field for
  the user. A mutation missing from the response just waits for the next
  round. Nothing is ever dropped without an acknowledgement.

Pull:
- ``plan_pull(page, pending)``: turn a page of server changes into local writes. A field that the
  device also changed and has not yet pushed (``pending``) is a conflict when the values differ.
  Such a field is not overwritten, and the user decides. Other fields are written. A deletion of a
  record with pending local edits is a conflict too.

Conflicts:
- ``resolve(conflict, keep_mine=...)``: keeping one's own value re-sends it based on the server's
  version. Taking the server's value drops that field from the pending mutation and writes the
  server value locally.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from uuid import UUID, uuid4

from pydantic import JsonValue

from sync.protocol import (
    ACKNOWLEDGED,
    MAX_PUSH_BATCH,
    Change,
    Entity,
    Mutation,
    Op,
    Outcome,
    PullResponse,
    PushResponse,
)

RecordKey = tuple[Entity, UUID]
DELETED = "__deleted__"  # the "field" of a conflict between a local edit and a server deletion


class EntryState(StrEnum):
    WAITING = "waiting"  # to be pushed
    HELD_BACK = "held_back"  # the server refused it; shown with the reason and a retry
    CONFLICT = "conflict"  # waits for the user to choose between two values


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    mutation: Mutation
    state: EntryState = EntryState.WAITING
    reason: str | None = None

    @property
    def key(self) -> RecordKey:
        return (self.mutation.entity, self.mutation.record_id)


@dataclass(frozen=True, slots=True)
class Conflict:
    """One field with two values: the device's unsent one and the server's."""

    entity: Entity
    record_id: UUID
    case_id: UUID
    field: str
    mine: JsonValue
    theirs: JsonValue
    server_seq: int | None  # the server version "theirs" belongs to; None: record deleted there
    mutation_id: UUID | None  # the pending mutation holding "mine"


@dataclass(frozen=True, slots=True)
class LocalWrite:
    """What the store must do to mirror a server change locally."""

    entity: Entity
    record_id: UUID
    case_id: UUID
    op: Op
    fields: dict[str, JsonValue]
    server_seq: int
    # False when conflicting fields were left out: then the record's base seq must not move
    # forward, or a later edit of such a field would silently override the other device's value.
    advances_base: bool = True


# -- push ----------------------------------------------------------------------------------------


def next_push(outbox: Sequence[OutboxEntry], *, limit: int = MAX_PUSH_BATCH) -> list[Mutation]:
    """The mutations to send now: waiting ones, oldest first, never past a blocked record."""
    blocked: set[RecordKey] = set()
    batch: list[Mutation] = []
    for entry in outbox:
        if entry.state is not EntryState.WAITING:
            blocked.add(entry.key)
            continue
        if entry.key in blocked:
            continue
        batch.append(entry.mutation)
        if len(batch) == limit:
            break
    return batch


@dataclass(frozen=True, slots=True)
class PushOutcome:
    acknowledged: frozenset[UUID] = frozenset()  # remove these from the outbox
    held_back: Mapping[UUID, str] = field(default_factory=dict)  # mutation id -> reason
    conflicts: tuple[Conflict, ...] = ()
    rebased: Mapping[UUID, int] = field(default_factory=dict)  # resend on this server seq


def read_push_response(sent: Sequence[Mutation], response: PushResponse) -> PushOutcome:
    by_id = {m.mutation_id: m for m in sent}
    acknowledged: set[UUID] = set()
    held_back: dict[UUID, str] = {}
    conflicts: list[Conflict] = []
    rebased: dict[UUID, int] = {}
    for result in response.results:
        mutation = by_id.get(result.mutation_id)
        if mutation is None:
            continue  # not ours to judge: a confused server must not make us drop anything
        if result.outcome in ACKNOWLEDGED:
            # The record's base seq is not moved here: it moves only when the change comes back
            # in a pull, after every earlier change, or we could base an edit on unseen values.
            acknowledged.add(mutation.mutation_id)
        elif result.outcome is Outcome.REJECTED:
            held_back[mutation.mutation_id] = result.reason or "rejected"
        elif mutation.op is Op.DELETE:
            conflicts.append(
                Conflict(
                    entity=mutation.entity,
                    record_id=mutation.record_id,
                    case_id=mutation.case_id,
                    field=DELETED,
                    mine=True,
                    theirs=dict(result.server_fields or {}),
                    server_seq=result.server_base_seq,
                    mutation_id=mutation.mutation_id,
                )
            )
        else:
            theirs = result.server_fields or {}
            found = [
                Conflict(
                    entity=mutation.entity,
                    record_id=mutation.record_id,
                    case_id=mutation.case_id,
                    field=name,
                    mine=mutation.fields.get(name),
                    theirs=value,
                    server_seq=result.server_base_seq,
                    mutation_id=mutation.mutation_id,
                )
                for name, value in theirs.items()
                if mutation.fields.get(name) != value
            ]
            if found:
                conflicts += found
            elif result.server_base_seq is not None:
                # The values already agree: nothing to ask the user, but the save must still
                # land on the server, so send it again on top of the server's version.
                rebased[mutation.mutation_id] = result.server_base_seq
    return PushOutcome(frozenset(acknowledged), held_back, tuple(conflicts), rebased)


def apply_push_outcome(outbox: Sequence[OutboxEntry], outcome: PushOutcome) -> list[OutboxEntry]:
    """The outbox after a push: acknowledged entries gone, refused ones marked."""
    in_conflict = {c.mutation_id for c in outcome.conflicts}
    kept: list[OutboxEntry] = []
    for entry in outbox:
        mutation_id = entry.mutation.mutation_id
        if mutation_id in outcome.acknowledged:
            continue
        if mutation_id in outcome.held_back:
            entry = replace(
                entry, state=EntryState.HELD_BACK, reason=outcome.held_back[mutation_id]
            )
        elif mutation_id in in_conflict:
            entry = replace(entry, state=EntryState.CONFLICT, reason="conflict")
        elif mutation_id in outcome.rebased:
            update = {"base_seq": outcome.rebased[mutation_id]}
            entry = replace(entry, mutation=entry.mutation.model_copy(update=update))
        kept.append(entry)
    return kept


def mark_conflicts(
    outbox: Sequence[OutboxEntry], conflicts: Iterable[Conflict]
) -> list[OutboxEntry]:
    """Stop pushing the mutations that hold a conflicting value until the user has chosen, and
    send again those waiting on a question that is gone (``conflicts`` is every open one).

    A mutation stays stopped while any of its fields, or its record's existence, is in question,
    whichever mutation the question names: an older value of a field never overtakes a newer one
    that waits for the user.
    """
    conflicts = list(conflicts)
    ids = {c.mutation_id for c in conflicts}
    asked: dict[RecordKey, set[str]] = {}
    for c in conflicts:
        asked.setdefault((c.entity, c.record_id), set()).add(c.field)

    def in_question(e: OutboxEntry) -> bool:
        fields = asked.get(e.key, set())
        if DELETED in fields or (e.mutation.op is Op.DELETE and fields):
            return True
        return not fields.isdisjoint(e.mutation.fields)

    marked: list[OutboxEntry] = []
    for e in outbox:
        named = e.mutation.mutation_id in ids
        if named or (e.state is EntryState.WAITING and in_question(e)):
            if e.state is not EntryState.CONFLICT:
                e = replace(e, state=EntryState.CONFLICT, reason="conflict")
        elif e.state is EntryState.CONFLICT and not in_question(e):
            e = replace(e, state=EntryState.WAITING, reason=None)
        marked.append(e)
    return marked


def retry(outbox: Sequence[OutboxEntry], mutation_id: UUID) -> list[OutboxEntry]:
    """The user asks to try a held-back mutation again."""
    return [
        replace(e, state=EntryState.WAITING, reason=None)
        if e.mutation.mutation_id == mutation_id and e.state is EntryState.HELD_BACK
        else e
        for e in outbox
    ]


# -- pull ----------------------------------------------------------------------------------------


def pending_fields(outbox: Iterable[OutboxEntry]) -> dict[RecordKey, dict[str, Pending]]:
    """The newest unsent local value of each field, per record, with the mutation holding it."""
    pending: dict[RecordKey, dict[str, Pending]] = {}
    for entry in outbox:
        m = entry.mutation
        record = pending.setdefault(entry.key, {})
        if m.op is Op.DELETE:
            record.clear()
            record[DELETED] = Pending(True, m.mutation_id)
            continue
        record.pop(DELETED, None)  # made again after a local delete
        for name, value in m.fields.items():
            record[name] = Pending(value, m.mutation_id, m.base_seq)
    return pending


@dataclass(frozen=True, slots=True)
class Pending:
    value: JsonValue
    mutation_id: UUID
    base_seq: int | None = None  # the server version this value was set against


@dataclass(frozen=True, slots=True)
class PullPlan:
    writes: tuple[LocalWrite, ...]
    conflicts: tuple[Conflict, ...]  # every open conflict after this page
    cursor: int
    done: bool


def plan_pull(
    page: PullResponse,
    outbox: Sequence[OutboxEntry],
    *,
    own_device: UUID,
    open_conflicts: Sequence[Conflict] = (),
) -> PullPlan:
    """Local writes for one pulled page (in server order) and the open conflicts after it.

    A change this device made itself comes back too. It never conflicts with the device's own
    later edits: those simply stay (they are newer). ``PullPlan.conflicts`` is the whole list of
    open conflicts: ``open_conflicts`` brought up to date (see ``merge_conflicts``).
    """
    pending = pending_fields(outbox)
    writes: list[LocalWrite] = []
    conflicts: list[Conflict] = list(open_conflicts)
    deleted_later = _deleted_later_on_page(page.changes)
    for index, change in enumerate(page.changes):
        key = (change.entity, change.record_id)
        if (
            index in deleted_later
            and key not in pending
            and not any((c.entity, c.record_id) == key for c in conflicts)
        ):
            # Nothing here to merge with or ask about, and the record is deleted further on
            # this page: writing these fields first changes nothing. (It cannot always be written
            # either: a tablet that sent an edit and then the deletion gets its own edit back
            # for a record it no longer has.)
            continue
        if change.op is Op.UPSERT:
            # The record exists on the server again: an open "they deleted it" question is moot,
            # but the deletion did happen: clear the record here first (keeping the unsent local
            # fields), then this change applies on top, just as on the server.
            moot = [
                c
                for c in conflicts
                if (c.entity, c.record_id) == key and c.field == DELETED and c.theirs is True
            ]
            if moot:
                conflicts = [c for c in conflicts if c not in moot]
                mine_now = pending.get(key, {})
                writes.append(_write(change, {}, op=Op.DELETE, advances_base=False))
                again = {name: p.value for name, p in mine_now.items() if name != DELETED}
                writes.append(_write(change, again, op=Op.UPSERT, advances_base=False))
        mine = pending.get((change.entity, change.record_id), {})
        own = change.origin_device == own_device
        deleted_here = DELETED in mine
        if change.op is Op.DELETE:
            if not mine or deleted_here:
                writes.append(_write(change, {}))  # nothing newer here, or deleted here too
            elif not own:
                held = next(iter(mine.values()))
                conflict = _conflict(change, DELETED, False, True, held.mutation_id)
                conflicts = merge_conflicts(conflicts, [conflict])
            else:
                # Our own deletion, and the record was made again here since: the server now
                # has nothing, so clear it locally and put back only the newer local fields.
                writes.append(_write(change, {}))
                again = {name: p.value for name, p in mine.items()}
                writes.append(_write(change, again, op=Op.UPSERT, advances_base=False))
            continue
        if deleted_here:
            # Deleted here and not yet sent: never bring it back from a pull. If someone else
            # changed it meanwhile, the server refuses the deletion and the user decides then;
            # if that question is already open, keep its copy of the record up to date, so
            # "keep the record" restores what the server has now.
            if not own:
                conflicts = [_with_newer_copy(c, change) for c in conflicts]
            continue
        accepted: dict[str, JsonValue] = {}
        found = 0
        for name, theirs in change.fields.items():
            local = mine.get(name)
            if local is None or local.value == theirs:
                accepted[name] = theirs
                # The server's newest value is the one asked against; now that it is ours too,
                # an open question about an older value of this field is gone (choosing that
                # older value would write a stale text here that no pull ever corrects).
                if conflicts:  # a pull writes thousands of fields; questions are rare
                    conflicts = [c for c in conflicts if not _asks(c, key, name)]
            elif local.base_seq is not None and change.seq <= local.base_seq:
                pass  # the user already chose this value over that server version: keep it
            elif not own:
                conflict = _conflict(change, name, local.value, theirs, local.mutation_id)
                conflicts = merge_conflicts(conflicts, [conflict])
                found += 1
            elif conflicts:
                # Our own earlier value, sent before a newer one here: that newer one stays. If
                # it waits on a question, the question is now about this server value.
                conflicts = [
                    replace(c, theirs=theirs, server_seq=change.seq) if _asks(c, key, name) else c
                    for c in conflicts
                ]
        writes.append(_write(change, accepted, advances_base=not found))
    return PullPlan(tuple(writes), tuple(conflicts), page.cursor, page.done)


def _deleted_later_on_page(changes: Sequence[Change]) -> set[int]:
    """Positions of the upserts on a page whose record a later change on that page deletes."""
    found: set[int] = set()
    deleted: set[RecordKey] = set()
    for index in range(len(changes) - 1, -1, -1):  # from the end: what comes after is known
        change = changes[index]
        key = (change.entity, change.record_id)
        if change.op is Op.DELETE:
            deleted.add(key)
        elif key in deleted:
            found.add(index)
    return found


def _asks(conflict: Conflict, key: RecordKey, name: str) -> bool:
    return (conflict.entity, conflict.record_id) == key and conflict.field == name


def _with_newer_copy(conflict: Conflict, change: Change) -> Conflict:
    same = (conflict.entity, conflict.record_id) == (change.entity, change.record_id)
    if not same or conflict.field != DELETED or not isinstance(conflict.theirs, dict):
        return conflict
    return replace(conflict, theirs={**conflict.theirs, **change.fields}, server_seq=change.seq)


def merge_conflicts(open_: Sequence[Conflict], new: Iterable[Conflict]) -> list[Conflict]:
    """Open conflicts with ``new`` ones added; a newer conflict replaces an older one.

    One question per record and field: the newest server value is the one to choose against. A
    deletion replaces every question about that record's fields.
    """
    merged = list(open_)
    for conflict in new:
        key = (conflict.entity, conflict.record_id)
        merged = [
            c
            for c in merged
            if (c.entity, c.record_id) != key
            or (c.field != conflict.field and conflict.field != DELETED)
        ]
        merged.append(conflict)
    return merged


def _write(
    change: Change,
    fields: dict[str, JsonValue],
    *,
    op: Op | None = None,
    advances_base: bool = True,
) -> LocalWrite:
    return LocalWrite(
        entity=change.entity,
        record_id=change.record_id,
        case_id=change.case_id,
        op=change.op if op is None else op,
        fields=fields,
        server_seq=change.seq,
        advances_base=advances_base,
    )


def _conflict(
    change: Change, name: str, mine: JsonValue, theirs: JsonValue, mutation_id: UUID | None
) -> Conflict:
    return Conflict(
        entity=change.entity,
        record_id=change.record_id,
        case_id=change.case_id,
        field=name,
        mine=mine,
        theirs=theirs,
        server_seq=change.seq,
        mutation_id=mutation_id,
    )


# -- resolving conflicts -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Resolution:
    outbox: list[OutboxEntry]
    local_write: LocalWrite | None  # the server's value to write locally, when it was chosen


def resolve(
    outbox: Sequence[OutboxEntry],
    conflict: Conflict,
    *,
    keep_mine: bool,
    new_id: Callable[[], UUID] = uuid4,
) -> Resolution:
    """Apply the user's choice for one conflicting field.

    The mutation holding the field is split, so the choice covers that field only:
    - keep mine: that field is re-sent alone, now based on the server version it overrides;
    - take theirs: that field is dropped, and the server value is written locally.
    The mutation's other fields go back to waiting with their old base. If they conflict too,
    the server says so again, so a choice is never silently applied to a field it was not about.
    A changed payload gets a new mutation id: an id always means one payload.
    """
    if conflict.field == DELETED:
        return _resolve_deletion(outbox, conflict, keep_mine=keep_mine)
    entries: list[OutboxEntry] = []
    key = (conflict.entity, conflict.record_id)
    # The value to keep is the newest pending one for this field. Find it by record and field,
    # not by the conflict's mutation id: an earlier choice may have split that mutation already.
    holders = [e for e in outbox if e.key == key and conflict.field in e.mutation.fields]
    newest = holders[-1].mutation.mutation_id if holders else None
    for entry in outbox:
        m = entry.mutation
        if entry.key != key or conflict.field not in m.fields:
            entries.append(entry)
            continue
        # Older pending values of the field are superseded by the choice: drop them everywhere.
        rest = {k: v for k, v in m.fields.items() if k != conflict.field}
        if keep_mine and m.mutation_id == newest:
            chosen = {conflict.field: m.fields[conflict.field]}
            base = conflict.server_seq if conflict.server_seq is not None else m.base_seq
            entries.append(_entry(m, chosen, base, new_id()))
        if rest:
            entries.append(_entry(m, rest, m.base_seq, new_id()))
    local_write = None
    # Deleted here since (the deletion waits to be sent): the server's value has no record to
    # go into. The deletion goes out, and the server asks again if someone changed the record.
    deleted_here = DELETED in pending_fields(outbox).get(key, {})
    if not keep_mine and conflict.server_seq is not None and not deleted_here:
        local_write = LocalWrite(
            entity=conflict.entity,
            record_id=conflict.record_id,
            case_id=conflict.case_id,
            op=Op.UPSERT,
            fields={conflict.field: conflict.theirs},
            server_seq=conflict.server_seq,
        )
    return Resolution(entries, local_write)


def _entry(m: Mutation, fields: dict[str, JsonValue], base: int | None, id_: UUID) -> OutboxEntry:
    return OutboxEntry(
        mutation=m.model_copy(update={"mutation_id": id_, "fields": fields, "base_seq": base})
    )


def _resolve_deletion(
    outbox: Sequence[OutboxEntry], conflict: Conflict, *, keep_mine: bool
) -> Resolution:
    """A deletion against an edit, either way round.

    ``theirs is True``: the server deleted a record this device edited. Keep mine re-sends the
    edits on top of the deletion; take theirs drops them and deletes locally.
    ``theirs`` a dict: this device deleted a record someone else edited (the dict is the server's
    record). Keep mine re-sends the deletion; take theirs drops it and restores the record locally.
    """
    key = (conflict.entity, conflict.record_id)
    if keep_mine:
        entries = [
            OutboxEntry(mutation=e.mutation.model_copy(update={"base_seq": conflict.server_seq}))
            if e.key == key
            else e
            for e in outbox
        ]
        return Resolution(entries, None)
    server_deleted = conflict.theirs is True
    restore = conflict.theirs if isinstance(conflict.theirs, dict) else {}
    if not server_deleted:
        # Keep the server's record instead of deleting it: drop the deletion and the edits it had
        # superseded; edits made here after it are newer work and still go out on top.
        mine = [i for i, e in enumerate(outbox) if e.key == key]
        last_delete = max((i for i in mine if outbox[i].mutation.op is Op.DELETE), default=-1)
        kept = [e for i, e in enumerate(outbox) if e.key != key or i > last_delete]
        kept = [
            OutboxEntry(mutation=e.mutation)
            if e.key == key and e.state is EntryState.CONFLICT
            else e
            for e in kept
        ]
        write = LocalWrite(
            entity=conflict.entity,
            record_id=conflict.record_id,
            case_id=conflict.case_id,
            op=Op.UPSERT,
            fields=dict(restore),
            server_seq=conflict.server_seq or 0,
            advances_base=False,
        )
        return Resolution(kept, write)
    write = LocalWrite(
        entity=conflict.entity,
        record_id=conflict.record_id,
        case_id=conflict.case_id,
        op=Op.DELETE if server_deleted else Op.UPSERT,
        fields={} if server_deleted else dict(restore),
        server_seq=conflict.server_seq or 0,
    )
    return Resolution([e for e in outbox if e.key != key], write)

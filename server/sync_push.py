"""Applying a pushed batch: the server side of sync/protocol.py, with the same rules as
tests/support/fake_dossier.py (the executable specification).

- A (device, mutation id) is applied once: a resend with the same digest is DUPLICATE, with
  another digest REJECTED ``mutation_id_reused``. ``applied_mutation`` has a UNIQUE constraint on
  (device, mutation id) as the last line of defence.
- Per field, the last change is kept as (seq, device). A mutation CONFLICTs when one of its fields
  was changed by another device after its ``base_seq``; a deletion touches every field and, on
  conflict, returns the whole record; an upsert of a record another device deleted after
  ``base_seq`` conflicts on ``__deleted__``.
- A record's later mutations in a batch are skipped (no result) once one of them is not applied.
- A mutation of a case erased on request (``case_erasure``, server/erasure.py) is REJECTED
  ``case_erased``, before anything else is judged: a tablet that was offline cannot make the case
  again, not even with a consent upsert or a resend.
- Newest from the same device wins, per field (``superseded``). A mutation with a ``device_seq``
  (the device's own order of its changes) marks the fields it sets ``[seq, device, device_seq]``.
  When a device's older mutation arrives after its newer one (batches overtaking each other), a
  field whose value that device wrote with a higher ``device_seq`` keeps it; the mutation's other
  fields apply (APPLIED, audited with reason ``partly_superseded``). When none of it applies it is
  acknowledged as SUPERSEDED: recorded in ``applied_mutation`` at the record's current seq (a
  resend is DUPLICATE), audited with outcome ``superseded``, nothing written and no seq spent.
  It is neither a conflict nor refused, and the record's later mutations in the batch go on.
  Deletions: a tombstone keeps its ``device_seq`` (``deleted_device_seq``); the device's upsert
  with a lower number arriving after it is SUPERSEDED (the record stays deleted). The device's
  older deletion arriving after its newer edit of the record (it deleted the record, then made it
  again) is SUPERSEDED as a whole: the record as the newer edit left it stands, since applying the
  deletion would throw that edit away. Fields the re-creation did not set then keep their earlier
  values (the app re-creates a record with all its fields, so this does not arise from it).
  Authorisation and conflicts with *other* devices are judged as before, first; the rule only
  compares a device with itself. Mutations or marks without a number (older clients, data from
  before) are ordered by arrival, as before. Not covered: a device's older edit of a field that
  another device has changed since the device's newer edit reaches the server as a CONFLICT (the
  newer own value is no longer there to compare with), so the user is asked, nothing is lost.
- Signed-plan evidence (``plan_version``, ``plan_signature``: ``sync.protocol.PUSH_ONLY``) is
  immutable, checked before it is kept (``_evidence``): a first upsert is applied when it is valid
  (``invalid_evidence`` otherwise: fields, sizes, the version's hash, the signature over its PNG;
  ``unknown_signing_key`` when the device registered another key); the same content again under
  a new mutation id is DUPLICATE (recorded, nothing written); other content or a delete is
  REJECTED ``frozen``. The fake dossier does not know these entities. Pulls never return them.
- The whole push runs under the ``sync_head`` lock, so sequence numbers are handed out and
  committed in order: a pull that sees seq N has seen every seq below N.
- Round trips and Python per row, not rows, are what a push costs (bench/sync_ingest.py): under
  the lock, one query each fetches the batch's earlier applied mutations, its records, its cases'
  access rows and the pusher's memberships. The batch then works on plain objects (``_Record``,
  ``_Access``; no ORM objects per row) and writes at its end, one statement per table
  (``server.bulk``: COPY on PostgreSQL; updated records with one executemany), and brings the
  read model in step once for the whole batch, a few statements per table
  (``projection.project_batch``). Membership rows are written early only when a query needs
  them (a participant that changes again).
Authorisation and consent are in server/authorisation.py; audit rows commit with the changes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, update
from sqlmodel import Session, col, select

from models.signing import PNG_MAGIC, SignatureRecord, signature_problems
from server import audit, bulk
from server.audit import Action, Result
from server.authorisation import is_member
from server.models.accounts import Account
from server.models.devices import Device
from server.models.dossier import (
    AppliedMutation,
    CaseAccess,
    CaseAccessEnd,
    CaseMember,
    ChangeRow,
    DossierRecord,
    SyncHead,
)
from server.models.erasure import CaseErasure
from server.models.types import holds_nul, utcnow
from server.principal import Principal
from server.reports import projection
from sync.protocol import (
    ACKNOWLEDGED,
    PUSH_ONLY,
    Entity,
    Mutation,
    MutationResult,
    Op,
    Outcome,
    PushRequest,
    PushResponse,
)

DELETED_FIELD = "__deleted__"
_CHANGE_LOG: Table = cast(Any, ChangeRow).__table__
_APPLIED: Table = cast(Any, AppliedMutation).__table__
_RECORDS: Table = cast(Any, DossierRecord).__table__
_ACCESS: Table = cast(Any, CaseAccess).__table__
_MEMBERS: Table = cast(Any, CaseMember).__table__
_ACCESS_ENDS: Table = cast(Any, CaseAccessEnd).__table__
_ERASED: Table = cast(Any, CaseErasure).__table__
_COLUMNS = (
    "entity",
    "record_id",
    "case_id",
    "fields",
    "last_change",
    "deleted_seq",
    "deleted_by",
    "deleted_device_seq",
    "seq",
)
CONSENT_FIELD = "consent_given"
ACCOUNT_FIELD = "account_id"  # on a participant record: the professional's server account
REMOVED_FIELD = "removed_on"  # on a participant record: taken off the case (no access any more)


class _Record:
    """A dossier record as the batch sees it: read under the lock, changed in memory, written at
    the end (inserted when ``stored`` is False, else updated). Cheaper than an ORM object."""

    __slots__ = (
        "case_id",
        "deleted_by",
        "deleted_device_seq",
        "deleted_seq",
        "entity",
        "fields",
        "last_change",
        "record_id",
        "seq",
        "stored",
    )

    def __init__(
        self,
        entity: str,
        record_id: uuid.UUID,
        case_id: uuid.UUID,
        fields: dict[str, Any],
        last_change: dict[str, Any],
        deleted_seq: int | None,
        deleted_by: uuid.UUID | None,
        deleted_device_seq: int | None,
        seq: int,
        *,
        stored: bool,
    ) -> None:
        self.entity = entity
        self.record_id = record_id
        self.case_id = case_id
        self.fields = fields
        self.last_change = last_change
        self.deleted_seq = deleted_seq
        self.deleted_by = deleted_by
        self.deleted_device_seq = deleted_device_seq
        self.seq = seq
        self.stored = stored

    def values(self) -> tuple[Any, ...]:
        """The row's values, in the order of ``_COLUMNS``."""
        return (
            self.entity,
            self.record_id,
            self.case_id,
            self.fields,
            self.last_change,
            self.deleted_seq,
            self.deleted_by,
            self.deleted_device_seq,
            self.seq,
        )


class _Access:
    """A case's access row as the batch sees it (see ``_Record``)."""

    __slots__ = ("case_id", "consent_given", "created_by", "organisation_id", "stored")

    def __init__(
        self,
        case_id: uuid.UUID,
        organisation_id: uuid.UUID,
        created_by: uuid.UUID,
        consent_given: bool,
        *,
        stored: bool | None,
    ) -> None:
        self.case_id = case_id
        self.organisation_id = organisation_id
        self.created_by = created_by
        self.consent_given = consent_given
        self.stored = stored  # the consent in the database; None: no row yet


class _Batch:
    """One push in progress: the sequence counter and the rows to write with it."""

    def __init__(
        self, session: Session, principal: Principal, seq: int, arriving: set[uuid.UUID]
    ) -> None:
        self.session = session
        self.principal = principal
        self.seq = self.first_seq = seq  # the last sequence number handed out
        self.device = str(principal.device_id)
        self.arriving = arriving  # cases this batch ends with consent for
        self.events: list[dict[str, Any]] = []  # audit rows (audit.event_row)
        # Prefetched under the lock (see prefetch) and kept up to date as the batch applies.
        self.applied: dict[uuid.UUID, tuple[str, int]] = {}  # mutation id -> (digest, seq)
        # What an applied mutation did (create, update, delete), for the audit row of a resend.
        self.applied_action: dict[uuid.UUID, Action] = {}
        self.new_applied: list[tuple[Any, ...]] = []  # applied_mutation rows (_APPLIED_COLUMNS)
        self.changes: list[tuple[Any, ...]] = []  # change_log rows (_CHANGE_COLUMNS)
        self.records: dict[tuple[str, uuid.UUID], _Record] = {}
        self.access: dict[uuid.UUID, _Access] = {}
        self.members: set[uuid.UUID] = set()  # cases the pusher is a member of
        self.erased: set[uuid.UUID] = set()  # cases erased on request (server/erasure.py)
        self.new_members: list[dict[str, Any]] = []  # case_member rows not written yet
        self.access_ends: list[dict[str, Any]] = []  # case_access_end rows not written yet
        self.touched: dict[tuple[str, uuid.UUID], _Record] = {}  # to write, in order applied
        self._signing_key: tuple[str | None] | None = None  # the device's, read when needed

    def signing_key(self) -> str | None:
        """The public signing key the pushing device registered (hex), None when none."""
        if self._signing_key is None:
            key = self.session.execute(
                select(col(Device.signing_key)).where(col(Device.id) == self.principal.device_id)
            ).scalar()
            self._signing_key = (key,)
        return self._signing_key[0]

    def prefetch(self, mutations: list[Mutation]) -> None:
        session, principal = self.session, self.principal
        if not mutations:
            return
        mutation_ids = {m.mutation_id for m in mutations}
        record_ids = {m.record_id for m in mutations}
        case_ids = {m.case_id for m in mutations}
        for mutation_id, digest, seq in session.execute(
            select(_APPLIED.c.mutation_id, _APPLIED.c.digest, _APPLIED.c.seq).where(
                _APPLIED.c.device_id == principal.device_id,
                bulk.among(session, _APPLIED.c.mutation_id, mutation_ids),
            )
        ):
            self.applied[mutation_id] = (digest, seq)
        if self.applied:
            self.prefetch_applied_actions(mutations)
        entities = {m.entity.value for m in mutations}
        columns = [_RECORDS.c[name] for name in _COLUMNS]  # in _Record's argument order
        for row in session.execute(  # both key columns, so the primary key index serves
            select(*columns).where(
                bulk.among(session, _RECORDS.c.entity, entities),
                bulk.among(session, _RECORDS.c.record_id, record_ids),
            )
        ):
            record = _Record(*row, stored=True)
            self.records[(record.entity, record.record_id)] = record
        for case_id, organisation_id, created_by, consent in session.execute(
            select(
                _ACCESS.c.case_id,
                _ACCESS.c.organisation_id,
                _ACCESS.c.created_by,
                _ACCESS.c.consent_given,
            ).where(bulk.among(session, _ACCESS.c.case_id, case_ids))
        ):
            self.access[case_id] = _Access(
                case_id, organisation_id, created_by, consent, stored=consent
            )
        unknown = case_ids - self.access.keys()  # an erased case has no access row any more
        if unknown:  # so a batch of known cases spends no query on this
            self.erased = set(
                session.execute(
                    select(_ERASED.c.case_id).where(bulk.among(session, _ERASED.c.case_id, unknown))
                ).scalars()
            )
        self.members = set(
            session.execute(
                select(_MEMBERS.c.case_id).where(
                    _MEMBERS.c.account_id == principal.account_id,
                    bulk.among(session, _MEMBERS.c.case_id, case_ids),
                )
            ).scalars()
        )

    def prefetch_applied_actions(self, mutations: list[Mutation]) -> None:
        """What the first delivery of each resent mutation did, from the change log: a create
        when the record had no change before it or was deleted just before it. One query, and
        only for a batch with resends (a lost answer's retry)."""
        resent = [m for m in mutations if m.mutation_id in self.applied]
        last = max(self.applied[m.mutation_id][1] for m in resent)
        log = _CHANGE_LOG.c
        history: dict[tuple[str, uuid.UUID], list[tuple[int, str]]] = {}
        for entity, record_id, seq, op in self.session.execute(
            select(log.entity, log.record_id, log.seq, log.op)
            .where(
                bulk.among(self.session, log.case_id, {m.case_id for m in resent}),
                bulk.among(self.session, log.record_id, {m.record_id for m in resent}),
                log.seq <= last,
            )
            .order_by(log.seq)
        ):
            history.setdefault((entity, record_id), []).append((seq, op))
        for m in resent:
            if m.op is Op.DELETE:
                self.applied_action[m.mutation_id] = Action.DELETE
                continue
            seq = self.applied[m.mutation_id][1]
            earlier = [op for s, op in history.get((m.entity.value, m.record_id), []) if s < seq]
            new = not earlier or earlier[-1] == Op.DELETE.value
            self.applied_action[m.mutation_id] = Action.CREATE if new else Action.UPDATE

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def log(
        self, m: Mutation, action: Action, outcome: Result, authorisation: str, reason: str | None
    ) -> None:
        self.events.append(
            audit.event_row(
                self.principal.actor,
                action=action,
                outcome=outcome,
                authorisation=authorisation,
                case_id=m.case_id,
                entity=m.entity.value,
                record_id=m.record_id,
                device_time=m.device_time,
                reason=reason,
                route="/sync/push",
            )
        )

    def write_access(self) -> None:
        """Write the case access and membership rows made or changed so far."""
        connection = self.session.connection()
        rows = [
            {
                "case_id": a.case_id,
                "organisation_id": a.organisation_id,
                "created_by": a.created_by,
                "consent_given": a.consent_given,
            }
            for a in self.access.values()
            if a.stored is None
        ]
        bulk.insert_rows(connection, _ACCESS, rows)
        changed = [
            {"b_case_id": a.case_id, "b_consent_given": a.consent_given}
            for a in self.access.values()
            if a.stored is not None and a.stored != a.consent_given
        ]
        if changed:
            connection.execute(_UPDATE_CONSENT, changed)
        for a in self.access.values():
            a.stored = a.consent_given
        bulk.insert_rows(connection, _MEMBERS, self.new_members)
        self.new_members = []
        bulk.insert_rows(connection, _ACCESS_ENDS, self.access_ends)
        self.access_ends = []

    def write(self) -> None:
        """The batch's rows, a statement or two per table, in the push's transaction."""
        session = self.session
        if self.seq != self.first_seq:
            session.execute(update(SyncHead).where(col(SyncHead.id) == 1).values(seq=self.seq))
        self.write_access()
        connection = session.connection()
        new: list[tuple[Any, ...]] = []
        changed: list[dict[str, Any]] = []
        fresh: set[tuple[str, uuid.UUID]] = set()
        for key, record in self.touched.items():
            if record.stored:
                changed.append(dict(zip(_UPDATE_KEYS, record.values(), strict=True)))
            else:
                new.append(record.values())
                fresh.add(key)
        bulk.insert_tuples(connection, _RECORDS, _COLUMNS, new)
        if changed:
            connection.execute(_UPDATE_RECORD, changed)
        bulk.insert_tuples(connection, _CHANGE_LOG, _CHANGE_COLUMNS, self.changes)
        bulk.insert_tuples(connection, _APPLIED, _APPLIED_COLUMNS, self.new_applied)
        # The team-lead read model, set-based for the whole batch, in the same transaction.
        projection.project_batch(connection, self.touched.values(), new=fresh)
        audit.record_rows(session, self.events)


_UPDATE_KEYS = tuple(f"b_{name}" for name in _COLUMNS)
_CHANGE_COLUMNS = (
    "seq",
    "entity",
    "record_id",
    "case_id",
    "op",
    "fields",
    "origin_device",
    "mutation_id",
    "server_time",
)
_APPLIED_COLUMNS = ("device_id", "mutation_id", "digest", "seq")
_UPDATE_RECORD = (
    update(_RECORDS)
    .where(
        _RECORDS.c.entity == bindparam("b_entity"),
        _RECORDS.c.record_id == bindparam("b_record_id", type_=_RECORDS.c.record_id.type),
    )
    .values(
        {
            name: bindparam(f"b_{name}", type_=_RECORDS.c[name].type)
            for name in _COLUMNS
            if name not in ("entity", "record_id")  # the key, in the WHERE clause
        }
    )
)


_UPDATE_CONSENT = (
    update(_ACCESS)
    .where(_ACCESS.c.case_id == bindparam("b_case_id", type_=_ACCESS.c.case_id.type))
    .values(consent_given=bindparam("b_consent_given", type_=_ACCESS.c.consent_given.type))
)


def mutation_digest(m: Mutation) -> str:
    """``Mutation.digest()``, the same text hashed, without pydantic's ``model_dump``: the body is
    built by hand (ids as text, enums as values, the fields as parsed). A value ``model_dump``
    would change (NaN or an infinity, which it makes null) takes the model's own way.
    ``tests/unit/server/test_mutation_digest.py`` holds the two equal."""
    body = {
        "base_seq": m.base_seq,
        "case_id": str(m.case_id),
        "entity": m.entity.value,
        "fields": m.fields,
        "mutation_id": str(m.mutation_id),
        "op": m.op.value,
        "record_id": str(m.record_id),
    }
    try:
        canonical = json.dumps(
            body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except ValueError:
        return m.digest()
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def consented_in_batch(mutations: list[Mutation]) -> set[uuid.UUID]:
    """Cases whose last consent value in this batch is true.

    A device queues a case's changes from the first contact on, and consent is often recorded
    later: the case's first upserts carry no consent (or ``null``). The batch commits as a whole,
    so when it ends with consent, all of that case's mutations in it are judged with consent:
    nothing reaches the server without it, and the device's queue cannot get stuck behind a
    pre-consent upsert that would be refused forever.
    """
    last: dict[uuid.UUID, bool] = {}
    for m in mutations:
        if m.entity is Entity.CASE and m.op is Op.UPSERT and CONSENT_FIELD in m.fields:
            last[m.case_id] = m.fields[CONSENT_FIELD] is True
    return {case for case, given in last.items() if given}


def push(session: Session, principal: Principal, request: PushRequest) -> PushResponse:
    arriving = consented_in_batch(request.mutations)
    response, kept = _push(session, principal, request, arriving)
    if not kept:
        # The consent the batch promised was not applied after all (its upsert was refused or
        # skipped): undo everything and judge the batch again, mutation by mutation.
        session.rollback()
        response, _ = _push(session, principal, request, set())
    return response


def _push(
    session: Session, principal: Principal, request: PushRequest, arriving: set[uuid.UUID]
) -> tuple[PushResponse, bool]:
    # Take the sync lock first: the UPDATE holds the row (PostgreSQL) / the database (SQLite).
    session.execute(update(SyncHead).where(col(SyncHead.id) == 1).values(seq=SyncHead.seq))
    seq = session.execute(select(col(SyncHead.seq)).where(col(SyncHead.id) == 1)).scalar_one()
    batch = _Batch(session, principal, seq, arriving)
    batch.prefetch(request.mutations)
    results: list[MutationResult] = []
    stopped: set[tuple[Entity, uuid.UUID]] = set()
    for m in request.mutations:
        key = (m.entity, m.record_id)
        if key in stopped:
            continue
        result = _apply(batch, m)
        if result.outcome not in ACKNOWLEDGED:
            stopped.add(key)
        results.append(result)
    for case_id in arriving:
        access = batch.access.get(case_id)
        if access is None or not access.consent_given:
            return PushResponse(results=results), False
    batch.write()
    return PushResponse(results=results), True


def _rejected(batch: _Batch, m: Mutation, reason: str, authorisation: str) -> MutationResult:
    record = batch.records.get((m.entity.value, m.record_id))  # what it tried: create or update
    batch.log(m, _action(m, record), Result.REFUSED, authorisation, reason)
    return MutationResult(mutation_id=m.mutation_id, outcome=Outcome.REJECTED, reason=reason)


def _action(m: Mutation, record: _Record | None) -> Action:
    if m.op is Op.DELETE:
        return Action.DELETE
    return Action.CREATE if record is None or record.deleted_seq is not None else Action.UPDATE


def _apply(batch: _Batch, m: Mutation) -> MutationResult:
    principal = batch.principal
    if m.case_id in batch.erased:  # before all else: not even a resend is acknowledged
        return _rejected(batch, m, "case_erased", "refused")
    digest = mutation_digest(m)
    seen = batch.applied.get(m.mutation_id)
    if seen is not None:
        seen_digest, seen_seq = seen
        if seen_digest != digest:
            return _rejected(batch, m, "mutation_id_reused", "not_checked")
        action = batch.applied_action.get(m.mutation_id, _action(m, None))
        batch.log(m, action, Result.DUPLICATE, "not_checked", None)
        return MutationResult(
            mutation_id=m.mutation_id, outcome=Outcome.DUPLICATE, server_seq=seen_seq
        )

    refusal = _authorise(batch, m)
    if refusal is not None:
        return _rejected(batch, m, refusal, "no_consent" if refusal == "no_consent" else "refused")

    key = (m.entity.value, m.record_id)
    record = batch.records.get(key)
    if record is not None and record.case_id != m.case_id:
        return _rejected(batch, m, "case_mismatch", "refused")
    action = _action(m, record)
    if m.entity in PUSH_ONLY:
        kept = _evidence(batch, m, record, digest, action)
        if kept is not None:
            return kept
    device = batch.device
    base = m.base_seq or 0
    skipped: frozenset[str] = frozenset()
    if record is not None:
        whole, skipped = superseded(record, m, device)
        if whole:
            return _superseded(batch, m, record, digest, action)
        touched = list(record.fields) if m.op is Op.DELETE else list(m.fields)
        stale: dict[str, Any] = {
            name: record.fields.get(name)
            for name in touched
            if name in record.last_change
            and record.last_change[name][1] != device
            and record.last_change[name][0] > base
        }
        if m.op is Op.DELETE and stale:
            stale = dict(record.fields)  # the whole record, so "take theirs" can restore it
        gone = record.deleted_seq is not None and record.deleted_by != principal.device_id
        if gone and (record.deleted_seq or 0) > base and m.op is not Op.DELETE:
            stale = {DELETED_FIELD: True}
        if stale:
            batch.log(m, action, Result.CONFLICT, "granted", "conflict")
            return MutationResult(
                mutation_id=m.mutation_id,
                outcome=Outcome.CONFLICT,
                server_fields=stale,
                server_base_seq=record.seq,
            )
    new = record is None
    if record is None:
        record = _Record(
            m.entity.value, m.record_id, m.case_id, {}, {}, None, None, None, 0, stored=False
        )
        batch.records[key] = record

    if skipped:  # fields the device's newer edits hold: the rest applies
        m = m.model_copy(update={"fields": {k: v for k, v in m.fields.items() if k not in skipped}})
    seq = batch.next_seq()
    if m.op is Op.DELETE:
        record.deleted_seq, record.deleted_by = seq, principal.device_id
        record.deleted_device_seq = m.device_seq
        record.fields = {}
    else:
        record.deleted_seq = record.deleted_by = record.deleted_device_seq = None
        # New dicts, never changed in place: a new record may share the mutation's fields. The
        # marks are tuples (JSON arrays as stored), which the garbage collector stops tracking.
        record.fields = {**record.fields, **m.fields} if record.fields else m.fields
        mark = (seq, device) if m.device_seq is None else (seq, device, m.device_seq)
        record.last_change = {**record.last_change, **dict.fromkeys(m.fields, mark)}
    record.seq = seq
    batch.applied[m.mutation_id] = (digest, seq)
    batch.applied_action[m.mutation_id] = action  # for a resend later in the same batch
    batch.new_applied.append((principal.device_id, m.mutation_id, digest, seq))
    batch.changes.append(
        (
            seq,
            m.entity.value,
            m.record_id,
            m.case_id,
            m.op.value,
            m.fields,
            principal.device_id,
            m.mutation_id,
            utcnow(),
        )
    )
    _after_apply(batch, m, record, new=new)
    batch.touched.pop(key, None)
    batch.touched[key] = record  # written and projected at the end, in the order last applied
    batch.log(m, action, Result.SUCCESS, "granted", "partly_superseded" if skipped else None)
    return MutationResult(mutation_id=m.mutation_id, outcome=Outcome.APPLIED, server_seq=seq)


def _evidence(
    batch: _Batch, m: Mutation, record: _Record | None, digest: str, action: Action
) -> MutationResult | None:
    """A plan version or signature (``PUSH_ONLY``): immutable. None when it is new and valid (it
    is applied like any first upsert); else the result: the same content again under another
    mutation id is acknowledged as DUPLICATE (recorded, nothing written, no seq spent), another
    content or a delete is REJECTED ``frozen``."""
    if m.op is Op.DELETE:
        return _rejected(batch, m, "frozen", "refused")
    if record is not None:
        if record.deleted_seq is not None or record.fields != m.fields:
            return _rejected(batch, m, "frozen", "refused")
        batch.applied[m.mutation_id] = (digest, record.seq)
        batch.applied_action[m.mutation_id] = action
        batch.new_applied.append((batch.principal.device_id, m.mutation_id, digest, record.seq))
        batch.log(m, action, Result.DUPLICATE, "granted", "same_evidence")
        return MutationResult(
            mutation_id=m.mutation_id, outcome=Outcome.DUPLICATE, server_seq=record.seq
        )
    problem = _evidence_problem(batch, m)
    if problem is not None:
        return _rejected(batch, m, problem, "refused")
    return None


_VERSION_FIELDS = frozenset(
    {"case_id", "meeting_id", "version", "plan_hash", "plan_json", "frozen_at"}
)
_SIGNATURE_FIELDS = frozenset({"record", "plan_version_id", "position", "image"})
MAX_PLAN_JSON = 256 * 1024  # characters of a plan's canonical JSON (a plan is a few KB)
MAX_IMAGE_BASE64 = 256 * 1024  # characters of a drawn PNG in base64 (a few KB in practice)


def _evidence_problem(batch: _Batch, m: Mutation) -> str | None:
    """Why a new plan version or signature cannot be kept (None: it can). The fields must be
    exactly the tablet's (``models.signing``); a version's JSON must have its hash; a signature
    must hold for its PNG and be made with the key the device registered, when it registered one
    (``PUT /devices/me/signing-key``; the tablet sends it at the end of its first cycle)."""
    f = m.fields
    if m.entity is Entity.PLAN_VERSION:
        text, digest, version = f.get("plan_json"), f.get("plan_hash"), f.get("version")
        if set(f) != _VERSION_FIELDS or f["case_id"] != str(m.case_id):
            return "invalid_evidence"
        if not isinstance(text, str) or len(text) > MAX_PLAN_JSON or not isinstance(digest, str):
            return "invalid_evidence"
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            return "invalid_evidence"
        if not all(isinstance(f[name], str) for name in ("meeting_id", "frozen_at")):
            return "invalid_evidence"
        try:
            if hashlib.sha256(text.encode("utf-8")).hexdigest() != digest:
                return "invalid_evidence"
        except UnicodeEncodeError:  # a lone surrogate: no canonical JSON has one
            return "invalid_evidence"
        return None
    image, position = f.get("image"), f.get("position")
    if set(f) != _SIGNATURE_FIELDS or not isinstance(f["plan_version_id"], str):
        return "invalid_evidence"
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        return "invalid_evidence"
    if not isinstance(image, str) or len(image) > MAX_IMAGE_BASE64:
        return "invalid_evidence"
    try:
        png = base64.b64decode(image, validate=True)
        signed = SignatureRecord.from_json(f["record"])
    except (ValueError, binascii.Error):
        return "invalid_evidence"
    if signed.id != str(m.record_id) or signed.case_id != str(m.case_id):
        return "invalid_evidence"
    if not png.startswith(PNG_MAGIC) or signature_problems(
        signed, signed.plan_hash, png, signed.public_key
    ):
        return "invalid_evidence"
    registered = batch.signing_key()
    if registered is not None and registered != signed.public_key.hex():
        return "unknown_signing_key"
    return None


def superseded(record: _Record, m: Mutation, device: str) -> tuple[bool, frozenset[str]]:
    """What of ``m`` (pushed by ``device``) the same device's newer mutations already replaced:
    (all of it, the names of its fields). A field is replaced when its current value was written
    by ``device`` with a higher ``device_seq``; the whole mutation when that holds for all of its
    fields, when the device deleted the record with a higher number, or, for a deletion, when the
    device wrote any of the record's current fields with a higher number (it made the record
    again after deleting it). Unnumbered mutations and values replace and are replaced by
    nothing: the order of arrival counts."""
    number = m.device_seq
    if number is None:
        return False, frozenset()
    if record.deleted_seq is not None:
        deleted_later = record.deleted_device_seq is not None and record.deleted_device_seq > number
        return deleted_later and str(record.deleted_by) == device, frozenset()
    names = record.fields if m.op is Op.DELETE else m.fields
    newer = frozenset(
        name
        for name in names
        if name in record.fields and _newer_mark(record.last_change.get(name), device, number)
    )
    if m.op is Op.DELETE:
        return bool(newer), frozenset()
    return bool(newer) and len(newer) == len(m.fields), newer


def _newer_mark(mark: Any, device: str, number: int) -> bool:
    """Whether a ``last_change`` mark is ``device``'s and newer than its mutation ``number``."""
    return (
        mark is not None
        and len(mark) > 2
        and mark[1] == device
        and isinstance(mark[2], int)
        and mark[2] > number
    )


def _superseded(
    batch: _Batch, m: Mutation, record: _Record, digest: str, action: Action
) -> MutationResult:
    """Acknowledge a mutation the device's newer ones replaced: recorded as applied (a resend is
    DUPLICATE) at the record's current seq, nothing changed, no sequence number spent."""
    batch.applied[m.mutation_id] = (digest, record.seq)
    batch.applied_action[m.mutation_id] = action
    batch.new_applied.append((batch.principal.device_id, m.mutation_id, digest, record.seq))
    batch.log(m, action, Result.SUPERSEDED, "granted", "newer_from_device")
    return MutationResult(
        mutation_id=m.mutation_id, outcome=Outcome.SUPERSEDED, server_seq=record.seq
    )


def _authorise(batch: _Batch, m: Mutation) -> str | None:
    """None when the mutation may be applied, else the reason code for REJECTED."""
    session, principal = batch.session, batch.principal
    is_case_record = m.entity is Entity.CASE
    if holds_nul(m.fields):
        return "invalid_text"  # PostgreSQL cannot store it; SQLite would (see holds_nul)
    if is_case_record and m.record_id != m.case_id:
        return "invalid_case_record"
    gives_consent = is_case_record and m.op is Op.UPSERT and m.fields.get(CONSENT_FIELD) is True
    gives_consent = gives_consent or m.case_id in batch.arriving
    consent = m.fields.get(CONSENT_FIELD)
    if is_case_record and consent is not None and not isinstance(consent, bool):
        return "invalid_consent"
    access = batch.access.get(m.case_id)
    if access is None:
        if not gives_consent:
            return "no_consent"
        # The case reaches the server now, with consent: the pusher becomes its creator.
        # True only once a consent upsert is applied (see _after_apply); the batch's promise is
        # checked against this at its end.
        batch.access[m.case_id] = _Access(
            m.case_id, principal.organisation_id, principal.account_id, False, stored=None
        )
        batch.members.add(m.case_id)
        # Granted by the case's creation: the seq this mutation gets when applied.
        batch.new_members.append(_member(m.case_id, principal.account_id, None, batch.seq + 1))
        return None
    if m.case_id not in batch.members:
        return "not_authorised"
    if not access.consent_given and not gives_consent:
        return "no_consent"
    if m.entity is Entity.PARTICIPANT and m.op is Op.UPSERT and ACCOUNT_FIELD in m.fields:
        value = m.fields[ACCOUNT_FIELD]
        if value is not None and not _known_account(session, value):
            return "unknown_account"
    return None


def _known_account(session: Session, value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        account_id = uuid.UUID(value)
    except ValueError:
        return False
    return session.get(Account, account_id) is not None


def _after_apply(batch: _Batch, m: Mutation, record: _Record, *, new: bool) -> None:
    """Keep consent and case membership in step with the records just changed. A participant
    record the server did not have yet cannot have made anyone a member. A participant deleted or
    marked removed (``removed_on``, how the app takes someone off a case) makes nobody a member,
    even when a merge with another tablet's edit left an account on it. An account the record no
    longer names gets a ``case_access_end`` row at this change's seq (see server/sync_pull.py)."""
    session = batch.session
    if m.entity is Entity.CASE and m.op is Op.UPSERT and CONSENT_FIELD in m.fields:
        access = batch.access.get(m.case_id)
        if access is not None:
            access.consent_given = m.fields[CONSENT_FIELD] is True
    if m.entity is Entity.PARTICIPANT:
        taking_part = record.deleted_seq is None and record.fields.get(REMOVED_FIELD) is None
        account = record.fields.get(ACCOUNT_FIELD) if taking_part else None
        account_id = uuid.UUID(account) if isinstance(account, str) else None
        since = record.seq  # granted now; kept when the same account stays linked (back-fill)
        if not new:
            batch.write_access()  # the queries below must see the rows made so far
            for kept_account, kept_since in session.exec(
                select(CaseMember.account_id, CaseMember.since_seq).where(
                    CaseMember.participant_id == m.record_id
                )
            ):
                if kept_account == account_id:
                    since = min(since, kept_since)
                else:  # this record no longer makes that account a member (see sync_pull)
                    batch.access_ends.append(
                        {"case_id": m.case_id, "account_id": kept_account, "ended_seq": record.seq}
                    )
            session.execute(delete(CaseMember).where(col(CaseMember.participant_id) == m.record_id))
        if account_id is not None:
            batch.new_members.append(_member(m.case_id, account_id, m.record_id, since))
        if account_id == batch.principal.account_id:
            batch.members.add(m.case_id)
        elif not new:
            # The pusher may have stopped being a member through this participant.
            batch.members.discard(m.case_id)
            batch.write_access()
            if is_member(session, batch.principal, m.case_id):
                batch.members.add(m.case_id)


def _member(
    case_id: uuid.UUID, account_id: uuid.UUID, participant_id: uuid.UUID | None, since: int
) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "account_id": account_id,
        "participant_id": participant_id,
        "since_seq": since,
    }

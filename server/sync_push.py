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
- The whole push runs under the ``sync_head`` lock, so sequence numbers are handed out and
  committed in order: a pull that sees seq N has seen every seq below N.
- Round trips, not rows, are what a push costs (bench/sync_ingest.py): under the lock, one query
  each fetches the batch's earlier applied mutations, its records, its cases' access rows and the
  pusher's memberships; new rows are flushed together, the change log and applied-mutation rows
  with one executemany each; the read model is brought in step once for the whole batch at its
  end, a few statements per table (``projection.project_batch``).
Authorisation and consent are in server/authorisation.py; audit rows commit with the changes.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import Table, delete, insert, update
from sqlmodel import Session, col, select

from server import audit
from server.audit import Action, Result
from server.authorisation import is_member
from server.models.accounts import Account
from server.models.audit import AuditEventBase
from server.models.dossier import (
    AppliedMutation,
    CaseAccess,
    CaseMember,
    ChangeRow,
    DossierRecord,
    SyncHead,
)
from server.models.types import utcnow
from server.principal import Principal
from server.reports import projection
from sync.protocol import (
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
CONSENT_FIELD = "consent_given"
ACCOUNT_FIELD = "account_id"  # on a participant record: the professional's server account


class _Batch:
    """One push in progress: the sequence counter and the audit rows to write with it."""

    def __init__(
        self, session: Session, principal: Principal, head: SyncHead, arriving: set[uuid.UUID]
    ) -> None:
        self.session = session
        self.principal = principal
        self.head = head
        self.arriving = arriving  # cases this batch ends with consent for
        self.events: list[AuditEventBase] = []
        # Prefetched under the lock (see prefetch) and kept up to date as the batch applies.
        self.applied: dict[uuid.UUID, tuple[str, int]] = {}  # mutation id -> (digest, seq)
        self.new_applied: list[dict[str, Any]] = []  # applied_mutation rows, written at the end
        self.changes: list[dict[str, Any]] = []  # change_log rows, written at the end
        self.records: dict[tuple[str, uuid.UUID], DossierRecord] = {}
        self.access: dict[uuid.UUID, CaseAccess] = {}
        self.members: set[uuid.UUID] = set()  # cases the pusher is a member of
        self.touched: dict[tuple[str, uuid.UUID], DossierRecord] = {}  # for the read model

    def prefetch(self, mutations: list[Mutation]) -> None:
        session, principal = self.session, self.principal
        if not mutations:
            return
        mutation_ids = {m.mutation_id for m in mutations}
        record_ids = {m.record_id for m in mutations}
        case_ids = {m.case_id for m in mutations}
        for seen in session.exec(
            select(AppliedMutation).where(
                AppliedMutation.device_id == principal.device_id,
                col(AppliedMutation.mutation_id).in_(mutation_ids),
            )
        ):
            self.applied[seen.mutation_id] = (seen.digest, seen.seq)
        entities = {m.entity.value for m in mutations}
        for record in session.exec(  # both key columns, so the primary key index serves
            select(DossierRecord).where(
                col(DossierRecord.entity).in_(entities),
                col(DossierRecord.record_id).in_(record_ids),
            )
        ):
            self.records[(record.entity, record.record_id)] = record
        for access in session.exec(select(CaseAccess).where(col(CaseAccess.case_id).in_(case_ids))):
            self.access[access.case_id] = access
        self.members = set(
            session.exec(
                select(CaseMember.case_id).where(
                    CaseMember.account_id == principal.account_id,
                    col(CaseMember.case_id).in_(case_ids),
                )
            )
        )

    def next_seq(self) -> int:
        self.head.seq += 1
        return self.head.seq

    def log(
        self, m: Mutation, action: Action, outcome: Result, authorisation: str, reason: str | None
    ) -> None:
        self.events.append(
            audit.event(
                self.principal.actor,
                action=action,
                outcome=outcome,
                authorisation=authorisation,
                case_id=m.case_id,
                entity=m.entity,
                record_id=m.record_id,
                device_time=m.device_time,
                reason=reason,
                route="/sync/push",
            )
        )


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
    head = session.exec(select(SyncHead).where(SyncHead.id == 1)).one()
    batch = _Batch(session, principal, head, arriving)
    batch.prefetch(request.mutations)
    results: list[MutationResult] = []
    stopped: set[tuple[Entity, uuid.UUID]] = set()
    for m in request.mutations:
        key = (m.entity, m.record_id)
        if key in stopped:
            continue
        result = _apply(batch, m)
        if result.outcome not in (Outcome.APPLIED, Outcome.DUPLICATE):
            stopped.add(key)
        results.append(result)
    for case_id in arriving:
        access = batch.access.get(case_id)
        if access is None or not access.consent_given:
            return PushResponse(results=results), False
    session.add(head)
    session.flush()
    # The change log and the once-only guard, one executemany each (no ORM objects per row).
    if batch.changes:
        session.execute(insert(_CHANGE_LOG), batch.changes)
        session.execute(insert(_APPLIED), batch.new_applied)
    # The team-lead read model, set-based for the whole batch, in the same transaction.
    projection.project_batch(session.connection(), batch.touched.values())
    audit.record(session, batch.events)
    return PushResponse(results=results), True


def _rejected(batch: _Batch, m: Mutation, reason: str, authorisation: str) -> MutationResult:
    batch.log(m, _action(m, None), Result.REFUSED, authorisation, reason)
    return MutationResult(mutation_id=m.mutation_id, outcome=Outcome.REJECTED, reason=reason)


def _action(m: Mutation, record: DossierRecord | None) -> Action:
    if m.op is Op.DELETE:
        return Action.DELETE
    return Action.CREATE if record is None or record.deleted_seq is not None else Action.UPDATE


def _apply(batch: _Batch, m: Mutation) -> MutationResult:
    session, principal = batch.session, batch.principal
    digest = m.digest()
    seen = batch.applied.get(m.mutation_id)
    if seen is not None:
        seen_digest, seen_seq = seen
        if seen_digest != digest:
            return _rejected(batch, m, "mutation_id_reused", "not_checked")
        batch.log(m, _action(m, None), Result.DUPLICATE, "not_checked", None)
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
    device = str(principal.device_id)
    base = m.base_seq or 0
    if record is not None:
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
        # Every field given: pydantic inspects a default factory's signature on each use.
        record = DossierRecord(
            entity=m.entity.value,
            record_id=m.record_id,
            case_id=m.case_id,
            fields={},
            last_change={},
            deleted_seq=None,
            deleted_by=None,
            seq=0,
        )
        batch.records[key] = record

    seq = batch.next_seq()
    if m.op is Op.DELETE:
        record.deleted_seq, record.deleted_by = seq, principal.device_id
        record.fields = {}
    else:
        record.deleted_seq, record.deleted_by = None, None
        record.fields = {**record.fields, **m.fields}
        record.last_change = {**record.last_change, **{name: [seq, device] for name in m.fields}}
    record.seq = seq
    session.add(record)
    batch.applied[m.mutation_id] = (digest, seq)
    batch.new_applied.append(
        {
            "device_id": principal.device_id,
            "mutation_id": m.mutation_id,
            "digest": digest,
            "seq": seq,
        }
    )
    batch.changes.append(
        {
            "seq": seq,
            "entity": m.entity.value,
            "record_id": m.record_id,
            "case_id": m.case_id,
            "op": m.op.value,
            "fields": dict(m.fields),
            "origin_device": principal.device_id,
            "mutation_id": m.mutation_id,
            "server_time": utcnow(),
        }
    )
    _after_apply(batch, m, record, new=new)
    batch.touched.pop(key, None)
    batch.touched[key] = record  # projected at the end of the batch, in the order last applied
    batch.log(m, action, Result.SUCCESS, "granted", None)
    return MutationResult(mutation_id=m.mutation_id, outcome=Outcome.APPLIED, server_seq=seq)


def _authorise(batch: _Batch, m: Mutation) -> str | None:
    """None when the mutation may be applied, else the reason code for REJECTED."""
    session, principal = batch.session, batch.principal
    is_case_record = m.entity is Entity.CASE
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
        access = CaseAccess(
            case_id=m.case_id,
            organisation_id=principal.organisation_id,
            created_by=principal.account_id,
            # True only once a consent upsert is applied (see _after_apply); the batch's
            # promise is checked against this at its end.
            consent_given=False,
        )
        batch.access[m.case_id] = access
        batch.members.add(m.case_id)
        session.add(access)
        # Granted by the case's creation: the seq this mutation gets when applied.
        since = batch.head.seq + 1
        session.add(CaseMember(case_id=m.case_id, account_id=principal.account_id, since_seq=since))
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


def _after_apply(batch: _Batch, m: Mutation, record: DossierRecord, *, new: bool) -> None:
    """Keep consent and case membership in step with the records just changed. A participant
    record the server did not have yet cannot have made anyone a member."""
    session = batch.session
    if m.entity is Entity.CASE and m.op is Op.UPSERT and CONSENT_FIELD in m.fields:
        access = batch.access.get(m.case_id)
        if access is not None:
            access.consent_given = m.fields[CONSENT_FIELD] is True
            session.add(access)
    if m.entity is Entity.PARTICIPANT:
        account = record.fields.get(ACCOUNT_FIELD) if record.deleted_seq is None else None
        account_id = uuid.UUID(account) if isinstance(account, str) else None
        since = record.seq  # granted now; kept when the same account stays linked (back-fill)
        if not new:
            for kept in session.exec(
                select(CaseMember.since_seq).where(
                    CaseMember.participant_id == m.record_id, CaseMember.account_id == account_id
                )
            ):
                since = min(since, kept)
            session.execute(delete(CaseMember).where(col(CaseMember.participant_id) == m.record_id))
        if account_id is not None:
            session.add(
                CaseMember(
                    case_id=m.case_id,
                    account_id=account_id,
                    participant_id=m.record_id,
                    since_seq=since,
                )
            )
        if account_id == batch.principal.account_id:
            batch.members.add(m.case_id)
        elif not new:
            # The pusher may have stopped being a member through this participant.
            batch.members.discard(m.case_id)
            if is_member(session, batch.principal, m.case_id):
                batch.members.add(m.case_id)

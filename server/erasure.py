"""Erasure on request (AVG art. 17): remove one case from the dossier, all or nothing.

``python -m server erase-case CASE_ID --request REF`` calls ``erase_case``. In one transaction,
under the ``sync_head`` lock a push takes too (so no push of the case interleaves):

- every row of the case goes: ``dossier_record``, ``change_log``, the ``applied_mutation`` rows
  at the case's sequence numbers (their digests are hashes of its contents; superseded mutations
  are recorded at a seq of the case's records too), ``case_access``, ``case_member`` and the
  team-report read model (``report_case``, ``report_participant``, ``report_meeting``,
  ``report_agreement``, ``report_measurement``);
- the erasure takes a sequence number of its own, and every account that was a member gets a
  ``case_access_end`` row at it: each of their tablets (and their team lead's) is told in its next
  pull's ``access_ended`` and removes the case (server/sync_pull.py, sync/cycle.py). Earlier
  ``case_access_end`` rows of the case stay: ids only, and a tablet that has not synced since its
  access ended still needs them;
- ``case_erasure`` keeps the case id (and that seq): a tablet that was offline and pushes a change
  to the case later gets ``case_erased`` (server/sync_push.py), so the case is never made again;
- the audit log keeps its rows (append-only, hash-chained; they hold ids and codes only) and gets
  one more: action ``delete``, entity ``case``, reason ``erased_on_request``. The administrator's
  ``--request`` reference (checked to be a reference, not free text) is not stored anywhere, nor
  printed. The request itself belongs in the organisation's own register of AVG requests.

**Retention** (AVG art. 5(1)(e)): ``python -m server purge-closed --closed-before DAY`` calls
``purge_closed``: every case whose case record says it was closed (``closed_on``, as the team-report
read model ``report_case`` holds it) before DAY is erased as above, one case per transaction, with
reason ``retention_expired`` and route ``cli:purge-closed``. A case reopened meanwhile (its
``closed_on`` checked again under the lock) is kept. The audit log is never purged. A case whose
case record was deleted (so not in the read model) is not found by the purge: erase it by id.

``case_erasure`` also keeps the case's organisation (migration 0009): its administrator can still
export the case's audit trail (``server.authorisation.can_export_audit``).

Not covered: a tablet of an app from before ``?protocol=2`` is not told (it gets ``case_erased``
on its next push of the case); plan PDFs already handed out; backups of the database.
Deleting the ``applied_mutation`` rows reads that table whole (it has no index on ``seq``): pushes
wait for it, once per erased case (a purge lets pushes through between its cases).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import Engine, Table, delete, func, select, update
from sqlmodel import Session

from server import audit
from server.audit import Action, Actor, Result
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
from server.models.reports import (
    ReportAgreement,
    ReportCase,
    ReportMeasurement,
    ReportMeeting,
    ReportParticipant,
)

ERASED_ON_REQUEST = "erased_on_request"  # the audit row's reason: a code, never the request text
RETENTION_EXPIRED = "retention_expired"  # closed before the retention date (purge-closed)
ROUTE = "cli:erase-case"
PURGE_ROUTE = "cli:purge-closed"
AUTHORISATION = "server_command"  # run on the server itself, by whoever may run its commands


def _table(model: object) -> Table:
    return cast(Table, cast(Any, model).__table__)


_RECORDS = _table(DossierRecord)
_CHANGES = _table(ChangeRow)
_APPLIED = _table(AppliedMutation)
_ACCESS = _table(CaseAccess)
_MEMBERS = _table(CaseMember)
_ENDS = _table(CaseAccessEnd)
_ERASED = _table(CaseErasure)
_HEAD = _table(SyncHead)
_CASES = _table(ReportCase)
_READ_MODEL = tuple(
    _table(m)
    for m in (ReportCase, ReportParticipant, ReportMeeting, ReportAgreement, ReportMeasurement)
)


class ErasureError(Exception):
    """The case cannot be erased; ``str(error)`` is one line without personal data."""


class UnknownCaseError(ErasureError):
    pass


class AlreadyErasedError(ErasureError):
    pass


@dataclass(frozen=True)
class Erased:
    case_id: uuid.UUID
    seq: int  # the erasure's own sequence number (the members' access ended at it)
    records: int
    changes: int
    members: int  # accounts whose access ended


def erase_case(
    session: Session,
    case_id: uuid.UUID,
    *,
    reason: str = ERASED_ON_REQUEST,
    route: str = ROUTE,
) -> Erased:
    """Remove the case in the session's transaction (the caller commits; on an error nothing was
    written and the caller rolls back). ``reason`` and ``route`` go into the audit row."""
    # The push's lock first (server/sync_push.py), and the erasure's own seq with it.
    seq = session.execute(
        update(_HEAD).where(_HEAD.c.id == 1).values(seq=_HEAD.c.seq + 1).returning(_HEAD.c.seq)
    ).scalar_one()
    if session.execute(select(_ERASED.c.case_id).where(_ERASED.c.case_id == case_id)).first():
        raise AlreadyErasedError(f"case {case_id} was erased already")
    access = session.execute(
        select(_ACCESS.c.organisation_id).where(_ACCESS.c.case_id == case_id)
    ).first()
    records = _count(session, _RECORDS, case_id)
    if access is None and records == 0:
        raise UnknownCaseError(f"no case {case_id} on this dossier server")
    changes = _count(session, _CHANGES, case_id)
    members = sorted(
        set(
            session.execute(
                select(_MEMBERS.c.account_id).where(_MEMBERS.c.case_id == case_id)
            ).scalars()
        ),
        key=str,
    )
    case_seqs = select(_CHANGES.c.seq).where(_CHANGES.c.case_id == case_id)
    session.execute(delete(_APPLIED).where(_APPLIED.c.seq.in_(case_seqs)))
    for table in (_CHANGES, _RECORDS, *_READ_MODEL, _MEMBERS, _ACCESS):
        session.execute(delete(table).where(table.c.case_id == case_id))
    if members:
        session.execute(
            _ENDS.insert(),
            [{"case_id": case_id, "account_id": a, "ended_seq": seq} for a in members],
        )
    organisation = None if access is None else access.organisation_id
    session.execute(
        _ERASED.insert().values(case_id=case_id, erased_seq=seq, organisation_id=organisation)
    )
    audit.record(
        session,
        [
            audit.event(
                Actor(organisation_id=organisation),
                action=Action.DELETE,
                outcome=Result.SUCCESS,
                authorisation=AUTHORISATION,
                case_id=case_id,
                entity="case",
                record_id=case_id,
                reason=reason,
                route=route,
            )
        ],
    )
    return Erased(case_id, seq, records=records, changes=changes, members=len(members))


def _count(session: Session, table: Table, case_id: uuid.UUID) -> int:
    query = select(func.count()).select_from(table).where(table.c.case_id == case_id)
    return int(session.execute(query).scalar_one())


# -- retention -----------------------------------------------------------------------------------


class PurgeError(Exception):
    """A purge stopped part-way; the cases erased before it stay erased."""

    def __init__(self, erased: int, remaining: int, cause: BaseException) -> None:
        super().__init__(f"stopped after {erased} cases ({type(cause).__name__})")
        self.erased, self.remaining, self.cause = erased, remaining, cause


@dataclass(frozen=True)
class Purged:
    erased: int
    kept: int  # reopened (or gone) between the count and their own transaction


def _closed_before(day: date) -> Any:
    return (_CASES.c.closed_on.is_not(None)) & (_CASES.c.closed_on < day)


def closed_case_ids(session: Session, day: date) -> list[uuid.UUID]:
    """The cases whose case record says they were closed before ``day``, in id order."""
    query = select(_CASES.c.case_id).where(_closed_before(day)).order_by(_CASES.c.case_id)
    return list(session.execute(query).scalars())


def purge_closed(engine: Engine, day: date) -> Purged:
    """Erase every case closed before ``day``, each in a transaction of its own (reason
    ``retention_expired``). On a failure the case at hand is rolled back, the earlier ones stay
    erased, and ``PurgeError`` says how many."""
    with Session(engine) as session:
        case_ids = closed_case_ids(session, day)
    erased = kept = 0
    for number, case_id in enumerate(case_ids):
        with Session(engine) as session:
            try:
                # The push's lock first, then the check again: a push that reopened the case
                # since the count has committed, or waits until this case is done.
                session.execute(update(_HEAD).where(_HEAD.c.id == 1).values(seq=_HEAD.c.seq))
                still = select(_CASES.c.case_id).where(
                    _CASES.c.case_id == case_id, _closed_before(day)
                )
                if session.execute(still).first() is None:
                    session.rollback()
                    kept += 1
                    continue
                erase_case(session, case_id, reason=RETENTION_EXPIRED, route=PURGE_ROUTE)
                session.commit()
            except Exception as error:
                session.rollback()
                raise PurgeError(erased, len(case_ids) - number, error) from error
        erased += 1
    return Purged(erased=erased, kept=kept)

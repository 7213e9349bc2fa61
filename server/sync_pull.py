"""Pulling changes by the server's sequence number, only of cases the caller may read.

The page holds the next ``limit`` visible changes after ``cursor``, up to the head read at the
start. When fewer than ``limit`` were found, the cursor jumps to that head (invisible changes in
between are skipped once, not rescanned on every pull) and ``done`` is true.

Back-fill for a new member: an account added to a case later (a professional participant with
their ``account_id``; for a team lead, a member of their team) has a device whose cursor may have
passed the case's earlier changes already. ``CaseMember.since_seq`` holds the seq of the change
that granted each membership. A case whose smallest grant for this principal (their own rows; for
a team lead, the rows of their team's accounts, as in ``visible_case_ids``) lies after the
request's cursor and at most the head, gets its **back-fill**: every change of the case with seq
<= cursor, in seq order, before the page's normal changes. The back-fill does not count against
``limit``: a case's history is bounded. When the page stops before the grant's seq, the next pull
sends the back-fill again (its cursor is still below the grant). That is harmless: it is the
complete, ordered history of the case up to that cursor, so applying it again ends in the same
state, and the normal changes after the cursor follow. Once the cursor has passed the grant, the
case is never back-filled again. A device that starts from cursor 0 needs none.

Released cases (issue #5, "the tablet keeps only the active caseload"; ``models.caseload``): a
tablet lets go of a closed case it no longer needs and keeps its id. Nothing is stored here and
nothing changes for the pull itself: the changes of every visible case are sent as always. A
tablet that pulls a change of a case it released asks for the case again in a later request
(``PullRequest.refetch``, at most ``MAX_REFETCH`` ids, so requests stay small). Each named case
the principal sees now is back-filled like a new membership: every change of it with seq <= the
request's cursor, in seq order, before the page's changes; ``PullResponse.returned`` names it, and
the tablet holds it whole again (the changes after the cursor follow on this and later pages as
usual). Ids the principal cannot see are ignored (no back-fill, never named).

Access that ended (issue #5, "the tablet keeps only the active caseload"): a membership ends when
its participant record is marked removed, deleted, or loses its ``account_id`` ("End dossier
access"). ``case_member`` rows are deleted then, so ``server.sync_push`` writes a
``CaseAccessEnd`` row (case, account, seq of that change; migration 0006): a tombstone of the
membership, never updated. ``PullResponse.access_ended`` lists each case that has an end row

- of this principal's account (for a team lead: of an account of their team, or their own, as in
  ``visible_case_ids``), so a case is only named to someone who had it through that account;
- with ``request.cursor < ended_seq <= the page's cursor``, so each end is named once, on the
  page whose cursor passes it (a later page or pull starts after it);
- and that the principal does **not** see now (``visible_case_ids``): still a member another way
  (the creator, another participant record, granted again), or for a team lead another member in
  the team, means access did not end.

Why a separate table rather than keeping ended ``case_member`` rows with an end seq: every access
query (authorisation, back-fill, the team reports) would need a new condition, and one forgotten
would open a case again. The end rows are read only here.

An end named once and then missed (a device whose store was reset to an older cursor) is named
again, as the cursor passes it again. Not covered: an account moved to another team takes its
cases out of the old team lead's view without any change (no seq), so that team lead's tablet is
not told; and memberships that ended before migration 0006 left no end row.

Signed-plan evidence is push-only: the change log holds every ``plan_version`` and
``plan_signature`` a tablet sent (``sync.protocol.PUSH_ONLY``, kept immutable by
``server.sync_push``), but a pull never returns them, neither on a page nor in a back-fill. An
older tablet would fail on an entity it does not know, and applying another tablet's frozen
versions is a later step. The cursor still passes them like any change the caller cannot see.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from server import audit
from server.audit import Action, Result
from server.authorisation import visible_case_ids
from server.models.accounts import Account, Role
from server.models.dossier import CaseAccessEnd, CaseMember, ChangeRow, SyncHead
from server.principal import Principal
from sync.protocol import PUSH_ONLY, Change, Entity, Op, PullRequest, PullResponse

# Push-only entities (signed-plan evidence) never leave the server in a pull.
_SENT = col(ChangeRow.entity).not_in(sorted(e.value for e in PUSH_ONLY))


def pull(session: Session, principal: Principal, request: PullRequest) -> PullResponse:
    head = session.exec(select(SyncHead.seq).where(SyncHead.id == 1)).one()
    rows = session.exec(
        select(ChangeRow)
        .where(
            col(ChangeRow.seq) > request.cursor,
            col(ChangeRow.seq) <= head,
            col(ChangeRow.case_id).in_(visible_case_ids(principal)),
            _SENT,
        )
        .order_by(col(ChangeRow.seq))
        .limit(request.limit)
    ).all()
    changes = [_change(row) for row in rows]
    if len(changes) < request.limit:
        cursor, done = max(head, request.cursor), True
    else:
        cursor, done = changes[-1].seq, changes[-1].seq >= head
    returned = _returned(session, principal, request)
    backfill = _backfill(session, principal, request.cursor, head, returned)
    changes = [_change(row) for row in backfill] + changes
    cases: dict[uuid.UUID, None] = dict.fromkeys(c.case_id for c in changes)
    audit.record(
        session,
        [
            audit.event(
                principal.actor,
                action=Action.READ,
                outcome=Result.SUCCESS,
                authorisation="granted",
                case_id=case_id,
                route="/sync/pull",
            )
            for case_id in cases
        ],
    )
    ended = _access_ended(session, principal, request.cursor, cursor)
    return PullResponse(
        changes=changes, cursor=cursor, done=done, access_ended=ended, returned=returned
    )


def _change(row: ChangeRow) -> Change:
    return Change(
        seq=row.seq,
        entity=Entity(row.entity),
        record_id=row.record_id,
        case_id=row.case_id,
        op=Op(row.op),
        fields=row.fields,
        origin_device=row.origin_device,
        mutation_id=row.mutation_id,
        server_time=row.server_time,
    )


def granted_after(principal: Principal, cursor: int, head: int) -> SelectOfScalar[uuid.UUID]:
    """The cases that became visible to this principal after ``cursor`` (and by ``head``)."""
    first = func.min(col(CaseMember.since_seq))
    query = select(col(CaseMember.case_id))
    if principal.role is Role.TEAM_LEAD and principal.team_id is not None:
        query = query.join(Account, col(Account.id) == col(CaseMember.account_id)).where(
            (col(Account.team_id) == principal.team_id) | (col(Account.id) == principal.account_id)
        )
    elif principal.role is Role.ADMINISTRATOR:
        query = query.where(col(CaseMember.case_id).is_(None))
    else:
        query = query.where(col(CaseMember.account_id) == principal.account_id)
    return query.group_by(col(CaseMember.case_id)).having(first > cursor, first <= head)


def _backfill(
    session: Session,
    principal: Principal,
    cursor: int,
    head: int,
    returned: list[uuid.UUID],
) -> list[ChangeRow]:
    """Every change up to ``cursor`` of the cases granted after it, and of the released cases
    asked for again (``returned``), in seq order."""
    if cursor <= 0:
        return []  # a device pulling from the start gets every visible change anyway
    cases: ColumnElement[bool] = col(ChangeRow.case_id).in_(granted_after(principal, cursor, head))
    if returned:
        cases = cases | col(ChangeRow.case_id).in_(returned)
    return list(
        session.exec(
            select(ChangeRow)
            .where(col(ChangeRow.seq) <= cursor, cases, _SENT)
            .order_by(col(ChangeRow.seq))
        ).all()
    )


def _returned(session: Session, principal: Principal, request: PullRequest) -> list[uuid.UUID]:
    """The request's ``refetch`` cases this principal sees now."""
    if not request.refetch:
        return []
    found = session.exec(
        select(col(CaseMember.case_id))
        .where(
            col(CaseMember.case_id).in_(sorted(set(request.refetch), key=str)),
            col(CaseMember.case_id).in_(visible_case_ids(principal)),
        )
        .distinct()
    ).all()
    return sorted(set(found), key=str)


def _access_ended(session: Session, principal: Principal, after: int, upto: int) -> list[uuid.UUID]:
    """The cases whose access through this principal's accounts ended in (after, upto] and that it
    does not see now (see the module docstring)."""
    if upto <= after:
        return []
    query = select(col(CaseAccessEnd.case_id)).where(
        col(CaseAccessEnd.ended_seq) > after, col(CaseAccessEnd.ended_seq) <= upto
    )
    if principal.role is Role.TEAM_LEAD and principal.team_id is not None:
        query = query.join(Account, col(Account.id) == col(CaseAccessEnd.account_id)).where(
            (col(Account.team_id) == principal.team_id) | (col(Account.id) == principal.account_id)
        )
    elif principal.role is Role.ADMINISTRATOR:
        return []
    else:
        query = query.where(col(CaseAccessEnd.account_id) == principal.account_id)
    query = query.where(col(CaseAccessEnd.case_id).not_in(visible_case_ids(principal)))
    return sorted(set(session.exec(query.distinct()).all()), key=str)

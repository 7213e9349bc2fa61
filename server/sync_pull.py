"""Pulling changes by the server's sequence number, only of cases the caller may read.

The page holds the next ``limit`` visible changes after ``cursor``, up to the head read at the
start. When fewer than ``limit`` were found, the cursor jumps to that head (invisible changes in
between are skipped once, not rescanned on every pull) and ``done`` is true.

Known gap (see server/README.md): an account added to a case later gets that case's changes from
its current cursor on, not the case's earlier history.
"""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, select

from server import audit
from server.audit import Action, Result
from server.authorisation import visible_case_ids
from server.models.dossier import ChangeRow, SyncHead
from server.principal import Principal
from sync.protocol import Change, Entity, Op, PullRequest, PullResponse


def pull(session: Session, principal: Principal, request: PullRequest) -> PullResponse:
    head = session.exec(select(SyncHead.seq).where(SyncHead.id == 1)).one()
    rows = session.exec(
        select(ChangeRow)
        .where(
            col(ChangeRow.seq) > request.cursor,
            col(ChangeRow.seq) <= head,
            col(ChangeRow.case_id).in_(visible_case_ids(principal)),
        )
        .order_by(col(ChangeRow.seq))
        .limit(request.limit)
    ).all()
    changes = [
        Change(
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
        for row in rows
    ]
    if len(changes) < request.limit:
        cursor, done = max(head, request.cursor), True
    else:
        cursor, done = changes[-1].seq, changes[-1].seq >= head
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
    return PullResponse(changes=changes, cursor=cursor, done=done)

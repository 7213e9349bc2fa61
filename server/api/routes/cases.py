"""Per-case routes. For now: the audit trail of a case, for a resident's access request.

``GET /cases/{case_id}/audit`` answers one page: ``{"events": [...], "next": N | null}``, at most
``limit`` events (default ``AUDIT_PAGE_DEFAULT``, at most ``AUDIT_PAGE_MAX``; above it 422
``invalid_request``) with an ``id`` above ``after``, oldest first. ``next`` is the ``id`` of the
page's last event when more follow: send it as ``after`` for the next page; ``null`` on the last
page. The ``id`` is the audit log's own sequence (the hash chain's order), and rows are appended
under the chain's head lock, so a page never gains an older row later: paging from ``after=0``
until ``next`` is null gives every event of the case exactly once, in order.

Every page read is itself an ``export`` row of the case (NEN 7513: reads of the log are logged),
so a later page shows the exports of the earlier ones.

Until this answer was paged it was a bare list of every row; no app calls the route (the tablet
does not show the audit trail), so the shape changed rather than being kept for old callers: an
old caller fails loudly on the object instead of silently getting a first page only.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlmodel import col, select

from server import audit
from server.api.deps import CurrentPrincipal, EngineDep, SessionDep, refuse
from server.audit import Action, Result
from server.authorisation import can_export_audit
from server.errors import NotFound
from server.limits import AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX
from server.models.audit import AuditEvent, AuditEventPublic
from sync.protocol import MAX_SERVER_SEQ

router = APIRouter(prefix="/cases", tags=["cases"])


class AuditPage(BaseModel):
    events: list[AuditEventPublic]
    next: int | None  # send as ``after`` for the next page; None: this was the last page


PageLimit = Annotated[
    int,
    Query(ge=1, le=AUDIT_PAGE_MAX, description=f"events per page (at most {AUDIT_PAGE_MAX})"),
]
After = Annotated[
    int,
    Query(
        ge=0,
        le=MAX_SERVER_SEQ,
        description="the previous page's ``next``; 0 (default) from the start",
    ),
]


@router.get("/{case_id}/audit", response_model=AuditPage)
def export_audit(
    request: Request,
    case_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: SessionDep,
    engine: EngineDep,
    limit: PageLimit = AUDIT_PAGE_DEFAULT,
    after: After = 0,
) -> AuditPage:
    """One page of the case's audit rows (AVG art. 15), oldest first; the read is logged."""
    if not can_export_audit(session, principal, case_id):
        # 404, not 403: whether a case exists is itself not for everyone to learn.
        error = NotFound("not_found", "No such case.")
        raise refuse(engine, request, principal.actor, error, case_id=case_id)
    rows = list(
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.case_id == case_id, col(AuditEvent.id) > after)
            .order_by(col(AuditEvent.id))
            .limit(limit + 1)  # one more, to know whether another page follows
        ).all()
    )
    more = len(rows) > limit
    events = [AuditEventPublic.model_validate(row, from_attributes=True) for row in rows[:limit]]
    audit.record(
        session,
        [
            audit.event(
                principal.actor,
                action=Action.EXPORT,
                outcome=Result.SUCCESS,
                authorisation="granted",
                case_id=case_id,
                route="/cases/{case_id}/audit",
            )
        ],
    )
    session.commit()
    return AuditPage(events=events, next=events[-1].id if more else None)

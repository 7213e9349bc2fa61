"""Per-case routes. For now: the audit trail of a case, for a resident's access request."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from sqlmodel import col, select

from server import audit
from server.api.deps import CurrentPrincipal, EngineDep, SessionDep, refuse
from server.audit import Action, Result
from server.authorisation import can_export_audit
from server.errors import NotFound
from server.models.audit import AuditEvent, AuditEventPublic

router = APIRouter(prefix="/cases", tags=["cases"])


@router.get("/{case_id}/audit", response_model=list[AuditEventPublic])
def export_audit(
    request: Request,
    case_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: SessionDep,
    engine: EngineDep,
) -> list[AuditEvent]:
    """Every audit row of the case (AVG art. 15), oldest first; the export itself is logged."""
    if not can_export_audit(session, principal, case_id):
        # 404, not 403: whether a case exists is itself not for everyone to learn.
        error = NotFound("not_found", "No such case.")
        raise refuse(engine, request, principal.actor, error, case_id=case_id)
    rows = list(
        session.exec(
            select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(col(AuditEvent.id))
        ).all()
    )
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
    return rows

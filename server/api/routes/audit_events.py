"""``POST /devices/me/audit-events``: reads and exports done on a tablet, into the audit log.

The tablet records a case entered, a plan PDF saved or shared, a team report exported
(``models.device_audit``), offline, and sends them early in a sync cycle, right after logging in
and before push and pull (``sync.audit_events``), once the dossier has the case. Each event
becomes one row of the hash-chained ``audit_event`` table with the tablet's ``device_time``, the
server's ``server_time`` and the account, role and device of the access token (never of the
body).

The device is not trusted: an event about a case this account may not see (``visible_case_ids``,
as for a pull), or naming a record that is not of that case, or a team report export from an
account that is not a team lead, is written all the same, as outcome ``refused`` with the reason.
A tablet's read of a case it holds is a fact worth keeping even when the server disagrees.
Visibility is judged when the event arrives: a read done offline while the account still took
part, sent after its access ended, is written as refused (its ``device_time`` still shows when it
happened). ``case_access_end`` records the end by sequence number, not by time, so the server
cannot tell the two apart yet.

**Once per event id.** The answer lists every event id of the request that is in the audit log
now; the tablet deletes those. A resend (the answer was lost) is answered the same and written
nothing: the events already there are looked up by event id before writing, under the audit
chain's head lock (taken first, so two requests with the same events cannot both write them),
through the unique index on ``audit_event.event_id`` (migration 0009), which also makes a second
row with an event id impossible. An event id already in the log for another device (a tablet
reusing an id it saw in an export, say) is not written again and is answered as refused.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from fastapi import APIRouter, Request
from sqlalchemy import Table, update
from sqlmodel import Session, col, select

from server import audit, limits
from server.api.deps import CaseWorker, SessionDep
from server.audit import Action, Result
from server.authorisation import visible_case_ids
from server.models.accounts import Role
from server.models.audit import AuditEvent, AuditHead
from server.models.device_audit import DeviceAuditAnswer, DeviceAuditEvent, DeviceAuditEvents
from server.models.dossier import CaseMember, DossierRecord
from server.principal import Principal

router = APIRouter(tags=["devices"])

ROUTE = "/devices/me/audit-events"
_HEAD: Table = cast(Any, AuditHead).__table__


@router.post(ROUTE, response_model=DeviceAuditAnswer, responses=limits.openapi_responses())
def receive_audit_events(
    request: Request, body: DeviceAuditEvents, principal: CaseWorker, session: SessionDep
) -> DeviceAuditAnswer:
    """Write the calling tablet's events to the audit log, each event id once."""
    limits.limit(request, "sync", device=str(principal.device_id), ip=False)
    answer = write_device_events(session, principal, body.events)
    session.commit()
    return answer


def write_device_events(
    session: Session, principal: Principal, events: list[DeviceAuditEvent]
) -> DeviceAuditAnswer:
    """Append the events not in the log yet (in the session's transaction); the answer."""
    unique: dict[uuid.UUID, DeviceAuditEvent] = {}
    for e in events:
        unique.setdefault(e.event_id, e)
    if not unique:
        return DeviceAuditAnswer(accepted=[], refused=[])
    # The head's lock first (a no-op update): writers of the same events wait for each other.
    session.execute(update(_HEAD).where(_HEAD.c.id == 1).values(count=_HEAD.c.count))
    there = _already_written(session, principal, list(unique.values()))
    new = [e for i, e in unique.items() if i not in there]
    reasons = _refusals(session, principal, new)
    rows = []
    for e in new:
        reason = reasons.get(e.event_id)
        row = audit.event_row(
            principal.actor,
            action=Action.READ,  # replaced below: the tablet's word (read, export, print)
            outcome=Result.SUCCESS if reason is None else Result.REFUSED,
            authorisation="granted" if reason is None else "refused",
            case_id=e.case_id,
            entity=e.entity,
            record_id=e.record_id,
            device_time=e.device_time,
            reason=reason,
            route=ROUTE,
        )
        row["event_id"] = e.event_id
        row["action"] = e.action
        if reason is None:
            row["outcome"] = e.outcome  # success, or failed (e.g. the PDF could not be saved)
        rows.append(row)
    audit.record_rows(session, rows)
    refused = {i for i, outcome in there.items() if outcome == Result.REFUSED} | set(reasons)
    return DeviceAuditAnswer(accepted=list(unique), refused=[i for i in unique if i in refused])


def _already_written(
    session: Session, principal: Principal, events: list[DeviceAuditEvent]
) -> dict[uuid.UUID, str]:
    """Event id -> outcome of the events already in the log (``refused`` when another device's
    event holds the id)."""
    query = select(AuditEvent.event_id, AuditEvent.outcome, AuditEvent.device_id).where(
        col(AuditEvent.event_id).in_([e.event_id for e in events])
    )
    return {
        event_id: outcome if device_id == principal.device_id else Result.REFUSED.value
        for event_id, outcome, device_id in session.exec(query).all()
    }


def _refusals(
    session: Session, principal: Principal, events: list[DeviceAuditEvent]
) -> dict[uuid.UUID, str]:
    """Event id -> reason, for the events this account may not log as done."""
    case_ids = {e.case_id for e in events if e.case_id is not None}
    visible: set[uuid.UUID] = set()
    if case_ids:
        query = visible_case_ids(principal).where(col(CaseMember.case_id).in_(case_ids))
        visible = set(session.exec(query).all())
    record_ids = {e.record_id for e in events if e.record_id not in (None, e.case_id)}
    records: set[tuple[uuid.UUID, uuid.UUID]] = set()
    if record_ids:
        pairs = select(DossierRecord.record_id, DossierRecord.case_id).where(
            col(DossierRecord.record_id).in_(record_ids)
        )
        records = {(r, c) for r, c in session.exec(pairs).all()}
    reasons: dict[uuid.UUID, str] = {}
    for e in events:
        if e.case_id is None:
            if e.record_id is not None:
                reasons[e.event_id] = "record_without_case"
            elif principal.role is not Role.TEAM_LEAD:
                reasons[e.event_id] = "not_team_lead"  # only a lead exports team reports
        elif e.case_id not in visible:
            reasons[e.event_id] = "case_not_visible"
        elif e.record_id not in (None, e.case_id) and (e.record_id, e.case_id) not in records:
            reasons[e.event_id] = "record_not_in_case"
    return reasons

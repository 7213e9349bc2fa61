"""Send the reads and exports recorded on this tablet (``models.device_audit``) to the dossier's
audit log: ``POST /devices/me/audit-events``.

- At the end of a sync cycle, after the signing key (sync/cycle.py): the changes come first.
- Only events the dossier may see (``models.device_audit.sendable``): one about a case the
  dossier does not have (no consent) waits here, so its id never reaches the server.
- In batches of ``BATCH`` events, oldest first: 200 of the longest events are about 50 KB, under
  the server's 64 KiB cap on a request body. At most ``MAX_BATCHES`` per cycle; the rest waits.
- The server answers which event ids it took (written to its audit log, as done or as refused).
  Only those are deleted here, after the answer, in one transaction. An answer lost on the way
  leaves them here: the next cycle sends them again and the server writes each event id once.
- A batch the server refuses as invalid (422) is sent again one event at a time; an event it
  refuses on its own is dropped (logged by its random id), so it cannot hold back the queue.
- An older server answers 404: nothing is deleted, the next cycle tries again. Any other refusal
  (or a rate limit) is logged with its code only and tried again next cycle; it never stops the
  sync. Losing the connection or the login stops the cycle as it would anywhere else.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from pydantic import BaseModel, ValidationError

from models import device_audit
from models.device_audit import DeviceEvent
from models.store import CaseStore
from sync.client import DossierSession
from sync.errors import ServerError, TooManyAttemptsError

log = logging.getLogger(__name__)

PATH = "/devices/me/audit-events"
BATCH = 200
MAX_BATCHES = 25
NOT_KEPT_HERE = frozenset({"not_found", "http_404", "http_405"})  # a server without the route


INVALID = "invalid_request"  # the server's 422: this request will never be taken as it is


class Answer(BaseModel):
    accepted: list[uuid.UUID]
    refused: list[uuid.UUID] = []


def wire(event: DeviceEvent) -> dict[str, Any]:
    """One event as the server reads it (``server.models.audit_events.DeviceAuditEvent``)."""
    return {
        "event_id": event.event_id,
        "action": event.action.value,
        "device_time": event.device_time.isoformat(),
        "case_id": event.case_id,
        "entity": None if event.entity is None else event.entity.value,
        "record_id": event.record_id,
        "outcome": event.outcome.value,
    }


def acknowledged(answer: Any, sent: list[DeviceEvent]) -> list[str]:
    """The sent event ids the answer acknowledges (never an id that was not sent);
    ``ServerError("invalid_response")`` for an answer that is not one."""
    try:
        parsed = Answer.model_validate(answer)
    except ValidationError:
        raise ServerError("invalid_response") from None
    taken = {str(i) for i in parsed.accepted}
    return [e.event_id for e in sent if e.event_id in taken]


def send_waiting(
    store: CaseStore,
    session: DossierSession,
    *,
    batch: int = BATCH,
    max_batches: int = MAX_BATCHES,
) -> int:
    """Send unsent events in batches; the number the server acknowledged (and deleted here)."""
    done = 0
    for _ in range(max_batches):
        with store.reading() as (conn, _sealer):
            events = device_audit.sendable(conn, limit=batch)
        if not events:
            break
        try:
            answer = session.post_json(PATH, {"events": [wire(e) for e in events]})
            taken = acknowledged(answer, events)
        except ServerError as error:
            if error.code == INVALID:  # one bad event must not hold back every later one
                done += _one_by_one(store, session, events)
                break
            if error.code in NOT_KEPT_HERE:
                log.info("the dossier server takes no audit events from devices yet")
            else:
                log.warning("sending audit events failed: %s", error.code)
            break
        except TooManyAttemptsError:
            log.warning("sending audit events: rate limited, tried again next cycle")
            break
        with store.writing() as (conn, _sealer):
            device_audit.forget(conn, taken)
        done += len(taken)
        if len(taken) < len(events) or len(events) < batch:
            break  # all sent, or the server kept some back: not again in this cycle
    if done:
        log.info("audit events sent: %d", done)
    return done


def _one_by_one(store: CaseStore, session: DossierSession, events: list[DeviceEvent]) -> int:
    """After a 422 for a batch: each event alone. One the server refuses as invalid on its own
    can never be taken: it is dropped here (logged by its random id), so the queue goes on."""
    done = 0
    for event in events:
        try:
            taken = acknowledged(session.post_json(PATH, {"events": [wire(event)]}), [event])
        except ServerError as error:
            if error.code != INVALID:
                log.warning("sending audit events failed: %s", error.code)
                break
            log.warning("audit event %s refused as invalid by the server: dropped", event.event_id)
            taken = [event.event_id]
        with store.writing() as (conn, _sealer):
            device_audit.forget(conn, taken)
        done += len(taken)
    return done

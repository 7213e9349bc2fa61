"""``POST /devices/me/audit-events``: reads and exports done on a tablet, for the audit log.

The tablet records them offline (``models.device_audit``) and sends them at the end of a sync
cycle. Ids and fixed words only: the request holds no name and no free text.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, StringConstraints
from sqlmodel import Field

from server.models.types import RequestBody, ServerModel

MAX_EVENTS = 200  # a full batch of the longest events is about 50 KB, under the 64 KiB body cap
EntityWord = Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,20}$")]


def _in_utc(value: datetime) -> datetime:
    """The time in UTC; one that has none (year 1 at +01:00) is a 422, not a 500."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("device_time out of range") from None


DeviceTime = Annotated[AwareDatetime, AfterValidator(_in_utc)]


class DeviceAuditEvent(RequestBody):
    """One read or export as the tablet saw it; ``device_time`` is the tablet's clock."""

    event_id: uuid.UUID  # made by the tablet; the audit row keeps it, and takes it once
    action: Literal["read", "export", "print"]
    device_time: DeviceTime
    case_id: uuid.UUID | None = None  # None: a team report, no single case
    entity: EntityWord | None = None  # case, plan_pdf, team_pdf, overdue_csv, figures_csv, ...
    record_id: uuid.UUID | None = None  # a record of the case (the meeting of a plan PDF)
    outcome: Literal["success", "failed"]


class DeviceAuditEvents(RequestBody):
    events: list[DeviceAuditEvent] = Field(max_length=MAX_EVENTS)


class DeviceAuditAnswer(ServerModel):
    """``accepted``: every event id now in the audit log (the tablet deletes those), including
    resends written before; ``refused``: those among them written as refused (the account may
    not see that case, or the record is not of that case)."""

    accepted: list[uuid.UUID]
    refused: list[uuid.UUID]

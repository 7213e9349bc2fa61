"""Erased cases (AVG art. 17, and closed cases past retention): ids only, so a late push
cannot bring one back.

``python -m server erase-case`` and ``purge-closed`` (server/erasure.py) remove every record of a
case and write one row here in the same transaction: the case id, the server seq of the erasure
(the seq at which its members' access ended) and the organisation the case belonged to (migration
0009), so that organisation's administrator can still export the case's audit trail
(``server.authorisation.can_export_audit``; AVG art. 15 requests can come after an erasure).
``server.sync_push`` refuses every later mutation of the case with ``case_erased``. Nothing else
is kept: no name, no reason text, no contents.
"""

from __future__ import annotations

import uuid

from sqlmodel import Field

from server.models.types import ServerModel


class CaseErasure(ServerModel, table=True):
    __tablename__ = "case_erasure"

    case_id: uuid.UUID = Field(primary_key=True)
    erased_seq: int  # the SyncHead seq the erasure took; its case_access_end rows carry it
    # The case's organisation (its case_access row's); None when unknown (no access row).
    organisation_id: uuid.UUID | None = None

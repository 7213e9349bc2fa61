"""Cases erased on request (AVG art. 17): ids only, so a late push cannot bring one back.

``python -m server erase-case`` (server/erasure.py) removes every record of a case and writes one
row here in the same transaction: the case id and the server seq of the erasure (the seq at which
its members' access ended). ``server.sync_push`` refuses every later mutation of the case with
``case_erased``. Nothing else is kept: no name, no reason text, no contents.
"""

from __future__ import annotations

import uuid

from sqlmodel import Field

from server.models.types import ServerModel


class CaseErasure(ServerModel, table=True):
    __tablename__ = "case_erasure"

    case_id: uuid.UUID = Field(primary_key=True)
    erased_seq: int  # the SyncHead seq the erasure took; its case_access_end rows carry it

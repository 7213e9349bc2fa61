"""report_participant.removed and report_agreement.owner_removed: an owner taken off the case
(issue #6, after #5).

A participant is taken off a case by setting ``removed_on`` on their record (any value: the
server's rule for membership in server/sync_push.py). The team lead's overdue list must show that
such an owner's agreement needs handing over, so the read model copies it like the owner's name
(``server.reports.projection``). Existing rows are filled from ``dossier_record``: the participant
records still there with ``removed_on`` set, and the agreement rows of their case that they own.

The back-fill uses its own table definitions, not the live models, so it keeps working when the
models change later.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECORDS = sa.table(
    "dossier_record",
    sa.column("entity", sa.String()),
    sa.column("record_id", sa.Uuid()),
    sa.column("case_id", sa.Uuid()),
    sa.column("fields", sa.JSON().with_variant(JSONB(), "postgresql")),
    sa.column("deleted_seq", sa.BigInteger()),
)
PARTICIPANTS = sa.table(
    "report_participant",
    sa.column("participant_id", sa.Uuid()),
    sa.column("case_id", sa.Uuid()),
    sa.column("removed", sa.Boolean()),
)
AGREEMENTS = sa.table(
    "report_agreement",
    sa.column("owner_id", sa.Uuid()),
    sa.column("case_id", sa.Uuid()),
    sa.column("owner_removed", sa.Boolean()),
)


def upgrade() -> None:
    with op.batch_alter_table("report_participant") as batch:
        batch.add_column(
            sa.Column("removed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("report_agreement") as batch:
        batch.add_column(
            sa.Column("owner_removed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    connection = op.get_bind()
    removed: list[dict[str, Any]] = []
    for record_id, case_id, fields in connection.execute(
        sa.select(RECORDS.c.record_id, RECORDS.c.case_id, RECORDS.c.fields).where(
            RECORDS.c.entity == "participant", RECORDS.c.deleted_seq.is_(None)
        )
    ):
        if isinstance(fields, dict) and fields.get("removed_on") is not None:
            removed.append({"b_id": _uuid(record_id), "b_case": _uuid(case_id)})
    if not removed:
        return
    connection.execute(
        sa.update(PARTICIPANTS)
        .where(
            PARTICIPANTS.c.participant_id == sa.bindparam("b_id"),
            PARTICIPANTS.c.case_id == sa.bindparam("b_case"),
        )
        .values(removed=True),
        removed,
    )
    connection.execute(
        sa.update(AGREEMENTS)
        .where(
            AGREEMENTS.c.owner_id == sa.bindparam("b_id"),
            AGREEMENTS.c.case_id == sa.bindparam("b_case"),
        )
        .values(owner_removed=True),
        removed,
    )


def _uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def downgrade() -> None:
    with op.batch_alter_table("report_agreement") as batch:
        batch.drop_column("owner_removed")
    with op.batch_alter_table("report_participant") as batch:
        batch.drop_column("removed")

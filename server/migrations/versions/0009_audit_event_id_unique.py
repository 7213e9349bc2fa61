"""audit_event.event_id UNIQUE; case_erasure.organisation_id (issue #5).

- ``ix_audit_event_event_id``, a unique index: every server writer makes its event ids with
  uuid4, and the tablet route (``POST /devices/me/audit-events``) writes an event id only after
  looking it up, under the chain's head lock. A duplicate could only come from a tablet that sent
  the same event id again with another case (or none), or reused an id it saw in an export. The
  log is append-only (triggers), so such rows cannot be removed: the migration then stops with the
  number of duplicated ids and changes nothing. The index is made with a plain ``CREATE UNIQUE
  INDEX`` (no batch copy of the table on SQLite), so the append-only triggers stay as they are.
- ``case_erasure.organisation_id``: the organisation an erased case belonged to, so its
  administrator can still export the case's audit trail after the erasure (AVG art. 15). Rows of
  earlier erasures are filled from their erasure's own audit row (action ``delete``, entity
  ``case``, which carries the organisation); without one it stays NULL (no export).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DUPLICATES = sa.text(
    "SELECT COUNT(*) FROM (SELECT event_id FROM audit_event GROUP BY event_id HAVING COUNT(*) > 1)"
    " AS duplicated"
)
BACK_FILL = sa.text(
    """
    UPDATE case_erasure SET organisation_id = (
        SELECT audit_event.organisation_id FROM audit_event
        WHERE audit_event.case_id = case_erasure.case_id
          AND audit_event.action = 'delete' AND audit_event.entity = 'case'
          AND audit_event.route LIKE 'cli:%'
          AND audit_event.organisation_id IS NOT NULL
        ORDER BY audit_event.id DESC
        LIMIT 1
    )
    """
)


class DuplicateEventIdsError(RuntimeError):
    pass


def upgrade() -> None:
    duplicated = op.get_bind().execute(DUPLICATES).scalar_one()
    if duplicated:
        raise DuplicateEventIdsError(
            f"audit_event holds {duplicated} event ids more than once; the log is append-only, "
            "so migration 0009 cannot make event_id unique. Nothing was changed."
        )
    op.create_index("ix_audit_event_event_id", "audit_event", ["event_id"], unique=True)
    with op.batch_alter_table("case_erasure") as batch:
        batch.add_column(sa.Column("organisation_id", sa.Uuid(), nullable=True))
    op.execute(BACK_FILL)


def downgrade() -> None:
    with op.batch_alter_table("case_erasure") as batch:
        batch.drop_column("organisation_id")
    op.drop_index("ix_audit_event_event_id", table_name="audit_event")

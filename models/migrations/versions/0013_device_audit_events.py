"""device audit events: reads and exports on the tablet, until the dossier's audit log has them

Ids and fixed words only (no names, no free text): nothing is sealed. See models/device_audit.py.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "device_audit_events",
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("device_time", sa.DateTime(), nullable=False),
        sa.Column("case_id", sa.String(), nullable=True),
        sa.Column("entity", sa.String(), nullable=True),
        sa.Column("record_id", sa.String(), nullable=True),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )


def downgrade() -> None:
    op.drop_table("device_audit_events")

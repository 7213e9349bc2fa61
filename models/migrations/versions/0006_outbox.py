"""outbox and sync bases: local changes queued for the shared dossier

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("mutation_id", sa.String(), nullable=False),
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("record_id", sa.String(), nullable=False),
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("op", sa.String(), nullable=False),
        sa.Column("fields", sa.LargeBinary(), nullable=True),
        sa.Column("base_seq", sa.Integer(), nullable=True),
        sa.Column("device_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("mutation_id"),
    )
    op.create_index("ix_outbox_case_id", "outbox", ["case_id"])
    op.create_table(
        "sync_bases",
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("record_id", sa.String(), nullable=False),
        sa.Column("base_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("entity", "record_id"),
    )


def downgrade() -> None:
    op.drop_table("sync_bases")
    op.drop_index("ix_outbox_case_id", table_name="outbox")
    op.drop_table("outbox")

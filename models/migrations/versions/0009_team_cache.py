"""team cache: the last team-lead answers, sealed; the enrolled account's role

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "team_cache",
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind"),
    )
    with op.batch_alter_table("sync_account") as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_account") as batch_op:
        batch_op.drop_column("role")
    op.drop_table("team_cache")

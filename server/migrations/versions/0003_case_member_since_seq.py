"""case_member.since_seq: the server seq of the change that granted a membership (issue #5).

Pull uses it to back-fill a case's earlier history to an account added to the case after its
cursor (see server/sync_pull.py). Existing rows get 0, meaning "a member from the start": their
devices have pulled the case from its beginning already, or will, so they need no back-fill.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_member") as batch:
        batch.add_column(
            sa.Column("since_seq", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )


def downgrade() -> None:
    with op.batch_alter_table("case_member") as batch:
        batch.drop_column("since_seq")

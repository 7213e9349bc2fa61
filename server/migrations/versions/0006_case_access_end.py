"""case_access_end: when an account's membership of a case ended (issue #5).

A professional taken off a case (participant ``removed_on``, the record deleted, or its
``account_id`` cleared by "End dossier access") stops being a member on the server, and its
tablet must then remove the case ("the tablet keeps only the active caseload"). ``case_member``
rows are deleted when a membership ends, so the end is recorded here, with the seq of the change
that ended it: a pull names the cases whose access ended after its cursor (server/sync_pull.py).

Memberships that ended before this migration left no trace; their tablets keep those cases
until the next change that ends a membership of that account (there is no history to rebuild
them from: ``case_member`` rows were deleted).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
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
        "case_access_end",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("ended_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_case_access_end_account_seq", "case_access_end", ["account_id", "ended_seq"]
    )


def downgrade() -> None:
    op.drop_index("ix_case_access_end_account_seq", table_name="case_access_end")
    op.drop_table("case_access_end")

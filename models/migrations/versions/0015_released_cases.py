"""released cases: closed cases this tablet let go of, by id only, so it can get them back whole

Ids only (no names, no free text): nothing is sealed. ``wanted``: a change of the case was pulled,
so a later pull asks for it whole (``PullRequest.refetch``); kept here so a crash does not lose
it. See models/sync_state.py and models/caseload.py.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "released_cases",
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=False),
        sa.Column("wanted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )


def downgrade() -> None:
    op.drop_table("released_cases")

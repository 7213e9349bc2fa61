"""case_erasure: the ids of the cases erased on request (AVG art. 17).

``python -m server erase-case`` removes every record of a case from the dossier (records, change
log, applied mutations, access, members, the team-report read model) and writes the case id here,
with the server seq of the erasure. A tablet that was offline and later pushes a change to the
case gets ``case_erased`` (server/sync_push.py) instead of bringing the case back. Ids only.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_erasure",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("erased_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )


def downgrade() -> None:
    op.drop_table("case_erasure")

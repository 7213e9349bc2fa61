"""signature witness: the professional holding the tablet is part of each new signature

A nullable sealed column: records signed before it keep no witness (format 1) and still verify.
``add_column`` rather than batch mode: batch mode copies the table and would drop the frozen-row
triggers of migration 0004. Sealed columns are outside those triggers on purpose (key rotation
re-seals them); the witness is checked against the device signature whenever it is read.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("plan_signatures", sa.Column("witness", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.drop_column("plan_signatures", "witness")

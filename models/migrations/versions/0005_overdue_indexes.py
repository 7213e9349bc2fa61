"""indexes for the overdue report: open cases awaiting their MDO, held meetings per case

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AWAITING = "closed_on IS NULL AND no_meeting_decided_on IS NULL"


def upgrade() -> None:
    op.create_index(
        "ix_cases_awaiting_meeting", "cases", ["contact_date"], sqlite_where=sa.text(AWAITING)
    )
    op.drop_index("ix_meetings_case_id", table_name="meetings")
    op.create_index("ix_meetings_case_id_held_on", "meetings", ["case_id", "held_on"])


def downgrade() -> None:
    op.drop_index("ix_meetings_case_id_held_on", table_name="meetings")
    op.create_index("ix_meetings_case_id", "meetings", ["case_id"])
    op.drop_index("ix_cases_awaiting_meeting", table_name="cases")

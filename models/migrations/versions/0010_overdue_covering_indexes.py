"""covering indexes for the overdue report: open agreements by due date, cases awaiting their MDO

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25

The overdue report read each open agreement's table row (scattered over the largest table) only to
get its id and case id, and each case awaiting its MDO to get its id and resident id. Partial
indexes that hold those columns answer both parts from the index alone; they stay small because
they only hold open agreements and open cases without a "no MDO needed" decision. The columns of
the partial condition (status; closed_on and no_meeting_decided_on) are in the index too: SQLite
only treats an index as covering when every column the query names is in it.

``ix_agreements_status_due_date`` served only this report and is replaced.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "status = 'open'"
AWAITING = "closed_on IS NULL AND no_meeting_decided_on IS NULL"


def upgrade() -> None:
    op.drop_index("ix_agreements_status_due_date", table_name="agreements")
    op.create_index(
        "ix_agreements_open_due",
        "agreements",
        ["status", "due_date", "id", "case_id"],
        sqlite_where=sa.text(OPEN),
    )
    op.drop_index("ix_cases_awaiting_meeting", table_name="cases")
    op.create_index(
        "ix_cases_awaiting_meeting",
        "cases",
        ["contact_date", "id", "resident_id", "closed_on", "no_meeting_decided_on"],
        sqlite_where=sa.text(AWAITING),
    )


def downgrade() -> None:
    op.drop_index("ix_cases_awaiting_meeting", table_name="cases")
    op.create_index(
        "ix_cases_awaiting_meeting", "cases", ["contact_date"], sqlite_where=sa.text(AWAITING)
    )
    op.drop_index("ix_agreements_open_due", table_name="agreements")
    op.create_index("ix_agreements_status_due_date", "agreements", ["status", "due_date"])

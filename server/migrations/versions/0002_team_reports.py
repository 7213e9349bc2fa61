"""The team-lead read model (issue #6): report_case, report_participant, report_meeting,
report_agreement and report_measurement, back-filled from dossier_record; an index on
case_member (account_id, case_id) for the team scope.

The tables are a projection of the dossier, kept in step by every push
(``server.reports.projection``); this migration fills them once from the records already there.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = "first_held_on IS NULL AND no_meeting_decided_on IS NULL AND closed_on IS NULL"
OPEN = "status = 'open'"
HEALTH = (
    "ph_bodily_functions",
    "ph_mental_wellbeing",
    "ph_meaningfulness",
    "ph_quality_of_life",
    "ph_participation",
    "ph_daily_functioning",
)


def upgrade() -> None:
    op.create_table(
        "report_case",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("resident_id", sa.Uuid(), nullable=True),
        sa.Column("resident_name", sa.Text(), nullable=False),
        sa.Column("contact_date", sa.Date(), nullable=True),
        sa.Column("first_held_on", sa.Date(), nullable=True),
        sa.Column("mdo_days", sa.Integer(), nullable=True),
        sa.Column("no_meeting_decided_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("organisation_id", sa.String(length=100), nullable=True),
        sa.Column("consent_given", sa.Boolean(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("closing_note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index("ix_report_case_resident_id", "report_case", ["resident_id"])
    op.create_index("ix_report_case_contact_date", "report_case", ["contact_date"])
    op.create_index(
        "ix_report_case_waiting",
        "report_case",
        ["contact_date"],
        postgresql_where=sa.text(WAITING),
        sqlite_where=sa.text(WAITING),
    )
    op.create_table(
        "report_participant",
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("organisation_id", sa.String(length=100), nullable=True),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("participant_id"),
    )
    op.create_index("ix_report_participant_case_id", "report_participant", ["case_id"])
    op.create_table(
        "report_meeting",
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("meeting_id"),
    )
    op.create_index("ix_report_meeting_case_id", "report_meeting", ["case_id"])
    op.create_table(
        "report_agreement",
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("meeting_id", sa.Uuid(), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("owner_name", sa.Text(), nullable=True),
        sa.Column("owner_account_id", sa.Uuid(), nullable=True),
        sa.Column("owner_organisation_id", sa.String(length=100), nullable=True),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("meeting_held_on", sa.Date(), nullable=True),
        sa.Column("done_days", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("agreement_id"),
    )
    op.create_index("ix_report_agreement_case_id", "report_agreement", ["case_id"])
    op.create_index("ix_report_agreement_meeting_id", "report_agreement", ["meeting_id"])
    op.create_index("ix_report_agreement_owner_id", "report_agreement", ["owner_id"])
    op.create_index("ix_report_agreement_meeting_held_on", "report_agreement", ["meeting_held_on"])
    op.create_index(
        "ix_report_agreement_open_due",
        "report_agreement",
        ["due_date"],
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )
    op.create_table(
        "report_measurement",
        sa.Column("measurement_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("moment", sa.String(length=20), nullable=True),
        sa.Column("taken_on", sa.Date(), nullable=True),
        sa.Column("taken_day", sa.Integer(), nullable=True),
        sa.Column("wellbeing", sa.Integer(), nullable=True),
        *(sa.Column(name, sa.Integer(), nullable=True) for name in HEALTH),
        sa.PrimaryKeyConstraint("measurement_id"),
    )
    op.create_index("ix_report_measurement_case_id", "report_measurement", ["case_id"])
    # A team's cases by its accounts from the index alone: the team scope of every report.
    op.create_index("ix_case_member_account_case", "case_member", ["account_id", "case_id"])

    from server.reports.projection import rebuild  # the same rules as the live upkeep

    rebuild(op.get_bind(), existing=True)  # these tables' columns; later ones bring their own


def downgrade() -> None:
    op.drop_index("ix_case_member_account_case", table_name="case_member")
    for table in (
        "report_measurement",
        "report_agreement",
        "report_meeting",
        "report_participant",
        "report_case",
    ):
        op.drop_table(table)

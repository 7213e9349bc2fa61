"""signing: the device key, frozen plan versions and their signatures

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

The triggers make the plaintext evidence of a signed version read-only in SQLite itself. Sealed
columns stay updatable on purpose (key rotation re-seals them); their content is checked against
the frozen hashes whenever it is read. A later migration that copies these tables (batch mode)
must create the triggers again.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FROZEN_VERSION = """
CREATE TRIGGER plan_versions_frozen
BEFORE UPDATE OF id, case_id, meeting_id, version, plan_hash, frozen_at ON plan_versions
BEGIN
    SELECT RAISE(ABORT, 'a signed plan version is frozen');
END
"""

_FROZEN_SIGNATURE = """
CREATE TRIGGER plan_signatures_frozen
BEFORE UPDATE OF id, plan_version_id, position, case_id, signer_id, role, signed_at, device_id,
    public_key, plan_hash, image_sha256, signature ON plan_signatures
BEGIN
    SELECT RAISE(ABORT, 'a signature is frozen');
END
"""


def upgrade() -> None:
    op.create_table(
        "device_keys",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("public_key", sa.String(), nullable=False),
        sa.Column("private_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "plan_versions",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("meeting_id", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("plan_hash", sa.String(), nullable=False),
        sa.Column("plan_json", sa.LargeBinary(), nullable=False),
        sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id", "version", name="uq_plan_versions_meeting"),
    )
    with op.batch_alter_table("plan_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_versions_case_id"), ["case_id"], unique=False)

    op.create_table(
        "plan_signatures",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("plan_version_id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("signer_id", sa.String(), nullable=False),
        sa.Column("signer_name", sa.LargeBinary(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("device_id", sa.String(), nullable=False),
        sa.Column("public_key", sa.String(), nullable=False),
        sa.Column("plan_hash", sa.String(), nullable=False),
        sa.Column("image_sha256", sa.String(), nullable=False),
        sa.Column("image", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["plan_version_id"], ["plan_versions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_version_id", "signer_id", name="uq_plan_signatures_signer"),
    )
    with op.batch_alter_table("plan_signatures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_signatures_plan_version_id"), ["plan_version_id"], unique=False
        )
    op.execute(_FROZEN_VERSION)
    op.execute(_FROZEN_SIGNATURE)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS plan_signatures_frozen")
    op.execute("DROP TRIGGER IF EXISTS plan_versions_frozen")
    with op.batch_alter_table("plan_signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_signatures_plan_version_id"))
    op.drop_table("plan_signatures")
    with op.batch_alter_table("plan_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_versions_case_id"))
    op.drop_table("plan_versions")
    op.drop_table("device_keys")

"""dossier_record.deleted_device_seq: the device's own number of a deletion (issue #5).

Mutations now carry ``device_seq``, the device's order of its changes, so that a device's older
mutation arriving after its newer one does not overwrite it (server/sync_push.py). For fields the
number is kept in ``last_change``; a deletion keeps it here. Existing rows hold NULL: not
numbered, the order of arrival counts, as before.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dossier_record") as batch:
        batch.add_column(sa.Column("deleted_device_seq", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dossier_record") as batch:
        batch.drop_column("deleted_device_seq")

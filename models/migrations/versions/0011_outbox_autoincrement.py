"""outbox.seq never reused: the device's order of its changes, sent as ``device_seq`` (issue #5)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26

The outbox's ``seq`` was SQLite's plain rowid: after the outbox emptied, numbers started again at
1, and rows rewritten after a conflict took numbers freed before. The server now keeps a device's
newest value of a field by that number (``Mutation.device_seq``), so it must only ever grow. The
table is copied into one with AUTOINCREMENT; the rows keep their numbers, and new ones start above
the highest of them. No number was sent to a server before this revision, so none is reused.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table(
        "outbox", recreate="always", table_kwargs={"sqlite_autoincrement": True}
    ):
        pass


def downgrade() -> None:
    with op.batch_alter_table(
        "outbox", recreate="always", table_kwargs={"sqlite_autoincrement": False}
    ):
        pass

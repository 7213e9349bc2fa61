"""device_signing_key: the public half of each tablet's signing key (Ed25519, raw, hex).

A tablet signs plans with a key made in its own store; the key travels inside each plan PDF, so a
PDF alone proves it is unchanged but not which tablet signed it. The dossier keeps each device's
public key (sent once, after the first login), and the device
list shows its fingerprint, the one ``python main.py verify`` prints for each signature.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("device") as batch:
        batch.add_column(sa.Column("signing_key", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("device") as batch:
        batch.drop_column("signing_key")

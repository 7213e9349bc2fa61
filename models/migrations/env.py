"""Alembic environment for the device store.

Run only through ``models.database.upgrade`` which hands over an open connection in
``config.attributes["connection"]``. Logging is deliberately not configured from a file here: the
app
decides what is logged (never personal data), and migrations only move sealed bytes anyway.
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import models.outbox  # registers the outbox tables on SQLModel.metadata
import models.profile  # registers the profile table on SQLModel.metadata
import models.signing_tables  # registers the signing tables on SQLModel.metadata
import models.sync_state  # registers the sync account and state tables on SQLModel.metadata
import models.tables  # registers the tables on SQLModel.metadata
import models.team_cache  # noqa: F401  (registers the team-lead cache table on SQLModel.metadata)

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,  # SQLite can only ALTER a table by copying it; batch mode does that
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

"""Alembic environment for the server database (separate from the device store's migrations).

Run through ``server.db.migrate(url)``, which puts the URL in ``config.attributes["url"]``.
Logging is not configured from a file: the server decides what is logged.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import server.models  # noqa: F401  (registers the tables)
from server.models.types import metadata

url = context.config.attributes["url"]
engine = create_engine(url)
try:
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()
finally:
    # Also when a migration refuses (0009 stops on duplicated event ids): the pooled connection
    # would otherwise stay open until the engine is garbage collected.
    engine.dispose()

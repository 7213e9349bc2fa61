"""The SQLite file: engine with the durability pragmas, and schema migrations.

- The connection settings (WAL with ``synchronous=FULL``, foreign keys on) are
  ``models.store_file.apply_pragmas``: the app's start opens the same file without SQLAlchemy.
- A write the device refuses (storage full, read-only, an I/O error) is raised as
  ``models.errors.StorageError`` with a message for the person at the screen, instead of SQLite's
  ``OperationalError``; the transaction has rolled back, so nothing is half-saved.
- Migrations are Alembic revisions in ``models/migrations/versions``; ``upgrade`` brings any older
  store (a tablet with months of data on it) to the current schema inside one transaction.
- Alembic is imported only when a migration has to run. At every start the stored revision is read
  with one query and compared with the newest revision file (revision ids are the files' four-digit
  prefixes, which a test holds to Alembic's own view): Alembic, Mako and Pygments are a tenth of the
  app's import time, and the app imports while the browser loads its client (``ui/launch.py``).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.pool import QueuePool

from models.store_file import VERSIONS_DIR as VERSIONS_DIR  # re-exported for tests and tools
from models.store_file import apply_pragmas, storage_error, stored_revision
from models.store_file import newest_revision_file as newest_revision_file

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = VERSIONS_DIR.parent


def driver_connection(connection: Connection) -> sqlite3.Connection:
    """The ``sqlite3`` connection under a SQLAlchemy one: for SQL text on the driver's own cursor
    (``models.queries``) and the functions shared with ``models.store_file``."""
    raw = connection.connection.driver_connection
    assert isinstance(raw, sqlite3.Connection)
    return raw


def _set_pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    apply_pragmas(dbapi_connection)


def make_engine(path: Path) -> Engine:
    # hide_parameters: SQL errors must not carry row values (personal data) into logs.
    engine = create_engine(
        f"sqlite:///{path}", poolclass=QueuePool, pool_size=2, max_overflow=2, hide_parameters=True
    )
    event.listen(engine, "connect", _set_pragmas)
    event.listen(engine, "begin", _begin)
    event.listen(engine, "handle_error", _storage_error)
    return engine


def _storage_error(context: ExceptionContext) -> BaseException | None:
    """Raise a refused write as ``StorageError`` (SQLAlchemy raises what this returns)."""
    return storage_error(context.original_exception)


def _begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    """The newest revision as Alembic sees it (reads every revision file)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations found"
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the store's schema is at (``None`` for an empty file), without Alembic."""
    with engine.connect() as connection:
        return stored_revision(driver_connection(connection))


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision (a no-op when it is there already)."""
    migrate(engine, "head")


def migrate(engine: Engine, revision: str) -> None:
    """Move the schema to ``revision`` (up or down) in one transaction.

    SQLite alters a table by copying it, which foreign keys forbid while they are enforced; so they
    are switched off for the migration (the pragma only works outside a transaction) and checked
    before the commit instead: a migration that breaks a reference rolls back whole.
    """
    if revision == "head" and current_revision(engine) == newest_revision_file():
        return  # the common case at every start: nothing to do, no Alembic, no pragma juggling
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    config = alembic_config()
    with engine.connect() as connection:
        raw = driver_connection(connection)
        raw.execute("PRAGMA foreign_keys=OFF")  # outside any transaction, or it is ignored
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                current = MigrationContext.configure(connection).get_current_revision()
                if revision == "head" or current is None or _is_newer(config, revision, current):
                    command.upgrade(config, revision)
                else:
                    command.downgrade(config, revision)
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration broke {len(broken)} foreign key references")
        finally:
            raw.execute("PRAGMA foreign_keys=ON")


def _is_newer(config: Config, revision: str, than: str) -> bool:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(config)
    return any(r.revision == than for r in scripts.iterate_revisions(revision, "base"))

"""The SQLite file: engine with the durability pragmas, and schema migrations.

- WAL journal with ``synchronous=FULL``: with NORMAL a commit may roll back after power loss, and a
  professional must never lose a meeting because the tablet's battery died.
- ``foreign_keys=ON``: SQLite leaves them off unless asked, per connection.
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

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.pool import QueuePool

from models.errors import StorageError, StorageProblem

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSIONS_DIR = MIGRATIONS_DIR / "versions"


def _set_pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # Python's sqlite3 only opens a transaction before INSERT/UPDATE/DELETE, so reads and DDL
    # would run outside it. Take control instead (SQLAlchemy's documented pysqlite recipe): the
    # driver stays in autocommit and ``_begin`` issues BEGIN whenever SQLAlchemy starts one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    # 16 MiB page cache (default 2 MiB): the "my cases" query reads every case row, and re-reading
    # pages from the OS on each refresh made the list twice as slow at 10,000 cases.
    cursor.execute("PRAGMA cache_size=-16384")
    cursor.close()


def make_engine(path: Path) -> Engine:
    # hide_parameters: SQL errors must not carry row values (personal data) into logs.
    engine = create_engine(
        f"sqlite:///{path}", poolclass=QueuePool, pool_size=2, max_overflow=2, hide_parameters=True
    )
    event.listen(engine, "connect", _set_pragmas)
    event.listen(engine, "begin", _begin)
    event.listen(engine, "handle_error", _storage_error)
    return engine


# SQLite's primary result codes (an extended code carries one in its low byte).
_STORAGE_PROBLEMS = {
    sqlite3.SQLITE_FULL: StorageProblem.FULL,
    sqlite3.SQLITE_READONLY: StorageProblem.READ_ONLY,
    sqlite3.SQLITE_IOERR: StorageProblem.FAILING,
}


def _storage_error(context: ExceptionContext) -> BaseException | None:
    """Raise a refused write as ``StorageError`` (SQLAlchemy raises what this returns)."""
    original = context.original_exception
    code = getattr(original, "sqlite_errorcode", None)
    if isinstance(original, sqlite3.Error) and isinstance(code, int):
        problem = _STORAGE_PROBLEMS.get(code & 0xFF)
        if problem is not None:
            return StorageError(problem)
    return None


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


def newest_revision_file() -> str:
    """The newest revision from the file names alone: ``0011_outbox_autoincrement.py`` is "0011".

    Cheap enough for every start; ``tests/integration/models/test_migrations.py`` checks that it
    agrees with ``head_revision`` and that every file's revision id is its prefix.
    """
    prefixes = [p.name[:4] for p in VERSIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.py")]
    assert prefixes, "no migrations found"
    return max(prefixes)


def current_revision(engine: Engine) -> str | None:
    """The revision the store's schema is at (``None`` for an empty file), without Alembic."""
    with engine.connect() as connection:
        has_table = connection.execute(
            text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'")
        ).first()
        if has_table is None:
            return None
        row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
        return None if row is None else str(row[0])


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
        raw = connection.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
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

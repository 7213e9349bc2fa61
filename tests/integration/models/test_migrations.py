"""The device store's schema comes from named, recorded Alembic migrations."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import models.tables  # noqa: F401  (registers the tables)
from models import database


def test_migrations_match_the_table_classes(tmp_path: Path) -> None:
    engine = database.make_engine(tmp_path / "m.db")
    database.upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    engine.dispose()
    assert diff == []


def test_upgrade_is_recorded_and_repeatable(tmp_path: Path) -> None:
    engine = database.make_engine(tmp_path / "m.db")
    assert database.current_revision(engine) is None
    database.upgrade(engine)
    assert database.current_revision(engine) == database.head_revision()
    database.upgrade(engine)  # an up-to-date store: nothing to do, no error
    assert database.current_revision(engine) == database.head_revision()
    engine.dispose()


def test_durability_pragmas(tmp_path: Path) -> None:
    engine = database.make_engine(tmp_path / "m.db")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()

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


def test_an_older_store_upgrades_with_its_data(tmp_path: Path) -> None:
    """A tablet with months of data gets a new app version: open() migrates, nothing is lost."""
    import keyring

    from models import queries
    from models.store import CaseStore
    from tests.support.factories import NOW, PASSPHRASE, TODAY, a_case_file, floor_kdf_params
    from tests.support.memory_keyring import MemoryKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        path = tmp_path / "old.db"
        store = CaseStore.create(path, PASSPHRASE, now=NOW, kdf_params=floor_kdf_params())
        f = a_case_file()
        store.add_case_files([f], today=TODAY, now=NOW)
        store.close()
        engine = database.make_engine(path)
        database.migrate(engine, "0001")  # take the schema back to the first release
        assert database.current_revision(engine) == "0001"
        engine.dispose()

        reopened = CaseStore.open(path)
        assert database.current_revision(reopened.engine) == database.head_revision()
        reopened.unlock(PASSPHRASE, now=NOW)
        loaded = queries.case_file(reopened, f.case.id)
        assert loaded.meetings[0].wants == f.meetings[0].wants
        assert loaded.meetings[0].progress == ""
        reopened.close()
    finally:
        keyring.set_keyring(previous)

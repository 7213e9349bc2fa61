"""The device store's schema comes from named, recorded Alembic migrations."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine
from sqlmodel import SQLModel

import models.tables  # noqa: F401  (registers the tables)
from models import database
from tests.support.memory_keyring import MemoryKeyring


def test_migrations_match_the_table_classes(tmp_path: Path) -> None:
    engine = database.make_engine(tmp_path / "m.db")
    database.upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    engine.dispose()
    assert diff == []


def test_revision_ids_are_the_file_prefixes_and_the_newest_file_is_the_head() -> None:
    """The start-up check (``newest_revision_file``) reads file names only: hold it to Alembic."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(database.alembic_config())
    for script in scripts.walk_revisions():
        assert script.path is not None
        assert Path(script.path).name.startswith(f"{script.revision}_")
    assert database.newest_revision_file() == database.head_revision()


def test_an_up_to_date_store_opens_without_importing_alembic(tmp_path: Path) -> None:
    """Alembic (with Mako and Pygments) loads only when a migration has to run."""
    import subprocess
    import sys

    engine = database.make_engine(tmp_path / "m.db")
    database.upgrade(engine)
    engine.dispose()
    probe = (
        "import sys; from models import database; "
        f"database.upgrade(database.make_engine({str(tmp_path / 'm.db')!r})); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')))"
    )
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


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


def _indexes(engine: Engine, table: str) -> dict[str, list[str]]:
    with engine.connect() as conn:
        names = [r[1] for r in conn.exec_driver_sql(f"PRAGMA index_list({table})")]
        return {
            name: [r[2] for r in conn.exec_driver_sql(f"PRAGMA index_info({name})")]
            for name in names
            if not name.startswith("sqlite_autoindex")
        }


def test_0010_swaps_in_the_covering_overdue_indexes_on_a_store_with_data(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    """Migration 0010 on a store in use: the overdue report gives the same rows before and after."""
    from datetime import timedelta

    from models import queries
    from models.store import CaseStore
    from tests.support.factories import NOW, PASSPHRASE, TODAY, a_case_file, floor_kdf_params

    path = tmp_path / "old.db"
    store = CaseStore.create(path, PASSPHRASE, now=NOW, kdf_params=floor_kdf_params())
    waiting = a_case_file(name="Bram Jansen", contact=TODAY - timedelta(days=20), held_on=None)
    waiting.meetings, waiting.agreements = [], []
    store.add_case_files(
        [waiting, a_case_file(held_on=TODAY - timedelta(days=15))], today=TODAY, now=NOW
    )
    at_head = queries.overdue(store, today=TODAY)
    store.close()
    assert [i.kind for i in at_head] == [queries.OverdueKind.AGREEMENT, queries.OverdueKind.MEETING]

    engine = database.make_engine(path)
    database.migrate(engine, "0009")
    assert _indexes(engine, "agreements")["ix_agreements_status_due_date"] == ["status", "due_date"]
    assert "ix_agreements_open_due" not in _indexes(engine, "agreements")
    assert _indexes(engine, "cases")["ix_cases_awaiting_meeting"] == ["contact_date"]
    engine.dispose()

    reopened = CaseStore.open(path)  # brings the store to 0010 again
    assert database.current_revision(reopened.engine) == database.head_revision()
    agreements, cases = _indexes(reopened.engine, "agreements"), _indexes(reopened.engine, "cases")
    assert agreements["ix_agreements_open_due"] == ["status", "due_date", "id", "case_id"]
    assert "ix_agreements_status_due_date" not in agreements
    assert cases["ix_cases_awaiting_meeting"] == [
        "contact_date",
        "id",
        "resident_id",
        "closed_on",
        "no_meeting_decided_on",
    ]
    reopened.unlock(PASSPHRASE, now=NOW)
    assert queries.overdue(reopened, today=TODAY) == at_head
    reopened.close()

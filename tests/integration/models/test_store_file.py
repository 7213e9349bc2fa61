"""The store's file without SQLAlchemy (``models.store_file``): the same key, lock and back-off as
the whole store, on a real file. The app's start uses it; ``CaseStore`` is built on it."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from models import case_list, database, queries, store_file
from models.crypto import kdf
from models.errors import (
    LockedError,
    StorageError,
    StorageProblem,
    StoreNotFoundError,
    UnlockBackoffError,
    WrongPassphraseError,
)
from models.store import UNLOCK_STATE, CaseStore
from models.store_file import StoreFile
from tests.support.factories import NOW, PASSPHRASE, TODAY, a_case_file, floor_kdf_params
from tests.support.memory_keyring import MemoryKeyring

ROOT = Path(__file__).resolve().parents[3]


def opened(path: Path) -> StoreFile:
    file = StoreFile.open(path)
    assert file is not None
    return file


def test_the_file_unlocks_with_the_stores_key_and_reads_my_cases(
    store: CaseStore, store_path: Path
) -> None:
    f = a_case_file(name="Sevgi Yılmaz")
    store.add_case_files([f], today=TODAY, now=NOW)
    file = opened(store_path)
    try:
        assert file.store_id == store.store_id and file.is_locked
        assert not file.passphrase_only  # the device secret is in the (memory) key store
        with pytest.raises(LockedError):
            _ = file.sealer
        file.unlock(PASSPHRASE, now=NOW)
        [row] = queries.case_summaries(store, today=TODAY)
        with file.reading() as (conn, _sealer):
            assert store_file.account_role(conn) is None  # not enrolled
        assert case_list.case_summaries(file, today=TODAY) == [row]
        assert row.resident_name == "Sevgi Yılmaz"
    finally:
        file.close()


def test_failed_unlocks_count_the_same_through_either_way_in(
    store: CaseStore, store_path: Path
) -> None:
    """The back-off is one record: failures through the file show in the store and back."""
    store.lock()
    file = opened(store_path)
    try:
        for attempt in range(1, 4):
            with pytest.raises(WrongPassphraseError):
                file.unlock("not the passphrase at all", now=NOW)
            assert store.unlock_status(now=NOW).failures == attempt
        with pytest.raises(WrongPassphraseError):
            store.unlock("not the passphrase at all", now=NOW)  # the fourth: a wait follows
        status = file.unlock_status(now=NOW)
        assert status.failures == 4 and status.retry_at == NOW + timedelta(seconds=30)
        with pytest.raises(UnlockBackoffError):
            file.unlock(PASSPHRASE, now=NOW + timedelta(seconds=10))
        # SQLAlchemy reads the time the file wrote as the same moment (UTC).
        with store.engine.connect() as conn:
            kept = conn.execute(select(UNLOCK_STATE.c.last_failure_at)).scalar_one()
        assert kept.replace(tzinfo=NOW.tzinfo) == NOW
        file.unlock(PASSPHRASE, now=NOW + timedelta(seconds=31))
        assert store.unlock_status(now=NOW).failures == 0  # reset by the right passphrase
    finally:
        file.close()


def test_a_store_built_on_an_unlocked_file_needs_no_second_key_derivation(
    store: CaseStore, store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    file = opened(store_path)
    file.unlock(PASSPHRASE, now=NOW)

    def no_derivation(*_args: object, **_kwargs: object) -> bytes:
        raise AssertionError("the key was derived again")

    monkeypatch.setattr(kdf, "derive", no_derivation)
    built = CaseStore.on_file(file)
    try:
        assert not built.is_locked and built.file is file
        assert queries.case_file(built, f.case.id).case == f.case
        built.lock()  # one lock state: locking the store locks the file
        assert file.is_locked
    finally:
        built.close()


def test_a_snapshot_sees_one_state_and_always_ends(store: CaseStore) -> None:
    """The overdue report's two parts read one state of the store, whatever is written meanwhile."""
    store.add_case_files([a_case_file()], today=TODAY, now=NOW)
    file = store.file
    with file.snapshot() as (conn, _sealer):
        assert conn.execute("SELECT count(*) FROM cases").fetchone() == (1,)
        store.add_case_files([a_case_file()], today=TODAY, now=NOW)  # another connection writes
        assert conn.execute("SELECT count(*) FROM cases").fetchone() == (1,)
    with file.snapshot() as (conn, _sealer):
        assert conn.execute("SELECT count(*) FROM cases").fetchone() == (2,)
    with pytest.raises(RuntimeError), file.snapshot() as (conn, _sealer):
        raise RuntimeError("a report fails half-way")
    assert not conn.in_transaction  # the read transaction ended: writers are not held back
    store.lock()
    with pytest.raises(LockedError), file.snapshot():
        pass


def test_the_file_answers_while_the_key_is_derived(
    store: CaseStore, store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unlocking takes a few hundred milliseconds; the screen's other reads (a preference, the
    role) must not wait for it: the key derivation runs outside the connection's lock."""
    store.lock()
    file = opened(store_path)
    derivation_started, go_on = threading.Event(), threading.Event()
    real_derive = kdf.derive

    def slow_derive(passphrase: str, params: kdf.KdfParams) -> bytes:
        derivation_started.set()
        assert go_on.wait(10)
        return real_derive(passphrase, params)

    monkeypatch.setattr(kdf, "derive", slow_derive)
    unlocking = threading.Thread(target=lambda: file.unlock(PASSPHRASE, now=NOW))
    unlocking.start()
    try:
        assert derivation_started.wait(10)
        answers: list[str | None] = []
        reader = threading.Thread(target=lambda: answers.append(file.meta("store_id")))
        reader.start()
        reader.join(timeout=5)
        assert answers == [file.store_id]  # answered while the derivation still waits
        assert file.is_locked
    finally:
        go_on.set()
        unlocking.join(timeout=10)
    assert not file.is_locked
    file.close()


def test_an_older_schema_is_left_to_the_store_which_migrates_it(
    store_path: Path, memory_keyring: MemoryKeyring
) -> None:
    CaseStore.create(store_path, PASSPHRASE, now=NOW, kdf_params=floor_kdf_params()).close()
    engine = database.make_engine(store_path)
    database.migrate(engine, "0014")
    engine.dispose()

    assert StoreFile.open(store_path) is None  # not the newest schema: the file does not guess
    migrated = CaseStore.open(store_path)
    try:
        assert database.current_revision(migrated.engine) == database.head_revision()
        migrated.unlock(PASSPHRASE, now=NOW)
    finally:
        migrated.close()
    opened(store_path).close()  # and now the file opens by itself


def test_no_store_no_file(tmp_path: Path) -> None:
    with pytest.raises(StoreNotFoundError):
        StoreFile.open(tmp_path / "nothing.db")
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    assert StoreFile.open(empty) is None  # no schema: the store's open decides (and refuses)


def test_a_full_device_refuses_a_setting_with_a_clear_error(
    store: CaseStore, store_path: Path
) -> None:
    file = opened(store_path)
    file.unlock(PASSPHRASE, now=NOW)
    try:
        with sqlite3.connect(store_path) as plain:
            plain.execute("VACUUM")  # no free pages left to fill first
        with file.reading() as (conn, _sealer):
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count={pages}")
        with pytest.raises(StorageError) as refused:
            file.set_meta("pref.note", "x" * 20_000)
        assert refused.value.problem is StorageProblem.FULL
        assert file.meta("pref.note") is None  # nothing half-written
        file.set_meta("pref.language", "en")  # a small change still fits in its page
        assert file.meta("pref.language") == "en"
    finally:
        file.close()


def test_changing_the_passphrase_through_the_file_rewraps_for_both(
    store: CaseStore, store_path: Path
) -> None:
    store.change_passphrase(PASSPHRASE, "een nieuwe lange zin", now=NOW)
    store.lock()
    file = opened(store_path)
    try:
        with pytest.raises(WrongPassphraseError):
            file.unlock(PASSPHRASE, now=NOW)
        file.unlock("een nieuwe lange zin", now=NOW)
        store.unlock("een nieuwe lange zin", now=NOW)
    finally:
        file.close()


def test_unlocking_and_my_cases_load_no_sqlalchemy(
    store: CaseStore, store_path: Path, memory_keyring: MemoryKeyring
) -> None:
    """The start's promise (README "Start-up"): the app module, the session, unlocking and the
    list need neither SQLAlchemy nor SQLModel, nor the store module; they load afterwards."""
    store.add_case_files([a_case_file()], today=TODAY, now=NOW)
    store.lock()
    probe = f"""
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from tests.support.memory_keyring import MemoryKeyring
import keyring
MemoryKeyring.entries.update({dict(memory_keyring.entries)!r})
keyring.set_keyring(MemoryKeyring())
import ui.app
from ui.viewmodels.cases import CasesViewModel
from ui.viewmodels.session import AppSession
from ui.viewmodels.unlock import UnlockViewModel
now = lambda: datetime(2026, 11, 24, 9, 30, tzinfo=timezone.utc)
session = AppSession(Path({str(store_path)!r}), clock=now)
session.start()
unlock = UnlockViewModel(session.file, clock=now)
unlock.refresh()
unlock.passphrase = {PASSPHRASE!r}
assert unlock.unlock(), unlock.error
assert session.screen.value == "cases" and not session.is_team_lead()
cases = CasesViewModel(session.file, today=lambda: date(2026, 11, 24))
cases.load()
assert cases.total == 1
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "sqlmodel", "alembic"))
print(heavy, "models.store" in sys.modules, session.store_loaded)
assert session.store is not None and not session.store.is_locked  # built later, still unlocked
print("sqlalchemy" in sys.modules)
"""
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[:2] == ["[] False False", "True"]

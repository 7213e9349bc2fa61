"""Create, open, unlock, lock and re-key a real store file."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import timedelta
from pathlib import Path

import keyring
import keyring.backends.fail
import keyring.backends.null
import pytest

from models import queries
from models.errors import (
    DamagedRecordError,
    KeyStoreUnavailableError,
    LockedError,
    StoreExistsError,
    StoreNotFoundError,
    UnlockBackoffError,
    ValidationError,
    WrongPassphraseError,
)
from models.store import CaseStore
from tests.support.factories import NOW, PASSPHRASE, TODAY, a_case_file, floor_kdf_params
from tests.support.memory_keyring import MemoryKeyring


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_round_trip_through_lock_and_reopen(store: CaseStore, store_path: Path) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    store.close()

    reopened = CaseStore.open(store_path)
    assert reopened.is_locked
    with pytest.raises(LockedError):
        queries.case_file(reopened, f.case.id)
    reopened.unlock(PASSPHRASE, now=NOW)
    loaded = queries.case_file(reopened, f.case.id)
    reopened.close()

    assert loaded.case == f.case
    assert sorted(p.id for p in loaded.participants) == sorted(p.id for p in f.participants)
    assert loaded.meetings[0].wants == f.meetings[0].wants
    assert {a.what for a in loaded.agreements} == {a.what for a in f.agreements}
    assert loaded.measurements[0].wellbeing == 4


def test_create_refuses_an_existing_store(store: CaseStore, store_path: Path) -> None:
    before = _digest(store_path)
    with pytest.raises(StoreExistsError):
        CaseStore.create(store_path, PASSPHRASE, now=NOW, kdf_params=floor_kdf_params())
    assert _digest(store_path) == before


def test_open_missing_store(tmp_path: Path) -> None:
    with pytest.raises(StoreNotFoundError):
        CaseStore.open(tmp_path / "nothing.db")


def test_wrong_passphrase_refused_and_counted_across_restarts(
    store: CaseStore, store_path: Path
) -> None:
    store.close()
    s = CaseStore.open(store_path)
    for attempt in range(1, 4):
        with pytest.raises(WrongPassphraseError) as caught:
            s.unlock("not the passphrase", now=NOW)
        assert caught.value.failures == attempt
        assert s.is_locked
    s.close()

    # A restart does not reset the count: the fourth failure starts the back-off.
    s = CaseStore.open(store_path)
    with pytest.raises(WrongPassphraseError):
        s.unlock("still wrong", now=NOW)
    with pytest.raises(UnlockBackoffError) as backoff:
        s.unlock(PASSPHRASE, now=NOW + timedelta(seconds=5))
    assert backoff.value.retry_at > NOW
    status = s.unlock_status(now=NOW + timedelta(seconds=5))
    assert status.failures == 4 and status.retry_at is not None

    # After the wait, the right passphrase works and resets the count.
    s.unlock(PASSPHRASE, now=backoff.value.retry_at)
    assert not s.is_locked
    assert s.unlock_status(now=backoff.value.retry_at).failures == 0
    s.close()


@pytest.mark.parametrize("backend", [keyring.backends.fail.Keyring, keyring.backends.null.Keyring])
def test_missing_key_store_leaves_the_store_locked(
    store: CaseStore, store_path: Path, backend: type[keyring.backend.KeyringBackend]
) -> None:
    store.add_case_files([a_case_file()], today=TODAY, now=NOW)
    store.close()
    before = _digest(store_path)
    keyring.set_keyring(backend())

    s = CaseStore.open(store_path)
    with pytest.raises(KeyStoreUnavailableError):
        s.unlock(PASSPHRASE, now=NOW)
    assert s.is_locked
    with pytest.raises(StoreExistsError):  # and no way round it that makes a fresh key
        CaseStore.create(store_path, PASSPHRASE, now=NOW, kdf_params=floor_kdf_params())
    s.close()
    with sqlite3.connect(store_path) as conn:
        assert conn.execute("select count(*) from key_envelopes").fetchone() == (1,)
        assert conn.execute("select count(*) from cases").fetchone() == (1,)
    assert _digest(store_path) == before


def test_missing_key_store_via_environment(
    store: CaseStore, store_path: Path, tmp_path: Path
) -> None:
    """PYTHON_KEYRING_BACKEND=fail/null in a fresh process: the store stays locked."""
    import subprocess
    import sys

    store.close()
    script = (
        "import sys; from datetime import datetime, UTC; from pathlib import Path\n"
        "from models.store import CaseStore\n"
        "from models.errors import KeyStoreUnavailableError\n"
        f"s = CaseStore.open(Path({str(store_path)!r}))\n"
        "try:\n"
        f"    s.unlock({PASSPHRASE!r}, now=datetime.now(UTC))\n"
        "except KeyStoreUnavailableError:\n"
        "    sys.exit(3)\n"
    )
    for backend in ("keyring.backends.fail.Keyring", "keyring.backends.null.Keyring"):
        result = subprocess.run(
            [sys.executable, "-c", script],
            env={"PYTHON_KEYRING_BACKEND": backend, "PATH": "/usr/bin:/bin"},
            cwd=Path(__file__).resolve().parents[3],
            capture_output=True,
            check=False,
        )
        assert result.returncode == 3, result.stderr.decode()


def test_passphrase_only_without_key_store(tmp_path: Path) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        with pytest.raises(ValidationError):  # a PIN alone is brute-forced offline in minutes
            CaseStore.create(tmp_path / "a.db", "123456", now=NOW, kdf_params=floor_kdf_params())
        assert not (tmp_path / "a.db").exists()
        s = CaseStore.create(tmp_path / "a.db", PASSPHRASE, now=NOW, kdf_params=floor_kdf_params())
        assert s.passphrase_only
        s.close()
        s = CaseStore.open(tmp_path / "a.db")
        s.unlock(PASSPHRASE, now=NOW)
        s.close()
    finally:
        keyring.set_keyring(previous)


def test_pin_allowed_with_device_secret(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    s = CaseStore.create(tmp_path / "p.db", "4821", now=NOW, kdf_params=floor_kdf_params())
    assert not s.passphrase_only
    s.close()
    s = CaseStore.open(tmp_path / "p.db")
    s.unlock("4821", now=NOW)
    s.close()


def test_change_passphrase_rewraps_without_reencrypting(store: CaseStore, store_path: Path) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    with sqlite3.connect(store_path) as conn:
        sealed_before = conn.execute("select name from residents").fetchall()
    with pytest.raises(WrongPassphraseError):
        store.change_passphrase("wrong old one", "a brand new passphrase", now=NOW)
    store.change_passphrase(PASSPHRASE, "a brand new passphrase", now=NOW)
    store.close()

    with sqlite3.connect(store_path) as conn:
        assert conn.execute("select name from residents").fetchall() == sealed_before
    s = CaseStore.open(store_path)
    with pytest.raises(WrongPassphraseError):
        s.unlock(PASSPHRASE, now=NOW)
    s.unlock("a brand new passphrase", now=NOW)
    assert queries.case_file(s, f.case.id).case.resident.name == f.case.resident.name
    s.close()


def test_lock_drops_the_key(store: CaseStore) -> None:
    store.add_case_files([a_case_file()], today=TODAY, now=NOW)
    store.lock()
    assert store.is_locked
    with pytest.raises(LockedError):
        queries.case_summaries(store, today=TODAY)
    with pytest.raises(LockedError):
        store.add_case_files([a_case_file()], today=TODAY, now=NOW)


class _ForgetfulKeyring(keyring.backend.KeyringBackend):
    """Looks usable but keeps nothing: like a locked key store that silently drops writes."""

    priority = 1  # type: ignore[assignment]
    viable = False  # never auto-selected

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        return None

    def delete_password(self, service: str, username: str) -> None:
        return None


def test_pin_refused_when_the_key_store_drops_the_secret(tmp_path: Path) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(_ForgetfulKeyring())
    try:
        with pytest.raises(ValidationError):
            CaseStore.create(tmp_path / "f.db", "4821", now=NOW, kdf_params=floor_kdf_params())
        assert not (tmp_path / "f.db").exists()
    finally:
        keyring.set_keyring(previous)


def test_tampered_kdf_parameters_are_refused(store: CaseStore, store_path: Path) -> None:
    store.close()
    with sqlite3.connect(store_path) as conn:
        params = conn.execute("select kdf_params from key_envelopes").fetchone()[0]
        weakened = params.replace('"iterations": 2', '"iterations": 1').replace(
            '"iterations":2', '"iterations":1'
        )
        assert weakened != params
        conn.execute("update key_envelopes set kdf_params=?", (weakened,))
    s = CaseStore.open(store_path)
    with pytest.raises(DamagedRecordError):
        s.unlock(PASSPHRASE, now=NOW)
    assert s.is_locked
    s.close()

"""First run makes the device's signing key pair (issue 4), sealed in the new store."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

from sqlalchemy import select

from models import signing
from models.store import CaseStore
from tests.support.factories import NOW, PASSPHRASE, floor_kdf_params
from tests.support.memory_keyring import MemoryKeyring
from ui.viewmodels.first_run import FirstRunViewModel


def test_first_run_makes_the_device_key_sealed_in_the_store(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    vm = FirstRunViewModel(
        tmp_path / "k.db", lambda: NOW, key_store_available=False, kdf_params=floor_kdf_params()
    )
    vm.name, vm.organisation_id, vm.role = "Sanne de Vries", "ggd", "wijkverpleegkundige"
    vm.passphrase = vm.passphrase_again = PASSPHRASE
    store = vm.create()
    assert store is not None
    try:
        with store.engine.connect() as conn:
            row = conn.execute(select(signing.DEVICE_KEYS)).one()
        assert row.id == store.store_id
        assert row.created_at.replace(tzinfo=UTC) == NOW  # made at set-up, not on first signing
        key = signing.device_key(store, now=NOW)
        public = key.public_key
        private = key._private.private_bytes_raw()
    finally:
        store.close()
    # sealed: the private key is not in the file; after unlocking, the same key comes back
    assert private not in (tmp_path / "k.db").read_bytes()
    again = CaseStore.open(tmp_path / "k.db")
    try:
        again.unlock(PASSPHRASE, now=NOW)
        assert signing.device_key(again, now=NOW).public_key == public
    finally:
        again.close()

"""Fixtures for tests that use a real store file on disk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from models.store import CaseStore
from tests.support.factories import NOW, PASSPHRASE, floor_kdf_params
from tests.support.memory_keyring import MemoryKeyring


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "keukentafel.db"


@pytest.fixture
def store(store_path: Path, memory_keyring: MemoryKeyring) -> Iterator[CaseStore]:
    """A new, unlocked store protected by passphrase + device secret (in-memory key store)."""
    s = CaseStore.create(store_path, PASSPHRASE, now=NOW, kdf_params=floor_kdf_params())
    try:
        yield s
    finally:
        s.close()

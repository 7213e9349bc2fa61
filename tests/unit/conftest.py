"""Fixtures shared by the unit tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from models.store import CaseStore
from tests.support.factories import NOW, PASSPHRASE, floor_kdf_params
from tests.support.memory_keyring import MemoryKeyring


@pytest.fixture
def store(tmp_path: Path, memory_keyring: MemoryKeyring) -> Iterator[CaseStore]:
    """A new, unlocked store with the cheapest key derivation, in an in-memory OS key store."""
    s = CaseStore.create(tmp_path / "k.db", PASSPHRASE, now=NOW, kdf_params=floor_kdf_params())
    try:
        yield s
    finally:
        s.close()

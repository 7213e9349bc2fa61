"""Fixtures shared by the whole test suite."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from hypothesis import HealthCheck, settings

from models.i18n import current_language, set_language
from tests.support.memory_keyring import MemoryKeyring

# No time limits in tests (performance is measured in bench/): Hypothesis's 200 ms deadline per
# example and its "too slow" health check fail at random on a loaded 2-core CI machine.
settings.register_profile(
    "keukentafel", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("keukentafel")


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """An empty in-memory OS key store for the test; the previous backend comes back afterwards."""
    previous = keyring.get_keyring()
    MemoryKeyring.entries.clear()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
        MemoryKeyring.entries.clear()


@pytest.fixture(scope="module")
def english() -> Iterator[None]:
    """Switch messages to English for a test module that asserts English texts."""
    before = current_language()
    set_language("en")
    yield
    set_language(before)

"""Device secret: only real key stores are used, and loading never makes a fresh secret."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import keyring
import keyring.backend
import pytest
from keyring.backends import chainer, fail, null

from models.crypto.device_secret import (
    SERVICE,
    KeyStoreStatus,
    create_device_secret,
    delete_device_secret,
    key_store_available,
    key_store_status,
    load_device_secret,
)
from models.errors import KeyStoreUnavailableError, StoreExistsError
from tests.support.memory_keyring import MemoryKeyring

STORE = "0b6f2c1e-store"
ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture
def backend_set() -> Iterator[None]:
    """Restore whatever backend the test sets."""
    previous = keyring.get_keyring()
    try:
        yield
    finally:
        keyring.set_keyring(previous)


def test_memory_backend_is_available(memory_keyring: MemoryKeyring) -> None:
    assert key_store_status() is KeyStoreStatus.AVAILABLE
    assert key_store_available()


def test_create_then_load(memory_keyring: MemoryKeyring) -> None:
    secret = create_device_secret(STORE)
    assert secret is not None and len(secret) == 32
    assert load_device_secret(STORE) == secret
    # Stored base64, under our service, keyed by store id.
    assert base64.b64decode(MemoryKeyring.entries[(SERVICE, STORE)]) == secret


def test_each_store_gets_its_own_secret(memory_keyring: MemoryKeyring) -> None:
    assert create_device_secret("a") != create_device_secret("b")


def test_create_never_replaces_an_existing_secret(memory_keyring: MemoryKeyring) -> None:
    secret = create_device_secret(STORE)
    with pytest.raises(StoreExistsError):
        create_device_secret(STORE)
    assert load_device_secret(STORE) == secret


def test_missing_entry_raises_and_nothing_is_created(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(KeyStoreUnavailableError):
        load_device_secret(STORE)
    assert MemoryKeyring.entries == {}


@pytest.mark.parametrize(
    "stored",
    ["not base64!", base64.b64encode(bytes(16)).decode(), "", "ÿÿÿÿ"],
    ids=["not base64", "too short", "empty", "non-ascii"],
)
def test_garbled_entry_raises(memory_keyring: MemoryKeyring, stored: str) -> None:
    MemoryKeyring.entries[(SERVICE, STORE)] = stored
    with pytest.raises(KeyStoreUnavailableError) as caught:
        load_device_secret(STORE)
    assert "garbled" in caught.value.detail
    assert MemoryKeyring.entries[(SERVICE, STORE)] == stored  # left alone, not replaced


def test_delete(memory_keyring: MemoryKeyring) -> None:
    create_device_secret(STORE)
    assert delete_device_secret(STORE)
    assert MemoryKeyring.entries == {}
    assert delete_device_secret(STORE)  # missing is fine
    with pytest.raises(KeyStoreUnavailableError):
        load_device_secret(STORE)


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()], ids=["fail", "null"])
def test_fail_and_null_backends_are_unavailable(
    backend_set: None, backend: keyring.backend.KeyringBackend
) -> None:
    keyring.set_keyring(backend)
    assert key_store_status() is KeyStoreStatus.UNAVAILABLE
    assert create_device_secret(STORE) is None
    with pytest.raises(KeyStoreUnavailableError):
        load_device_secret(STORE)


class PlaintextKeyring(MemoryKeyring):
    """Stands in for keyrings.alt's PlaintextKeyring (the package is not installed here)."""


PlaintextKeyring.__module__ = "keyrings.alt.file"


def test_keyrings_alt_backends_are_never_used(
    memory_keyring: MemoryKeyring, backend_set: None
) -> None:
    keyring.set_keyring(PlaintextKeyring())
    assert not key_store_available()
    assert create_device_secret(STORE) is None
    assert MemoryKeyring.entries == {}
    with pytest.raises(KeyStoreUnavailableError):
        load_device_secret(STORE)


class FakeChainer(chainer.ChainerBackend):
    """A chainer whose members the test chooses (the real one discovers installed backends)."""

    viable = False  # never auto-detected
    priority = 1
    backends: ClassVar[list[keyring.backend.KeyringBackend]] = []


@pytest.mark.parametrize(
    ("members", "available"),
    [
        ([], False),
        ([fail.Keyring()], False),
        ([MemoryKeyring()], True),
        ([MemoryKeyring(), PlaintextKeyring()], False),
    ],
    ids=["empty", "only fail", "one real", "real and plaintext"],
)
def test_chainer_is_available_only_with_real_members(
    memory_keyring: MemoryKeyring,
    backend_set: None,
    members: list[keyring.backend.KeyringBackend],
    available: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(FakeChainer, "backends", members)
    keyring.set_keyring(FakeChainer())
    assert key_store_available() is available


class FlakyKeyring(MemoryKeyring):
    """Accepts the write but reads back something else (a misbehaving key store)."""

    def get_password(self, service: str, username: str) -> str | None:
        stored = super().get_password(service, username)
        return None if stored is None else base64.b64encode(bytes(32)).decode()


def test_create_verifies_by_reading_back(memory_keyring: MemoryKeyring, backend_set: None) -> None:
    keyring.set_keyring(FlakyKeyring())
    assert create_device_secret(STORE) is None
    assert MemoryKeyring.entries == {}  # the wrong entry was removed again


class LockedKeyring(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("the user dismissed the unlock prompt")

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("the user dismissed the unlock prompt")


def test_failing_key_store(memory_keyring: MemoryKeyring, backend_set: None) -> None:
    keyring.set_keyring(LockedKeyring())
    assert create_device_secret(STORE) is None
    with pytest.raises(KeyStoreUnavailableError) as caught:
        load_device_secret(STORE)
    assert "KeyringLocked" in caught.value.detail


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend", ["keyring.backends.fail.Keyring", "keyring.backends.null.Keyring"]
)
def test_backend_chosen_by_environment_variable(backend: str, tmp_path: Path) -> None:
    script = (
        "from models.crypto.device_secret import *\n"
        "from models.errors import KeyStoreUnavailableError\n"
        "assert not key_store_available()\n"
        "assert create_device_secret('s') is None\n"
        "try:\n"
        "    load_device_secret('s')\n"
        "except KeyStoreUnavailableError:\n"
        "    print('refused')\n"
    )
    env = {
        **os.environ,
        "PYTHON_KEYRING_BACKEND": backend,
        # Keep any keyringrc.cfg of this machine out of the picture.
        "XDG_CONFIG_HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "refused"


def test_memory_keyring_is_never_auto_detected() -> None:
    # Importing the fake must not make it the key store of tests that did not ask for it.
    detected = {type(backend) for backend in keyring.backend.get_all_keyring()}
    assert not detected & {
        MemoryKeyring,
        PlaintextKeyring,
        FlakyKeyring,
        LockedKeyring,
        FakeChainer,
    }

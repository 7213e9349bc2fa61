"""The device secret: 32 random bytes kept in the operating system's key store, via ``keyring``.

Why: the threat is a lost or stolen tablet. A PIN typed on a tablet has a few thousand values and
falls to an offline search in minutes, whatever the KDF. Mixing in a secret that the OS key store
holds (and that is not inside the copied database file) is what makes a short PIN acceptable.

Rules (see SECURITY.md, "Data at rest and keys"):

* Only real key stores count. ``keyring``'s ``fail`` backend (raises ``NoKeyringError``; the default
  on a Linux machine without Secret Service) and ``null`` backend (silently stores nothing) are
  unavailable, and so is every ``keyrings.alt`` backend: its ``PlaintextKeyring`` writes the secret
  in the clear next to the database, which would defeat the point.
* Creating a secret verifies it by reading it back; if the key store is unavailable or misbehaves,
  :func:`create_device_secret` returns ``None`` and the caller continues passphrase-only (with a
  visible warning and a stricter passphrase rule).
* Loading never creates. A missing or garbled entry for an existing store means the data key cannot
  be unwrapped; making a fresh secret would only orphan the data, so :func:`load_device_secret`
  raises ``KeyStoreUnavailableError`` and the store stays locked.

The secret is stored base64-encoded under service ``SERVICE`` with the store id as user name. Error
details name the backend and the kind of failure, never the secret.
"""

from __future__ import annotations

import base64
import binascii
import os
from enum import StrEnum
from typing import Final

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import chainer, fail, null

from models.errors import KeyStoreUnavailableError, StoreExistsError

SERVICE: Final = "keukentafel"
SECRET_SIZE: Final = 32


class KeyStoreStatus(StrEnum):
    AVAILABLE = "available"
    UNAVAILABLE = "unavailable"


def _backend_name(backend: keyring.backend.KeyringBackend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _usable(backend: keyring.backend.KeyringBackend) -> bool:
    if isinstance(backend, fail.Keyring | null.Keyring):
        return False
    # Plaintext (and otherwise "not recommended") backends: never trusted with the secret.
    if type(backend).__module__.startswith("keyrings.alt"):
        return False
    if isinstance(backend, chainer.ChainerBackend):
        members = list(backend.backends)
        # The chainer writes to the first member that accepts, which could be a plaintext one:
        # trust it only if it has a usable member and every member is usable.
        return bool(members) and all(_usable(member) for member in members)
    return True


def key_store_status() -> KeyStoreStatus:
    """Whether the current ``keyring`` backend is a real key store we may put the secret in."""
    return (
        KeyStoreStatus.AVAILABLE if _usable(keyring.get_keyring()) else KeyStoreStatus.UNAVAILABLE
    )


def key_store_available() -> bool:
    return key_store_status() is KeyStoreStatus.AVAILABLE


def _decode(stored: str) -> bytes | None:
    try:
        secret = base64.b64decode(stored.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None
    return secret if len(secret) == SECRET_SIZE else None


def create_device_secret(store_id: str) -> bytes | None:
    """Make, store and verify a fresh device secret for a *new* store; ``None`` if no key store.

    Raises ``StoreExistsError`` if the key store already holds a secret for ``store_id``: replacing
    it would orphan whatever that secret protects. Any key-store failure (unavailable, locked,
    refused by the user, not read back intact) gives ``None``; a half-written entry is removed.
    """
    backend = keyring.get_keyring()
    if not _usable(backend):
        return None
    try:
        if backend.get_password(SERVICE, store_id) is not None:
            raise StoreExistsError()
        secret = os.urandom(SECRET_SIZE)
        backend.set_password(SERVICE, store_id, base64.b64encode(secret).decode("ascii"))
        stored = backend.get_password(SERVICE, store_id)
    except keyring.errors.KeyringError:
        return None
    if stored is None or _decode(stored) != secret:
        # Stored nothing or something else: do not leave a wrong entry behind for a later load.
        if stored is not None:
            delete_device_secret(store_id)
        return None
    return secret


def load_device_secret(store_id: str) -> bytes:
    """The device secret of ``store_id``. Raises ``KeyStoreUnavailableError``; never creates one."""
    backend = keyring.get_keyring()
    name = _backend_name(backend)
    if not _usable(backend):
        raise KeyStoreUnavailableError(f"no usable key store (backend {name})")
    try:
        stored = backend.get_password(SERVICE, store_id)
    except keyring.errors.KeyringError as error:
        # Only the exception type: a backend's message is outside our control.
        raise KeyStoreUnavailableError(f"key store {name} failed: {type(error).__name__}") from None
    if stored is None:
        raise KeyStoreUnavailableError(f"no device secret for this store in {name}")
    secret = _decode(stored)
    if secret is None:
        raise KeyStoreUnavailableError(f"device secret in {name} is garbled")
    return secret


def delete_device_secret(store_id: str) -> bool:
    """Remove the device secret (wipe). True if it is gone or was never there.

    False if the key store could not be asked (unavailable or failing): the wipe goes on regardless,
    since without the wrapped data key an orphaned secret protects nothing.
    """
    backend = keyring.get_keyring()
    if isinstance(backend, null.Keyring):
        return True  # stores nothing, so there is nothing to delete
    if not _usable(backend):
        return False
    try:
        backend.delete_password(SERVICE, store_id)
    except keyring.errors.PasswordDeleteError:
        return True  # not there: already gone
    except keyring.errors.KeyringError:
        return False
    return True

"""Envelope encryption: the data key, wrapped under a key from the passphrase (and device secret).

Why: the threat is a lost or stolen tablet. The data key that seals every value is random and never
stored in the clear; on disk it exists only wrapped (AES-256-GCM) under a key-encryption key (KEK).
The KEK is the HKDF of the passphrase key (see ``models.crypto.kdf``) and, where the OS key store
exists, a random 32-byte device secret kept there. With that secret a short PIN is acceptable: a
thief who copies the database file alone has 256 unknown bits to guess, not four digits. Without it
the passphrase is all there is, so it must be long (:func:`check_passphrase`).

The two modes use different HKDF ``info`` labels, so a key wrapped in one mode can never be
unwrapped in the other (for instance by an attacker who deletes the key-store entry hoping the app
falls back to "passphrase only"). The wrap's associated data binds the store id and the key id, so
an envelope copied from another store, or relabelled with another key id, does not open.

Wrapped blob layout (``WRAP_VERSION`` 1)::

    version (1) || key_id (4) || nonce (12) || ciphertext (32) || GCM tag (16)
"""

from __future__ import annotations

import os
import struct
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from models.crypto.kdf import normalise_passphrase
from models.crypto.sealing import KEY_ID_SIZE, NONCE_SIZE, SECRET_SIZE, TAG_SIZE, DataKey
from models.errors import ValidationError, WrongPassphraseError
from models.i18n import _

WRAP_VERSION: Final = 1
KEK_SIZE: Final = 32
DEVICE_SECRET_SIZE: Final = 32

_INFO_WITH_DEVICE_SECRET: Final = b"keukentafel/kek/v1/passphrase+device-secret"
_INFO_PASSPHRASE_ONLY: Final = b"keukentafel/kek/v1/passphrase-only"
_AD_LABEL: Final = b"keukentafel/wrap"
_HEADER_SIZE: Final = 1 + KEY_ID_SIZE + NONCE_SIZE
_WRAPPED_SIZE: Final = _HEADER_SIZE + SECRET_SIZE + TAG_SIZE

PIN_MIN_DIGITS: Final = 4
PIN_MAX_DIGITS: Final = 12
MIN_PASSPHRASE_WITH_DEVICE_SECRET: Final = 8
MIN_PASSPHRASE_ALONE: Final = 12


def combine(passphrase_key: bytes, device_secret: bytes | None) -> bytes:
    """The key-encryption key: HKDF-SHA256 over the passphrase key and the device secret, if any."""
    if len(passphrase_key) != KEK_SIZE:
        raise ValueError(f"passphrase_key must be {KEK_SIZE} bytes")
    if device_secret is None:
        ikm, info = passphrase_key, _INFO_PASSPHRASE_ONLY
    else:
        if len(device_secret) != DEVICE_SECRET_SIZE:
            raise ValueError(f"device_secret must be {DEVICE_SECRET_SIZE} bytes")
        ikm, info = passphrase_key + device_secret, _INFO_WITH_DEVICE_SECRET
    # No salt: both inputs are already uniformly random 32-byte keys (the KDF output is salted).
    return HKDF(algorithm=hashes.SHA256(), length=KEK_SIZE, salt=None, info=info).derive(ikm)


def _associated_data(store_id: str, key_id: bytes) -> bytes:
    parts = (_AD_LABEL, bytes([WRAP_VERSION]), store_id.encode("utf-8"), key_id)
    # Length prefixes make the encoding unambiguous whatever the store id contains.
    return b"".join(struct.pack(">I", len(part)) + part for part in parts)


def wrap(kek: bytes, data_key: DataKey, *, store_id: str) -> bytes:
    """Encrypt ``data_key`` under ``kek`` for the store ``store_id``."""
    nonce = os.urandom(NONCE_SIZE)
    ad = _associated_data(store_id, data_key.key_id)
    ciphertext = AESGCM(kek).encrypt(nonce, data_key.secret, ad)
    return b"".join((bytes([WRAP_VERSION]), data_key.key_id, nonce, ciphertext))


def unwrap(kek: bytes, wrapped: bytes, *, store_id: str) -> DataKey:
    """Recover the data key. Any failure is reported as ``WrongPassphraseError``.

    A wrong passphrase, a wrong or missing device secret, the other mode, another store's envelope
    and a damaged envelope all look the same to GCM; telling them apart would only help a guesser.
    """
    if len(kek) != KEK_SIZE or len(wrapped) != _WRAPPED_SIZE or wrapped[0] != WRAP_VERSION:
        raise WrongPassphraseError()
    key_id = bytes(wrapped[1 : 1 + KEY_ID_SIZE])
    nonce = bytes(wrapped[1 + KEY_ID_SIZE : _HEADER_SIZE])
    try:
        secret = AESGCM(kek).decrypt(
            nonce, bytes(wrapped[_HEADER_SIZE:]), _associated_data(store_id, key_id)
        )
    except InvalidTag:
        raise WrongPassphraseError() from None
    return DataKey(key_id=key_id, secret=secret)


def is_pin(passphrase: str) -> bool:
    """4 to 12 ASCII digits (other scripts' digits are not offered by a PIN pad)."""
    return (
        passphrase.isascii()
        and passphrase.isdigit()
        and PIN_MIN_DIGITS <= len(passphrase) <= PIN_MAX_DIGITS
    )


def check_passphrase(passphrase: str, *, has_device_secret: bool) -> None:
    """Refuse a passphrase too weak for this device. Raises ``ValidationError`` on ``"passphrase"``.

    With a device secret in the OS key store a PIN of 4-12 digits, or any passphrase of 8 characters
    or more, will do: the secret carries the strength against an offline attack. Without one the
    passphrase alone must resist offline guessing: at least 12 characters and not only digits (a
    short PIN falls to an offline search in minutes). Characters are counted after NFC
    normalisation, so an accented letter counts once however it was typed.
    """
    text = normalise_passphrase(passphrase)
    if has_device_secret:
        if is_pin(text) or (len(text) >= MIN_PASSPHRASE_WITH_DEVICE_SECRET and not text.isspace()):
            return
        raise ValidationError.single(
            "passphrase",
            _("Choose a PIN of 4 to 12 digits, or a passphrase of at least 8 characters."),
        )
    if len(text) >= MIN_PASSPHRASE_ALONE and not text.isdigit() and not text.isspace():
        return
    raise ValidationError.single(
        "passphrase",
        _(
            "This device cannot keep a secret key for you, so a PIN is not safe here. "
            "Choose a passphrase of at least 12 characters, not only digits."
        ),
    )

"""Per-value sealing: AES-256-GCM over each sensitive column value.

Why: the threat is a lost or stolen tablet. Whoever holds it can copy the SQLite file and read it
at leisure, so every name, address, free text, signature image and PDF is stored only as ciphertext.
Each value gets a fresh random 12-byte nonce, and its associated data binds the format version, the
key id, the table, the column and the row id: a ciphertext copied to another row, column or table
(to make one resident's data appear under another's name) fails to open instead of being shown.

Blob layout (``FORMAT_VERSION`` 1)::

    version (1 byte) || key_id (4 bytes) || nonce (12 bytes) || ciphertext || GCM tag (16 bytes)

The key id lets keys rotate: a store may hold values sealed under an older key while new values use
the current one. A value that fails to open, for whatever reason (tampered, moved, truncated,
unknown version or key), raises :class:`models.errors.DamagedRecordError`; the reason is
deliberately not distinguished in the message, and neither plaintext nor key material ever appears
in an error.

Python cannot reliably zero memory (``bytes`` are immutable and may be copied by the runtime), so
:meth:`Sealer.wipe` only drops references; it narrows, but does not close, the window in which a
memory dump of a running, unlocked app could reveal the key.
"""

from __future__ import annotations

import functools
import hmac
import json
import operator
import os
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any, Final, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from models.errors import DamagedRecordError, LockedError

FORMAT_VERSION: Final = 1
# 4 bytes: a store holds a handful of keys, and the id sits in front of every sealed value, so
# it is paid ~14 times per case on disk. The key id is also in the associated data, so a
# value can never open under another key, even if two ids were ever to collide.
KEY_ID_SIZE: Final = 4
SECRET_SIZE: Final = 32
NONCE_SIZE: Final = 12
TAG_SIZE: Final = 16

_HEADER_SIZE: Final = 1 + KEY_ID_SIZE + NONCE_SIZE
_MIN_BLOB_SIZE: Final = _HEADER_SIZE + TAG_SIZE
# Domain-separates sealed values from anything else encrypted with AES-GCM in this app (the key
# wrap uses its own label), so a blob of one kind can never be accepted as the other.
_AD_LABEL: Final = b"keukentafel/seal"
_VERSION_BYTE: Final = bytes([FORMAT_VERSION])


_LENGTH: Final = struct.Struct(">I")
_NONCE_START: Final = 1 + KEY_ID_SIZE
# Slicers for ``Sealer.open_texts``: called from C by ``map``, no Python frame per value.
_NONCE_OF: Final = operator.itemgetter(slice(_NONCE_START, _HEADER_SIZE))
_SEALED_OF: Final = operator.itemgetter(slice(_HEADER_SIZE, None))


def _length_prefixed(part: bytes) -> bytes:
    # A 4-byte length before each part makes the encoding injective: ("a|b", "c") and ("a", "b|c")
    # give different associated data whatever characters the names contain.
    return _LENGTH.pack(len(part)) + part


@functools.lru_cache(maxsize=1024)
def _ad_prefix(key_id: bytes, table: str, column: str) -> bytes:
    # Everything but the row id is the same for every value of a column: build it once. This is a
    # third of the cost of sealing a short value, and sealing sits on every save.
    return b"".join(
        (
            _length_prefixed(_AD_LABEL),
            _length_prefixed(_VERSION_BYTE),
            _length_prefixed(key_id),
            _length_prefixed(table.encode("utf-8")),
            _length_prefixed(column.encode("utf-8")),
        )
    )


_Decrypt = Callable[[bytes, bytes, bytes], bytes]


def associated_data(*, key_id: bytes, table: str, column: str, row_id: str) -> bytes:
    """The associated data of a sealed value: what the GCM tag binds the ciphertext to."""
    return _ad_prefix(key_id, table, column) + _length_prefixed(row_id.encode("utf-8"))


@dataclass(frozen=True, eq=False)
class DataKey:
    """A 256-bit data key and its public 4-byte id. ``repr`` never shows the secret."""

    key_id: bytes
    secret: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.key_id, bytes) or len(self.key_id) != KEY_ID_SIZE:
            raise ValueError(f"key_id must be {KEY_ID_SIZE} bytes")
        if not isinstance(self.secret, bytes) or len(self.secret) != SECRET_SIZE:
            # Say only the expected length: never echo what was passed, it may be key material.
            raise ValueError(f"secret must be {SECRET_SIZE} bytes")

    @classmethod
    def generate(cls) -> DataKey:
        """A fresh random key from the operating system's CSPRNG."""
        return cls(key_id=os.urandom(KEY_ID_SIZE), secret=os.urandom(SECRET_SIZE))

    def __repr__(self) -> str:
        # The key id is public (it is stored next to every value); the secret is masked, as in
        # starlette's Secret, so a key that reaches a log line or traceback shows nothing.
        return f"DataKey(key_id={self.key_id.hex()!r}, secret='**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DataKey):
            return NotImplemented
        # Constant time, so comparing keys does not leak how many leading bytes match.
        return hmac.compare_digest(self.key_id + self.secret, other.key_id + other.secret)

    def __hash__(self) -> int:
        return hash(self.key_id)


class Sealer:
    """Seals and opens column values with the store's data key(s).

    ``keys`` is one :class:`DataKey` (it becomes the current key) or a mapping of key id to key,
    for a store mid-rotation; then ``current`` names the key new values are sealed with (it may be
    left out when the mapping holds exactly one key). Values sealed under any of the keys open.
    """

    def __init__(
        self, keys: Mapping[bytes, DataKey] | DataKey, *, current: bytes | None = None
    ) -> None:
        if isinstance(keys, DataKey):
            key_map = {keys.key_id: keys}
            if current is None:
                current = keys.key_id
        else:
            key_map = dict(keys)
            for key_id, key in key_map.items():
                if key_id != key.key_id:
                    raise ValueError("each mapping key must be the DataKey's own key_id")
            if current is None:
                if len(key_map) != 1:
                    raise ValueError("pass current= when giving more than one key")
                current = next(iter(key_map))
        if current not in key_map:
            raise ValueError("current must be the id of one of the keys")
        # One AESGCM object per key: building it costs a key schedule, sealing 10^5 values must not.
        self._ciphers: dict[bytes, AESGCM] = {
            key_id: AESGCM(key.secret) for key_id, key in key_map.items()
        }
        self._current_key_id: bytes | None = current

    def __repr__(self) -> str:
        current = self._current_key_id.hex() if self._current_key_id is not None else None
        return f"Sealer(current_key_id={current!r}, keys={len(self._ciphers)})"

    @property
    def key_ids(self) -> frozenset[bytes]:
        return frozenset(self._ciphers)

    @property
    def current_key_id(self) -> bytes:
        if self._current_key_id is None:
            raise LockedError()
        return self._current_key_id

    @property
    def wiped(self) -> bool:
        return self._current_key_id is None

    def wipe(self) -> None:
        """Forget the keys (on lock). Afterwards every seal/open raises ``LockedError``.

        Best effort only: this drops this object's references to the key material, but Python gives
        no way to overwrite the bytes themselves, and OpenSSL's copy inside ``AESGCM`` is freed, not
        necessarily cleared, when the object is collected.
        """
        self._ciphers.clear()
        self._current_key_id = None

    # -- bytes ------------------------------------------------------------------------------------

    def seal(self, plaintext: bytes, *, table: str, column: str, row_id: str) -> bytes:
        # Written flat on purpose: this runs for every sensitive value on every save.
        key_id = self._current_key_id
        if key_id is None:
            raise LockedError()
        nonce = os.urandom(NONCE_SIZE)
        ad = _ad_prefix(key_id, table, column) + _length_prefixed(row_id.encode("utf-8"))
        return _VERSION_BYTE + key_id + nonce + self._ciphers[key_id].encrypt(nonce, plaintext, ad)

    def open(self, blob: bytes, *, table: str, column: str, row_id: str) -> bytes:
        if self._current_key_id is None:
            raise LockedError()
        if len(blob) < _MIN_BLOB_SIZE or blob[0] != FORMAT_VERSION:
            raise DamagedRecordError(table, row_id, column)
        key_id = bytes(blob[1 : 1 + KEY_ID_SIZE])
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise DamagedRecordError(table, row_id, column)
        nonce = bytes(blob[1 + KEY_ID_SIZE : _HEADER_SIZE])
        ad = _ad_prefix(key_id, table, column) + _length_prefixed(row_id.encode("utf-8"))
        try:
            return cipher.decrypt(nonce, bytes(blob[_HEADER_SIZE:]), ad)
        except InvalidTag:
            # ``from None``: the InvalidTag context adds nothing and keeps tracebacks short.
            raise DamagedRecordError(table, row_id, column) from None

    def open_texts(
        self,
        row_ids: Sequence[str],
        blobs: Sequence[bytes | None],
        *,
        table: str,
        column: str,
    ) -> list[str | None]:
        """Open one text column of many rows, in the order given; ``None`` where damaged.

        ``row_ids[i]`` is the row ``blobs[i]`` was sealed for. No value (``None``) opens as
        ``""``, as ``records`` stores empty text. A row named twice is opened twice (the overdue
        report names a resident once per agreement; looking repeats up cost more than the few
        second openings).

        For reports over thousands of rows (the overdue list): the same checks as ``open_text``,
        with every loop in C, which is a third of the cost per value. A damaged value does not
        stop the rest; the caller tells the user which rows could not be read.
        """
        if self._current_key_id is None:
            raise LockedError()
        if len(row_ids) != len(blobs):
            raise ValueError("one row id per value")
        at_once = self._open_texts_at_once(row_ids, blobs, table, column)
        if at_once is not None:
            return at_once
        return self._open_texts_one_by_one(row_ids, blobs, table=table, column=column)

    def _open_texts_at_once(
        self, row_ids: Sequence[str], blobs: Sequence[bytes | None], table: str, column: str
    ) -> list[str | None] | None:
        """``open_texts`` for the common case, with every loop in C (``map``); ``None`` otherwise.

        The common case: every value is there, under one key, and every row id has one length
        (ids are UUIDs). Then the header and the associated data up to the row id are the same for
        all, and each value costs only its slices and the decryption. Anything else (an empty
        value, a second key mid-rotation, a damaged value) returns ``None``, and the one-by-one
        loop opens the lot and marks what is damaged.
        """
        if not blobs:
            return []
        if set(map(type, blobs)) != {bytes}:  # no value missing (None), no memoryview
            return None
        values = cast(Sequence[bytes], blobs)
        header = values[0][:_NONCE_START]
        encoded_ids = list(map(str.encode, row_ids))
        lengths = set(map(len, encoded_ids))
        if (
            len(lengths) != 1
            or min(map(len, values)) < _MIN_BLOB_SIZE
            or not all(map(bytes.startswith, values, repeat(header)))
        ):
            return None
        found = self._header_opener(header, table, column)
        if found is None:
            return None
        decrypt, prefix, _ = found
        ad = prefix + _LENGTH.pack(lengths.pop())
        try:
            plain = map(
                decrypt,
                map(_NONCE_OF, values),
                map(_SEALED_OF, values),
                map(ad.__add__, encoded_ids),
            )
            return list(map(bytes.decode, plain))
        except (InvalidTag, UnicodeDecodeError):
            return None

    def _open_texts_one_by_one(
        self, row_ids: Sequence[str], blobs: Sequence[bytes | None], *, table: str, column: str
    ) -> list[str | None]:
        # Per header (version + key id), looked up once: the key's decrypt and the associated data
        # up to the row id, by the id's length (ids are UUIDs: one length).
        headers: dict[bytes, tuple[_Decrypt, bytes, dict[int, bytes]] | None] = {}
        opened: list[str | None] = []
        for row_id, blob in zip(row_ids, blobs, strict=True):
            if blob is None:
                opened.append("")
                continue
            if type(blob) is not bytes:  # a memoryview or bytearray from a driver
                blob = bytes(blob)
            header = blob[:_NONCE_START]
            if header in headers:
                found = headers[header]
            else:
                found = headers[header] = self._header_opener(header, table, column)
            text: str | None = None
            if found is not None and len(blob) >= _MIN_BLOB_SIZE:
                decrypt, prefix, ad_by_length = found
                rid = row_id.encode("utf-8")
                ad = ad_by_length.get(len(rid))
                if ad is None:
                    ad = ad_by_length[len(rid)] = prefix + _LENGTH.pack(len(rid))
                try:
                    plain = decrypt(blob[_NONCE_START:_HEADER_SIZE], blob[_HEADER_SIZE:], ad + rid)
                    text = plain.decode("utf-8")
                except (InvalidTag, UnicodeDecodeError):
                    text = None
            opened.append(text)
        return opened

    def _header_opener(
        self, header: bytes, table: str, column: str
    ) -> tuple[_Decrypt, bytes, dict[int, bytes]] | None:
        """For ``open_texts``: how to open values with this header; ``None`` if none can open."""
        if len(header) != _NONCE_START or header[0] != FORMAT_VERSION:
            return None
        key_id = header[1:]
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            return None
        return cipher.decrypt, _ad_prefix(key_id, table, column), {}

    # -- text and JSON ----------------------------------------------------------------------------

    def seal_text(self, text: str | None, *, table: str, column: str, row_id: str) -> bytes | None:
        """Seal a text value; ``None`` (no value) stays ``None``, ``""`` is sealed like any text."""
        if text is None:
            return None
        return self.seal(text.encode("utf-8"), table=table, column=column, row_id=row_id)

    def open_text(self, blob: bytes | None, *, table: str, column: str, row_id: str) -> str | None:
        if blob is None:
            return None
        plaintext = self.open(blob, table=table, column=column, row_id=row_id)
        try:
            return plaintext.decode("utf-8")
        except UnicodeDecodeError:
            # Authentic but not text: sealed as raw bytes by mistake. Never show the bytes.
            raise DamagedRecordError(table, row_id, column) from None

    def seal_json(self, value: Any, *, table: str, column: str, row_id: str) -> bytes | None:
        """Seal a JSON-able value, compactly encoded. ``None`` stays ``None`` (not JSON ``null``).

        NaN and infinities are refused (``ValueError``): they are not JSON and would not round-trip
        through the server.
        """
        if value is None:
            return None
        encoded = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return self.seal(encoded.encode("utf-8"), table=table, column=column, row_id=row_id)

    def open_json(self, blob: bytes | None, *, table: str, column: str, row_id: str) -> Any:
        if blob is None:
            return None
        plaintext = self.open(blob, table=table, column=column, row_id=row_id)
        try:
            return json.loads(plaintext.decode("utf-8"))
        except ValueError:  # UnicodeDecodeError and JSONDecodeError are both ValueErrors
            raise DamagedRecordError(table, row_id, column) from None

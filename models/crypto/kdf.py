"""Passphrase to key: a memory-hard KDF, with its parameters stored beside the wrapped key.

Why: the threat is a lost or stolen tablet. Its thief can copy the store and guess passphrases
offline on fast hardware, so each guess must cost real memory and time. Argon2id (RFC 9106, second
recommendation: 64 MiB, t=3, p=4) where this OpenSSL has it, otherwise scrypt n=2^17, r=8, p=1.

The parameters live on disk in plain JSON next to the wrapped key, so whoever holds the tablet can
edit them. :class:`KdfParams` therefore refuses anything below the floor (OWASP: Argon2id m=19 MiB,
t=2, p=1; scrypt n=2^17): a tampered header must not make the next passphrase change re-wrap the key
under a cheap KDF. It also refuses absurdly large parameters, which could only serve to exhaust the
tablet's memory.

Passphrases are NFC-normalised before hashing, so "é" typed as one code point (a Dutch keyboard) or
as "e" plus a combining accent (some on-screen keyboards, macOS file names pasted in) give the same
key. Everything else is kept as typed: no trimming, no case folding.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import os
import unicodedata
from dataclasses import dataclass
from typing import Any, Final, Literal

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

Algorithm = Literal["argon2id", "scrypt"]

KEY_SIZE: Final = 32
SALT_SIZE: Final = 16

# Floors: below these a tampered header is refused (OWASP Password Storage Cheat Sheet).
ARGON2_MIN_MEMORY_KIB: Final = 19 * 1024
ARGON2_MIN_ITERATIONS: Final = 2
ARGON2_MIN_LANES: Final = 1
SCRYPT_MIN_N: Final = 2**17
SCRYPT_MIN_R: Final = 8
SCRYPT_MIN_P: Final = 1

# Ceilings: nobody chooses these honestly for a tablet; they only guard against a header edited to
# make unlocking allocate gigabytes or run for hours.
ARGON2_MAX_MEMORY_KIB: Final = 1024 * 1024  # 1 GiB
ARGON2_MAX_ITERATIONS: Final = 64
ARGON2_MAX_LANES: Final = 16
SCRYPT_MAX_MEMORY: Final = 1024**3  # scrypt needs 128 * n * r bytes
SCRYPT_MAX_P: Final = 16

# Production defaults (RFC 9106 second recommendation; scrypt fallback per DESIGN.md).
DEFAULT_ARGON2_MEMORY_KIB: Final = 64 * 1024
DEFAULT_ARGON2_ITERATIONS: Final = 3
DEFAULT_ARGON2_LANES: Final = 4
DEFAULT_SCRYPT_N: Final = 2**17
DEFAULT_SCRYPT_R: Final = 8
DEFAULT_SCRYPT_P: Final = 1

_ARGON2_FIELDS: Final = frozenset({"algorithm", "salt", "memory_kib", "iterations", "lanes"})
_SCRYPT_FIELDS: Final = frozenset({"algorithm", "salt", "n", "r", "p"})


def _check_int(name: str, value: object, low: int, high: int) -> None:
    # bool is an int subclass: refuse it, "true" in a JSON header is not a parameter.
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"KDF parameter {name} must be an integer")
    if not low <= value <= high:
        raise ValueError(f"KDF parameter {name} must be between {low} and {high}")


@dataclass(frozen=True)
class KdfParams:
    """How a passphrase was stretched. Construction validates, so weak parameters cannot exist.

    For ``"argon2id"`` set ``memory_kib``, ``iterations`` and ``lanes``; for ``"scrypt"`` set ``n``,
    ``r`` and ``p``; the other algorithm's fields stay ``None``. Raises ``ValueError``.
    """

    algorithm: Algorithm
    salt: bytes
    memory_kib: int | None = None
    iterations: int | None = None
    lanes: int | None = None
    n: int | None = None
    r: int | None = None
    p: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.salt, bytes) or len(self.salt) != SALT_SIZE:
            raise ValueError(f"KDF salt must be {SALT_SIZE} bytes")
        if self.algorithm == "argon2id":
            if (self.n, self.r, self.p) != (None, None, None):
                raise ValueError("argon2id parameters must not carry scrypt's n, r, p")
            _check_int("lanes", self.lanes, ARGON2_MIN_LANES, ARGON2_MAX_LANES)
            _check_int("iterations", self.iterations, ARGON2_MIN_ITERATIONS, ARGON2_MAX_ITERATIONS)
            assert self.lanes is not None  # checked just above; narrows the type for mypy
            # Argon2 itself needs at least 8 KiB per lane.
            low = max(ARGON2_MIN_MEMORY_KIB, 8 * self.lanes)
            _check_int("memory_kib", self.memory_kib, low, ARGON2_MAX_MEMORY_KIB)
        elif self.algorithm == "scrypt":
            if (self.memory_kib, self.iterations, self.lanes) != (None, None, None):
                raise ValueError("scrypt parameters must not carry argon2id's fields")
            _check_int("r", self.r, SCRYPT_MIN_R, SCRYPT_MAX_MEMORY // (128 * SCRYPT_MIN_N))
            _check_int("p", self.p, SCRYPT_MIN_P, SCRYPT_MAX_P)
            assert self.r is not None
            _check_int("n", self.n, SCRYPT_MIN_N, SCRYPT_MAX_MEMORY // (128 * self.r))
            assert self.n is not None
            if self.n & (self.n - 1):
                raise ValueError("KDF parameter n must be a power of two")
        else:
            raise ValueError("KDF algorithm must be 'argon2id' or 'scrypt'")

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "algorithm": self.algorithm,
            "salt": base64.b64encode(self.salt).decode("ascii"),
        }
        if self.algorithm == "argon2id":
            data |= {
                "memory_kib": self.memory_kib,
                "iterations": self.iterations,
                "lanes": self.lanes,
            }
        else:
            data |= {"n": self.n, "r": self.r, "p": self.p}
        return json.dumps(data, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> KdfParams:
        """Parse and validate stored parameters. Raises ``ValueError`` on anything unexpected."""
        try:
            data = json.loads(text)
        except ValueError:
            raise ValueError("KDF parameters are not valid JSON") from None
        if not isinstance(data, dict):
            raise ValueError("KDF parameters must be a JSON object")
        algorithm: Algorithm
        if data.get("algorithm") == "argon2id":
            algorithm, expected = "argon2id", _ARGON2_FIELDS
        elif data.get("algorithm") == "scrypt":
            algorithm, expected = "scrypt", _SCRYPT_FIELDS
        else:
            raise ValueError("KDF algorithm must be 'argon2id' or 'scrypt'")
        if set(data) != expected:
            # Unknown or missing fields: refuse rather than guess (a header we do not understand).
            raise ValueError(f"KDF parameters for {algorithm} must have exactly {sorted(expected)}")
        salt_text = data["salt"]
        if not isinstance(salt_text, str):
            raise ValueError("KDF salt must be base64 text")
        try:
            salt = base64.b64decode(salt_text.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            raise ValueError("KDF salt must be base64 text") from None
        fields = {k: v for k, v in data.items() if k not in ("algorithm", "salt")}
        return cls(algorithm=algorithm, salt=salt, **fields)


@functools.cache
def argon2id_available() -> bool:
    """Whether this OpenSSL offers Argon2id (OpenSSL >= 3.2). Probed once, with tiny parameters."""
    try:
        Argon2id(
            salt=bytes(SALT_SIZE), length=KEY_SIZE, iterations=1, lanes=1, memory_cost=8
        ).derive(b"probe")
    except UnsupportedAlgorithm:
        return False
    return True


def default_params() -> KdfParams:
    """Production parameters with a fresh random salt (Argon2id if available, else scrypt)."""
    salt = os.urandom(SALT_SIZE)
    if argon2id_available():
        return KdfParams(
            algorithm="argon2id",
            salt=salt,
            memory_kib=DEFAULT_ARGON2_MEMORY_KIB,
            iterations=DEFAULT_ARGON2_ITERATIONS,
            lanes=DEFAULT_ARGON2_LANES,
        )
    return KdfParams(
        algorithm="scrypt", salt=salt, n=DEFAULT_SCRYPT_N, r=DEFAULT_SCRYPT_R, p=DEFAULT_SCRYPT_P
    )


def normalise_passphrase(passphrase: str) -> str:
    """NFC, so composed and decomposed accents are the same passphrase. Nothing else changes."""
    return unicodedata.normalize("NFC", passphrase)


def derive(passphrase: str, params: KdfParams) -> bytes:
    """Stretch ``passphrase`` into a 32-byte key. Deliberately slow (tenths of a second)."""
    secret = normalise_passphrase(passphrase).encode("utf-8")
    if params.algorithm == "argon2id":
        assert params.memory_kib is not None and params.iterations is not None
        assert params.lanes is not None
        return Argon2id(
            salt=params.salt,
            length=KEY_SIZE,
            iterations=params.iterations,
            lanes=params.lanes,
            memory_cost=params.memory_kib,
        ).derive(secret)
    assert params.n is not None and params.r is not None and params.p is not None
    return Scrypt(salt=params.salt, length=KEY_SIZE, n=params.n, r=params.r, p=params.p).derive(
        secret
    )

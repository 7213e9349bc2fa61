"""KDF: Unicode normalisation, stored parameters that round-trip, a floor a header cannot lower."""

from __future__ import annotations

import base64
import json
import time
import unicodedata
from typing import Any

import pytest

from models.crypto.kdf import (
    ARGON2_MIN_ITERATIONS,
    ARGON2_MIN_LANES,
    ARGON2_MIN_MEMORY_KIB,
    SCRYPT_MIN_N,
    KdfParams,
    argon2id_available,
    default_params,
    derive,
)

SALT = bytes(range(16))
# The cheapest parameters production code accepts: fast enough for unit tests, no weak path added.
FLOOR_ARGON2 = KdfParams(
    algorithm="argon2id",
    salt=SALT,
    memory_kib=ARGON2_MIN_MEMORY_KIB,
    iterations=ARGON2_MIN_ITERATIONS,
    lanes=ARGON2_MIN_LANES,
)
FLOOR_SCRYPT = KdfParams(algorithm="scrypt", salt=SALT, n=SCRYPT_MIN_N, r=8, p=1)


@pytest.mark.parametrize("params", [FLOOR_ARGON2, FLOOR_SCRYPT], ids=["argon2id", "scrypt"])
def test_composed_and_decomposed_passphrase_give_the_same_key(params: KdfParams) -> None:
    composed = "Crème brûlée in Zoë's café"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    key = derive(composed, params)
    assert len(key) == 32
    assert derive(decomposed, params) == key


def test_different_passphrase_salt_or_algorithm_give_different_keys() -> None:
    key = derive("tafel en stoelen", FLOOR_ARGON2)
    assert derive("tafel en stoelen", FLOOR_ARGON2) == key
    assert derive("tafel en stoelen ", FLOOR_ARGON2) != key  # no trimming
    assert derive("Tafel en stoelen", FLOOR_ARGON2) != key  # no case folding
    other_salt = KdfParams(**{**FLOOR_ARGON2.__dict__, "salt": bytes(16)})
    assert derive("tafel en stoelen", other_salt) != key
    assert derive("tafel en stoelen", FLOOR_SCRYPT) != key


@pytest.mark.parametrize("params", [FLOOR_ARGON2, FLOOR_SCRYPT], ids=["argon2id", "scrypt"])
def test_params_json_round_trip(params: KdfParams) -> None:
    text = params.to_json()
    assert KdfParams.from_json(text) == params
    assert base64.b64encode(SALT).decode() in text


def _tampered(params: KdfParams, **changes: Any) -> str:
    data = json.loads(params.to_json())
    data.update(changes)
    return json.dumps(data)


@pytest.mark.parametrize(
    ("params", "changes"),
    [
        (FLOOR_ARGON2, {"memory_kib": ARGON2_MIN_MEMORY_KIB - 1}),
        (FLOOR_ARGON2, {"memory_kib": 8}),
        (FLOOR_ARGON2, {"iterations": 1}),
        (FLOOR_ARGON2, {"lanes": 0}),
        (FLOOR_SCRYPT, {"n": SCRYPT_MIN_N // 2}),
        (FLOOR_SCRYPT, {"n": 2**10}),
        (FLOOR_SCRYPT, {"r": 1}),
        (FLOOR_SCRYPT, {"p": 0}),
    ],
)
def test_tampered_params_below_the_floor_are_refused(
    params: KdfParams, changes: dict[str, Any]
) -> None:
    with pytest.raises(ValueError):
        KdfParams.from_json(_tampered(params, **changes))


@pytest.mark.parametrize(
    "text",
    [
        _tampered(FLOOR_ARGON2, memory_kib=64 * 1024 * 1024),  # 64 GiB: exhaust the tablet
        _tampered(FLOOR_ARGON2, iterations=10**6),
        _tampered(FLOOR_SCRYPT, n=2**30),
        _tampered(FLOOR_SCRYPT, n=SCRYPT_MIN_N + 1),  # not a power of two
        _tampered(FLOOR_ARGON2, iterations=True),  # bool is not a parameter
        _tampered(FLOOR_ARGON2, iterations="3"),
        _tampered(FLOOR_ARGON2, algorithm="pbkdf2"),
        _tampered(FLOOR_ARGON2, algorithm="scrypt"),  # argon2 fields under the scrypt name
        _tampered(FLOOR_ARGON2, n=2**17),  # fields of both algorithms
        _tampered(FLOOR_ARGON2, extra=1),
        _tampered(FLOOR_ARGON2, salt=base64.b64encode(bytes(8)).decode()),  # short salt
        _tampered(FLOOR_ARGON2, salt="not base64!"),
        _tampered(FLOOR_ARGON2, salt=None),
        json.dumps({k: v for k, v in json.loads(FLOOR_ARGON2.to_json()).items() if k != "lanes"}),
        "[]",
        "not json",
    ],
)
def test_malformed_params_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        KdfParams.from_json(text)


def test_weak_params_cannot_even_be_constructed() -> None:
    with pytest.raises(ValueError):
        KdfParams(algorithm="argon2id", salt=SALT, memory_kib=1024, iterations=1, lanes=1)
    with pytest.raises(ValueError):
        KdfParams(algorithm="scrypt", salt=SALT, n=2**14, r=8, p=1)


def test_default_params() -> None:
    first, second = default_params(), default_params()
    assert first.salt != second.salt  # fresh salt each call
    assert len(first.salt) == 16
    if argon2id_available():
        assert (first.algorithm, first.memory_kib, first.iterations, first.lanes) == (
            "argon2id",
            65536,
            3,
            4,
        )
    else:
        assert (first.algorithm, first.n, first.r, first.p) == ("scrypt", 2**17, 8, 1)
    assert KdfParams.from_json(first.to_json()) == first
    start = time.perf_counter()
    key = derive("lange zin als wachtwoord", first)
    elapsed = time.perf_counter() - start
    assert len(key) == 32
    assert derive("lange zin als wachtwoord", KdfParams.from_json(first.to_json())) == key
    # Costly on purpose, yet bearable at every unlock on a tablet.
    assert elapsed < 5.0


def test_this_machine_has_argon2id() -> None:
    # SECURITY.md notes this machine's cryptography wheel has Argon2id; flag if that ever changes.
    assert argon2id_available()


def test_fresh_salts_are_random() -> None:
    assert len({default_params().salt for _ in range(20)}) == 20

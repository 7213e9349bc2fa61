"""Passwords, codes and tokens, without a database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from server.security import (
    AccessClaims,
    InvalidToken,
    digest,
    hash_password,
    issue_access_token,
    new_enrolment_code,
    normalise_code,
    read_access_token,
    verify_password,
)
from server.settings import ARGON2_FLOOR_KIB, Settings

SETTINGS = Settings(
    secret_key=SecretStr("unit-test-secret-key-0123456789-abcdef"),
    argon2_memory_kib=ARGON2_FLOOR_KIB,
    argon2_time_cost=2,
    argon2_parallelism=1,
)


def test_password_hash_is_argon2id_and_verifies() -> None:
    stored = hash_password(SETTINGS, "correct horse battery staple")
    assert stored.startswith("$argon2id$")
    assert verify_password(SETTINGS, stored, "correct horse battery staple")
    assert not verify_password(SETTINGS, stored, "wrong")
    assert not verify_password(SETTINGS, None, "anything")
    assert not verify_password(SETTINGS, "not a hash", "anything")


def test_enrolment_codes_are_typed_forgivingly() -> None:
    code = new_enrolment_code()
    assert len(code) == 23 and code.count("-") == 3
    assert digest(normalise_code(code.lower().replace("-", " "))) == digest(normalise_code(code))


def test_access_token_round_trip_and_tampering() -> None:
    claims = AccessClaims(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    token = issue_access_token(SETTINGS, claims, now=datetime.now(UTC))
    assert read_access_token(SETTINGS, token) == claims
    other = Settings(secret_key=SecretStr("x" * 40))
    with pytest.raises(InvalidToken):
        read_access_token(other, token)
    with pytest.raises(InvalidToken):
        read_access_token(SETTINGS, token[:-2] + "xx")

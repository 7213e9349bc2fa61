"""Bounds of the wire protocol that keep odd numbers from reaching the database."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from sync.protocol import MAX_SEQ, MAX_SERVER_SEQ, Mutation, PullRequest


@pytest.mark.parametrize("cursor", [0, 1, MAX_SERVER_SEQ])
def test_a_cursor_within_the_server_seq_column_is_taken(cursor: int) -> None:
    assert PullRequest(cursor=cursor).cursor == cursor


@pytest.mark.parametrize("cursor", [-1, MAX_SERVER_SEQ + 1, MAX_SEQ + 1, 2**64])
def test_a_cursor_outside_the_server_seq_column_is_refused(cursor: int) -> None:
    # Found by schemathesis: 2**63 reached SQLite and failed with an OverflowError (a 500), and
    # 2**31 reached PostgreSQL's INTEGER seq columns and failed with a DataError (a 500).
    with pytest.raises(ValidationError):
        PullRequest(cursor=cursor)


def _mutation(**extra: object) -> Mutation:
    return Mutation.model_validate(
        {
            "mutation_id": uuid.UUID(int=1),
            "entity": "case",
            "record_id": uuid.UUID(int=2),
            "case_id": uuid.UUID(int=2),
            "op": "upsert",
            "fields": {"stage": "plan"},
            "device_time": datetime(2026, 11, 26, tzinfo=UTC),
            **extra,
        }
    )


@pytest.mark.parametrize("device_seq", [None, 1, MAX_SEQ])
def test_a_device_seq_is_optional_and_within_a_bigint(device_seq: int | None) -> None:
    assert _mutation(device_seq=device_seq).device_seq == device_seq


@pytest.mark.parametrize("device_seq", [0, -1, MAX_SEQ + 1, "7x", 1.5])
def test_a_device_seq_outside_its_bounds_is_refused(device_seq: object) -> None:
    with pytest.raises(ValidationError):
        _mutation(device_seq=device_seq)


def test_the_digest_leaves_the_device_seq_out() -> None:
    """A mutation queued before the device numbered its changes is the same when resent with a
    number, and its digest is the one the server stored before the protocol had the field."""
    before = {  # the body as protocol version 1 hashed it before device_seq existed
        "base_seq": None,
        "case_id": str(uuid.UUID(int=2)),
        "entity": "case",
        "fields": {"stage": "plan"},
        "mutation_id": str(uuid.UUID(int=1)),
        "op": "upsert",
        "record_id": str(uuid.UUID(int=2)),
    }
    canonical = json.dumps(before, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    stored = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert _mutation(device_seq=12).digest() == stored == _mutation().digest()

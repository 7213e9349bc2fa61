"""Bounds of the wire protocol that keep odd numbers from reaching the database."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sync.protocol import MAX_SEQ, PullRequest


@pytest.mark.parametrize("cursor", [0, 1, MAX_SEQ])
def test_a_cursor_within_a_bigint_is_taken(cursor: int) -> None:
    assert PullRequest(cursor=cursor).cursor == cursor


@pytest.mark.parametrize("cursor", [-1, MAX_SEQ + 1, 2**64])
def test_a_cursor_outside_a_bigint_is_refused(cursor: int) -> None:
    # Found by schemathesis: 2**63 reached SQLite and failed with an OverflowError (a 500).
    with pytest.raises(ValidationError):
        PullRequest(cursor=cursor)

"""How the sync client turns the server's refusals into errors with a message for the user."""

from __future__ import annotations

import httpx
import pytest

from models.i18n import set_language
from sync.client import _refusal
from sync.errors import TooManyAttemptsError


def _response(status: int, code: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"code": code}, headers=headers or {})


@pytest.mark.parametrize(("retry_after", "minutes"), [("30", 1), ("60", 1), ("61", 2), ("600", 10)])
def test_too_many_attempts_says_how_long_to_wait(retry_after: str, minutes: int) -> None:
    set_language("nl")
    error = _refusal(
        _response(429, "too_many_requests", {"Retry-After": retry_after}),
        path="/auth/login",
        with_token=False,
    )
    assert isinstance(error, TooManyAttemptsError)
    assert error.code == "too_many_requests"
    assert f"Wacht {minutes} minu" in error.message


def test_too_many_attempts_without_a_usable_header_waits_a_minute() -> None:
    set_language("en")
    try:
        error = _refusal(
            _response(429, "too_many_requests", {"Retry-After": "soon"}),
            path="/devices/enrol",
            with_token=False,
        )
    finally:
        set_language("nl")
    assert isinstance(error, TooManyAttemptsError)
    assert error.retry_after_seconds == 60
    assert error.message == "Too many attempts. Wait 1 minute and try again."

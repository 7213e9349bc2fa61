"""The error guard, against a real Flet session object (only the network connection is recorded)."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

import flet as ft
import pytest
from flet.messaging.connection import Connection
from flet.messaging.protocol import MessageAction
from flet.messaging.session import Session
from flet.pubsub.pubsub_hub import PubSubHub

from models.errors import StorageError, StorageProblem
from ui.error_guard import RedactTracebacks, guard_session, install_error_guard, redact_flet_logs

CANARY = "Canary-Bakker-1234"  # stands in for personal data in an exception's text


class RecordingConnection(Connection):
    """A Flet connection that keeps what would go to the browser."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.sent: list[Any] = []
        self.pubsubhub = PubSubHub()
        self.loop = loop

    def send_message(self, message: Any) -> None:
        self.sent.append(message)


def _failing_button(error: Exception) -> ft.Button:
    def fail(_: ft.Event[ft.Button]) -> None:
        raise error

    return ft.Button(content="Opslaan", on_click=fail)


async def _click_failing_button(
    guard: bool, error: Exception | None = None
) -> tuple[RecordingConnection, list[str]]:
    connection = RecordingConnection(asyncio.get_running_loop())
    session = Session(connection)
    redraws: list[str] = []

    def on_error(raised: BaseException | None) -> None:
        redraws.append(type(raised).__name__)

    if guard:
        install_error_guard(session.page, on_error)
    button = _failing_button(error or ValueError(CANARY))
    session.page.add(button)
    await session.dispatch_event(button._i, "click", None)
    return connection, redraws


def test_without_the_guard_flet_replaces_the_app_with_its_crash_page() -> None:
    # The premise of the guard: if Flet stops doing this, the guard can go.
    connection, _ = asyncio.run(_click_failing_button(guard=False))
    assert [m.action for m in connection.sent] == [MessageAction.SESSION_CRASHED]


def test_a_failing_handler_redraws_the_screen_instead_of_crashing(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KEUKENTAFEL_DEBUG", raising=False)
    with caplog.at_level(logging.DEBUG):
        connection, redraws = asyncio.run(_click_failing_button(guard=True))
    assert redraws == ["ValueError"]  # the shell is told what failed
    assert MessageAction.SESSION_CRASHED not in [m.action for m in connection.sent]
    # The log says that a handler failed, but holds no exception text or traceback.
    assert "handler" in caplog.text
    assert CANARY not in caplog.text
    assert all(record.exc_info is None for record in caplog.records)


def test_debug_mode_keeps_flets_report(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEUKENTAFEL_DEBUG", "1")
    connection, redraws = asyncio.run(_click_failing_button(guard=True))
    assert redraws == []
    assert [m.action for m in connection.sent] == [MessageAction.SESSION_CRASHED]


def test_when_the_redraw_fails_too_flet_reports_without_details() -> None:
    crashes: list[str] = []

    class FakeSession:
        def error(self, message: str) -> None:
            crashes.append(message)

    def redraw(_error: BaseException | None) -> None:
        raise RuntimeError(CANARY)

    session = FakeSession()
    guard_session(session, redraw)
    session.error(f"ValueError: {CANARY}\nTraceback ...")
    assert crashes == [""]


@pytest.mark.parametrize("debug", ["", "1"])
def test_a_refused_write_reaches_the_shell_even_in_debug_mode(
    debug: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEUKENTAFEL_DEBUG", debug)
    full = StorageError(StorageProblem.FULL)
    with caplog.at_level(logging.DEBUG):
        connection, redraws = asyncio.run(_click_failing_button(guard=True, error=full))
    assert redraws == ["StorageError"]  # expected, not a bug: no crash page in debug mode either
    assert MessageAction.SESSION_CRASHED not in [m.action for m in connection.sent]
    assert "refused a write: full" in caplog.text


def test_a_session_without_the_error_method_fails_loudly() -> None:
    with pytest.raises(RuntimeError, match="error_guard"):
        guard_session(object(), lambda _error: None)


def test_the_filter_is_added_once_and_strips_tracebacks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEUKENTAFEL_DEBUG", raising=False)
    redact_flet_logs()
    redact_flet_logs()
    filters = [f for f in logging.getLogger("flet").filters if isinstance(f, RedactTracebacks)]
    assert len(filters) == 1
    try:
        raise ValueError(CANARY)
    except ValueError:
        record = logging.getLogger("flet").makeRecord(
            "flet", logging.ERROR, __file__, 1, "Unhandled error", (), sys.exc_info()
        )
    assert filters[0].filter(record)
    assert record.exc_info is None

"""What happens when a screen's event handler raises an error nobody expected.

Flet's default is harsh for a tool used at a kitchen table: it logs the full traceback and sends
the browser a "session crashed" message, which replaces the whole app with a red page that shows
the traceback (and so whatever personal data was in the exception's text) to the resident.

Here instead:

- ``RedactTracebacks``: a logging filter for Flet's loggers that drops the traceback and exception
  text from log records, unless ``KEUKENTAFEL_DEBUG=1``. Flet's own message ("Unhandled error in
  'on_click' handler") stays, so the log still says *that* something went wrong and where.
- ``install_error_guard(page, on_error)``: the page's session reports the error to ``on_error``
  (with the exception, read from ``sys.exc_info()``: Flet calls ``Session.error`` from its
  ``except`` block) instead of crashing the app. The shell then shows a plain message and redraws
  the screen from the store; every screen saves as it goes (the meeting saves as it is typed).
  A write the device refused (``models.errors.StorageError``: storage full, read-only, failing)
  is expected rather than a bug: the shell then leaves the screen as it is, so what was typed
  stays, and it is reported even with ``KEUKENTAFEL_DEBUG=1``.

This replaces one method on the session *instance* (``Session.error``, Flet 1.0.5); it is the one
place where Flet turns a handler error into a crash page. ``tests/unit/ui/test_error_guard.py``
checks that the method is still there, so a Flet upgrade that moves it fails a test instead of
silently bringing the crash page back.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import Any

import flet as ft

from models.errors import StorageError

log = logging.getLogger(__name__)

DEBUG_VARIABLE = "KEUKENTAFEL_DEBUG"
FLET_LOGGERS = ("flet", "flet_web", "flet_object_patch")


def debug_enabled() -> bool:
    return os.environ.get(DEBUG_VARIABLE) == "1"


class RedactTracebacks(logging.Filter):
    """Keep the record, drop its traceback and exception text (they may hold personal data)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not debug_enabled():
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return True


_FILTER = RedactTracebacks()


def redact_flet_logs() -> None:
    """Add the filter to Flet's loggers once (safe to call again)."""
    for name in FLET_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


OnError = Callable[[BaseException | None], None]


def install_error_guard(page: ft.Page, on_error: OnError) -> None:
    """Route the page session's crash report to ``on_error`` instead of Flet's crash page."""
    redact_flet_logs()
    guard_session(page.session, on_error)


def guard_session(session: Any, on_error: OnError) -> None:
    """Replace ``session.error`` (Flet's "session crashed" sender) on this one session object."""
    if not callable(getattr(session, "error", None)):
        raise RuntimeError("Flet's Session.error is gone: check ui/error_guard.py after upgrading")
    original = session.error

    def report(message: str) -> None:
        error = sys.exc_info()[1]  # the handler's exception (None if called outside ``except``)
        if isinstance(error, StorageError):
            log.warning("the device refused a write: %s", error.problem.value)
        else:
            # Only that it failed, never the text: it may hold personal data.
            log.error("a screen handler failed; the screen was redrawn")
            if debug_enabled():
                original(message)
                return
        try:
            on_error(error)
        except Exception:  # the redraw failed as well: fall back to Flet's own report
            log.error("redrawing after an error failed too")
            original("")

    session.error = report

"""Limits on what one client may make the server do (OWASP API4: unrestricted resource consumption).

**Body size** (``BodySizeLimit``, ASGI middleware): ``POST /sync/push`` may send up to
``max_push_body_bytes`` (1 MiB: a full batch of 500 ordinary mutations is about 270 KB), every
other request up to ``max_body_bytes`` (64 KiB). A declared ``Content-Length`` above the cap is
refused before anything is read; a body without one (chunked) is counted as it arrives and refused
the moment it passes the cap. Either way the answer is ``413 {"code": "body_too_large",
"limit": N}`` and nothing is applied. The app halves its push batch on this answer (sync/cycle.py).

**Requests at once** (``ConcurrencyLimit``, ASGI middleware): at most ``max_concurrent_requests``
(15) requests are inside the app at the same time; the rest wait their turn in the event loop,
holding neither a thread nor a database connection. Without it, 200 devices syncing at once
deadlocked the server (bench/sync_load.py): every request takes a pooled connection in one
thread-pool task (the session and the access-token check) and needs another task for its route,
so once more requests held a connection than the pool could give, all 40 threads waited for a
connection that only a waiting request could give back (``QueuePool limit ... reached``, 500s).
The default stays below the smallest connection pool (SQLite's 15; PostgreSQL's is 30).

**Pushes at once** (same middleware): at most ``max_concurrent_pushes`` (2) pushes are inside the
app; the others wait in the event loop before they take one of the places above. A push holds the
sync lock (the ``sync_head`` row, server/sync_push.py) from its first write to its commit, so
pushes are applied one at a time whatever this number is; more of them inside only wait in
PostgreSQL, each holding a connection, a thread and one of the 15 places, while pulls queue
behind them. Under the stress phase of bench/sync_load.py, 11 of the 13 busy database sessions were
pushes waiting for that lock. Two, not one: the second checks its caller and reads its body while
the first is applied.

**Rate limits** (``RateLimiter``, a sliding window in process): logging in, refreshing a token and
enrolling a device are counted per client IP and per account, syncing per device (the credential
in the access token), over ``rate_limit_window_seconds`` (60 s):

    login (POST /auth/token)        per IP 30,  per account (the e-mail given) 10
    refresh (POST /auth/refresh)    per IP 600, per account 60
    enrol (POST /devices/enrol)     per IP 20   (no account yet; the code is one-time anyway)
    sync (POST /sync/push, /pull,   per device 300, the three together
      /devices/me/audit-events)
    team (GET /team/...)            per device 60, the dashboard's JSON, CSV and PDF together
    team_pdf (GET /team/report.pdf) per device 6 as well: each is built under one process-wide
                                    lock (ReportLab), so a loop of them would hold up others
    refused_auth (token routes)     per IP 60, counting only refused bearer tokens
                                    (missing, bad, expired, revoked)

The refused_auth limit is counted in server/api/deps.py just before a refused token's audit row
is written; over it the answer is 429 and no row is written, so a client without a valid token
cannot flood the audit log. Requests with a valid token are not counted: one tablet with a bad
token does not hold back the others behind the same address.

The sync limit is counted once the access token and the device are checked, before the push or
pull touches the dossier. It is far above what the app needs: its background cycle every minute is
a few requests (pull pages of 500, push batches of 500, pull again), so even a first sync of
100,000 changes fits in one window, and the stress phase of bench/sync_load.py (a sync every 2-8 s)
stays well below it. It stops one device (a runaway client or a stolen token) from taking the
server from the rest. The app treats its 429 like being offline: nothing is dropped, the cycle
stops and the next one, a minute or more later (sync/cycle.py, ui/viewmodels/sync_status.py),
goes on from the saved cursor and outbox.

Each attempt counts, successful or not, and is counted *before* the password hash or the database
is touched, so a flood costs the server little. Over the limit the answer is ``429 {"code":
"too_many_requests", "retry_after": S}`` with a ``Retry-After: S`` header (whole seconds until the
oldest counted attempt leaves the window). Per-IP limits are generous because a whole office's
tablets may share one address; the per-account limits are what stop password guessing. Refusals
are not written to the audit log (a flood would flood it); they are logged without personal data.

**Page sizes**: a list that grows without bound is answered in pages. ``POST /sync/pull`` takes
``limit`` (default 500, at most 1000: ``sync.protocol``); ``GET /cases/{id}/audit`` takes ``limit``
(default ``AUDIT_PAGE_DEFAULT`` 200, at most ``AUDIT_PAGE_MAX`` 1000) and ``after`` (the previous
page's ``next``). Above the maximum: ``422 invalid_request``.

**PDF size**: ``GET /api/v1/team/report.pdf`` is refused with ``422 {"code": "report_too_large",
"rows": N, "limit": M}`` when its tables would hold more than ``max_report_pdf_rows`` (500) rows
(overdue items, organisations and stories together), before it waits for the PDF lock: about 30
pages, half a second of building on this project's VM. The JSON and CSV routes serve any size.

The client IP is the direct peer, or, when the peer is a trusted proxy
(``KEUKENTAFEL_TRUSTED_PROXIES``), the last address in its ``X-Forwarded-For``. The counters live
in the server process: with several workers, each counts for itself (the limits then hold per
worker); a shared store (Redis) would be the next step if that ever matters.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.errors import ApiError

log = logging.getLogger("keukentafel.server.limits")

PUSH_PATH = "/sync/push"
AUDIT_PAGE_DEFAULT = 200  # events per page of GET /cases/{id}/audit
AUDIT_PAGE_MAX = 1000


# -- body size ------------------------------------------------------------------------------------


class _BodyTooLarge(HTTPException):
    """Raised from ``receive`` so that FastAPI stops reading (it re-raises HTTPExceptions)."""

    def __init__(self) -> None:
        super().__init__(status_code=413)


def _too_large_body(limit: int) -> bytes:
    return json.dumps(
        {
            "code": "body_too_large",
            "message": f"The request body is larger than this route accepts ({limit} bytes).",
            "limit": limit,
        }
    ).encode()


class BodySizeLimit:
    def __init__(self, app: ASGIApp, *, default: int, push: int) -> None:
        self.app = app
        self.default = default
        self.push = push

    def limit_for(self, path: str) -> int:
        return self.push if path == PUSH_PATH else self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _send_too_large(send, limit)
            return
        seen = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    exceeded = True
                    raise _BodyTooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # the app's own answer to the exception is replaced by ours
            started = started or message["type"] == "http.response.start"
            await send(message)

        with contextlib.suppress(_BodyTooLarge):
            await self.app(scope, counting_receive, guarded_send)
        if exceeded and not started:
            await _send_too_large(send, limit)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send_too_large(send: Send, limit: int) -> None:
    body = _too_large_body(limit)
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# -- requests at once -----------------------------------------------------------------------------


class ConcurrencyLimit:
    def __init__(self, app: ASGIApp, *, limit: int, pushes: int) -> None:
        self.app = app
        self.limit = limit
        self.pushes = pushes
        self._slots: asyncio.Semaphore | None = None  # made in the server's event loop
        self._push_slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        if self._slots is None or self._push_slots is None or self._loop is not loop:
            # A test client runs a loop of its own.
            self._slots, self._loop = asyncio.Semaphore(self.limit), loop
            self._push_slots = asyncio.Semaphore(self.pushes)
        if scope.get("path") == PUSH_PATH:
            async with self._push_slots, self._slots:
                await self.app(scope, receive, send)
            return
        async with self._slots:
            await self.app(scope, receive, send)


# -- rate limits ----------------------------------------------------------------------------------


class TooManyRequests(ApiError):
    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "too_many_requests",
            f"Too many attempts; try again in {retry_after} seconds.",
            retry_after=retry_after,
        )
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Rule:
    limit: int
    window: float  # seconds


class RateLimiter:
    """Sliding-window log per key: at most ``rule.limit`` hits in any ``rule.window`` seconds.

    Thread-safe (sync routes run in a thread pool). Memory is bounded by the number of keys seen
    within one window times their limit; idle keys are dropped as the map grows.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()
        self._next_sweep = 1024

    def hit(self, scope: str, key: str, rule: Rule) -> int | None:
        """Count one attempt. None when allowed; else the seconds to wait (nothing counted)."""
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault((scope, key), deque())
            while hits and hits[0] <= now - rule.window:
                hits.popleft()
            if len(hits) >= rule.limit:
                return max(1, math.ceil(hits[0] + rule.window - now))
            hits.append(now)
            if len(self._hits) > self._next_sweep:
                self._sweep(now, rule.window)
            return None

    def _sweep(self, now: float, window: float) -> None:
        self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - window}
        self._next_sweep = max(1024, 2 * len(self._hits))


def client_ip(request: Request) -> str:
    """The direct peer, or the last X-Forwarded-For hop when the peer is a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    settings = request.app.state.settings
    if peer in settings.trusted_proxies:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            return forwarded.split(",")[-1].strip() or peer
    return peer


def limit(
    request: Request,
    action: str,
    *,
    account: str | None = None,
    device: str | None = None,
    ip: bool = True,
) -> None:
    """Count an attempt at ``action`` ("login", "refresh", "enrol", "sync", "team", "team_pdf")
    for the caller's IP (unless ``ip`` is false) and, when given, the account and the device;
    raise ``TooManyRequests`` when over a limit."""
    settings = request.app.state.settings
    limiter: RateLimiter = request.app.state.rate_limiter
    window = float(settings.rate_limit_window_seconds)
    wait = None
    if ip:
        per_ip = getattr(settings, f"rate_limit_{action}_per_ip")
        wait = limiter.hit(f"{action}:ip", client_ip(request), Rule(per_ip, window))
    if wait is None and account is not None:
        per_account = getattr(settings, f"rate_limit_{action}_per_account")
        wait = limiter.hit(f"{action}:account", account.strip().lower(), Rule(per_account, window))
    if wait is None and device is not None:
        per_device = getattr(settings, f"rate_limit_{action}_per_device")
        wait = limiter.hit(f"{action}:device", device, Rule(per_device, window))
    if wait is not None:
        log.warning("rate limit reached: %s", action)
        raise TooManyRequests(wait)


def install(app: FastAPI) -> None:
    """The body-size and concurrency middleware, the limiter and the 429 handler."""
    settings = app.state.settings
    app.state.rate_limiter = RateLimiter()

    async def too_many(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, TooManyRequests)
        headers = {"Retry-After": str(error.retry_after)}
        return JSONResponse(error.body(), status_code=error.status, headers=headers)

    app.add_exception_handler(TooManyRequests, too_many)
    app.add_middleware(
        BodySizeLimit, default=settings.max_body_bytes, push=settings.max_push_body_bytes
    )
    app.add_middleware(
        ConcurrencyLimit,
        limit=settings.max_concurrent_requests,
        pushes=settings.max_concurrent_pushes,
    )


def openapi_responses() -> dict[int | str, dict[str, Any]]:
    """The 429 answer, for the rate-limited routes' OpenAPI description."""
    return {429: {"description": "Too many attempts; see the Retry-After header."}}

"""The server's one exception tree, and how it becomes a response.

    ApiError                  a refusal with a code (the app translates codes) and English text
     ├── Unauthorised         401: no or bad credentials
     │    └── DeviceRevoked   401 with {"wipe": true}: the app wipes its local store
     ├── Forbidden            403: authenticated, but not allowed
     ├── NotFound             404: no such thing (or not visible to this account)
     └── Unprocessable        422: understood, but more than the server will do (too large)

Every error body is ``{"code": ..., "message": ...}`` plus extras. Validation errors never echo the
submitted values back (they may be personal data).

Any other exception (a bug, a database error) is answered ``500 {"code": "internal_error"}`` by
``CatchAll`` and logged as its type, the method and the route's path template only: its text can
hold personal data (PostgreSQL puts a failing row in the error's detail), and so can the query
string. It is not raised further, because the server (uvicorn) would log it in full.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("keukentafel.server.errors")


class ApiError(Exception):
    status = 400

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.extra}


class Unauthorised(ApiError):
    status = 401


class DeviceRevoked(Unauthorised):
    def __init__(self) -> None:
        super().__init__(
            "device_revoked", "This device has been revoked; wipe its local store.", wipe=True
        )


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class Conflict(ApiError):
    status = 409


class Unprocessable(ApiError):
    status = 422


_INTERNAL_ERROR = json.dumps(
    {"code": "internal_error", "message": "Something went wrong on the server."}
).encode()


class CatchAll:
    """ASGI middleware: an unexpected exception becomes a 500 in the usual error shape, and the
    log gets its type and route only (no message, no traceback, no query values)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except HTTPException:
            raise  # deliberate control flow (server/limits.py's body cap), not an error
        except Exception as error:
            route = getattr(scope.get("route"), "path", None) or "unknown route"
            # No traceback and no message: their text can hold personal data.
            log.error(
                "unexpected error %s on %s %s", type(error).__name__, scope.get("method"), route
            )
            if started:
                return  # too late for an answer; the server closes the connection
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(_INTERNAL_ERROR)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": _INTERNAL_ERROR})


def install_handlers(app: FastAPI) -> None:
    async def api_error(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, ApiError)
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(error, Unauthorised) else None
        return JSONResponse(error.body(), status_code=error.status, headers=headers)

    async def invalid(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        errors = [
            {"loc": [str(part) for part in e.get("loc", ())], "type": e.get("type", "")}
            for e in error.errors()
        ]
        body = {"code": "invalid_request", "message": "The request is not valid.", "errors": errors}
        return JSONResponse(body, status_code=422)

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, invalid)
    # Innermost of the middleware (added first): it sees every exception a route lets through.
    app.add_middleware(CatchAll)

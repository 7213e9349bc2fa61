"""The server's one exception tree, and how it becomes a response.

    ApiError                  a refusal with a code (the app translates codes) and English text
     ├── Unauthorised         401: no or bad credentials
     │    └── DeviceRevoked   401 with {"wipe": true}: the app wipes its local store
     ├── Forbidden            403: authenticated, but not allowed
     └── NotFound             404: no such thing (or not visible to this account)

Every error body is ``{"code": ..., "message": ...}`` plus extras. Validation errors never echo the
submitted values back (they may be personal data).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


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

"""The one HTTP client of the app: enrol, log in, refresh, push, pull (httpx, synchronous).

- TLS verification is always on. Plain http is refused before anything is sent, except to this
  computer itself (``localhost``, 127.0.0.0/8, ::1): that is where tests and a local server run.
- Every request has a timeout. A connection failure, a timeout or an answer lost on the way
  becomes ``OfflineError``: nothing was acknowledged, so the outbox keeps everything and the next
  cycle sends it again (the server acknowledges a resend without applying it twice).
- ``401 {"code": "device_revoked", "wipe": true}`` becomes ``DeviceRevokedError``: the caller
  wipes the local store. Other refusals map to the errors in ``sync.errors``.
- ``DossierSession`` keeps the short-lived access token in memory only and renews it with the
  refresh token. The server rotates refresh tokens, so every new one is handed to ``on_refresh``
  at once (the store seals it); the access token is never written anywhere.
- Nothing here logs request or response bodies: they hold personal data.
"""

from __future__ import annotations

import functools
import ipaddress
import ssl
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from sync.errors import (
    DeviceRevokedError,
    EnrolmentCodeError,
    InsecureServerError,
    LoginNeededError,
    OfflineError,
    ServerError,
    TooManyAttemptsError,
)
from sync.protocol import (
    PULL_PROTOCOL_VERSION,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
)

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
RENEW_MARGIN_SECONDS = 30  # renew the access token this long before it expires

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


def check_url(url: str) -> str:
    """The server address without a trailing slash; refuses plain http except to loopback."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise InsecureServerError() from None
    if parsed.scheme == "https" and parsed.host:
        return str(parsed).rstrip("/")
    if parsed.scheme == "http" and _is_loopback(parsed.host):
        return str(parsed).rstrip("/")
    raise InsecureServerError()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class DeviceCredential:
    device_id: uuid.UUID
    device_secret: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Tokens:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: int
    account_id: uuid.UUID
    role: str | None = None  # the account's role on the server ("professional", "team_lead", ...)


class AccessTokenRejected(Exception):
    """401 on a call with an access token: renew it and try once more (internal)."""


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One certificate-checking TLS context for the process (certifi's CA bundle, as httpx uses).

    Making it costs 40-160 ms on a tablet-class CPU (loading the CA bundle): with a new client per
    sync cycle that was most of an incremental sync. Contexts are safe to share between clients.
    """
    return httpx.create_ssl_context()


class DossierClient:
    """Plain calls to the server. Use as a context manager or call ``close``."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = check_url(base_url)
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            verify=tls_context(),
            follow_redirects=False,  # a redirect could lead to plain http elsewhere
            transport=transport,
            headers={"Accept": "application/json"},
        )

    def __enter__(self) -> DossierClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- enrolment and login -------------------------------------------------------------------

    def enrol(self, code: str, *, label: str = "") -> DeviceCredential:
        body = self._post("/devices/enrol", {"code": code, "label": label}, token=None)
        return DeviceCredential(uuid.UUID(body["device_id"]), body["device_secret"])

    def login(self, credential: DeviceCredential, *, email: str, password: str) -> Tokens:
        body = self._post(
            "/auth/token",
            {
                "device_id": str(credential.device_id),
                "device_secret": credential.device_secret,
                "email": email,
                "password": password,
            },
            token=None,
        )
        return _tokens(body)

    def refresh(self, refresh_token: str) -> Tokens:
        return _tokens(self._post("/auth/refresh", {"refresh_token": refresh_token}, token=None))

    # -- sync ----------------------------------------------------------------------------------

    def push(self, request: PushRequest, *, access_token: str) -> PushResponse:
        body = self._post("/sync/push", request.model_dump(mode="json"), token=access_token)
        return _parse(PushResponse, body)

    def pull(self, request: PullRequest, *, access_token: str) -> PullResponse:
        # The version says which answer fields this app reads (sync.protocol, "Versions").
        # ``refetch`` only when there is one: a server from before it refuses the field.
        exclude = None if request.refetch else {"refetch"}
        body = self._post(
            "/sync/pull",
            request.model_dump(mode="json", exclude=exclude),
            token=access_token,
            params={"protocol": str(PULL_PROTOCOL_VERSION)},
        )
        return _parse(PullResponse, body)

    # -- reads (the team-lead views) -------------------------------------------------------------

    def get_json(
        self, path: str, *, params: dict[str, str] | None = None, access_token: str
    ) -> Any:
        response = self._get(path, params=params, token=access_token)
        try:
            return response.json()
        except ValueError:
            raise ServerError("invalid_response") from None

    def get_bytes(
        self, path: str, *, params: dict[str, str] | None = None, access_token: str
    ) -> bytes:
        return self._get(path, params=params, token=access_token).content

    def post_json(self, path: str, body: dict[str, Any], *, access_token: str) -> Any:
        """A POST with a JSON answer (200 or 201), e.g. this device's audit events."""
        return self._post(path, body, token=access_token)

    def put_json(self, path: str, body: dict[str, Any], *, access_token: str) -> None:
        """A PUT whose answer is 204 (no content), e.g. this device's signing key."""
        headers = {"Authorization": f"Bearer {access_token}"}
        try:
            response = self._http.put(path, json=body, headers=headers)
        except httpx.TransportError:
            raise OfflineError() from None
        if response.status_code not in (200, 204):
            raise _refusal(response, path=path, with_token=True)

    # -- transport -----------------------------------------------------------------------------

    def _get(self, path: str, *, params: dict[str, str] | None, token: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}", "Accept": "*/*"}
        try:
            response = self._http.get(path, params=params, headers=headers)
        except httpx.TransportError:
            raise OfflineError() from None
        if response.status_code == 200:
            return response
        raise _refusal(response, path=path, with_token=True)

    def _post(
        self,
        path: str,
        body: dict[str, Any],
        *,
        token: str | None,
        params: dict[str, str] | None = None,
    ) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        try:
            response = self._http.post(path, json=body, headers=headers, params=params)
        except httpx.TransportError:
            raise OfflineError() from None
        if response.status_code == 200 or response.status_code == 201:
            try:
                return response.json()
            except ValueError:
                raise ServerError("invalid_response") from None
        raise _refusal(response, path=path, with_token=token is not None)


def _tokens(body: Any) -> Tokens:
    try:
        return Tokens(
            access_token=str(body["access_token"]),
            refresh_token=str(body["refresh_token"]),
            expires_in=int(body["expires_in"]),
            account_id=uuid.UUID(str(body["account_id"])),
            role=str(body["role"]) if body.get("role") is not None else None,
        )
    except (KeyError, TypeError, ValueError):
        raise ServerError("invalid_response") from None


def _parse(model: type[M], body: Any) -> M:
    try:
        return model.model_validate(body)
    except ValidationError:
        raise ServerError("invalid_response") from None


def _refusal(response: httpx.Response, *, path: str, with_token: bool) -> Exception:
    try:
        payload = response.json()
        code = str(payload.get("code") or "") if isinstance(payload, dict) else ""
        wipe = isinstance(payload, dict) and payload.get("wipe") is True
    except ValueError:
        code, wipe = "", False
    status = response.status_code
    if status == 401 and code == "device_revoked" and wipe:
        return DeviceRevokedError()
    if status == 401 and path == "/devices/enrol":
        return EnrolmentCodeError()
    if status == 401 and with_token and code in {"invalid_token", "not_authenticated"}:
        return AccessTokenRejected()
    if status == 401:
        return LoginNeededError(code or "unauthorised")
    if status in {502, 503, 504}:
        return OfflineError()  # a proxy in front whose server is down: try again later
    if status == 429:
        try:
            retry_after = int(response.headers.get("Retry-After", "60"))
        except ValueError:
            retry_after = 60
        return TooManyAttemptsError(retry_after)
    return ServerError(code or f"http_{status}")


class DossierSession:
    """A logged-in device: renews its access token as needed and retries once on a 401."""

    def __init__(
        self,
        client: DossierClient,
        *,
        refresh_token: str,
        on_refresh: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self._refresh_token = refresh_token
        self._on_refresh = on_refresh
        self._clock = clock
        self._access: str | None = None
        self._renew_at = 0.0

    def push(self, request: PushRequest) -> PushResponse:
        return self._call(lambda token: self.client.push(request, access_token=token))

    def pull(self, request: PullRequest) -> PullResponse:
        return self._call(lambda token: self.client.pull(request, access_token=token))

    def get_json(self, path: str, params: dict[str, str] | None = None) -> Any:
        return self._call(
            lambda token: self.client.get_json(path, params=params, access_token=token)
        )

    def get_bytes(self, path: str, params: dict[str, str] | None = None) -> bytes:
        return self._call(
            lambda token: self.client.get_bytes(path, params=params, access_token=token)
        )

    def post_json(self, path: str, body: dict[str, Any]) -> Any:
        return self._call(lambda token: self.client.post_json(path, body, access_token=token))

    def put_json(self, path: str, body: dict[str, Any]) -> None:
        self._call(lambda token: self.client.put_json(path, body, access_token=token))

    def _call(self, send: Callable[[str], T]) -> T:
        try:
            return send(self._token())
        except AccessTokenRejected:
            self._access = None
        try:
            return send(self._token())
        except AccessTokenRejected:
            raise LoginNeededError("invalid_token") from None

    def _token(self) -> str:
        if self._access is None or self._clock() >= self._renew_at:
            tokens = self.client.refresh(self._refresh_token)
            # The old refresh token is spent now: keep the new one before anything else.
            self._refresh_token = tokens.refresh_token
            self._on_refresh(tokens.refresh_token)
            self._access = tokens.access_token
            self._renew_at = self._clock() + max(tokens.expires_in - RENEW_MARGIN_SECONDS, 1)
        return self._access

"""Refuse plain http except on loopback (ASGI middleware).

A request is let through when:
1. it arrived over TLS (uvicorn started with a certificate: scheme ``https``); or
2. the direct peer is a trusted reverse proxy (``KEUKENTAFEL_TRUSTED_PROXIES``, loopback by
   default) and says ``X-Forwarded-Proto: https``: the proxy terminated TLS; or
3. the direct peer is on loopback and no proxy header is present (local use and tests).

Everything else gets 403 ``{"code": "tls_required"}``. A proxy forwarding ``http`` is refused too.
The header is believed only from a trusted peer, so a client cannot claim https itself.
"""

from __future__ import annotations

import ipaddress
import json

from starlette.types import ASGIApp, Receive, Scope, Send


def is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class RequireTLS:
    def __init__(self, app: ASGIApp, *, trusted_proxies: tuple[str, ...]) -> None:
        self.app = app
        self.trusted = frozenset(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self.allowed(scope):
            await self.app(scope, receive, send)
            return
        body = json.dumps(
            {"code": "tls_required", "message": "Use https; plain http is only for localhost."}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def allowed(self, scope: Scope) -> bool:
        if scope.get("scheme") in ("https", "wss"):
            return True
        client = scope.get("client")
        peer = client[0] if client else None
        forwarded = None
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-proto":
                forwarded = value.decode("latin-1").split(",")[0].strip().lower()
        if forwarded is not None:
            return peer in self.trusted and forwarded == "https"
        return is_loopback(peer)

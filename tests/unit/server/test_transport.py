"""Which peers may use plain http (the rule, without a server)."""

from __future__ import annotations

from typing import Any

from server.transport import RequireTLS, is_loopback


async def _app(scope: Any, receive: Any, send: Any) -> None:  # pragma: no cover - never called
    raise AssertionError


def _scope(peer: str | None, scheme: str = "http", proto: str | None = None) -> dict[str, Any]:
    headers = [(b"x-forwarded-proto", proto.encode())] if proto else []
    return {
        "type": "http",
        "scheme": scheme,
        "client": (peer, 1) if peer else None,
        "headers": headers,
    }


def test_loopback() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("127.8.9.10")
    assert not is_loopback("10.0.0.1") and not is_loopback(None) and not is_loopback("testclient")


def test_rule() -> None:
    guard = RequireTLS(_app, trusted_proxies=("10.0.0.2",))
    assert guard.allowed(_scope("127.0.0.1"))
    assert guard.allowed(_scope("198.51.100.1", scheme="https"))
    assert guard.allowed(_scope("10.0.0.2", proto="https"))
    assert not guard.allowed(_scope("10.0.0.2", proto="http"))
    assert not guard.allowed(_scope("10.0.0.2"))
    assert not guard.allowed(_scope("198.51.100.1", proto="https"))
    assert not guard.allowed(_scope("127.0.0.1", proto="https"))  # loopback is not trusted here
    assert not guard.allowed(_scope(None))

"""Plain http only on loopback; behind a trusted TLS proxy only with X-Forwarded-Proto: https."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient


def _get(app: FastAPI, peer: str, headers: dict[str, str] | None = None, *, https: bool = False):  # type: ignore[no-untyped-def]
    base = "https://testserver" if https else "http://testserver"
    with TestClient(app, client=(peer, 40000), base_url=base) as client:
        return client.get("/health", headers=headers or {})


def test_plain_http_from_elsewhere_is_refused(app: FastAPI) -> None:
    response = _get(app, "203.0.113.7")
    assert response.status_code == 403 and response.json()["code"] == "tls_required"


def test_loopback_and_tls_are_allowed(app: FastAPI) -> None:
    assert _get(app, "127.0.0.1").status_code == 200
    assert _get(app, "::1").status_code == 200
    assert _get(app, "203.0.113.7", https=True).status_code == 200


def test_only_a_trusted_proxy_may_vouch_for_tls(app: FastAPI) -> None:
    https = {"X-Forwarded-Proto": "https"}
    assert _get(app, "127.0.0.1", https).status_code == 200  # the proxy on this host
    assert _get(app, "127.0.0.1", {"X-Forwarded-Proto": "http"}).status_code == 403
    assert _get(app, "203.0.113.7", https).status_code == 403  # a client claiming it itself

"""API4: refused bearer tokens are rate-limited per client IP, so they cannot flood the audit log.

Every refused token writes a hash-chained audit row (server/api/deps.py). Past
``rate_limit_refused_auth_per_ip`` refusals in a window the server answers 429 and writes none.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from server.app import create_app
from server.limits import RateLimiter
from server.models.audit import AuditEvent
from server.settings import Settings
from tests.integration.server.conftest import LOOPBACK_CLIENT
from tests.integration.server.world import World

LIMIT = 5
WINDOW = 60


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limited(settings: Settings, engine: Engine, clock: Clock) -> Iterator[World]:
    app = create_app(
        settings.model_copy(
            update={"rate_limit_refused_auth_per_ip": LIMIT, "rate_limit_window_seconds": WINDOW}
        ),
        engine=engine,
    )
    app.state.rate_limiter = RateLimiter(clock=clock)
    with TestClient(app, client=LOOPBACK_CLIENT) as client:
        yield World(client=client, engine=engine, settings=settings)


def _audit_rows(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(AuditEvent)).one()


GARBAGE = {"Authorization": "Bearer not-a-token"}


def test_refused_tokens_get_429_after_the_limit_and_no_more_audit_rows(
    limited: World, engine: Engine, clock: Clock
) -> None:
    before = _audit_rows(engine)
    answers = [limited.client.post("/sync/pull", json={}, headers=GARBAGE) for _ in range(LIMIT)]
    assert [a.status_code for a in answers] == [401] * LIMIT
    assert _audit_rows(engine) == before + LIMIT  # the refusals under the limit are all logged

    extra = [limited.client.post("/sync/pull", json={}, headers=GARBAGE) for _ in range(7)]
    extra.append(limited.client.post("/sync/pull", json={}))  # no token at all counts as well
    for answer in extra:
        assert answer.status_code == 429, answer.text
        assert answer.json()["code"] == "too_many_requests"
        assert int(answer.headers["Retry-After"]) == answer.json()["retry_after"] >= 1
    assert _audit_rows(engine) == before + LIMIT  # nothing written for the flood

    clock.now += WINDOW  # the window passes: refused again, and logged again
    assert limited.client.post("/sync/pull", json={}, headers=GARBAGE).status_code == 401
    assert _audit_rows(engine) == before + LIMIT + 1


def test_a_valid_token_from_the_same_address_is_not_held_back(
    limited: World, engine: Engine
) -> None:
    professional = limited.member(limited.organisation())
    for _ in range(LIMIT):
        assert limited.client.post("/sync/pull", json={}, headers=GARBAGE).status_code == 401
    assert limited.client.post("/sync/pull", json={}, headers=GARBAGE).status_code == 429
    pulled = limited.client.post("/sync/pull", json={}, headers=professional.headers)
    assert pulled.status_code == 200, pulled.text

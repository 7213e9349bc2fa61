"""API4 limits (server/limits.py): body-size caps and rate limits on login, refresh and enrolment.

Runs on SQLite and PostgreSQL like every server test. The limits are lowered per test through the
settings, and the limiter's clock is replaced so that a window can pass without waiting.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from server.app import create_app
from server.limits import RateLimiter, Rule
from server.models.accounts import Role
from server.models.dossier import ChangeRow
from server.settings import Settings
from sync.protocol import Entity, Mutation, Op, PushRequest
from tests.integration.server.conftest import LOOPBACK_CLIENT
from tests.integration.server.world import PASSWORD, Login, Org, World


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _limited_app(settings: Settings, engine: Engine, clock: Clock, **limits: int) -> FastAPI:
    app = create_app(settings.model_copy(update=limits), engine=engine)
    app.state.rate_limiter = RateLimiter(clock=clock)
    return app


WorldMaker = Callable[..., World]


@pytest.fixture
def limited_world(settings: Settings, engine: Engine, clock: Clock) -> Iterator[WorldMaker]:
    """``limited_world(rate_limit_login_per_ip=4, ...)``: a world whose app has those limits."""
    with ExitStack() as stack:

        def make(**limits: int) -> World:
            app = _limited_app(settings, engine, clock, **limits)
            client = stack.enter_context(TestClient(app, client=LOOPBACK_CLIENT))
            return World(client=client, engine=engine, settings=settings)

        yield make


def _token_body(login: Login, password: str = PASSWORD) -> dict[str, str]:
    return {
        "device_id": str(login.device_id),
        "device_secret": login.device_secret,
        "email": login.email,
        "password": password,
    }


def _assert_429(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    body = response.json()
    assert body["code"] == "too_many_requests"
    retry_after = int(response.headers["Retry-After"])
    assert retry_after == body["retry_after"] >= 1
    return retry_after


def _push(login: Login, mutations: list[Mutation]) -> dict[str, object]:
    return PushRequest(device_id=login.device_id, mutations=mutations).model_dump(mode="json")


def _case_upsert(question: str) -> Mutation:
    case_id = uuid.uuid4()
    return Mutation(
        mutation_id=uuid.uuid4(),
        entity=Entity.CASE,
        record_id=case_id,
        case_id=case_id,
        op=Op.UPSERT,
        fields={"consent_given": True, "question": question},
        device_time=datetime.now(UTC),
    )


def _changes(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(ChangeRow)).one()


# -- body size ------------------------------------------------------------------------------------


def test_a_push_over_one_mib_is_refused_whole(world: World, engine: Engine) -> None:
    org = world.organisation()
    pro = world.member(org)
    big = [_case_upsert("x" * 3000) for _ in range(400)]  # ~1.3 MB
    response = world.client.post("/sync/push", json=_push(pro, big), headers=pro.headers)
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "body_too_large"
    assert body["limit"] == 1024 * 1024
    assert _changes(engine) == 0  # nothing applied


def test_a_push_under_the_cap_is_applied_though_larger_than_other_routes_accept(
    world: World, engine: Engine
) -> None:
    org = world.organisation()
    pro = world.member(org)
    batch = [_case_upsert("x" * 1000) for _ in range(200)]  # ~250 KB: over 64 KiB
    response = world.client.post("/sync/push", json=_push(pro, batch), headers=pro.headers)
    assert response.status_code == 200, response.text
    assert _changes(engine) == 200


def test_other_routes_refuse_bodies_over_64_kib(world: World) -> None:
    org = world.organisation()
    body = {"email": "a@example.org", "role": Role.PROFESSIONAL.value, "password": "p" * 70_000}
    response = world.client.post("/accounts", json=body, headers=org.admin.headers)
    assert response.status_code == 413
    assert response.json()["limit"] == 64 * 1024


def test_a_chunked_body_is_counted_as_it_arrives(world: World, live_url: str) -> None:
    """No Content-Length: the server counts the chunks and stops at the cap (real uvicorn)."""
    org = world.organisation()
    pro = world.member(org)
    payload = json.dumps(_push(pro, [_case_upsert("y" * 3000) for _ in range(400)])).encode()

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(payload), 16_384):
            yield payload[start : start + 16_384]

    headers = {**pro.headers, "Content-Type": "application/json"}
    with httpx.Client(base_url=live_url) as http:
        response = http.post("/sync/push", content=chunks(), headers=headers)
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"
    assert _changes(world.engine) == 0


# -- rate limits ----------------------------------------------------------------------------------


def test_login_is_limited_per_account_even_with_the_right_password(
    limited_world: WorldMaker, clock: Clock
) -> None:
    limited = limited_world(rate_limit_login_per_account=3)
    org = limited.organisation()
    pro = limited.member(org)  # one login
    for _ in range(2):
        wrong = limited.client.post("/auth/token", json=_token_body(pro, "wrong password!!"))
        assert wrong.status_code == 401
    refused = limited.client.post("/auth/token", json=_token_body(pro))
    assert _assert_429(refused) == 60
    # Another account from the same address is not affected.
    other = limited.member(org)
    assert other.access_token
    # Once the window has passed, the right password works again.
    clock.now += 60
    assert limited.client.post("/auth/token", json=_token_body(pro)).status_code == 200


def test_login_is_limited_per_client_ip(limited_world: WorldMaker, clock: Clock) -> None:
    limited = limited_world(rate_limit_login_per_ip=4, rate_limit_enrol_per_ip=50)
    org = limited.organisation()  # the administrator's login: 1
    a = limited.member(org)  # 2
    b = limited.member(org)  # 3
    assert limited.client.post("/auth/token", json=_token_body(a)).status_code == 200  # 4
    clock.now += 20
    retry_after = _assert_429(limited.client.post("/auth/token", json=_token_body(b)))
    assert retry_after == 40  # until the first of the four leaves the window


def test_enrolment_is_limited_per_client_ip(limited_world: WorldMaker) -> None:
    limited = limited_world(rate_limit_enrol_per_ip=2)
    org = limited.organisation()  # the administrator's enrolment: 1
    codes = [limited.code(org) for _ in range(2)]
    assert limited.client.post("/devices/enrol", json={"code": codes[0]}).status_code == 201
    _assert_429(limited.client.post("/devices/enrol", json={"code": codes[1]}))
    # Guessing codes is refused the same way, before the database is asked.
    _assert_429(limited.client.post("/devices/enrol", json={"code": "ABCD-EFGH"}))


def test_refresh_is_limited_per_account(limited_world: WorldMaker, clock: Clock) -> None:
    limited = limited_world(rate_limit_refresh_per_account=2)
    org = limited.organisation()
    pro = limited.member(org)
    token = pro.refresh_token
    for _ in range(2):
        response = limited.client.post("/auth/refresh", json={"refresh_token": token})
        assert response.status_code == 200, response.text
        token = response.json()["refresh_token"]
    _assert_429(limited.client.post("/auth/refresh", json={"refresh_token": token}))
    # The refused attempt did not spend the token: after the window it still works.
    clock.now += 60
    again = limited.client.post("/auth/refresh", json={"refresh_token": token})
    assert again.status_code == 200, again.text


def _pull(client: TestClient, login: Login) -> httpx.Response:
    return client.post("/sync/pull", json={"cursor": 0, "limit": 10}, headers=login.headers)


def test_sync_is_limited_per_device_push_and_pull_together(
    limited_world: WorldMaker, clock: Clock, engine: Engine
) -> None:
    limited = limited_world(rate_limit_sync_per_device=3)
    org = limited.organisation()
    pro = limited.member(org)
    pushed = limited.client.post(
        "/sync/push", json=_push(pro, [_case_upsert("Grip op geld.")]), headers=pro.headers
    )
    assert pushed.status_code == 200, pushed.text
    for _ in range(2):
        assert _pull(limited.client, pro).status_code == 200
    assert _assert_429(_pull(limited.client, pro)) == 60
    refused = limited.client.post(
        "/sync/push", json=_push(pro, [_case_upsert("Nog een vraag.")]), headers=pro.headers
    )
    _assert_429(refused)
    assert _changes(engine) == 1  # the refused push applied nothing
    # The same account on another device has a budget of its own, as has another account.
    again = limited.login_new_device(limited.code(org), pro.email, pro.account_id, pro.role)
    assert _pull(limited.client, again).status_code == 200
    assert _pull(limited.client, limited.member(org)).status_code == 200
    # Once the window has passed, the device syncs again.
    clock.now += 60
    assert _pull(limited.client, pro).status_code == 200


def test_the_sync_limit_counts_only_checked_devices(limited_world: WorldMaker) -> None:
    """A request without a valid token is refused before it counts against any device."""
    limited = limited_world(rate_limit_sync_per_device=1)
    org = limited.organisation()
    pro = limited.member(org)
    forged = Login(**{**pro.__dict__, "access_token": pro.access_token[:-4] + "AAAA"})
    for _ in range(3):
        assert _pull(limited.client, forged).status_code == 401
    assert _pull(limited.client, pro).status_code == 200
    _assert_429(_pull(limited.client, pro))


def test_the_team_dashboard_is_limited_per_device_and_its_pdf_more_tightly(
    limited_world: WorldMaker, clock: Clock
) -> None:
    limited = limited_world(rate_limit_team_per_device=4, rate_limit_team_pdf_per_device=1)
    org = limited.organisation()
    lead = limited.member(org, Role.TEAM_LEAD)

    def get(path: str) -> httpx.Response:
        return limited.client.get(f"/api/v1/team/{path}", headers=lead.headers)

    assert get("report.pdf").status_code == 200
    _assert_429(get("report.pdf"))  # one PDF a window: each is built under one lock
    assert get("overdue").status_code == 200
    assert get("monitoring").status_code == 200
    _assert_429(get("overdue.csv"))  # 4 dashboard requests a window: every attempt counts
    # Another team lead's device has its own budget.
    other = limited.member(org, Role.TEAM_LEAD)
    assert limited.client.get("/api/v1/team/overdue", headers=other.headers).status_code == 200
    clock.now += 60
    assert get("report.pdf").status_code == 200


def test_forwarded_addresses_count_only_from_a_trusted_proxy(
    settings: Settings, engine: Engine, clock: Clock, world: World
) -> None:
    org: Org = world.organisation()
    pro = world.member(org)
    limits = {"rate_limit_login_per_ip": 2, "rate_limit_login_per_account": 100}
    app = _limited_app(settings, engine, clock, **limits)
    with TestClient(app, client=LOOPBACK_CLIENT) as proxy:  # 127.0.0.1: a trusted proxy
        for address in ("192.0.2.1", "192.0.2.2"):
            for _ in range(2):
                headers = {"X-Forwarded-For": f"203.0.113.9, {address}"}
                ok = proxy.post("/auth/token", json=_token_body(pro), headers=headers)
                assert ok.status_code == 200, ok.text
        headers = {"X-Forwarded-For": "192.0.2.1"}
        _assert_429(proxy.post("/auth/token", json=_token_body(pro), headers=headers))
    # A peer that is not a trusted proxy (over TLS) cannot pick its address with the header.
    with TestClient(app, base_url="https://testserver", client=("198.51.100.7", 5)) as peer:
        for n in range(2):
            headers = {"X-Forwarded-For": f"192.0.2.{100 + n}"}
            ok = peer.post("/auth/token", json=_token_body(pro), headers=headers)
            assert ok.status_code == 200, ok.text
        headers = {"X-Forwarded-For": "192.0.2.200"}
        _assert_429(peer.post("/auth/token", json=_token_body(pro), headers=headers))


def test_the_limiter_forgets_idle_keys() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock)
    rule = Rule(limit=1, window=10)
    for i in range(3000):
        assert limiter.hit("login:ip", f"10.0.{i // 256}.{i % 256}", rule) is None
        clock.now += 0.01
    clock.now += 60
    assert limiter.hit("login:ip", "10.9.9.9", rule) is None
    assert len(limiter._hits) < 3000
    assert limiter.hit("login:ip", "10.9.9.9", rule) == 10


# -- requests at once -----------------------------------------------------------------------------


def test_many_requests_at_once_all_get_an_answer(world: World, live_url: str) -> None:
    """More requests at once than the connection pool has connections: without the cap on
    requests inside the app, the thread pool and the connection pool wait on each other."""
    org = world.organisation()
    pro = world.member(org)
    body = {"cursor": 0, "limit": 10}

    def pull(_n: int) -> int:
        with httpx.Client(base_url=live_url, timeout=60) as http:
            return http.post("/sync/pull", json=body, headers=pro.headers).status_code

    with ThreadPoolExecutor(max_workers=200) as pool:
        statuses = list(pool.map(pull, range(200)))
    assert statuses == [200] * 200

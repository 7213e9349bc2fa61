"""Enrolment, login, refresh-token rotation, and revoking a lost tablet."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt

from server.models.accounts import Role
from server.security import AccessClaims, issue_access_token
from server.settings import Settings
from tests.integration.server.world import PASSWORD, World

EMPTY_PULL = {"cursor": 0, "limit": 10}


def test_an_enrolment_code_works_once(world: World) -> None:
    org = world.organisation()
    code = world.code(org)
    first = world.client.post("/devices/enrol", json={"code": code.lower().replace("-", " ")})
    assert first.status_code == 201
    again = world.client.post("/devices/enrol", json={"code": code})
    assert again.status_code == 401 and again.json()["code"] == "invalid_enrolment_code"
    # The secret is shown once and kept hashed only.
    assert (
        first.json()["device_secret"]
        not in world.client.get("/devices", headers=org.admin.headers).text
    )


def test_login_needs_the_device_credential_and_the_account(world: World) -> None:
    org = world.organisation()
    login = world.member(org)
    body = {
        "device_id": str(login.device_id),
        "device_secret": login.device_secret,
        "email": login.email,
        "password": PASSWORD,
    }
    assert world.client.post("/auth/token", json=body).status_code == 200
    for wrong in (
        {"device_secret": "nope"},
        {"password": "wrong password!"},
        {"email": "nobody@example.org"},
        {"device_id": str(uuid.uuid4())},
    ):
        response = world.client.post("/auth/token", json={**body, **wrong})
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_credentials"
    # An account of another organisation cannot log in on this organisation's device.
    other = world.member(world.organisation("Ander"))
    response = world.client.post("/auth/token", json={**body, "email": other.email})
    assert response.status_code == 401


def test_access_token_claims_hold_no_personal_data(world: World, settings: Settings) -> None:
    login = world.member(world.organisation())
    claims = jwt.decode(login.access_token, options={"verify_signature": False})
    assert set(claims) == {"iss", "aud", "sub", "dev", "fam", "jti", "iat", "exp"}
    assert login.email not in login.access_token
    assert claims["exp"] - claims["iat"] == settings.access_token_minutes * 60


def test_forged_expired_and_foreign_tokens_are_refused(world: World, settings: Settings) -> None:
    login = world.member(world.organisation())
    claims = jwt.decode(login.access_token, options={"verify_signature": False})
    none_alg = jwt.encode(claims, key=None, algorithm="none")  # type: ignore[arg-type]
    other_key = jwt.encode(claims, "another-secret-key-of-enough-length-0123", algorithm="HS256")
    other_aud = jwt.encode(
        {**claims, "aud": "elsewhere"}, settings.secret_key.get_secret_value(), algorithm="HS256"
    )
    expired = issue_access_token(
        settings,
        AccessClaims(
            account_id=login.account_id,
            device_id=login.device_id,
            family_id=uuid.UUID(claims["fam"]),
            jti=uuid.uuid4(),
        ),
        now=datetime.now(UTC) - timedelta(hours=2),
    )
    for token in (none_alg, other_key, other_aud, expired, "garbage"):
        response = world.client.post(
            "/sync/pull", json=EMPTY_PULL, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401, token
        assert response.json()["code"] == "invalid_token"
    assert world.client.post("/sync/pull", json=EMPTY_PULL).status_code == 401


def test_refresh_rotates_and_reuse_revokes_the_family(world: World) -> None:
    login = world.member(world.organisation())
    first = world.client.post("/auth/refresh", json={"refresh_token": login.refresh_token})
    assert first.status_code == 200
    pair = first.json()
    assert pair["refresh_token"] != login.refresh_token
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    assert world.client.post("/sync/pull", json=EMPTY_PULL, headers=headers).status_code == 200
    # The old refresh token again: it leaked. The whole login ends, new tokens included.
    reused = world.client.post("/auth/refresh", json={"refresh_token": login.refresh_token})
    assert reused.status_code == 401 and reused.json()["code"] == "refresh_reused"
    latest = world.client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert latest.status_code == 401
    response = world.client.post("/sync/pull", json=EMPTY_PULL, headers=headers)
    assert response.status_code == 401 and response.json()["code"] == "token_revoked"


def test_a_revoked_device_is_told_to_wipe(world: World) -> None:
    org = world.organisation()
    login = world.member(org)
    assert (
        world.client.post("/sync/pull", json=EMPTY_PULL, headers=login.headers).status_code == 200
    )
    revoked = world.client.post(f"/devices/{login.device_id}/revoke", headers=org.admin.headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    wipe = {"code": "device_revoked", "wipe": True}
    for response in (
        world.client.post("/sync/pull", json=EMPTY_PULL, headers=login.headers),
        world.client.post(
            "/sync/push",
            json={"device_id": str(login.device_id), "mutations": []},
            headers=login.headers,
        ),
        world.client.post("/auth/refresh", json={"refresh_token": login.refresh_token}),
        world.client.post(
            "/auth/token",
            json={
                "device_id": str(login.device_id),
                "device_secret": login.device_secret,
                "email": login.email,
                "password": PASSWORD,
            },
        ),
    ):
        assert response.status_code == 401
        assert {k: response.json()[k] for k in wipe} == wipe


def test_role_routes_refuse_other_roles(world: World) -> None:
    org = world.organisation()
    professional = world.member(org)
    lead = world.member(org, Role.TEAM_LEAD)
    for login in (professional, lead):
        for method, path in (("post", "/enrolment-codes"), ("get", "/accounts"), ("get", "/teams")):
            response = world.client.request(method, path, headers=login.headers)
            assert response.status_code == 403 and response.json()["code"] == "wrong_role"
    response = world.client.post("/sync/pull", json=EMPTY_PULL, headers=org.admin.headers)
    assert response.status_code == 403  # an administrator sees no case contents


def test_writes_refuse_server_owned_fields(world: World) -> None:
    org = world.organisation()
    body = {"email": "x@example.org", "password": PASSWORD, "organisation_id": str(uuid.uuid4())}
    response = world.client.post("/accounts", json=body, headers=org.admin.headers)
    assert response.status_code == 422
    assert PASSWORD not in response.text  # validation errors never echo input


def test_an_account_needs_an_email_address_that_looks_like_one(world: World) -> None:
    org = world.organisation()
    for email in ("not an address", "a@b", "twee@@example.org", "met spatie@example.org"):
        body = {"email": email, "password": PASSWORD}
        response = world.client.post("/accounts", json=body, headers=org.admin.headers)
        assert response.status_code == 422, email
    body = {"email": "sanne.de.bruijn@example.org", "password": PASSWORD}
    assert world.client.post("/accounts", json=body, headers=org.admin.headers).status_code == 201

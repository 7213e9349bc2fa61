"""Logging in on an enrolled device, and rotating refresh tokens.

``POST /auth/token``: device credential + account login -> a short-lived access token and a refresh
token. ``POST /auth/refresh``: a refresh token -> a new pair; the old refresh token is spent. A
spent refresh token presented again means it leaked: the whole family (that login) is revoked.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from sqlalchemy import update
from sqlmodel import Session, col

from server import audit, limits
from server.api.deps import EngineDep, SessionDep, SettingsDep, refuse
from server.audit import Action, Actor, Result
from server.crud import accounts as crud_accounts
from server.crud import devices as crud_devices
from server.errors import DeviceRevoked, Unauthorised
from server.models.accounts import Account
from server.models.devices import (
    Device,
    RefreshRequest,
    RefreshToken,
    TokenFamily,
    TokenPair,
    TokenRequest,
)
from server.models.types import utcnow
from server.security import AccessClaims, digest, issue_access_token, same_digest
from server.settings import Settings

router = APIRouter(prefix="/auth", tags=["auth"])

BAD_LOGIN = "The device credential or the login is not right."


def _pair(
    *, session: Session, settings: Settings, family: TokenFamily, account: Account
) -> TokenPair:
    now = utcnow()
    claims = AccessClaims(
        account_id=account.id, device_id=family.device_id, family_id=family.id, jti=uuid.uuid4()
    )
    refresh = crud_devices.issue_refresh_token(
        session=session, settings=settings, family_id=family.id, now=now
    )
    return TokenPair(
        access_token=issue_access_token(settings, claims, now=now),
        refresh_token=refresh,
        expires_in=settings.access_token_minutes * 60,
        account_id=account.id,
        role=account.role,
    )


@router.post("/token", response_model=TokenPair, responses=limits.openapi_responses())
def login(
    request: Request,
    body: TokenRequest,
    session: SessionDep,
    settings: SettingsDep,
    engine: EngineDep,
) -> TokenPair:
    limits.limit(request, "login", account=body.email)  # before the password hash is computed
    device = session.get(Device, body.device_id)
    device_ok = device is not None and same_digest(device.secret_digest, digest(body.device_secret))
    actor = Actor(device_id=body.device_id if device_ok else None)
    account = crud_accounts.authenticate(
        session=session, settings=settings, email=body.email, password=body.password
    )
    if device is None or not device_ok:
        raise refuse(engine, request, actor, Unauthorised("invalid_credentials", BAD_LOGIN))
    if device.revoked_at is not None:
        raise refuse(engine, request, actor, DeviceRevoked())
    if account is None or account.organisation_id != device.organisation_id:
        raise refuse(engine, request, actor, Unauthorised("invalid_credentials", BAD_LOGIN))
    family = crud_devices.start_family(
        session=session, device_id=device.id, account_id=account.id, now=utcnow()
    )
    pair = _pair(session=session, settings=settings, family=family, account=account)
    audit.record(
        session,
        [
            audit.event(
                Actor(account.id, account.role, device.id, account.organisation_id),
                action=Action.LOGIN,
                outcome=Result.SUCCESS,
                authorisation="granted",
                route="/auth/token",
            )
        ],
    )
    session.commit()
    return pair


@router.post("/refresh", response_model=TokenPair, responses=limits.openapi_responses())
def refresh(
    request: Request,
    body: RefreshRequest,
    session: SessionDep,
    settings: SettingsDep,
    engine: EngineDep,
) -> TokenPair:
    limits.limit(request, "refresh")
    invalid = Unauthorised("invalid_token", "Log in again.")
    token_id, _, secret = body.refresh_token.partition(".")
    try:
        row = session.get(RefreshToken, uuid.UUID(token_id))
    except ValueError:
        row = None
    if row is None or not same_digest(row.token_digest, digest(secret)):
        raise refuse(engine, request, Actor(), invalid)
    family = session.get(TokenFamily, row.family_id)
    assert family is not None  # a foreign key
    device = session.get(Device, family.device_id)
    account = session.get(Account, family.account_id)
    assert device is not None and account is not None
    limits.limit(request, "refresh", account=str(account.id), ip=False)
    actor = Actor(account.id, account.role, device.id, account.organisation_id)
    now = utcnow()
    if device.revoked_at is not None:
        raise refuse(engine, request, actor, DeviceRevoked())
    if family.revoked_at is not None or not account.active or row.expires_at <= now:
        raise refuse(engine, request, actor, invalid)
    # Spend the token with a conditional UPDATE: of two concurrent uses, one wins, and the other
    # counts as reuse.
    spent = session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.id) == row.id, col(RefreshToken.used_at).is_(None))
        .values(used_at=now)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        crud_devices.revoke_family(session=session, family_id=family.id, now=now)
        session.commit()
        error = Unauthorised("refresh_reused", "This login was ended for safety; log in again.")
        raise refuse(engine, request, actor, error)
    pair = _pair(session=session, settings=settings, family=family, account=account)
    session.commit()
    return pair

"""Dependencies as ``Annotated`` aliases (STYLE 5): settings, session, the caller and role checks.

``CurrentPrincipal`` checks the bearer token, then the device (revoked: 401 ``device_revoked``
with ``wipe: true``), the token family (revoked: 401 ``token_revoked``) and the account
(inactive: 401). Every refusal is written to the audit log.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlmodel import Session

from server import audit
from server.audit import Action, Actor, Result
from server.db import sessions
from server.errors import ApiError, DeviceRevoked, Forbidden, Unauthorised
from server.models.accounts import Account, Role
from server.models.devices import Device, TokenFamily
from server.principal import Principal
from server.security import InvalidToken, read_access_token
from server.settings import Settings


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]


def get_session(engine: EngineDep) -> Iterator[Session]:
    yield from sessions(engine)


SessionDep = Annotated[Session, Depends(get_session)]

_bearer = HTTPBearer(auto_error=False)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def refuse(
    engine: Engine,
    request: Request,
    actor: Actor,
    error: ApiError,
    *,
    case_id: uuid.UUID | None = None,
) -> ApiError:
    """Log a refused attempt (in its own transaction) and hand back the error to raise."""
    audit.record_refusal(
        engine,
        audit.event(
            actor,
            action=Action.ACCESS,
            outcome=Result.REFUSED,
            authorisation="refused",
            reason=error.code,
            case_id=case_id,
            route=_route(request),
        ),
    )
    return error


def _route(request: Request) -> str:
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unknown"


def get_principal(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    engine: EngineDep,
    credentials: BearerDep,
) -> Principal:
    if credentials is None:
        error = Unauthorised("not_authenticated", "Log in first.")
        raise refuse(engine, request, Actor(), error)
    try:
        claims = read_access_token(settings, credentials.credentials)
    except InvalidToken:
        error = Unauthorised("invalid_token", "The access token is not valid or has expired.")
        raise refuse(engine, request, Actor(), error) from None
    device = session.get(Device, claims.device_id)
    family = session.get(TokenFamily, claims.family_id)
    account = session.get(Account, claims.account_id)
    actor = Actor(account_id=claims.account_id, device_id=claims.device_id)
    if device is None or family is None or account is None:
        raise refuse(engine, request, actor, Unauthorised("invalid_token", "Unknown token."))
    actor = Actor(
        account_id=account.id,
        role=account.role,
        device_id=device.id,
        organisation_id=account.organisation_id,
    )
    if device.revoked_at is not None:
        raise refuse(engine, request, actor, DeviceRevoked())
    if family.revoked_at is not None or family.device_id != device.id:
        raise refuse(engine, request, actor, Unauthorised("token_revoked", "Log in again."))
    if not account.active or account.organisation_id != device.organisation_id:
        raise refuse(engine, request, actor, Unauthorised("account_inactive", "Log in again."))
    return Principal(
        account_id=account.id,
        role=Role(account.role),
        organisation_id=account.organisation_id,
        team_id=account.team_id,
        device_id=device.id,
        family_id=family.id,
    )


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def _require(request: Request, engine: Engine, principal: Principal, *roles: Role) -> Principal:
    if principal.role not in roles:
        error = Forbidden("wrong_role", "Your role may not do this.")
        raise refuse(engine, request, principal.actor, error)
    return principal


def get_administrator(
    request: Request, engine: EngineDep, principal: CurrentPrincipal
) -> Principal:
    return _require(request, engine, principal, Role.ADMINISTRATOR)


def get_case_worker(request: Request, engine: EngineDep, principal: CurrentPrincipal) -> Principal:
    return _require(request, engine, principal, Role.PROFESSIONAL, Role.TEAM_LEAD)


def get_team_lead(request: Request, engine: EngineDep, principal: CurrentPrincipal) -> Principal:
    return _require(request, engine, principal, Role.TEAM_LEAD)


Administrator = Annotated[Principal, Depends(get_administrator)]
CaseWorker = Annotated[Principal, Depends(get_case_worker)]
TeamLead = Annotated[Principal, Depends(get_team_lead)]

"""Dependencies as ``Annotated`` aliases (STYLE 5): settings, session, the caller and role checks.

``CurrentPrincipal`` checks the bearer token, then the device (revoked: 401 ``device_revoked``
with ``wipe: true``), the token family (revoked: 401 ``token_revoked``) and the account
(inactive: 401). Every refusal is written to the audit log, up to
``rate_limit_refused_auth_per_ip`` refusals per client IP per window; past that the caller gets
429 ``too_many_requests`` and no audit row, so a client without a valid token cannot flood the
audit log (OWASP API4; server/limits.py). Requests with a valid token are not counted.

Thread hops (bench/sync_load.py): FastAPI runs every plain ``def`` dependency in a thread-pool
task of its own, and under load each hand-over costs the event loop and the GIL more than the work
itself. So the dependencies that touch no database are ``async def`` and run in the loop: the
settings, the engine, the session (made without I/O; closed in a thread only when a transaction is
still open) and the role checks (a refusal's audit row is written in a thread). The caller's
device, token family and account are read with one query, in one thread-pool task.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine, select
from sqlmodel import Session, col
from starlette.concurrency import run_in_threadpool

from server import audit, limits
from server.audit import Action, Actor, Result
from server.db import new_session
from server.errors import ApiError, DeviceRevoked, Forbidden, Unauthorised
from server.models.accounts import Account, Role
from server.models.devices import Device, TokenFamily
from server.principal import Principal
from server.security import InvalidToken, read_access_token
from server.settings import Settings


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]


async def get_session(engine: EngineDep) -> AsyncIterator[Session]:
    session = new_session(engine)  # no I/O until first used
    try:
        yield session
    finally:
        if session.in_transaction():  # not committed (an error): the rollback is I/O
            await run_in_threadpool(session.close)
        else:
            session.close()


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


def refuse_unauthenticated(
    engine: Engine, request: Request, actor: Actor, error: ApiError
) -> ApiError:
    """``refuse`` for a bearer token that does not hold, counted per client IP first: over the
    limit, ``TooManyRequests`` is raised and no audit row is written."""
    limits.limit(request, "refused_auth")
    return refuse(engine, request, actor, error)


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
        raise refuse_unauthenticated(engine, request, Actor(), error)
    try:
        claims = read_access_token(settings, credentials.credentials)
    except InvalidToken:
        error = Unauthorised("invalid_token", "The access token is not valid or has expired.")
        raise refuse_unauthenticated(engine, request, Actor(), error) from None
    # The device, the token family and the account in one round trip: no row when one is missing.
    row = session.execute(
        select(
            col(Device.organisation_id),
            col(Device.revoked_at),
            col(TokenFamily.device_id),
            col(TokenFamily.revoked_at),
            col(Account.role),
            col(Account.organisation_id),
            col(Account.team_id),
            col(Account.active),
        )
        .select_from(TokenFamily)
        .join(Device, col(Device.id) == claims.device_id)
        .join(Account, col(Account.id) == claims.account_id)
        .where(col(TokenFamily.id) == claims.family_id)
    ).first()
    actor = Actor(account_id=claims.account_id, device_id=claims.device_id)
    if row is None:
        raise refuse_unauthenticated(
            engine, request, actor, Unauthorised("invalid_token", "Unknown token.")
        )
    device_org, device_revoked, family_device, family_revoked, role, org, team, active = row
    actor = Actor(
        account_id=claims.account_id,
        role=role,
        device_id=claims.device_id,
        organisation_id=org,
    )
    if device_revoked is not None:
        raise refuse_unauthenticated(engine, request, actor, DeviceRevoked())
    if family_revoked is not None or family_device != claims.device_id:
        raise refuse_unauthenticated(
            engine, request, actor, Unauthorised("token_revoked", "Log in again.")
        )
    if not active or org != device_org:
        raise refuse_unauthenticated(
            engine, request, actor, Unauthorised("account_inactive", "Log in again.")
        )
    return Principal(
        account_id=claims.account_id,
        role=Role(role),
        organisation_id=org,
        team_id=team,
        device_id=claims.device_id,
        family_id=claims.family_id,
    )


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def _require(
    request: Request, engine: Engine, principal: Principal, *roles: Role
) -> Principal:
    if principal.role not in roles:
        error = Forbidden("wrong_role", "Your role may not do this.")
        raise await run_in_threadpool(refuse, engine, request, principal.actor, error)
    return principal


async def get_administrator(
    request: Request, engine: EngineDep, principal: CurrentPrincipal
) -> Principal:
    return await _require(request, engine, principal, Role.ADMINISTRATOR)


async def get_case_worker(
    request: Request, engine: EngineDep, principal: CurrentPrincipal
) -> Principal:
    return await _require(request, engine, principal, Role.PROFESSIONAL, Role.TEAM_LEAD)


async def get_team_lead(
    request: Request, engine: EngineDep, principal: CurrentPrincipal
) -> Principal:
    return await _require(request, engine, principal, Role.TEAM_LEAD)


Administrator = Annotated[Principal, Depends(get_administrator)]
CaseWorker = Annotated[Principal, Depends(get_case_worker)]
TeamLead = Annotated[Principal, Depends(get_team_lead)]

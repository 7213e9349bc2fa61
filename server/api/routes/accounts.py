"""Accounts of the administrator's own organisation."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from server.api.deps import Administrator, EngineDep, SessionDep, SettingsDep, refuse
from server.crud import accounts as crud
from server.errors import ApiError, NotFound
from server.models.accounts import (
    Account,
    AccountCreate,
    AccountPublic,
    AccountUpdate,
    Team,
)
from server.principal import Principal

router = APIRouter(tags=["accounts"])


def _own_team(session: Session, admin: Principal, team_id: uuid.UUID | None) -> None:
    if team_id is None:
        return
    team = session.get(Team, team_id)
    if team is None or team.organisation_id != admin.organisation_id:
        raise NotFound("team_not_found", "No such team.")


def _own_account(
    request: Request, engine: EngineDep, session: Session, admin: Principal, account_id: uuid.UUID
) -> Account:
    account = session.get(Account, account_id)
    if account is None or account.organisation_id != admin.organisation_id:
        raise refuse(engine, request, admin.actor, NotFound("not_found", "No such account."))
    return account


@router.post("/accounts", response_model=AccountPublic, status_code=status.HTTP_201_CREATED)
def create_account(
    body: AccountCreate, admin: Administrator, session: SessionDep, settings: SettingsDep
) -> Account:
    _own_team(session, admin, body.team_id)
    if crud.get_account_by_email(session=session, email=body.email) is not None:
        raise ApiError("email_taken", "An account with this e-mail address exists.")
    try:
        account = crud.create_account(
            session=session,
            settings=settings,
            organisation_id=admin.organisation_id,
            account_in=body,
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ApiError("email_taken", "An account with this e-mail address exists.") from None
    return account


@router.get("/accounts", response_model=list[AccountPublic])
def list_accounts(admin: Administrator, session: SessionDep) -> list[Account]:
    return crud.list_accounts(session=session, organisation_id=admin.organisation_id)


@router.get("/accounts/{account_id}", response_model=AccountPublic)
def read_account(
    request: Request,
    account_id: uuid.UUID,
    admin: Administrator,
    session: SessionDep,
    engine: EngineDep,
) -> Account:
    return _own_account(request, engine, session, admin, account_id)


@router.patch("/accounts/{account_id}", response_model=AccountPublic)
def update_account(
    request: Request,
    account_id: uuid.UUID,
    body: AccountUpdate,
    admin: Administrator,
    session: SessionDep,
    engine: EngineDep,
) -> Account:
    account = _own_account(request, engine, session, admin, account_id)
    _own_team(session, admin, body.team_id)
    account = crud.update_account(session=session, account=account, account_in=body)
    session.commit()
    return account

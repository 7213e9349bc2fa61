"""Organisations, teams and accounts."""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, select

from server.models.accounts import Account, AccountCreate, AccountUpdate, Organisation, Role, Team
from server.security import hash_password, verify_password
from server.settings import Settings


def create_organisation(*, session: Session, name: str) -> Organisation:
    organisation = Organisation(name=name)
    session.add(organisation)
    session.flush()
    return organisation


def create_team(*, session: Session, organisation_id: uuid.UUID, name: str) -> Team:
    team = Team(organisation_id=organisation_id, name=name)
    session.add(team)
    session.flush()
    return team


def list_teams(*, session: Session, organisation_id: uuid.UUID) -> list[Team]:
    query = select(Team).where(Team.organisation_id == organisation_id).order_by(col(Team.name))
    return list(session.exec(query).all())


def get_account_by_email(*, session: Session, email: str) -> Account | None:
    return session.exec(select(Account).where(Account.email == email.strip().lower())).first()


def create_account(
    *, session: Session, settings: Settings, organisation_id: uuid.UUID, account_in: AccountCreate
) -> Account:
    account = Account(
        email=account_in.email.strip().lower(),
        role=account_in.role,
        team_id=account_in.team_id,
        organisation_id=organisation_id,
        password_hash=hash_password(settings, account_in.password),
    )
    session.add(account)
    session.flush()
    return account


def update_account(*, session: Session, account: Account, account_in: AccountUpdate) -> Account:
    for name, value in account_in.model_dump(exclude_unset=True).items():
        if name in ("role", "active") and value is None:
            continue
        setattr(account, name, Role(value) if name == "role" else value)
    session.add(account)
    session.flush()
    return account


def list_accounts(*, session: Session, organisation_id: uuid.UUID) -> list[Account]:
    query = select(Account).where(Account.organisation_id == organisation_id)
    return list(session.exec(query.order_by(col(Account.email))).all())


def authenticate(
    *, session: Session, settings: Settings, email: str, password: str
) -> Account | None:
    account = get_account_by_email(session=session, email=email)
    ok = verify_password(settings, account.password_hash if account else None, password)
    return account if ok and account is not None and account.active else None

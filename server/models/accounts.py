"""Organisations, teams and accounts (professional, team lead, administrator)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import String
from sqlmodel import Field

from server.models.types import RequestBody, ServerModel, UTCDateTime, utcnow


class Role(StrEnum):
    PROFESSIONAL = "professional"
    TEAM_LEAD = "team_lead"
    ADMINISTRATOR = "administrator"


# -- organisation --------------------------------------------------------------------------------


class OrganisationBase(ServerModel):
    name: str = Field(min_length=1, max_length=200)


class Organisation(OrganisationBase, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OrganisationPublic(OrganisationBase):
    id: uuid.UUID


# -- team ----------------------------------------------------------------------------------------


class TeamBase(ServerModel):
    name: str = Field(min_length=1, max_length=200)


class TeamCreate(TeamBase, RequestBody):
    pass


class Team(TeamBase, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)


class TeamPublic(TeamBase):
    id: uuid.UUID
    organisation_id: uuid.UUID


# -- account -------------------------------------------------------------------------------------


EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class AccountBase(ServerModel):
    email: str = Field(max_length=320, schema_extra={"pattern": EMAIL_PATTERN})
    role: Role = Field(default=Role.PROFESSIONAL, sa_type=String(20))
    team_id: uuid.UUID | None = None


class AccountCreate(AccountBase, RequestBody):
    password: str = Field(min_length=12, max_length=200)


class AccountUpdate(RequestBody):
    role: Role | None = None
    team_id: uuid.UUID | None = None
    active: bool | None = None


class Account(AccountBase, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    team_id: uuid.UUID | None = Field(default=None, foreign_key="team.id", index=True)
    password_hash: str
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AccountPublic(AccountBase):
    id: uuid.UUID
    organisation_id: uuid.UUID
    active: bool

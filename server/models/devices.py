"""Enrolled devices, one-time enrolment codes, and refresh-token families.

Device secrets, enrolment codes and refresh tokens are random (>= 128 bits), so they are stored as
SHA-256 digests: a slow password hash buys nothing against guessing a random value, and a lookup
by digest stays one indexed query.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field

from server.models.types import RequestBody, ServerModel, UTCDateTime, utcnow

# -- enrolment code ------------------------------------------------------------------------------


class EnrolmentCode(ServerModel, table=True):
    __tablename__ = "enrolment_code"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    code_digest: str = Field(unique=True, max_length=64)
    created_by: uuid.UUID = Field(foreign_key="account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    device_id: uuid.UUID | None = None


class EnrolmentCodePublic(ServerModel):
    code: str  # shown once; only its digest is kept
    expires_at: datetime


# -- device --------------------------------------------------------------------------------------


class DeviceBase(ServerModel):
    label: str = Field(default="", max_length=100)  # e.g. "tablet 7"; never a person's name


class DeviceEnrol(RequestBody):
    code: str = Field(min_length=1, max_length=64)
    label: str = Field(default="", max_length=100)


class Device(DeviceBase, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    secret_digest: str = Field(max_length=64)
    enrolled_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DevicePublic(DeviceBase):
    id: uuid.UUID
    organisation_id: uuid.UUID
    enrolled_at: datetime
    revoked_at: datetime | None


class DeviceCredential(ServerModel):
    device_id: uuid.UUID
    device_secret: str  # shown once; the device keeps it sealed in its encrypted store


# -- tokens --------------------------------------------------------------------------------------


class TokenFamily(ServerModel, table=True):
    """One login on one device; every refresh token it rotates through belongs to it."""

    __tablename__ = "token_family"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    device_id: uuid.UUID = Field(foreign_key="device.id", index=True)
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RefreshToken(ServerModel, table=True):
    __tablename__ = "refresh_token"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    family_id: uuid.UUID = Field(foreign_key="token_family.id", index=True)
    token_digest: str = Field(max_length=64)
    issued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TokenRequest(RequestBody):
    device_id: uuid.UUID
    device_secret: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=200)


class RefreshRequest(RequestBody):
    refresh_token: str = Field(min_length=1, max_length=200)


class TokenPair(ServerModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int  # seconds
    account_id: uuid.UUID
    role: str

"""Enrolled devices, one-time enrolment codes, and refresh-token families.

Device secrets, enrolment codes and refresh tokens are random (>= 128 bits), so they are stored as
SHA-256 digests: a slow password hash buys nothing against guessing a random value, and a lookup
by digest stays one indexed query.
"""

from __future__ import annotations

import hashlib
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


# An Ed25519 public key, raw 32 bytes as lower-case hex: how the tablet's signing key is sent.
SIGNING_KEY_PATTERN = r"^[0-9a-f]{64}$"


def key_fingerprint(public_key_hex: str) -> str:
    """The first 16 hex digits of SHA-256 of the raw key: what ``python main.py verify`` prints
    for each signature of a plan PDF (``models.signing.key_fingerprint`` on the tablet)."""
    return hashlib.sha256(bytes.fromhex(public_key_hex)).hexdigest()[:16]


class DeviceEnrol(RequestBody):
    code: str = Field(min_length=1, max_length=64)
    label: str = Field(default="", max_length=100)


class SigningKeyRegistration(RequestBody):
    """``PUT /devices/me/signing-key``: the tablet sends it once after logging in (the enrolment
    body stays as it was, so a new tablet still enrols with an older server)."""

    public_key: str = Field(schema_extra={"pattern": SIGNING_KEY_PATTERN})


class Device(DeviceBase, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    secret_digest: str = Field(max_length=64)
    enrolled_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    signing_key: str | None = Field(default=None, max_length=64)  # set once, never changed


class DevicePublic(DeviceBase):
    id: uuid.UUID
    organisation_id: uuid.UUID
    enrolled_at: datetime
    revoked_at: datetime | None
    signing_key_fingerprint: str | None  # None until the tablet sent its key

    @classmethod
    def of(cls, device: Device) -> DevicePublic:
        return cls(
            id=device.id,
            organisation_id=device.organisation_id,
            label=device.label,
            enrolled_at=device.enrolled_at,
            revoked_at=device.revoked_at,
            signing_key_fingerprint=key_fingerprint(device.signing_key)
            if device.signing_key
            else None,
        )


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

"""SQLModel tables for signing: the device key, frozen plan versions and their signatures.

Same conventions as ``models.tables``: every ``bytes`` column is sealed (AES-256-GCM bound to table,
column and row id); plaintext is kept only for ids, hashes (hex), version numbers, roles and times.
Sealed: the device's private key, the signed plan JSON, the signer's name, the witness, the drawn
PNG and the PDF copy. The Ed25519 signature and public key are not secret; they are kept as hex
text so that "bytes means sealed" stays true for every table.

Frozen means frozen: migration 0004 adds SQLite triggers that refuse an UPDATE of the signed
columns, so even a bug elsewhere in the app cannot rewrite a signed version or a signature.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class DeviceKeyRow(SQLModel, table=True):
    """The device's Ed25519 key pair: one row, id = the store id (which is the device id)."""

    __tablename__ = "device_keys"
    id: str = Field(primary_key=True)
    public_key: str  # hex of the 32-byte raw public key
    private_key: bytes  # sealed raw 32-byte private key
    created_at: datetime


class PlanVersionRow(SQLModel, table=True):
    """One frozen (signed) version of a meeting's plan."""

    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("meeting_id", "version", name="uq_plan_versions_meeting"),)
    id: str = Field(primary_key=True)
    case_id: str = Field(foreign_key="cases.id", index=True)
    meeting_id: str = Field(foreign_key="meetings.id")
    version: int
    plan_hash: str  # hex SHA-256 of the canonical plan JSON
    plan_json: bytes  # sealed canonical JSON (RFC 8785)
    frozen_at: datetime
    pdf: bytes | None = None  # sealed copy of the latest PDF made of this version


class PlanSignatureRow(SQLModel, table=True):
    """One participant's signature on one frozen plan version."""

    __tablename__ = "plan_signatures"
    __table_args__ = (
        UniqueConstraint("plan_version_id", "signer_id", name="uq_plan_signatures_signer"),
    )
    id: str = Field(primary_key=True)
    plan_version_id: str = Field(foreign_key="plan_versions.id", index=True)
    position: int  # 0 for the first signature (the resident's), then 1, 2, ...
    case_id: str = Field(foreign_key="cases.id")
    signer_id: str  # participant id (random, no personal data)
    signer_name: bytes  # sealed
    role: str
    signed_at: datetime
    device_id: str
    public_key: str  # hex: the device key that made the signature (keys may be replaced later)
    plan_hash: str  # hex
    image_sha256: str  # hex
    image: bytes  # sealed PNG
    signature: str  # hex Ed25519 signature over the canonical record
    # Sealed canonical JSON of the witness (name, organisation, role); None for records signed
    # before witnesses were recorded (format 1). Covered by ``signature``, like the name.
    witness: bytes | None = None

"""Enrolment codes, devices and token families."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from server.models.devices import Device, EnrolmentCode, RefreshToken, TokenFamily
from server.security import digest, new_enrolment_code, new_secret, normalise_code
from server.settings import Settings


def create_enrolment_code(
    *,
    session: Session,
    settings: Settings,
    organisation_id: uuid.UUID,
    created_by: uuid.UUID,
    now: datetime,
) -> tuple[EnrolmentCode, str]:
    code = new_enrolment_code()
    row = EnrolmentCode(
        organisation_id=organisation_id,
        code_digest=digest(normalise_code(code)),
        created_by=created_by,
        created_at=now,
        expires_at=now + timedelta(hours=settings.enrolment_code_hours),
    )
    session.add(row)
    session.flush()
    return row, code


def enrol_device(
    *, session: Session, code: str, label: str, now: datetime
) -> tuple[Device, str] | None:
    """A new device and its secret (shown once), or None when the code is unknown, used or old."""
    # Claim the code with one conditional UPDATE, so two devices racing with one code cannot
    # both win: exactly one sees a row changed.
    code_digest = digest(normalise_code(code))
    row = session.exec(
        select(EnrolmentCode).where(EnrolmentCode.code_digest == code_digest)
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    claimed = session.execute(
        update(EnrolmentCode)
        .where(col(EnrolmentCode.id) == row.id, col(EnrolmentCode.used_at).is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    secret = new_secret()
    device = Device(
        organisation_id=row.organisation_id,
        secret_digest=digest(secret),
        label=label,
        enrolled_at=now,
    )
    session.add(device)
    session.flush()
    session.execute(
        update(EnrolmentCode).where(col(EnrolmentCode.id) == row.id).values(device_id=device.id)
    )
    return device, secret


def list_devices(*, session: Session, organisation_id: uuid.UUID) -> list[Device]:
    query = select(Device).where(Device.organisation_id == organisation_id)
    return list(session.exec(query.order_by(col(Device.enrolled_at))).all())


def revoke_device(*, session: Session, device: Device, now: datetime) -> Device:
    if device.revoked_at is None:
        device.revoked_at = now
        session.add(device)
        session.execute(
            update(TokenFamily)
            .where(col(TokenFamily.device_id) == device.id, col(TokenFamily.revoked_at).is_(None))
            .values(revoked_at=now)
        )
        session.flush()
    return device


def start_family(
    *, session: Session, device_id: uuid.UUID, account_id: uuid.UUID, now: datetime
) -> TokenFamily:
    family = TokenFamily(device_id=device_id, account_id=account_id, created_at=now)
    session.add(family)
    session.flush()
    return family


def issue_refresh_token(
    *, session: Session, settings: Settings, family_id: uuid.UUID, now: datetime
) -> str:
    secret = new_secret()
    row = RefreshToken(
        family_id=family_id,
        token_digest=digest(secret),
        issued_at=now,
        expires_at=now + timedelta(days=settings.refresh_token_days),
    )
    session.add(row)
    session.flush()
    return f"{row.id}.{secret}"


def revoke_family(*, session: Session, family_id: uuid.UUID, now: datetime) -> None:
    session.execute(
        update(TokenFamily)
        .where(col(TokenFamily.id) == family_id, col(TokenFamily.revoked_at).is_(None))
        .values(revoked_at=now)
    )

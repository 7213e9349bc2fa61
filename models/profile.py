"""The professional who uses this device: name, organisation, role. Set on first run.

One row (``id = "device"``). The name and the role are sealed like every other personal value
(AES-256-GCM bound to table, column and row id); the organisation id is configuration and stays
plaintext. Reading and writing need an unlocked store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, SQLModel

from models.errors import FieldProblem, ValidationError
from models.i18n import _
from models.store import CaseStore

PROFILE_ID = "device"
MAX_NAME_LENGTH = 200


class ProfileRow(SQLModel, table=True):
    """The device user's profile. ``name`` and ``role`` are sealed."""

    __tablename__ = "profile"
    id: str = Field(primary_key=True)
    name: bytes
    organisation_id: str | None = None
    role: bytes | None = None
    updated_at: datetime


def _profile_table() -> Table:
    table: Table = ProfileRow.__table__  # type: ignore[attr-defined]
    return table


PROFILE = _profile_table()


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    organisation_id: str | None = None
    role: str = ""


def validate_profile(profile: Profile) -> None:
    """Raises ``ValidationError`` on ``"profile.name"`` or ``"profile.role"``."""
    problems: list[FieldProblem] = []
    name = profile.name.strip()
    if not name:
        problems.append(FieldProblem("profile.name", _("Fill in your name.")))
    elif len(name) > MAX_NAME_LENGTH:
        problems.append(FieldProblem("profile.name", _("A name can be at most 200 characters.")))
    if len(profile.role.strip()) > MAX_NAME_LENGTH:
        problems.append(FieldProblem("profile.role", _("A role can be at most 200 characters.")))
    if problems:
        raise ValidationError(problems)


def save_profile(store: CaseStore, profile: Profile, *, now: datetime) -> None:
    validate_profile(profile)
    sealer = store.sealer
    row: dict[str, Any] = {
        "id": PROFILE_ID,
        "name": sealer.seal_text(
            profile.name.strip(), table="profile", column="name", row_id=PROFILE_ID
        ),
        "organisation_id": profile.organisation_id,
        "role": sealer.seal_text(
            profile.role.strip(), table="profile", column="role", row_id=PROFILE_ID
        )
        if profile.role.strip()
        else None,
        "updated_at": now,
    }
    values = {k: v for k, v in row.items() if k != "id"}
    with store.engine.begin() as conn:
        conn.execute(
            sqlite_insert(PROFILE)
            .values(row)
            .on_conflict_do_update(index_elements=["id"], set_=values)
        )


def load_profile(store: CaseStore) -> Profile | None:
    """The profile, or ``None`` when none was saved. Raises ``DamagedRecordError`` if tampered."""
    with store.reading() as (conn, sealer):
        row = conn.execute(select(PROFILE).where(PROFILE.c.id == PROFILE_ID)).mappings().first()
    if row is None:
        return None
    name = sealer.open_text(row["name"], table="profile", column="name", row_id=PROFILE_ID)
    role = sealer.open_text(row["role"], table="profile", column="role", row_id=PROFILE_ID)
    return Profile(name=name or "", organisation_id=row["organisation_id"], role=role or "")

"""Who is calling: the account, its role and the device, after the access token was checked."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from server.audit import Actor
from server.models.accounts import Role


@dataclass(frozen=True, slots=True)
class Principal:
    account_id: uuid.UUID
    role: Role
    organisation_id: uuid.UUID
    team_id: uuid.UUID | None
    device_id: uuid.UUID
    family_id: uuid.UUID

    @property
    def actor(self) -> Actor:
        return Actor(
            account_id=self.account_id,
            role=self.role,
            device_id=self.device_id,
            organisation_id=self.organisation_id,
        )

"""Factories for server tests: organisations with an administrator, accounts with a logged-in
device, and an adapter that lets tests/support/sync_device.SimDevice talk to the real app."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from pydantic import JsonValue
from sqlalchemy import Engine
from sqlmodel import Session, select

from server.crud import accounts as crud
from server.models.accounts import AccountCreate, Role
from server.models.dossier import ChangeRow, DossierRecord
from server.settings import Settings
from sync.protocol import Entity, PullRequest, PullResponse, PushRequest, PushResponse

PASSWORD = "correct horse battery staple"


@dataclass
class Login:
    account_id: uuid.UUID
    email: str
    role: Role
    device_id: uuid.UUID
    device_secret: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


@dataclass
class Org:
    id: uuid.UUID
    admin: Login
    team_id: uuid.UUID


@dataclass
class World:
    client: TestClient
    engine: Engine
    settings: Settings
    _n: int = field(default=0)

    def _email(self, hint: str) -> str:
        self._n += 1
        return f"{hint}{self._n}@example.org"

    def organisation(self, name: str = "Zorg Oss") -> Org:
        email = self._email("admin")
        with Session(self.engine) as session:
            org = crud.create_organisation(session=session, name=name)
            admin = crud.create_account(
                session=session,
                settings=self.settings,
                organisation_id=org.id,
                account_in=AccountCreate(email=email, role=Role.ADMINISTRATOR, password=PASSWORD),
            )
            session.commit()
            org_id, admin_id = org.id, admin.id
        # The administrator works from an enrolled device too; bootstrap its code in the DB.
        with Session(self.engine) as session:
            from server.crud import devices as crud_devices
            from server.models.types import utcnow

            _row, code = crud_devices.create_enrolment_code(
                session=session,
                settings=self.settings,
                organisation_id=org_id,
                created_by=admin_id,
                now=utcnow(),
            )
            session.commit()
        admin_login = self.login_new_device(code, email, admin_id, Role.ADMINISTRATOR)
        team = self.client.post("/teams", json={"name": "Wijkteam"}, headers=admin_login.headers)
        assert team.status_code == 201, team.text
        return Org(id=org_id, admin=admin_login, team_id=uuid.UUID(team.json()["id"]))

    def code(self, org: Org) -> str:
        response = self.client.post("/enrolment-codes", headers=org.admin.headers)
        assert response.status_code == 201, response.text
        code: str = response.json()["code"]
        return code

    def member(
        self, org: Org, role: Role = Role.PROFESSIONAL, *, team_id: uuid.UUID | None = None
    ) -> Login:
        email = self._email(role.value)
        body = {"email": email, "role": role.value, "password": PASSWORD}
        if team_id is not None or role is Role.TEAM_LEAD:
            body["team_id"] = str(team_id or org.team_id)
        created = self.client.post("/accounts", json=body, headers=org.admin.headers)
        assert created.status_code == 201, created.text
        return self.login_new_device(self.code(org), email, uuid.UUID(created.json()["id"]), role)

    def login_new_device(self, code: str, email: str, account_id: uuid.UUID, role: Role) -> Login:
        enrolled = self.client.post("/devices/enrol", json={"code": code, "label": "tablet"})
        assert enrolled.status_code == 201, enrolled.text
        credential = enrolled.json()
        token = self.client.post(
            "/auth/token",
            json={
                "device_id": credential["device_id"],
                "device_secret": credential["device_secret"],
                "email": email,
                "password": PASSWORD,
            },
        )
        assert token.status_code == 200, token.text
        pair = token.json()
        return Login(
            account_id=account_id,
            email=email,
            role=role,
            device_id=uuid.UUID(credential["device_id"]),
            device_secret=credential["device_secret"],
            access_token=pair["access_token"],
            refresh_token=pair["refresh_token"],
        )

    def dossier(self, login: Login) -> HttpDossier:
        return HttpDossier(client=self.client, login=login, engine=self.engine)


@dataclass
class HttpDossier:
    """FakeDossier's interface (push, pull, state, apply_count) over the real app."""

    client: Any  # TestClient or httpx.Client
    login: Login
    engine: Engine

    def push(self, request: PushRequest) -> PushResponse:
        response = self.client.post(
            "/sync/push", json=request.model_dump(mode="json"), headers=self.login.headers
        )
        assert response.status_code == 200, response.text
        return PushResponse.model_validate(response.json())

    def pull(self, request: PullRequest) -> PullResponse:
        response = self.client.post(
            "/sync/pull", json=request.model_dump(mode="json"), headers=self.login.headers
        )
        assert response.status_code == 200, response.text
        return PullResponse.model_validate(response.json())

    def state(self) -> dict[tuple[Entity, uuid.UUID], dict[str, JsonValue]]:
        with Session(self.engine) as session:
            rows = session.exec(select(DossierRecord)).all()
            return {
                (Entity(r.entity), r.record_id): {
                    k: v for k, v in r.fields.items() if v is not None
                }
                for r in rows
                if r.deleted_seq is None
            }

    @property
    def apply_count(self) -> Counter[uuid.UUID]:
        with Session(self.engine) as session:
            return Counter(session.exec(select(ChangeRow.mutation_id)).all())

"""Object-level authorisation (OWASP API1), generated from the app's OpenAPI routes.

Every route with an id in its path is called with ids of organisation A's objects by outsiders:
the administrator, team lead and professional of organisation B, and a professional and a team
lead of organisation A who have nothing to do with the object. Each must get 401, 403 or 404.
Also: the same calls from a revoked device (401) and with an id that does not exist (403/404).

A new route with a path parameter this file has no object for fails ``test_every_id_is_known``,
and a new route without a check fails the matrix: nobody can add an unchecked route quietly.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI

from server.models.accounts import Role
from sync.protocol import Entity, PushRequest
from tests.integration.server.test_sync_rules import _mutation
from tests.integration.server.world import Login, Org, World

REFUSED = {401, 403, 404}


def id_routes(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    routes = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            if any(p.get("in") == "path" for p in operation.get("parameters", [])):
                routes.append((method, path, operation))
    return routes


def example(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """A minimal valid value for a JSON schema (enough for this API's request bodies)."""
    if "$ref" in schema:
        return example(components[schema["$ref"].rsplit("/", 1)[1]], components)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return example(options[0], components)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        required = schema.get("required", [])
        return {name: example(schema["properties"][name], components) for name in required}
    if kind == "string":
        if schema.get("format") == "uuid":
            return str(uuid.uuid4())
        if "@" in schema.get("pattern", "") or "email" in schema.get("title", "").lower():
            return "someone@example.org"
        return "x" * max(schema.get("minLength", 1), 12)
    if kind == "integer":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    return None


@dataclass
class Scene:
    world: World
    a: Org
    b: Org
    ids: dict[str, uuid.UUID]
    outsiders: dict[str, Login]
    revoked: Login


@pytest.fixture
def scene(world: World) -> Scene:
    a, b = world.organisation("A"), world.organisation("B")
    owner = world.member(a)
    case = uuid.uuid4()
    pushed = world.dossier(owner).push(
        PushRequest(
            device_id=owner.device_id,
            mutations=[_mutation(Entity.CASE, case, case, consent_given=True)],
        )
    )
    assert pushed.results[0].outcome == "applied"
    other_team = world.client.post("/teams", json={"name": "Ander team"}, headers=a.admin.headers)
    other_team_id = uuid.UUID(other_team.json()["id"])
    outsiders = {
        "admin of B": b.admin,
        "team lead of B": world.member(b, Role.TEAM_LEAD),
        "professional of B": world.member(b),
        "professional of A, not in the case": world.member(a),
        "team lead of A, other team": world.member(a, Role.TEAM_LEAD, team_id=other_team_id),
    }
    revoked = world.member(a, Role.ADMINISTRATOR)
    ids = {
        "case_id": case,
        "device_id": owner.device_id,
        "account_id": owner.account_id,
        "team_id": a.team_id,
    }
    # Revoked last, so its revocation does not touch the objects above.
    response = world.client.post(f"/devices/{revoked.device_id}/revoke", headers=a.admin.headers)
    assert response.status_code == 200
    return Scene(world, a, b, ids, outsiders, revoked)


def _call(
    scene: Scene,
    method: str,
    path: str,
    operation: dict[str, Any],
    login: Login,
    ids: Callable[[str], uuid.UUID],
) -> int:
    app = scene.world.client.app
    assert isinstance(app, FastAPI)
    components = app.openapi().get("components", {}).get("schemas", {})
    url = path
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            url = url.replace("{" + parameter["name"] + "}", str(ids(parameter["name"])))
    body = None
    if "requestBody" in operation:
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        body = example(schema, components)
    response = scene.world.client.request(method, url, json=body, headers=login.headers)
    return response.status_code


def test_every_id_is_known(app: FastAPI) -> None:
    known = {"case_id", "device_id", "account_id", "team_id"}
    for _method, path, operation in id_routes(app):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                assert parameter["name"] in known, (
                    f"add an object for {{{parameter['name']}}} in {path}"
                )
    assert id_routes(app), "no routes with ids found: the generator is broken"


def test_outsiders_are_refused_on_every_route_with_an_id(scene: Scene) -> None:
    app = scene.world.client.app
    assert isinstance(app, FastAPI)
    failures = []
    for method, path, operation in id_routes(app):
        for who, login in scene.outsiders.items():
            status = _call(scene, method, path, operation, login, scene.ids.__getitem__)
            if status not in REFUSED:
                failures.append(f"{method.upper()} {path} as {who}: {status}")
        status = _call(scene, method, path, operation, scene.revoked, scene.ids.__getitem__)
        if status != 401:
            failures.append(f"{method.upper()} {path} from a revoked device: {status}")
        status = _call(scene, method, path, operation, scene.a.admin, lambda _name: uuid.uuid4())
        if status not in {403, 404}:
            failures.append(f"{method.upper()} {path} with an unknown id: {status}")
    assert failures == []


def test_the_owners_get_through(scene: Scene) -> None:
    """The matrix must not pass because everything is refused: the owners are let in."""
    client, headers = scene.world.client, scene.a.admin.headers
    assert client.get(f"/accounts/{scene.ids['account_id']}", headers=headers).status_code == 200
    assert client.get(f"/teams/{scene.ids['team_id']}", headers=headers).status_code == 200
    assert client.get(f"/cases/{scene.ids['case_id']}/audit", headers=headers).status_code == 200

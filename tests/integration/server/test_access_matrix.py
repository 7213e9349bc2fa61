"""Object-level authorisation (OWASP API1), generated from the app's OpenAPI routes.

Every route with an id in its path is called with ids of organisation A's objects by outsiders:
the administrator, team lead and professional of organisation B, and a professional and a team
lead of organisation A who have nothing to do with the object. Each must get 401, 403 or 404.
Also: the same calls from a revoked device (401) and with an id that does not exist (403/404).

Ids that existed and are gone answer like ids that never existed (``GONE``): a deleted case, a
deactivated account and a revoked device of organisation A, tried by every outsider, get exactly
the status and body an unknown id gets, so nobody outside learns that they were there. (A's own
administrator still sees them: the audit trail of a deleted case is kept for the resident's access
request, and a deactivated account can be activated again.) A deactivated account's token, refresh
token and password are refused (401) on every route that takes them, generated from the OpenAPI
security requirements like the rest.

Ids in request bodies and query strings get the same treatment (``PROBES``): for each such
operation, a request its owner may make is sent first and must succeed (2xx), then the same request
with one id swapped for one of organisation B (or another device of A, an unknown id, ...) must be
refused with a 4xx: never a 2xx, never a 500. The schema is walked for id-like fields (a name
ending in ``_id``, or ``format: uuid``), nested objects and arrays included.

The ids inside a push's mutations (``mutations[].case_id``, ``record_id``, ``mutation_id``) are not
probed here: they are answered per mutation (REJECTED with a reason, not a 4xx), and
test_sync_rules.py covers them by hand (``ELSEWHERE`` names the tests). So do the ids in a
mutation's free-form ``fields`` (a participant's ``account_id``: ``unknown_account``), which the
schema cannot show. Likewise the ids of a tablet's audit events (``events[].case_id`` ...): each is
written to the audit log, as refused when not the caller's (test_device_audit_events.py).

A new route with a path parameter this file has no object for fails ``test_every_id_is_known``; a
new body or query id without a probe (or a pointer to where it is tested) fails
``test_every_body_and_query_id_is_probed``; a new route without a check fails the matrix: nobody
can add an unchecked route quietly.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from server.models.accounts import Role
from sync.protocol import Entity, Mutation, Op, PushRequest
from tests.integration.server.test_sync_rules import _mutation
from tests.integration.server.world import PASSWORD, Login, Org, World

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
    owner: Login
    gone: dict[str, uuid.UUID]  # path parameter -> an object of A that existed and is gone
    deactivated: Login  # a team lead of the owner's team whose account was deactivated


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
    deleted = _deleted_case(world, owner)
    # A team lead who sees the owner's cases, until the account is deactivated.
    patched = world.client.patch(
        f"/accounts/{owner.account_id}", json={"team_id": str(a.team_id)}, headers=a.admin.headers
    )
    assert patched.status_code == 200, patched.text
    deactivated = world.member(a, Role.TEAM_LEAD)
    audit = world.client.get(f"/cases/{case}/audit", headers=deactivated.headers)
    assert audit.status_code == 200, audit.text
    patched = world.client.patch(
        f"/accounts/{deactivated.account_id}", json={"active": False}, headers=a.admin.headers
    )
    assert patched.status_code == 200 and patched.json()["active"] is False
    # Revoked last, so its revocation does not touch the objects above.
    response = world.client.post(f"/devices/{revoked.device_id}/revoke", headers=a.admin.headers)
    assert response.status_code == 200
    gone = {
        "case_id": deleted,
        "account_id": deactivated.account_id,
        "device_id": revoked.device_id,
        "team_id": a.team_id,  # teams are never removed: the team stands in for itself
    }
    return Scene(world, a, b, ids, outsiders, revoked, owner, gone, deactivated)


def _deleted_case(world: World, owner: Login) -> uuid.UUID:
    """A case of the owner's that reached the server and was deleted from it."""
    case = uuid.uuid4()
    server = world.dossier(owner)
    created = server.push(
        PushRequest(
            device_id=owner.device_id,
            mutations=[_mutation(Entity.CASE, case, case, consent_given=True)],
        )
    )
    assert created.results[0].outcome == "applied"
    deletion = Mutation(
        mutation_id=uuid.uuid4(),
        entity=Entity.CASE,
        record_id=case,
        case_id=case,
        op=Op.DELETE,
        base_seq=created.results[0].server_seq,
        device_time=datetime.now(UTC),
    )
    deleted = server.push(PushRequest(device_id=owner.device_id, mutations=[deletion]))
    assert deleted.results[0].outcome == "applied"
    assert (Entity.CASE, case) not in server.state()
    return case


def _call(
    scene: Scene,
    method: str,
    path: str,
    operation: dict[str, Any],
    login: Login,
    ids: Callable[[str], uuid.UUID],
) -> int:
    return _answer(scene, method, path, operation, login, ids).status_code


def _answer(
    scene: Scene,
    method: str,
    path: str,
    operation: dict[str, Any],
    login: Login,
    ids: Callable[[str], uuid.UUID],
) -> httpx.Response:
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
    return scene.world.client.request(method, url, json=body, headers=login.headers)


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


def _seen(response: httpx.Response) -> tuple[int, object]:
    """What a caller learns from an answer: its status and its body."""
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, response.text


def test_gone_ids_answer_like_ids_that_never_existed(scene: Scene) -> None:
    app = scene.world.client.app
    assert isinstance(app, FastAPI)
    failures = []
    callers = {**scene.outsiders, "revoked device": scene.revoked, "deactivated": scene.deactivated}
    for method, path, operation in id_routes(app):
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
        if all(scene.gone[name] == scene.ids[name] for name in names):
            continue  # nothing of this route is ever gone (teams)
        for who, login in callers.items():
            unknown = {name: uuid.uuid4() for name in names}
            never = _seen(_answer(scene, method, path, operation, login, unknown.__getitem__))
            gone = _seen(_answer(scene, method, path, operation, login, scene.gone.__getitem__))
            assert never[0] in REFUSED
            if gone != never:
                failures.append(f"{method.upper()} {path} as {who}: {gone} but unknown: {never}")
    assert failures == []


def _authorised_operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    """Every operation that takes a bearer token."""
    return [
        (method, path, operation)
        for path, operations in app.openapi()["paths"].items()
        for method, operation in operations.items()
        if operation.get("security")
    ]


def test_a_deactivated_account_is_refused_everywhere(scene: Scene) -> None:
    app = scene.world.client.app
    assert isinstance(app, FastAPI)
    operations = _authorised_operations(app)
    assert ("get", "/cases/{case_id}/audit") in {(m, p) for m, p, _o in operations}
    failures = []
    for method, path, operation in operations:
        answer = _answer(scene, method, path, operation, scene.deactivated, scene.ids.__getitem__)
        if answer.status_code != 401 or answer.json()["code"] != "account_inactive":
            failures.append(f"{method.upper()} {path}: {answer.status_code} {answer.text}")
    assert failures == []
    client, login = scene.world.client, scene.deactivated
    refreshed = client.post("/auth/refresh", json={"refresh_token": login.refresh_token})
    assert refreshed.status_code == 401, refreshed.text
    again = client.post(
        "/auth/token",
        json={
            "device_id": str(login.device_id),
            "device_secret": login.device_secret,
            "email": login.email,
            "password": PASSWORD,
        },
    )
    assert again.status_code == 401, again.text
    # The refusals are not the device's: another account of A logs in on that tablet.
    colleague = scene.world.member(scene.a, Role.TEAM_LEAD)
    other = client.post(
        "/auth/token",
        json={
            "device_id": str(login.device_id),
            "device_secret": login.device_secret,
            "email": colleague.email,
            "password": PASSWORD,
        },
    )
    assert other.status_code == 200, other.text


def test_the_owners_get_through(scene: Scene) -> None:
    """The matrix must not pass because everything is refused: the owners are let in."""
    client, headers = scene.world.client, scene.a.admin.headers
    assert client.get(f"/accounts/{scene.ids['account_id']}", headers=headers).status_code == 200
    assert client.get(f"/teams/{scene.ids['team_id']}", headers=headers).status_code == 200
    assert client.get(f"/cases/{scene.ids['case_id']}/audit", headers=headers).status_code == 200
    # What is gone for outsiders is still there for its organisation (see the module docstring).
    assert client.get(f"/cases/{scene.gone['case_id']}/audit", headers=headers).status_code == 200
    gone_account = client.get(f"/accounts/{scene.gone['account_id']}", headers=headers)
    assert gone_account.status_code == 200 and gone_account.json()["active"] is False


# -- ids in request bodies and query strings -----------------------------------------------------


def is_id_like(name: str, schema: dict[str, Any]) -> bool:
    return name == "id" or name.endswith("_id") or schema.get("format") == "uuid"


def id_fields(
    schema: dict[str, Any],
    components: dict[str, Any],
    prefix: str = "",
    seen: frozenset[str] = frozenset(),
) -> Iterator[str]:
    """The id-like fields of a JSON schema, as paths: ``team_id``, ``mutations[].case_id``."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name not in seen:  # JsonValue and friends refer to themselves
            yield from id_fields(components[name], components, prefix, seen | {name})
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            yield from id_fields(option, components, prefix, seen)
    for name, sub in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        if is_id_like(name, _resolved(sub, components)):
            yield path
        yield from id_fields(sub, components, f"{path}.", seen)
    if isinstance(schema.get("items"), dict):
        yield from id_fields(schema["items"], components, f"{prefix.rstrip('.')}[].", seen)


def _resolved(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """A field's schema with a ``$ref`` or a nullable ``anyOf`` taken away, to read its format."""
    if "$ref" in schema:
        return components[schema["$ref"].rsplit("/", 1)[1]]  # type: ignore[no-any-return]
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    return options[0] if len(options) == 1 else schema


def body_and_query_ids(app: FastAPI) -> dict[tuple[str, str], set[str]]:
    """Per operation, its id-like fields: ``body.<path>`` and ``query.<name>``."""
    spec = app.openapi()
    components = spec.get("components", {}).get("schemas", {})
    found: dict[tuple[str, str], set[str]] = {}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            names = {
                f"query.{p['name']}"
                for p in operation.get("parameters", [])
                if p.get("in") == "query"
                and is_id_like(p["name"], _resolved(p.get("schema", {}), components))
            }
            content = operation.get("requestBody", {}).get("content", {})
            for media in content.values():
                names |= {f"body.{f}" for f in id_fields(media.get("schema", {}), components)}
            if names:
                found[(method, path)] = names
    return found


@dataclass
class Request:
    body: dict[str, Any] | None
    query: dict[str, str] = field(default_factory=dict)


# A swap puts a foreign id into a request the owner may make.
Swap = Callable[[Scene, Request], None]


@dataclass(frozen=True)
class Probe:
    headers: Callable[[Scene], dict[str, str]]  # the owner's
    url: Callable[[Scene], str]
    request: Callable[[Scene], Request]  # a fresh request the owner may make: it must get a 2xx
    swaps: dict[str, dict[str, Swap]]  # field -> {what is put in: how}


def _put(name: str, value: Callable[[Scene], object]) -> Swap:
    def swap(scene: Scene, request: Request) -> None:
        assert request.body is not None
        request.body[name] = str(value(scene))

    return swap


def _device_of(label: str) -> Swap:
    """Log in from another organisation's device, with that device's own secret. (A device of
    one's own organisation is fine: devices belong to the organisation, not to an account.)"""

    def swap(scene: Scene, request: Request) -> None:
        assert request.body is not None
        device = scene.outsiders[label]
        request.body["device_id"] = str(device.device_id)
        request.body["device_secret"] = device.device_secret

    return swap


def _new_account(scene: Scene) -> Request:
    email = f"probe-{uuid.uuid4().hex[:12]}@example.org"
    team = str(scene.a.team_id)
    return Request({"email": email, "password": PASSWORD, "role": "team_lead", "team_id": team})


PROBES: dict[tuple[str, str], Probe] = {
    ("post", "/accounts"): Probe(
        headers=lambda s: s.a.admin.headers,
        url=lambda _s: "/accounts",
        request=_new_account,
        swaps={
            "body.team_id": {
                "a team of organisation B": _put("team_id", lambda s: s.b.team_id),
                "an unknown team": _put("team_id", lambda _s: uuid.uuid4()),
            }
        },
    ),
    ("patch", "/accounts/{account_id}"): Probe(
        headers=lambda s: s.a.admin.headers,
        url=lambda s: f"/accounts/{s.owner.account_id}",
        request=lambda s: Request({"team_id": str(s.a.team_id)}),
        swaps={
            "body.team_id": {
                "a team of organisation B": _put("team_id", lambda s: s.b.team_id),
                "an unknown team": _put("team_id", lambda _s: uuid.uuid4()),
            }
        },
    ),
    ("post", "/sync/push"): Probe(
        headers=lambda s: s.owner.headers,
        url=lambda _s: "/sync/push",
        request=lambda s: Request({"device_id": str(s.owner.device_id), "mutations": []}),
        swaps={
            "body.device_id": {
                "a device of organisation B": _put(
                    "device_id", lambda s: s.outsiders["professional of B"].device_id
                ),
                "another device of organisation A": _put(
                    "device_id",
                    lambda s: s.outsiders["professional of A, not in the case"].device_id,
                ),
                "an unknown device": _put("device_id", lambda _s: uuid.uuid4()),
            }
        },
    ),
    ("post", "/auth/token"): Probe(
        headers=lambda _s: {},
        url=lambda _s: "/auth/token",
        request=lambda s: Request(
            {
                "device_id": str(s.owner.device_id),
                "device_secret": s.owner.device_secret,
                "email": s.owner.email,
                "password": PASSWORD,
            }
        ),
        swaps={
            "body.device_id": {
                "a device of organisation B": _device_of("professional of B"),
                "an unknown device": _put("device_id", lambda _s: uuid.uuid4()),
            }
        },
    ),
}

# Ids answered per mutation inside a 200, tested by hand (see the module's docstring).
ELSEWHERE: dict[tuple[str, str], dict[str, str]] = {
    ("post", "/sync/push"): {
        "body.mutations[].case_id": "test_sync_rules.py::test_only_members_change_and_see_a_case",
        "body.mutations[].record_id": "test_sync_rules.py::test_only_members_change_and_see_a_case"
        " (case_mismatch)",
        "body.mutations[].mutation_id": "test_sync_rules.py::"
        "test_same_id_with_another_payload_is_refused_and_held_back",
    },
    # A tablet's audit events are written either way: another's case or record as refused.
    ("post", "/devices/me/audit-events"): {
        "body.events[].case_id": "test_device_audit_events.py::"
        "test_a_case_of_another_organisation_is_refused_and_recorded_as_refused",
        "body.events[].record_id": "test_device_audit_events.py::"
        "test_a_case_of_another_organisation_is_refused_and_recorded_as_refused"
        " (record_not_in_case)",
        "body.events[].event_id": "test_device_audit_events.py::"
        "test_a_resend_is_answered_the_same_and_written_once",
    },
}


def test_every_body_and_query_id_is_probed(app: FastAPI) -> None:
    found = body_and_query_ids(app)
    assert ("post", "/accounts") in found, "no body ids found: the generator is broken"
    missing = [
        f"{method.upper()} {path}: {name}"
        for (method, path), names in sorted(found.items())
        for name in sorted(names)
        if name not in (PROBES[(method, path)].swaps if (method, path) in PROBES else {})
        and name not in ELSEWHERE.get((method, path), {})
    ]
    assert missing == [], "add a probe (with an id of another organisation) for these"
    stale = [
        f"{method.upper()} {path}: {name}"
        for (method, path), probe in PROBES.items()
        for name in [*probe.swaps, *ELSEWHERE.get((method, path), {})]
        if name not in found.get((method, path), set())
    ]
    assert stale == [], "these probes name fields the schema no longer has"


def test_foreign_ids_in_bodies_and_queries_are_refused(scene: Scene) -> None:
    client = scene.world.client
    failures = []
    for (method, path), probe in PROBES.items():
        request = probe.request(scene)
        headers = probe.headers(scene)
        own = client.request(
            method, probe.url(scene), json=request.body, params=request.query, headers=headers
        )
        assert 200 <= own.status_code < 300, f"{method.upper()} {path}: {own.text}"
        for name, swaps in probe.swaps.items():
            for what, swap in swaps.items():
                request = probe.request(scene)
                swap(scene, request)
                response = client.request(
                    method,
                    probe.url(scene),
                    json=request.body,
                    params=request.query,
                    headers=headers,
                )
                if not 400 <= response.status_code < 500:
                    failures.append(
                        f"{method.upper()} {path} with {name} = {what}: {response.status_code}"
                    )
    assert failures == []

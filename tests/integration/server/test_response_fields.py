"""API3 (excessive data exposure): the answers that carry account or device data have exactly
the keys pinned here, read from the app's own OpenAPI schema, and no answer of any route has a key
named like a password, secret, hash, digest or token, except the ones a client is meant to get.

A new field on one of these models (a ``password_hash`` copied into ``AccountPublic`` by a
careless ``model_validate``, say) fails here until it is added on purpose.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import server.models
from server.app import create_app
from server.models.accounts import OrganisationPublic
from tests.integration.server.conftest import make_settings

PINNED: dict[str, set[str]] = {
    "AccountPublic": {"id", "email", "role", "team_id", "organisation_id", "active"},
    "DevicePublic": {
        "id",
        "label",
        "organisation_id",
        "enrolled_at",
        "revoked_at",
        "signing_key_fingerprint",
    },
    "TeamPublic": {"id", "name", "organisation_id"},
    "EnrolmentCodePublic": {"code", "expires_at"},
    "AuditEventPublic": {
        "id",
        "event_id",
        "action",
        "server_time",
        "device_time",
        "outcome",
        "reason",
        "account_id",
        "role",
        "device_id",
        "organisation_id",
        "case_id",
        "entity",
        "record_id",
        "authorisation",
        "route",
        "prev_hash",
        "hash",
    },
    # The login and refresh answer, and the enrolment answer.
    "TokenPair": {
        "access_token",
        "refresh_token",
        "token_type",
        "expires_in",
        "account_id",
        "role",
    },
    "DeviceCredential": {"device_id", "device_secret"},
}
# Not served by any route today; pinned from the model, so that serving it later is no surprise.
UNSERVED = {OrganisationPublic: {"id", "name"}}

ROUTES = {
    ("post", "/auth/token"): "TokenPair",
    ("post", "/auth/refresh"): "TokenPair",
    ("post", "/devices/enrol"): "DeviceCredential",
    ("post", "/enrolment-codes"): "EnrolmentCodePublic",
    ("get", "/devices"): "DevicePublic",
    ("post", "/devices/{device_id}/revoke"): "DevicePublic",
    ("post", "/accounts"): "AccountPublic",
    ("get", "/accounts"): "AccountPublic",
    ("get", "/accounts/{account_id}"): "AccountPublic",
    ("patch", "/accounts/{account_id}"): "AccountPublic",
    ("get", "/cases/{case_id}/audit"): "AuditEventPublic",
}

SENSITIVE = re.compile(r"password|secret|hash|digest|token|salt", re.IGNORECASE)
# The sensitive-looking keys a client is meant to get, and why.
INTENDED = {
    ("TokenPair", "access_token"),  # the login's point
    ("TokenPair", "refresh_token"),  # shown to the device; the server keeps only its digest
    ("TokenPair", "token_type"),  # "bearer"
    ("DeviceCredential", "device_secret"),  # shown once at enrolment; the server keeps a digest
    ("AuditEventPublic", "hash"),  # the audit chain's own hashes, to verify an export
    ("AuditEventPublic", "prev_hash"),
}


@pytest.fixture(scope="module")
def openapi(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("openapi") / "unused.db"  # the schema needs no database
    schema: dict[str, Any] = create_app(make_settings(f"sqlite:///{path}")).openapi()
    return schema


def _name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _refs(node: Any) -> set[str]:
    """Every schema name referenced anywhere below ``node``."""
    if isinstance(node, dict):
        found = {_name(node["$ref"])} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(value) for value in node)) if node else set()
    return set()


def _answer_schemas(openapi: dict[str, Any], operation: dict[str, Any]) -> set[str]:
    """The schemas of a route's successful answers, and every schema they reference in turn."""
    components = openapi["components"]["schemas"]
    todo = set()
    for status, response in operation.get("responses", {}).items():
        if str(status).startswith("2"):
            todo |= _refs(response.get("content", {}))
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo |= _refs(components[name])
    return seen


def _keys(openapi: dict[str, Any], name: str) -> set[str]:
    return set(openapi["components"]["schemas"][name].get("properties", {}))


def test_account_and_device_answers_have_exactly_the_pinned_keys(
    openapi: dict[str, Any],
) -> None:
    for name, keys in PINNED.items():
        assert _keys(openapi, name) == keys, name
    for model, keys in UNSERVED.items():
        assert set(model.model_fields) == keys, model.__name__


def test_every_public_model_is_pinned() -> None:
    public = {
        name
        for module in Path(server.models.__file__).parent.glob("*.py")
        for name in re.findall(r"^class (\w+Public)\b", module.read_text(), re.MULTILINE)
    }
    unserved = {model.__name__ for model in UNSERVED}
    assert public == (set(PINNED) | unserved) - {"TokenPair", "DeviceCredential"}


def test_the_routes_answer_with_the_pinned_models(openapi: dict[str, Any]) -> None:
    for (method, path), name in ROUTES.items():
        operation = openapi["paths"][path][method]
        assert name in _answer_schemas(openapi, operation), (method, path)


def test_no_answer_has_a_secret_looking_key_but_the_intended_ones(
    openapi: dict[str, Any],
) -> None:
    served: set[str] = set()
    for operations in openapi["paths"].values():
        for operation in operations.values():
            served |= _answer_schemas(openapi, operation)
    assert set(PINNED) <= served  # the scan below covers them
    found = {
        (name, key) for name in served for key in _keys(openapi, name) if SENSITIVE.search(key)
    }
    assert found == INTENDED

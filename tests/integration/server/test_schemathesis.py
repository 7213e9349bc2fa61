"""schemathesis against the app's OpenAPI schema: whatever is sent, never a server error.

It calls every operation with generated input, as an administrator, as a professional on the sync
routes and as a team lead on the team routes: what the schema allows must get an answer,
refusals included, but never a 5xx. It runs on SQLite and on PostgreSQL (the two differ in what
they refuse: text lengths, integer ranges, NUL bytes, time zones).
Cross-user access is not its job; test_access_matrix.py covers that.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.schemas import OpenApiSchema
from sqlalchemy import Engine

from server.app import create_app
from server.models.accounts import Role
from server.settings import Settings
from tests.integration.server.world import World

# schemathesis's ASGI client calls from the peer "testclient": this app trusts it as the TLS proxy,
# and every call says X-Forwarded-Proto: https, so the calls reach the routes.
PROXY = {"X-Forwarded-Proto": "https"}


@pytest.fixture
def api_schema(world: World, settings: Settings, engine: Engine) -> OpenApiSchema:
    org = world.organisation()
    professional = world.member(org, Role.PROFESSIONAL)
    team_lead = world.member(org, Role.TEAM_LEAD)
    app = create_app(
        settings.model_copy(update={"trusted_proxies": ("testclient",)}), engine=engine
    )
    app.state.schemathesis_headers = {
        "admin": {**org.admin.headers, **PROXY},
        "professional": {**professional.headers, **PROXY},
        "team_lead": {**team_lead.headers, **PROXY},
    }
    loaded = schemathesis.openapi.from_dict(app.openapi())
    loaded.app = app
    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors(case: schemathesis.Case) -> None:
    app = case.operation.schema.app
    role = "professional" if case.path.startswith(("/sync", "/devices/me/audit")) else "admin"
    if case.path.startswith("/api/v1/team"):
        role = "team_lead"
    response = case.call(headers=app.state.schemathesis_headers[role])
    assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code}"
    # The transport check must let the proxied https through. Look at the refusal's own code: the
    # generated input may contain the word itself (an account's e-mail "tls_required", echoed).
    assert not (response.status_code == 403 and _error_code(response) == "tls_required")


def _error_code(response: Any) -> object:
    try:
        body = response.json()
    except ValueError:  # the PDF route answers binary
        return None
    return body.get("code") if isinstance(body, dict) else None

"""A text holding NUL (U+0000): PostgreSQL cannot store it in a text or JSONB column, SQLite can.

So that both databases answer alike, the server refuses such a text in every request body
before it reaches a query: a 422 for the account routes, a rejected mutation for a sync push
(the device holds it back with the reason). Never a 500.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sync.protocol import Entity, Mutation, Op, Outcome, PushRequest
from tests.integration.server.world import PASSWORD, World

NUL = "\x00"


def test_account_routes_refuse_a_nul_in_any_text(world: World) -> None:
    org = world.organisation()
    admin = org.admin.headers
    calls = [
        ("/teams", {"name": f"Wijk{NUL}team"}, admin),
        ("/accounts", {"email": f"a{NUL}@example.org", "password": PASSWORD}, admin),
        ("/accounts", {"email": "b@example.org", "password": PASSWORD + NUL}, admin),
        ("/devices/enrol", {"code": f"abc{NUL}", "label": "tablet"}, {}),
        ("/devices/enrol", {"code": world.code(org), "label": f"tab{NUL}let"}, {}),
        (
            "/auth/token",
            {
                "device_id": str(org.admin.device_id),
                "device_secret": org.admin.device_secret,
                "email": f"{org.admin.email}{NUL}",
                "password": PASSWORD,
            },
            {},
        ),
        ("/auth/refresh", {"refresh_token": f"x{NUL}"}, {}),
    ]
    for path, body, headers in calls:
        response = world.client.post(path, json=body, headers=headers)
        assert response.status_code == 422, (path, response.status_code)
        assert response.json()["code"] == "invalid_request"
        assert NUL not in response.text


def test_a_push_with_a_nul_in_a_field_is_rejected_not_a_server_error(world: World) -> None:
    login = world.member(world.organisation())
    nul_fields = [
        {"question": f"Hulp{NUL}"},
        {f"question{NUL}": "Hulp"},
        {"wants": ["Wandelen", f"Koken{NUL}"]},
    ]
    mutations = []
    for seq, fields in enumerate(nul_fields, start=1):
        case_id = uuid.uuid4()
        mutations.append(
            Mutation(
                mutation_id=uuid.uuid4(),
                entity=Entity.CASE,
                record_id=case_id,
                case_id=case_id,
                op=Op.UPSERT,
                fields={"consent_given": True, **fields},
                device_time=datetime(2026, 12, 3, 10, tzinfo=UTC),
                device_seq=seq,
            )
        )
    request = PushRequest(device_id=login.device_id, mutations=mutations)
    results = world.dossier(login).push(request).results
    assert [(r.outcome, r.reason) for r in results] == [(Outcome.REJECTED, "invalid_text")] * 3

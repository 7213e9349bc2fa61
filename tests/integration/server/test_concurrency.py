"""The same push sent 50 times at once, to a real uvicorn on loopback: applied once."""

from __future__ import annotations

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from sync.protocol import Entity, Outcome, PushRequest, PushResponse
from tests.integration.server.test_sync_rules import _mutation
from tests.integration.server.world import World


@pytest.mark.slow
def test_fifty_concurrent_identical_pushes_apply_once(world: World, live_url: str) -> None:
    login = world.member(world.organisation())
    case = uuid.uuid4()
    request = PushRequest(
        device_id=login.device_id,
        mutations=[
            _mutation(Entity.CASE, case, case, consent_given=True),
            _mutation(Entity.AGREEMENT, uuid.uuid4(), case, what="Eén keer"),
        ],
    )
    body = request.model_dump(mode="json")

    def send(_: int) -> PushResponse:
        with httpx.Client(base_url=live_url, timeout=60) as client:
            response = client.post("/sync/push", json=body, headers=login.headers)
            assert response.status_code == 200, response.text
            return PushResponse.model_validate(response.json())

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(send, range(50)))
    outcomes = Counter(tuple(r.outcome for r in response.results) for response in responses)
    assert outcomes == {
        (Outcome.APPLIED, Outcome.APPLIED): 1,
        (Outcome.DUPLICATE, Outcome.DUPLICATE): 49,
    }
    counts = world.dossier(login).apply_count
    assert sorted(counts.values()) == [1, 1]

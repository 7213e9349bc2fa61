"""The pull answer names the cases whose access ended (issue #5), on SQLite and PostgreSQL.

Device A (organisation 1) brings the case to the server and names the professional of device B
(organisation 2) as a participant; A then takes B off the case in each of the ways a tablet can.
B's pull (``?protocol=2``) must name the case exactly once, and nobody else's pull may name it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from server.models.accounts import Role
from sync.protocol import Entity, Mutation, Op, PullRequest, PullResponse, PushRequest
from tests.integration.server.world import Login, World
from tests.support.sync_device import CASE, SimDevice

PARTICIPANT_B = uuid.UUID(int=21)
PARTICIPANT_B_AGAIN = uuid.UUID(int=22)
NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


def _pull(client: TestClient, login: Login, cursor: int, *, limit: int = 500) -> dict[str, Any]:
    """The raw JSON answer of a pull by an app that reads version 2."""
    body = PullRequest(cursor=cursor, limit=limit).model_dump(mode="json")
    response = client.post("/sync/pull?protocol=2", json=body, headers=login.headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    PullResponse.model_validate(answer)
    return answer


def _pull_all(
    client: TestClient, login: Login, cursor: int, *, limit: int = 500
) -> tuple[list[str], int]:
    """Every page from ``cursor``: all the cases named as ended, and the final cursor."""
    ended: list[str] = []
    while True:
        page = _pull(client, login, cursor, limit=limit)
        ended += page["access_ended"]
        cursor = page["cursor"]
        if page["done"]:
            return ended, cursor


def _push(client: TestClient, login: Login, *mutations: Mutation) -> None:
    body = PushRequest(device_id=login.device_id, mutations=list(mutations))
    response = client.post("/sync/push", json=body.model_dump(mode="json"), headers=login.headers)
    assert response.status_code == 200, response.text
    outcomes = [r["outcome"] for r in response.json()["results"]]
    assert outcomes == ["applied"] * len(mutations), response.text


def _upsert(entity: Entity, record: uuid.UUID, case: uuid.UUID, **fields: Any) -> Mutation:
    return Mutation(
        mutation_id=uuid.uuid4(),
        entity=entity,
        record_id=record,
        case_id=case,
        op=Op.UPSERT,
        fields=fields,
        device_time=NOW,
    )


class Setting:
    def __init__(self, world: World) -> None:
        self.world = world
        self.client = world.client
        org_a, org_b = world.organisation("Zorg Oss"), world.organisation("Woonstichting")
        self.a = world.member(org_a)
        self.b = world.member(org_b, team_id=org_b.team_id)
        self.lead_b = world.member(org_b, Role.TEAM_LEAD)
        self.org_b = org_b
        self.device_a = SimDevice(device_id=self.a.device_id)
        self.device_a.edit(Entity.CASE, CASE, consent_given=True)
        self.device_a.edit(
            Entity.PARTICIPANT,
            PARTICIPANT_B,
            role="professional",
            account_id=str(self.b.account_id),
        )
        self.device_a.sync(world.dossier(self.a))
        # B's own case, which nothing here touches.
        self.own_case = uuid.uuid4()
        _push(
            self.client,
            self.b,
            _upsert(Entity.CASE, self.own_case, self.own_case, consent_given=True),
        )
        self.cursor_b = _pull_all(self.client, self.b, 0)[1]
        self.cursor_lead = _pull_all(self.client, self.lead_b, 0)[1]
        self.cursor_a = _pull_all(self.client, self.a, 0)[1]

    def take_b_off(self, how: str) -> None:
        device = self.device_a
        if how == "removed":
            device.edit(Entity.PARTICIPANT, PARTICIPANT_B, removed_on="2026-12-04", account_id=None)
        elif how == "removed, account kept":
            device.edit(Entity.PARTICIPANT, PARTICIPANT_B, removed_on="2026-12-04")
        elif how == "end dossier access":
            device.edit(Entity.PARTICIPANT, PARTICIPANT_B, account_id=None)
        else:
            device.delete(Entity.PARTICIPANT, PARTICIPANT_B)
        device.sync(self.world.dossier(self.a))
        assert device.outbox == []


@pytest.fixture
def setting(world: World) -> Setting:
    return Setting(world)


@pytest.mark.parametrize(
    "how", ["removed", "removed, account kept", "end dossier access", "deleted"]
)
def test_the_pull_names_the_case_once_to_whoever_lost_it(setting: Setting, how: str) -> None:
    s = setting
    s.take_b_off(how)
    s.device_a.edit(Entity.AGREEMENT, uuid.UUID(int=31), what="na afloop")  # later changes too
    s.device_a.sync(s.world.dossier(s.a))

    ended, cursor = _pull_all(s.client, s.b, s.cursor_b)
    assert ended == [str(CASE)]
    assert _pull_all(s.client, s.b, cursor)[0] == []  # once: the next pull starts after it
    # The team lead saw the case through B only: it ended for them too, once.
    lead_ended, lead_cursor = _pull_all(s.client, s.lead_b, s.cursor_lead)
    assert lead_ended == [str(CASE)]
    assert _pull_all(s.client, s.lead_b, lead_cursor)[0] == []
    # Not for the one who still takes part, nor for a stranger.
    assert _pull_all(s.client, s.a, s.cursor_a)[0] == []
    stranger = s.world.member(s.world.organisation("Derde"))
    assert _pull_all(s.client, stranger, 0)[0] == []
    # Paged one change at a time, it is still named exactly once.
    assert _pull_all(s.client, s.b, s.cursor_b, limit=1)[0] == [str(CASE)]


def test_an_older_app_gets_the_answer_it_knows(setting: Setting) -> None:
    s = setting
    s.take_b_off("removed")
    body = PullRequest(cursor=s.cursor_b).model_dump(mode="json")
    answer = s.client.post("/sync/pull", json=body, headers=s.b.headers).json()
    assert set(answer) == {"changes", "cursor", "done"}  # what a version-1 app accepts
    assert _pull(s.client, s.b, s.cursor_b)["access_ended"] == [str(CASE)]


def test_still_taking_part_another_way_is_no_end(setting: Setting) -> None:
    s = setting
    s.device_a.edit(
        Entity.PARTICIPANT,
        PARTICIPANT_B_AGAIN,
        role="professional",
        account_id=str(s.b.account_id),
    )
    s.take_b_off("removed")
    assert _pull_all(s.client, s.b, s.cursor_b)[0] == []
    assert _pull_all(s.client, s.lead_b, s.cursor_lead)[0] == []


def test_linked_again_before_the_pull_is_no_end(setting: Setting) -> None:
    s = setting
    s.take_b_off("end dossier access")
    s.device_a.edit(Entity.PARTICIPANT, PARTICIPANT_B, account_id=str(s.b.account_id))
    s.device_a.sync(s.world.dossier(s.a))
    ended, _cursor = _pull_all(s.client, s.b, s.cursor_b)
    assert ended == []


def test_the_team_lead_keeps_a_case_another_team_member_still_has(setting: Setting) -> None:
    s = setting
    colleague = s.world.member(s.org_b, team_id=s.org_b.team_id)
    s.device_a.edit(
        Entity.PARTICIPANT,
        uuid.UUID(int=23),
        role="professional",
        account_id=str(colleague.account_id),
    )
    s.device_a.sync(s.world.dossier(s.a))
    s.cursor_lead = _pull_all(s.client, s.lead_b, s.cursor_lead)[1]
    s.take_b_off("removed")
    assert _pull_all(s.client, s.b, s.cursor_b)[0] == [str(CASE)]
    assert _pull_all(s.client, s.lead_b, s.cursor_lead)[0] == []

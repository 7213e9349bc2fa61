"""Asking for released cases again (``PullRequest.refetch``, issue #5) and the order of a cycle.

- A pull request stays small: with the most ids one may name it is far under the server's body
  limit (the former ``released`` list of every released id grew past it and stopped every pull).
- Nothing wanted, no field: an older server never sees it.
- A pulled change of a released case is skipped and marks the case; the cycle asks for it in one
  more pull, only of a server that answered ``returned``; an older one never gets the field.
- The tablet's audit events go before the first pull (a pull may end the access they had).

The cycle runs against a fake dossier (``client_factory``): the real flow against the server is
tests/integration/sync/test_closed_cases_leave.py.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from models import device_audit, sync_state
from models.store import CaseStore
from server.settings import Settings
from sync import cycle
from sync.client import DossierClient, Tokens
from sync.protocol import (
    MAX_PULL_LIMIT,
    MAX_REFETCH,
    MAX_SERVER_SEQ,
    Change,
    Entity,
    Op,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
)
from tests.support.factories import NOW, TODAY
from tests.unit.models.test_release_cases import _acknowledged, _closed, _enrol

AUDIT_PATH = "/devices/me/audit-events"


def test_a_pull_asking_for_the_most_cases_is_far_under_the_body_limit() -> None:
    most = PullRequest(
        cursor=MAX_SERVER_SEQ,
        limit=MAX_PULL_LIMIT,
        refetch=[uuid.uuid4() for _ in range(MAX_REFETCH)],
    )
    size = len(most.model_dump_json().encode())
    assert size < Settings().max_body_bytes // 10, size
    with pytest.raises(ValueError, match="refetch"):
        PullRequest(refetch=[uuid.uuid4() for _ in range(MAX_REFETCH + 1)])


def _sent_body(request: PullRequest) -> dict[str, Any]:
    bodies: list[dict[str, Any]] = []

    def answer(http: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(http.content))
        return httpx.Response(200, json={"changes": [], "cursor": 7, "done": True})

    with DossierClient(
        "https://dossier.example.org", transport=httpx.MockTransport(answer)
    ) as client:
        client.pull(request, access_token="t")
    (body,) = bodies
    return body


def test_a_pull_with_nothing_wanted_sends_no_refetch_field() -> None:
    assert set(_sent_body(PullRequest(cursor=7))) == {"protocol", "cursor", "limit"}
    wanted = uuid.uuid4()
    assert _sent_body(PullRequest(cursor=7, refetch=[wanted]))["refetch"] == [str(wanted)]


class FakeDossier:
    """Answers a cycle like a dossier; the first pull brings a change of ``changed``."""

    def __init__(self, changed: uuid.UUID, *, knows_releases: bool = True) -> None:
        self.changed = changed
        self.knows_releases = knows_releases
        self.calls: list[str] = []
        self.pulls: list[PullRequest] = []

    def refresh(self, refresh_token: str) -> Tokens:
        self.calls.append("login")
        return Tokens("access", "refresh", 3600, uuid.uuid4())

    def pull(self, request: PullRequest, *, access_token: str) -> PullResponse:
        self.calls.append("pull")
        self.pulls.append(request)
        changes = [] if len(self.pulls) > 1 else [_change(self.changed)]
        returned: list[uuid.UUID] | None = [] if self.knows_releases else None
        return PullResponse(changes=changes, cursor=10, done=True, returned=returned)

    def push(self, request: PushRequest, *, access_token: str) -> PushResponse:
        self.calls.append("push")
        return PushResponse(results=[])

    def post_json(self, path: str, body: dict[str, Any], *, access_token: str) -> Any:
        self.calls.append(path)
        return {"accepted": [e["event_id"] for e in body["events"]], "refused": []}

    def put_json(self, path: str, body: dict[str, Any], *, access_token: str) -> None:
        self.calls.append(path)

    def close(self) -> None:
        pass


def _change(case_id: uuid.UUID) -> Change:
    return Change(
        seq=10,
        entity=Entity.CASE.value,
        record_id=case_id,
        case_id=case_id,
        op=Op.UPSERT,
        fields={"closed_on": None},
        origin_device=uuid.uuid4(),
        mutation_id=uuid.uuid4(),
        server_time=datetime(2026, 12, 4, tzinfo=UTC),
    )


def _released_case(store: CaseStore) -> uuid.UUID:
    made = _closed("Fenna de Bruijn", 29)
    store.add_case_files([made], today=TODAY, now=NOW)
    _acknowledged(store, made)
    _enrol(store)
    with store.writing() as (conn, sealer):
        sync_state.release_cases(conn, sealer, [made.case.id], now=NOW)
    return uuid.UUID(made.case.id)


def _run(store: CaseStore, dossier: FakeDossier) -> cycle.SyncStatus:
    return cycle.run_cycle(store, client_factory=lambda _url: dossier, now=lambda: NOW)  # type: ignore[arg-type, return-value]


def _wanted(store: CaseStore) -> list[str]:
    with store.reading() as (conn, _sealer):
        return sync_state.wanted_case_ids(conn, limit=MAX_REFETCH)


def test_a_change_of_a_released_case_makes_the_next_pull_ask_for_it(store: CaseStore) -> None:
    released = _released_case(store)
    dossier = FakeDossier(released)
    assert _run(store, dossier).state is cycle.SyncState.SYNCED
    # The first pull knows nothing yet; the change marks the case; one more pull asks for it.
    assert [p.refetch for p in dossier.pulls] == [[], [released], []]
    assert [p.cursor for p in dossier.pulls] == [0, 10, 10]
    assert not store.has_case(str(released))  # the dossier did not send it: nothing applied
    assert _wanted(store) == []  # not sent back (not visible): asked again only on a change
    with store.reading() as (conn, _sealer):
        assert sync_state.released_case_ids(conn) == [str(released)]


def test_an_older_server_never_gets_the_field_and_the_mark_stays(store: CaseStore) -> None:
    released = _released_case(store)
    dossier = FakeDossier(released, knows_releases=False)
    assert _run(store, dossier).state is cycle.SyncState.SYNCED
    assert [p.refetch for p in dossier.pulls] == [[], []]
    assert not store.has_case(str(released))
    assert _wanted(store) == [str(released)]  # kept, for a server that knows releases again


def test_the_tablets_audit_events_go_before_the_first_pull(store: CaseStore) -> None:
    released = _released_case(store)
    assert device_audit.case_opened(store, str(uuid.uuid4())) is not None
    dossier = FakeDossier(released)
    assert _run(store, dossier).state is cycle.SyncState.SYNCED
    assert dossier.calls[:3] == ["login", AUDIT_PATH, "pull"]
    assert dossier.calls.count(AUDIT_PATH) == 1

"""A tablet that let go of a closed case (issue #5) asks for it again whole when a change of it
comes (``PullRequest.refetch``): the pull back-fills every change of it up to the request's
cursor, like a new membership, and names it in ``returned``, only for cases the caller sees now.
On SQLite and PostgreSQL, with the setting of test_access_ended.py: device A holds the case, B
takes part in it.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from server.settings import Settings
from sync.protocol import MAX_REFETCH, Entity, PullRequest, PullResponse
from tests.integration.server.test_access_ended import Setting, setting
from tests.integration.server.world import Login
from tests.support.sync_device import CASE

__all__ = ["setting"]


def _pull(
    client: TestClient,
    login: Login,
    cursor: int,
    refetch: list[uuid.UUID],
    *,
    limit: int = 500,
    protocol: int = 3,
) -> dict[str, Any]:
    body = PullRequest(cursor=cursor, limit=limit, refetch=refetch).model_dump(mode="json")
    response = client.post(f"/sync/pull?protocol={protocol}", json=body, headers=login.headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    PullResponse.model_validate(answer)
    return answer


def _case_seqs(page: dict[str, Any]) -> list[int]:
    return [c["seq"] for c in page["changes"] if c["case_id"] == str(CASE)]


def _history(s: Setting) -> list[int]:
    return _case_seqs(_pull(s.client, s.a, 0, []))


def test_a_case_asked_for_again_comes_back_whole_up_to_the_cursor(setting: Setting) -> None:
    s = setting
    before = _history(s)
    assert len(before) >= 2 and max(before) <= s.cursor_b
    # Not asked for: the pull is as ever, nothing of it, nothing returned.
    quiet = _pull(s.client, s.b, s.cursor_b, [])
    assert (quiet["returned"], _case_seqs(quiet)) == ([], [])
    # Asked for: all of it up to the cursor, in order, even with no change since.
    asked = _pull(s.client, s.b, s.cursor_b, [CASE])
    assert (asked["returned"], _case_seqs(asked)) == ([str(CASE)], before)

    s.device_a.edit(Entity.CASE, CASE, closed_on=None)  # a colleague reopens it
    s.device_a.sync(s.world.dossier(s.a))
    # The tablet pulls the change as any other (the server does not know what it released)...
    page = _pull(s.client, s.b, s.cursor_b, [])
    assert page["returned"] == [] and _case_seqs(page) == _history(s)[len(before) :]
    # ... and asks for the case in its next request, from the page's cursor: the whole history.
    again = _pull(s.client, s.b, page["cursor"], [CASE])
    assert again["returned"] == [str(CASE)]
    assert _case_seqs(again) == _history(s)


def test_paged_the_back_fill_comes_on_the_page_that_asks(setting: Setting) -> None:
    s = setting
    s.device_a.edit(Entity.CASE, CASE, closed_on=None)
    s.device_a.edit(Entity.AGREEMENT, uuid.UUID(int=31), what="weer open")
    s.device_a.sync(s.world.dossier(s.a))
    first = _pull(s.client, s.b, s.cursor_b, [], limit=1)
    assert not first["done"] and len(_case_seqs(first)) == 1 and first["returned"] == []
    cursor, seen, returned, refetch = first["cursor"], [], [], [CASE]
    while True:
        page = _pull(s.client, s.b, cursor, refetch, limit=1)
        refetch = []  # asked once: the rest follows page by page
        returned += page["returned"]
        seen += _case_seqs(page)
        cursor = page["cursor"]
        if page["done"]:
            break
    assert returned == [str(CASE)]
    assert seen == _history(s)  # the back-fill up to the first page's cursor, then the rest


def test_a_case_one_cannot_see_is_never_back_filled(setting: Setting) -> None:
    s = setting
    stranger = s.world.member(s.world.organisation("Derde"))
    start = _pull(s.client, stranger, 0, [])["cursor"]
    unknown = uuid.uuid4()
    page = _pull(s.client, stranger, start, [CASE, unknown])
    assert (page["returned"], _case_seqs(page)) == ([], [])
    s.take_b_off("removed")  # B's access ended: B asks in vain too
    page = _pull(s.client, s.b, s.cursor_b, [CASE])
    assert page["returned"] == [] and _case_seqs(page) == []
    assert page["access_ended"] == [str(CASE)]


def test_a_request_asks_for_at_most_max_refetch_cases(setting: Setting) -> None:
    s = setting
    ids = [uuid.uuid4() for _ in range(MAX_REFETCH)] + [CASE]
    body = {"protocol": 1, "cursor": s.cursor_b, "limit": 500, "refetch": [str(i) for i in ids]}
    response = s.client.post("/sync/pull?protocol=3", json=body, headers=s.b.headers)
    assert response.status_code == 422
    full = _pull(s.client, s.b, s.cursor_b, ids[1:])  # the most allowed, with the case last
    assert full["returned"] == [str(CASE)]
    size = len(PullRequest(cursor=s.cursor_b, refetch=ids[1:]).model_dump_json())
    assert size < Settings().max_body_bytes // 10


def test_an_app_reading_version_2_gets_no_returned(setting: Setting) -> None:
    s = setting
    answer = _pull(s.client, s.b, s.cursor_b, [], protocol=2)
    assert set(answer) == {"changes", "cursor", "done", "access_ended"}
    assert "returned" in _pull(s.client, s.b, s.cursor_b, [])

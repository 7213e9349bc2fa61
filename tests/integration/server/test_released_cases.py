"""A tablet that let go of a closed case (``PullRequest.released``, issue #5) gets it back whole
when it changes again: the pull back-fills every earlier change of it, like a new membership, and
names it in ``returned``. On SQLite and PostgreSQL, with the setting of test_access_ended.py:
device A holds the case, B takes part in it.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from sync.protocol import Entity, PullRequest, PullResponse
from tests.integration.server.test_access_ended import Setting, setting
from tests.integration.server.world import Login
from tests.support.sync_device import CASE

__all__ = ["setting"]


def _pull(
    client: TestClient,
    login: Login,
    cursor: int,
    released: list[uuid.UUID],
    *,
    limit: int = 500,
    protocol: int = 3,
) -> dict[str, Any]:
    body = PullRequest(cursor=cursor, limit=limit, released=released).model_dump(mode="json")
    response = client.post(f"/sync/pull?protocol={protocol}", json=body, headers=login.headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    PullResponse.model_validate(answer)
    return answer


def _case_seqs(page: dict[str, Any]) -> list[int]:
    return [c["seq"] for c in page["changes"] if c["case_id"] == str(CASE)]


def _history(s: Setting) -> list[int]:
    return _case_seqs(_pull(s.client, s.a, 0, []))


def test_a_released_case_that_changes_comes_back_whole(setting: Setting) -> None:
    s = setting
    before = _history(s)
    assert len(before) >= 2 and max(before) <= s.cursor_b
    # Nothing changed since B let go of it: nothing of it, and nothing comes back.
    quiet = _pull(s.client, s.b, s.cursor_b, [CASE])
    assert (quiet["returned"], _case_seqs(quiet)) == ([], [])

    s.device_a.edit(Entity.CASE, CASE, closed_on=None)  # a colleague reopens it
    s.device_a.sync(s.world.dossier(s.a))
    page = _pull(s.client, s.b, s.cursor_b, [CASE])
    assert page["returned"] == [str(CASE)]
    assert _case_seqs(page) == _history(s)  # all of it, in order: the back-fill, then the new
    assert _case_seqs(page)[: len(before)] == before
    # Without the release the same pull brings only the new change.
    assert _case_seqs(_pull(s.client, s.b, s.cursor_b, [])) == _history(s)[len(before) :]


def test_paged_the_back_fill_comes_with_the_first_new_change(setting: Setting) -> None:
    s = setting
    own = _pull(s.client, s.b, s.cursor_b, [])
    assert own["changes"] == []
    s.device_a.edit(Entity.CASE, CASE, closed_on=None)
    s.device_a.sync(s.world.dossier(s.a))
    cursor, seen, returned = s.cursor_b, [], []
    while True:
        page = _pull(s.client, s.b, cursor, [] if returned else [CASE], limit=1)
        returned += page["returned"]
        seen += _case_seqs(page)
        cursor = page["cursor"]
        if page["done"]:
            break
    assert returned == [str(CASE)]
    assert seen == _history(s)


def test_a_case_one_cannot_see_is_never_back_filled(setting: Setting) -> None:
    s = setting
    stranger = s.world.member(s.world.organisation("Derde"))
    start = _pull(s.client, stranger, 0, [])["cursor"]
    s.device_a.edit(Entity.CASE, CASE, closed_on=None)
    s.device_a.sync(s.world.dossier(s.a))
    page = _pull(s.client, stranger, start, [CASE])
    assert (page["returned"], _case_seqs(page)) == ([], [])


def test_an_app_reading_version_2_gets_no_returned(setting: Setting) -> None:
    s = setting
    answer = _pull(s.client, s.b, s.cursor_b, [], protocol=2)
    assert set(answer) == {"changes", "cursor", "done", "access_ended"}
    assert "returned" in _pull(s.client, s.b, s.cursor_b, [])

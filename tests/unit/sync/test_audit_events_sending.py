"""Sending the tablet's audit events (sync.audit_events): batches, deleting only what the server
acknowledged, and never stopping the sync on a refusal (an older server's 404 is tried later)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from models import device_audit
from models.device_audit import Entity
from models.outbox import BASES
from models.store import CaseStore
from sync import audit_events
from sync.errors import OfflineError, ServerError, TooManyAttemptsError
from tests.support.factories import NOW, TODAY, a_case_file


class FakeSession:
    """Answers ``post_json`` like the dossier: every event taken, unless told otherwise."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.error: Exception | None = None
        self.keep_back: set[str] = set()  # event ids the server leaves out of its answer
        self.answer: Any = None

    def post_json(self, path: str, body: dict[str, Any]) -> Any:
        assert path == "/devices/me/audit-events"
        self.bodies.append(body)
        if self.error is not None:
            raise self.error
        if self.answer is not None:
            return self.answer
        ids = [e["event_id"] for e in body["events"] if e["event_id"] not in self.keep_back]
        return {"accepted": ids, "refused": []}


def make_events(store: CaseStore, n: int) -> list[str]:
    times = iter(NOW + timedelta(seconds=i) for i in range(n))
    store.clock = lambda: next(times)
    ids = [device_audit.case_opened(store, str(uuid.uuid4())) for _ in range(n)]
    assert None not in ids
    return [i for i in ids if i is not None]


def left(store: CaseStore) -> list[str]:
    with store.reading() as (conn, _sealer):
        return [e.event_id for e in device_audit.waiting(conn, limit=1000)]


def send(store: CaseStore, session: FakeSession, **kw: int) -> int:
    return audit_events.send_waiting(store, session, **kw)  # type: ignore[arg-type]


def test_events_go_in_batches_oldest_first_and_leave_once_acknowledged(store: CaseStore) -> None:
    ids = make_events(store, 5)
    session = FakeSession()
    assert send(store, session, batch=2) == 5
    assert [[e["event_id"] for e in b["events"]] for b in session.bodies] == [
        ids[0:2],
        ids[2:4],
        ids[4:5],
    ]
    assert left(store) == []
    first = session.bodies[0]["events"][0]
    assert first["action"] == "read" and first["entity"] == "case"
    assert first["device_time"] == NOW.isoformat()
    assert send(store, session, batch=2) == 0 and len(session.bodies) == 3  # nothing to send


def test_a_cycle_sends_at_most_max_batches(store: CaseStore) -> None:
    ids = make_events(store, 5)
    session = FakeSession()
    assert send(store, session, batch=2, max_batches=2) == 4
    assert left(store) == ids[4:]


def test_only_the_acknowledged_leave_and_the_rest_wait_for_the_next_cycle(
    store: CaseStore,
) -> None:
    ids = make_events(store, 4)
    session = FakeSession()
    session.keep_back = {ids[1]}
    assert send(store, session, batch=2) == 1
    assert len(session.bodies) == 1  # not again in this cycle
    assert left(store) == ids[1:]


def test_an_answer_naming_other_ids_deletes_nothing_else(store: CaseStore) -> None:
    ids = make_events(store, 2)
    session = FakeSession()
    session.answer = {"accepted": [str(uuid.uuid4()), ids[0]], "refused": []}
    assert send(store, session) == 1
    assert left(store) == ids[1:]


@pytest.mark.parametrize(
    "error",
    [
        ServerError("http_404"),  # an older server without the route
        ServerError("not_found"),
        ServerError("http_422"),
        ServerError("invalid_response"),
        TooManyAttemptsError(30),
    ],
)
def test_a_refusal_keeps_everything_and_does_not_raise(store: CaseStore, error: Exception) -> None:
    ids = make_events(store, 3)
    session = FakeSession()
    session.error = error
    assert send(store, session) == 0
    assert left(store) == ids


def test_an_answer_that_is_not_one_keeps_everything(store: CaseStore) -> None:
    ids = make_events(store, 2)
    session = FakeSession()
    session.answer = {"taken": ids}
    assert send(store, session) == 0
    assert left(store) == ids


def test_a_lost_connection_keeps_everything_and_stops_the_cycle_as_offline(
    store: CaseStore,
) -> None:
    ids = make_events(store, 2)
    session = FakeSession()
    session.error = OfflineError()
    with pytest.raises(OfflineError):
        send(store, session)
    assert left(store) == ids


def test_team_exports_go_without_a_case(store: CaseStore) -> None:
    device_audit.team_report_exported(store, Entity.FIGURES_CSV)
    session = FakeSession()
    assert send(store, session) == 1
    [event] = session.bodies[0]["events"]
    assert event["case_id"] is None and event["record_id"] is None
    assert (event["action"], event["entity"], event["outcome"]) == (
        "export",
        "figures_csv",
        "success",
    )


def test_an_event_about_a_case_the_dossier_has_not_got_waits_on_the_tablet(
    store: CaseStore,
) -> None:
    """No consent (or not pushed yet): its id must not reach the server, not even in the log."""
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    held = device_audit.case_opened(store, f.case.id)
    team = device_audit.team_report_exported(store, Entity.TEAM_PDF)
    session = FakeSession()
    assert send(store, session) == 1
    sent = [e["event_id"] for body in session.bodies for e in body["events"]]
    assert sent == [team] and f.case.id not in str(session.bodies)
    assert left(store) == [held]

    with store.writing() as (conn, _sealer):  # the dossier acknowledged the case
        conn.execute(insert(BASES).values(entity="case", record_id=f.case.id, base_seq=1))
    assert send(store, session) == 1
    assert left(store) == []


def test_one_event_the_server_cannot_take_does_not_hold_back_the_rest(
    store: CaseStore, caplog: pytest.LogCaptureFixture
) -> None:
    ids = make_events(store, 4)
    poison = ids[1]

    class Picky(FakeSession):
        def post_json(self, path: str, body: dict[str, Any]) -> Any:
            if poison in {e["event_id"] for e in body["events"]}:
                self.bodies.append(body)
                raise ServerError("invalid_request")
            return super().post_json(path, body)

    session = Picky()
    assert send(store, session) == 4  # three taken, the invalid one dropped
    assert left(store) == []
    assert f"audit event {poison} refused as invalid by the server: dropped" in caplog.text
    assert len(session.bodies) == 1 + 4  # the batch, then each event alone
    assert send(store, session) == 0  # nothing stuck for the next cycle

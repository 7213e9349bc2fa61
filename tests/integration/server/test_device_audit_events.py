"""``POST /devices/me/audit-events``: reads and exports done on a tablet reach the hash-chained
audit log with the tablet's time, once per event id; the device is not trusted (SQLite and
PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from server.audit import verify_database
from server.models.accounts import Role
from server.models.audit import AuditEvent
from sync.protocol import Entity, PushRequest
from tests.integration.server.test_sync_rules import _mutation
from tests.integration.server.world import Login, World

PATH = "/devices/me/audit-events"
DEVICE_TIME = datetime(2026, 12, 1, 8, 15, 30, 123456, tzinfo=UTC)


def a_case(world: World, login: Login) -> tuple[uuid.UUID, uuid.UUID]:
    """A case with consent and one meeting, pushed by ``login``: (case id, meeting id)."""
    case, meeting = uuid.uuid4(), uuid.uuid4()
    pushed = world.dossier(login).push(
        PushRequest(
            device_id=login.device_id,
            mutations=[
                _mutation(Entity.CASE, case, case, consent_given=True),
                _mutation(Entity.MEETING, meeting, case, place="x"),
            ],
        )
    )
    assert [r.outcome for r in pushed.results] == ["applied", "applied"]
    return case, meeting


def event(
    action: str = "read",
    *,
    case_id: uuid.UUID | None = None,
    entity: str | None = "case",
    record_id: uuid.UUID | None = None,
    outcome: str = "success",
    at: datetime = DEVICE_TIME,
) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "action": action,
        "device_time": at.isoformat(),
        "case_id": None if case_id is None else str(case_id),
        "entity": entity,
        "record_id": None if record_id is None else str(record_id),
        "outcome": outcome,
    }


def rows(world: World, event_ids: list[str]) -> dict[str, AuditEvent]:
    ids = [uuid.UUID(i) for i in event_ids]
    with Session(world.engine) as session:
        found = session.exec(select(AuditEvent).where(col(AuditEvent.event_id).in_(ids))).all()
        return {str(r.event_id): r for r in found}


def post(world: World, login: Login | None, events: list[dict[str, Any]]) -> Any:
    headers = login.headers if login is not None else {}
    return world.client.post(PATH, json={"events": events}, headers=headers)


def test_events_are_written_with_the_device_time_and_the_token_s_account(world: World) -> None:
    org = world.organisation()
    nurse = world.member(org)
    case, meeting = a_case(world, nurse)
    sent = [
        event(case_id=case, record_id=case),
        event("export", case_id=case, entity="plan_pdf", record_id=meeting),
        event("export", case_id=case, entity="plan_pdf", record_id=meeting, outcome="failed"),
    ]
    before = datetime.now(UTC)
    answer = post(world, nurse, sent)
    assert answer.status_code == 200, answer.text
    ids = [e["event_id"] for e in sent]
    assert answer.json() == {"accepted": ids, "refused": []}
    written = rows(world, ids)
    assert set(written) == set(ids)
    for sent_event in sent:
        row = written[sent_event["event_id"]]
        assert row.device_time == DEVICE_TIME
        assert before - timedelta(seconds=1) <= row.server_time <= datetime.now(UTC)
        assert (row.account_id, row.role, row.device_id, row.organisation_id) == (
            nurse.account_id,
            "professional",
            nurse.device_id,
            org.id,
        )
        assert (row.action, row.entity, row.outcome) == (
            sent_event["action"],
            sent_event["entity"],
            sent_event["outcome"],
        )
        assert (row.case_id, row.authorisation, row.reason) == (case, "granted", None)
        assert row.route == PATH
    with Session(world.engine) as session:
        assert verify_database(session) is None  # in the chain like every other row


def test_a_resend_is_answered_the_same_and_written_once(world: World) -> None:
    org = world.organisation()
    nurse = world.member(org)
    lead = world.member(org, Role.TEAM_LEAD)
    case, _meeting = a_case(world, nurse)
    sent = [event(case_id=case, record_id=case)]
    outsider = world.member(world.organisation("Ander"))
    foreign = [event(case_id=case, record_id=case)]
    team = [event("export", entity="team_pdf")]
    assert post(world, nurse, sent).status_code == 200
    assert post(world, outsider, foreign).json()["refused"] == [foreign[0]["event_id"]]
    assert post(world, lead, team).status_code == 200
    with Session(world.engine) as session:
        count = len(session.exec(select(AuditEvent.id)).all())
    # The answer was lost: the tablets send the same again (one twice in one request).
    again = post(world, nurse, sent + sent + [event(case_id=case, record_id=case)])
    assert again.status_code == 200
    assert again.json()["accepted"][0] == sent[0]["event_id"]
    assert len(again.json()["accepted"]) == 2
    assert post(world, outsider, foreign).json() == {
        "accepted": [foreign[0]["event_id"]],
        "refused": [foreign[0]["event_id"]],
    }
    assert post(world, lead, team).json() == {"accepted": [team[0]["event_id"]], "refused": []}
    with Session(world.engine) as session:
        assert len(session.exec(select(AuditEvent.id)).all()) == count + 1  # only the new one
        assert verify_database(session) is None


def test_a_case_of_another_organisation_is_refused_and_recorded_as_refused(world: World) -> None:
    a, b = world.organisation("A"), world.organisation("B")
    owner = world.member(a)
    case, meeting = a_case(world, owner)
    other_case, _ = a_case(world, owner)
    outsider = world.member(b)
    colleague = world.member(a)  # same organisation, not on the case
    sent = [
        event(case_id=case, record_id=case),
        event("export", case_id=case, entity="plan_pdf", record_id=meeting),
    ]
    answer = post(world, outsider, sent)
    assert answer.status_code == 200
    ids = [e["event_id"] for e in sent]
    assert answer.json() == {"accepted": ids, "refused": ids}
    by_colleague = event(case_id=case, record_id=case)
    assert post(world, colleague, [by_colleague]).json()["refused"] == [by_colleague["event_id"]]
    # The owner naming a record of another case, a record without a case, an unknown case.
    wrong = [
        event("export", case_id=other_case, entity="plan_pdf", record_id=meeting),
        event("export", entity="plan_pdf", record_id=meeting),
        event(case_id=uuid.uuid4()),
        event("export", entity="team_pdf"),  # a professional exports no team report
    ]
    refused = post(world, owner, wrong).json()["refused"]
    assert refused == [e["event_id"] for e in wrong]
    written = rows(world, [*ids, by_colleague["event_id"], *refused])
    assert {(r.outcome, r.authorisation) for r in written.values()} == {("refused", "refused")}
    reasons = [written[e["event_id"]].reason for e in [*sent, by_colleague, *wrong]]
    assert reasons == [
        "case_not_visible",
        "case_not_visible",
        "case_not_visible",
        "record_not_in_case",
        "record_without_case",
        "case_not_visible",
        "not_team_lead",
    ]
    assert written[ids[0]].account_id == outsider.account_id  # who tried, from the token
    assert written[ids[0]].device_time == DEVICE_TIME


def test_a_team_lead_exports_team_reports_and_reads_the_team_s_cases(world: World) -> None:
    org = world.organisation()
    nurse = world.member(org, team_id=org.team_id)  # in the lead's team
    lead = world.member(org, Role.TEAM_LEAD)
    case, _ = a_case(world, nurse)
    sent = [event("export", entity="overdue_csv"), event(case_id=case, record_id=case)]
    assert post(world, lead, sent).json()["refused"] == []
    written = rows(world, [e["event_id"] for e in sent])
    assert {r.role for r in written.values()} == {"team_lead"}
    assert {r.outcome for r in written.values()} == {"success"}


def test_unauthenticated_or_administrators_or_malformed_are_refused(world: World) -> None:
    org = world.organisation()
    nurse = world.member(org)
    case, _ = a_case(world, nurse)
    sent = [event(case_id=case, record_id=case)]
    assert post(world, None, sent).status_code == 401
    bad_token = Login(**{**nurse.__dict__, "access_token": "x.y.z"})
    assert post(world, bad_token, sent).status_code == 401
    assert post(world, org.admin, sent).status_code == 403
    assert rows(world, [sent[0]["event_id"]]) == {}
    malformed: list[dict[str, Any]] = [
        {**sent[0], "device_time": "2026-12-01T08:15:30"},  # no time zone
        {**sent[0], "entity": "Fenna de Bruijn"},  # free text where a word belongs
        {**sent[0], "action": "delete"},
        {**sent[0], "outcome": "maybe"},
        {**sent[0], "note": "x"},
    ]
    for bad in malformed:
        assert post(world, nurse, [bad]).status_code == 422, bad
    assert post(world, nurse, [event(case_id=case)] * 201).status_code == 422  # a batch is 200
    assert rows(world, [sent[0]["event_id"]]) == {}


def test_odd_device_times_are_kept_or_refused_never_a_server_error(world: World) -> None:
    org = world.organisation()
    nurse = world.member(org)
    case, _ = a_case(world, nurse)
    for at in (
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "2026-12-01T08:00:00+14:00",
    ):
        answer = post(world, nurse, [{**event(case_id=case), "device_time": at}])
        assert answer.status_code in (200, 422), (at, answer.status_code)

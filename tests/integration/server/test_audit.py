"""The audit log: written for changes, reads, exports and refusals; hash-chained; append-only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from server.audit import verify_chain, verify_database
from server.limits import AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX
from server.models.accounts import Role
from server.models.audit import AuditEvent
from sync.protocol import Entity, Mutation, Op, Outcome, PullRequest, PushRequest
from tests.integration.server.test_sync_rules import _mutation
from tests.integration.server.world import Login, World


def _rows(engine: Engine) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all())


def test_changes_reads_exports_and_refusals_are_logged(world: World, engine: Engine) -> None:
    org = world.organisation()
    professional = world.member(org)
    lead = world.member(org, Role.TEAM_LEAD)
    # Put the professional in the lead's team, so the lead sees the case.
    world.client.patch(
        f"/accounts/{professional.account_id}",
        json={"team_id": str(org.team_id)},
        headers=org.admin.headers,
    )
    server = world.dossier(professional)
    case, agreement = uuid.uuid4(), uuid.uuid4()
    server.push(
        PushRequest(
            device_id=professional.device_id,
            mutations=[
                _mutation(Entity.CASE, case, case, consent_given=True),
                _mutation(Entity.AGREEMENT, agreement, case, what="Boodschappen"),
            ],
        )
    )
    server.pull(PullRequest())
    stranger = world.member(world.organisation("B"))
    assert world.client.get(f"/cases/{case}/audit", headers=stranger.headers).status_code == 404
    exported = world.client.get(f"/cases/{case}/audit", headers=lead.headers)
    assert exported.status_code == 200
    events = exported.json()["events"]
    assert exported.json()["next"] is None  # one page holds them all
    actions = [(r["action"], r["outcome"], r["entity"]) for r in events]
    assert actions[:3] == [
        ("create", "success", "case"),
        ("create", "success", "agreement"),
        ("read", "success", None),
    ]
    assert ("access", "refused", None) in actions  # the stranger's attempt, with the case id
    first = events[0]
    assert first["account_id"] == str(professional.account_id)
    assert first["device_id"] == str(professional.device_id)
    assert first["role"] == "professional" and first["authorisation"] == "granted"
    assert first["device_time"] is not None and first["server_time"] is not None
    assert "Boodschappen" not in exported.text  # ids and codes only, never contents
    with Session(engine) as session:
        assert verify_database(session) is None
    rows = _rows(engine)
    assert rows[-1].action == "export" and rows[-1].case_id == case


def _case_with_history(world: World, agreements: int) -> tuple[uuid.UUID, Login]:
    """A case made by a professional with ``agreements`` agreements (one audit row each, and one
    for the case), read back once; and a team lead of the professional's team, who may export."""
    org = world.organisation()
    professional = world.member(org)
    lead = world.member(org, Role.TEAM_LEAD)
    world.client.patch(
        f"/accounts/{professional.account_id}",
        json={"team_id": str(org.team_id)},
        headers=org.admin.headers,
    )
    server = world.dossier(professional)
    case = uuid.uuid4()
    mutations = [_mutation(Entity.CASE, case, case, consent_given=True)]
    mutations += [
        _mutation(Entity.AGREEMENT, uuid.uuid4(), case, what="Post") for _ in range(agreements)
    ]
    server.push(PushRequest(device_id=professional.device_id, mutations=mutations))
    server.pull(PullRequest())
    return case, lead


def _case_rows(engine: Engine, case: uuid.UUID) -> list[AuditEvent]:
    return [r for r in _rows(engine) if r.case_id == case]


def test_paging_the_audit_trail_gives_every_event_once_in_order(
    world: World, engine: Engine
) -> None:
    case, lead = _case_with_history(world, agreements=17)
    before = [r.id for r in _case_rows(engine, case)]
    assert len(before) == 19  # the case, 17 agreements, the pull's read
    seen: list[int] = []
    pages = 0
    after: int | None = 0
    while after is not None:
        response = world.client.get(
            f"/cases/{case}/audit", params={"limit": 7, "after": after}, headers=lead.headers
        )
        assert response.status_code == 200, response.text
        page = response.json()
        pages += 1
        ids = [e["id"] for e in page["events"]]
        assert len(ids) <= 7
        if page["next"] is not None:
            assert len(ids) == 7 and page["next"] == ids[-1]
        assert all(e["case_id"] == str(case) for e in page["events"])
        seen += ids
        after = page["next"]
        assert pages < 10, "paging does not end"
    rows = _case_rows(engine, case)
    # Each page read was logged as an export of the case; a later page shows the earlier ones.
    assert [r.action for r in rows[-pages:]] == ["export"] * pages
    assert seen == sorted(set(seen))  # in order, none twice
    assert seen == [r.id for r in rows[:-1]]  # every event but the last page's own export
    assert seen[: len(before)] == before
    # 19 events and the exports of pages 1 and 2: three full pages, the last one knowing that
    # nothing follows (no empty fourth page).
    assert pages == 3 and len(seen) == 21


def test_the_default_page_and_the_cap(world: World, engine: Engine) -> None:
    case, lead = _case_with_history(world, agreements=AUDIT_PAGE_DEFAULT)
    url = f"/cases/{case}/audit"
    first = world.client.get(url, headers=lead.headers).json()
    assert len(first["events"]) == AUDIT_PAGE_DEFAULT
    assert first["next"] == first["events"][-1]["id"]
    rest = world.client.get(url, params={"after": first["next"]}, headers=lead.headers).json()
    assert rest["next"] is None
    ids = [e["id"] for e in first["events"] + rest["events"]]
    assert ids == [r.id for r in _case_rows(engine, case)[:-1]]
    whole = world.client.get(url, params={"limit": AUDIT_PAGE_MAX}, headers=lead.headers)
    assert whole.status_code == 200 and whole.json()["next"] is None
    exports = len([r for r in _case_rows(engine, case) if r.action == "export"])
    for params in (
        {"limit": AUDIT_PAGE_MAX + 1},
        {"limit": 0},
        {"after": -1},
        {"after": 2**31},
        {"after": 2**63},
    ):
        refused = world.client.get(url, params=params, headers=lead.headers)
        assert refused.status_code == 422, params
        body = refused.json()
        assert body["code"] == "invalid_request" and "message" in body
        assert body["errors"][0]["loc"] == ["query", next(iter(params))]
    # A refused page exported nothing, so it is no export in the log.
    assert len([r for r in _case_rows(engine, case) if r.action == "export"]) == exports


def test_the_chain_shows_a_changed_or_missing_row(world: World, engine: Engine) -> None:
    world.member(world.organisation())
    rows = _rows(engine)
    assert len(rows) >= 3 and verify_chain(rows) is None
    tampered = [*rows]
    tampered[1] = rows[1].model_copy(update={"outcome": "refused"})
    assert verify_chain(tampered) == rows[1].id
    assert verify_chain([rows[0], *rows[2:]]) == rows[2].id


def test_audit_rows_cannot_be_changed_or_deleted(world: World, engine: Engine) -> None:
    world.organisation()
    for statement in ("UPDATE audit_event SET outcome = 'x'", "DELETE FROM audit_event"):
        with Session(engine) as session, pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement))
            session.commit()
    assert all(r.outcome != "x" for r in _rows(engine))


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_audit_rows_cannot_be_truncated_on_postgresql(world: World, engine: Engine) -> None:
    """TRUNCATE fires no row triggers; PostgreSQL has a statement trigger for it (SQLite has no
    TRUNCATE: its ``DELETE FROM`` without WHERE is refused above)."""
    world.organisation()
    before = len(_rows(engine))
    assert before > 0
    with Session(engine) as session, pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("TRUNCATE audit_event"))
        session.commit()
    assert len(_rows(engine)) == before


def test_a_device_time_in_another_zone_keeps_the_chain_whole(world: World, engine: Engine) -> None:
    """The push hashes its audit rows as they are stored: datetimes in UTC."""
    professional = world.member(world.organisation())
    case = uuid.uuid4()
    mutation = _mutation(Entity.CASE, case, case, consent_given=True).model_copy(
        update={
            "device_time": datetime(2026, 3, 1, 9, 30, 0, 250, tzinfo=timezone(timedelta(hours=1)))
        }
    )
    world.dossier(professional).push(
        PushRequest(device_id=professional.device_id, mutations=[mutation])
    )
    rows = _rows(engine)
    assert rows[-1].device_time == datetime(2026, 3, 1, 8, 30, 0, 250, tzinfo=UTC)
    with Session(engine) as session:
        assert verify_database(session) is None


def _pushed_rows(engine: Engine, after: int) -> list[AuditEvent]:
    return [
        r for r in _rows(engine) if r.id is not None and r.id > after and r.route == "/sync/push"
    ]


def _last_id(engine: Engine) -> int:
    rows = _rows(engine)
    return rows[-1].id or 0 if rows else 0


def _at(minute: int) -> datetime:
    return datetime(2026, 11, 24, 12, minute, tzinfo=UTC)


def test_an_edit_and_a_deletion_are_logged(world: World, engine: Engine) -> None:
    org = world.organisation()
    professional = world.member(org)
    server = world.dossier(professional)
    case, agreement = uuid.uuid4(), uuid.uuid4()
    created = server.push(
        PushRequest(
            device_id=professional.device_id,
            mutations=[
                _mutation(Entity.CASE, case, case, consent_given=True),
                _mutation(Entity.AGREEMENT, agreement, case, what="Boodschappen"),
            ],
        )
    )
    base = created.results[1].server_seq
    edit = _mutation(Entity.AGREEMENT, agreement, case, what="Post").model_copy(
        update={"base_seq": base, "device_time": _at(5)}
    )
    tombstone = Mutation(
        mutation_id=uuid.uuid4(),
        entity=Entity.AGREEMENT,
        record_id=agreement,
        case_id=case,
        op=Op.DELETE,
        base_seq=base,
        device_time=_at(9),
    )
    for mutation, action in ((edit, "update"), (tombstone, "delete")):
        before, start = _last_id(engine), datetime.now(UTC)
        response = server.push(PushRequest(device_id=professional.device_id, mutations=[mutation]))
        assert response.results[0].outcome == Outcome.APPLIED
        rows = _pushed_rows(engine, before)
        assert len(rows) == 1, f"one row for the {action}"
        row = rows[0]
        assert (row.action, row.outcome, row.reason, row.authorisation) == (
            action,
            "success",
            None,
            "granted",
        )
        assert (row.account_id, row.role, row.device_id, row.organisation_id) == (
            professional.account_id,
            "professional",
            professional.device_id,
            org.id,
        )
        assert (row.case_id, row.entity, row.record_id) == (case, "agreement", agreement)
        assert row.device_time == mutation.device_time
        assert start <= row.server_time <= datetime.now(UTC)
    assert (Entity.AGREEMENT, agreement) not in server.state()
    with Session(engine) as session:
        assert verify_database(session) is None


def test_resends_and_conflicts_are_logged_with_their_outcome(world: World, engine: Engine) -> None:
    """NEN 7513 logs every attempt: a resend (nothing applied) and a conflict (nothing applied)
    each get a row with what the mutation would have done and how it ended."""
    org = world.organisation()
    professional = world.member(org)
    # The same professional on a second tablet: its edits conflict with the first's.
    code = world.code(org)
    tablet = world.login_new_device(
        code, professional.email, professional.account_id, Role.PROFESSIONAL
    )
    first, second = world.dossier(professional), world.dossier(tablet)
    case, agreement = uuid.uuid4(), uuid.uuid4()
    create = _mutation(Entity.AGREEMENT, agreement, case, what="Boodschappen")
    pushed = first.push(
        PushRequest(
            device_id=professional.device_id,
            mutations=[_mutation(Entity.CASE, case, case, consent_given=True), create],
        )
    )
    base = pushed.results[1].server_seq
    edit = _mutation(Entity.AGREEMENT, agreement, case, what="Post").model_copy(
        update={"base_seq": base}
    )
    first.push(PushRequest(device_id=professional.device_id, mutations=[edit]))
    tombstone = Mutation(
        mutation_id=uuid.uuid4(),
        entity=Entity.AGREEMENT,
        record_id=uuid.uuid4(),
        case_id=case,
        op=Op.DELETE,
        device_time=_at(3),
    )
    first.push(PushRequest(device_id=professional.device_id, mutations=[tombstone]))

    before = _last_id(engine)
    resent = [create.model_copy(update={"device_time": _at(7)}), edit, tombstone]
    response = first.push(PushRequest(device_id=professional.device_id, mutations=resent))
    assert [r.outcome for r in response.results] == [Outcome.DUPLICATE] * 3
    rows = _pushed_rows(engine, before)
    assert [(r.action, r.outcome, r.record_id) for r in rows] == [
        ("create", "duplicate", agreement),
        ("update", "duplicate", agreement),
        ("delete", "duplicate", tombstone.record_id),
    ]
    assert all(r.device_id == professional.device_id and r.case_id == case for r in rows)
    assert rows[0].device_time == _at(7)  # the resend's own device time

    before = _last_id(engine)
    late = _mutation(Entity.AGREEMENT, agreement, case, what="Kapper").model_copy(
        update={"base_seq": base, "device_time": _at(8)}
    )
    response = second.push(PushRequest(device_id=tablet.device_id, mutations=[late]))
    assert response.results[0].outcome == Outcome.CONFLICT
    [row] = _pushed_rows(engine, before)
    assert (row.action, row.outcome, row.reason, row.authorisation) == (
        "update",
        "conflict",
        "conflict",
        "granted",
    )
    assert (row.account_id, row.role, row.device_id) == (
        professional.account_id,
        "professional",
        tablet.device_id,
    )
    assert (row.case_id, row.entity, row.record_id, row.device_time) == (
        case,
        "agreement",
        agreement,
        _at(8),
    )

    # Refused: an outsider's edit of the record is logged as the update it tried to be.
    stranger = world.member(world.organisation("B"))
    before = _last_id(engine)
    forged = _mutation(Entity.AGREEMENT, agreement, case, what="ingebroken")
    response = world.dossier(stranger).push(
        PushRequest(device_id=stranger.device_id, mutations=[forged])
    )
    assert response.results[0].reason == "not_authorised"
    [row] = _pushed_rows(engine, before)
    assert (row.action, row.outcome, row.reason, row.device_id, row.record_id) == (
        "update",
        "refused",
        "not_authorised",
        stranger.device_id,
        agreement,
    )
    with Session(engine) as session:
        assert verify_database(session) is None

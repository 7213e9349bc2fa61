"""Retention of closed cases (AVG art. 5(1)(e), issue #5): ``python -m server purge-closed``, on
SQLite and PostgreSQL, and an erased case's audit trail, still exportable by its organisation's
administrator (AVG art. 15).

The scene is test_erasure's (``Setting``): A's case, with B of another organisation linked and
B's team lead watching, and A's other case. Here A's case is closed long ago, the other stays open
and a third case was closed recently.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import func, select
from sqlmodel import Session

import server.__main__ as cli
from server import erasure
from server.audit import verify_database
from server.db import MIGRATIONS, normalise_url
from server.erasure import Purged, PurgeError, purge_closed
from server.models.audit import AuditEvent
from server.models.dossier import DossierRecord
from server.models.erasure import CaseErasure
from sync.protocol import Entity
from tests.integration.server.test_erasure import (
    REASON,
    Setting,
    _command,
    _pull,
    _push,
    _upsert,
    setting,
)
from tests.integration.server.world import Login, World

__all__ = ["setting"]  # a fixture, used by name

DAY = "2024-12-01"  # --closed-before
LONG_AGO, RECENTLY = "2021-06-30", "2026-11-30"


def _close(s: Setting, case: uuid.UUID, day: str) -> None:
    assert _push(s.client, s.a, _upsert(Entity.CASE, case, case, closed_on=day)) == [
        ("applied", None)
    ]


def _recent_case(s: Setting) -> uuid.UUID:
    case = uuid.uuid4()
    made = _upsert(Entity.CASE, case, case, consent_given=True, closed_on=RECENTLY)
    agreement = _upsert(Entity.AGREEMENT, uuid.uuid4(), case, what="Naar de bibliotheek")
    assert _push(s.client, s.a, made, agreement) == [("applied", None)] * 2
    return case


def _rows_of(s: Setting, case: uuid.UUID) -> dict[str, list[str]]:
    return {
        table: sorted(r for r in rows if str(case) in r)
        for table, rows in s.rows().items()
        if table not in {"audit_event", "audit_head", "sync_head"}
    }


def _records(s: Setting, case: uuid.UUID) -> int:
    with Session(s.world.engine) as session:
        query = select(func.count()).select_from(DossierRecord).where(DossierRecord.case_id == case)  # type: ignore[arg-type]
        return int(session.execute(query).scalar_one())


@pytest.mark.slow
def test_purge_erases_what_was_closed_long_ago_and_keeps_the_rest(
    setting: Setting, database_url: str
) -> None:
    s = setting
    _close(s, s.case, LONG_AGO)
    recent = _recent_case(s)
    kept = {c: _rows_of(s, c) for c in (recent, s.other)}
    assert all(kept.values())

    before = s.rows()
    dry = _command(database_url, "--closed-before", DAY, "--dry-run", command="purge-closed")
    assert (dry.returncode, dry.stderr) == (0, ""), dry.stderr
    assert dry.stdout == f"1 cases closed before {DAY} would be erased (dry run, nothing changed)\n"
    assert s.rows() == before  # the dry run changed nothing, the audit log included

    done = _command(database_url, "--closed-before", DAY, command="purge-closed")
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert done.stdout == f"1 cases closed before {DAY} erased\n"
    for output in (dry.stdout, done.stdout):
        assert s.name not in output and str(s.case) not in output  # counts only

    assert s.naming(s.ids) == {}  # the case closed long ago is gone
    assert s.naming({s.name}, skip=set()) == {}
    assert {c: _rows_of(s, c) for c in (recent, s.other)} == kept  # recent and open: kept
    with Session(s.world.engine) as session:
        assert verify_database(session) is None
        last = session.execute(select(AuditEvent).order_by(AuditEvent.id.desc())).scalars().first()  # type: ignore[union-attr]
        assert last is not None
        assert (last.action, last.reason, last.case_id, last.route) == (
            "delete",
            "retention_expired",
            s.case,
            "cli:purge-closed",
        )
        erased = session.get(CaseErasure, s.case)
        assert erased is not None and erased.organisation_id == s.org_a.id
    # Every tablet of a member, and B's team lead, is told once, as after erase-case.
    for who, login in (("a", s.a), ("b", s.b), ("lead_b", s.lead_b)):
        ended, cursor = _pull(s.client, login, s.cursors[who])
        assert ended == [str(s.case)], who
        assert _pull(s.client, login, cursor)[0] == [], who
    # A late push of the case is refused, as for an erasure on request.
    late = _upsert(Entity.CASE, s.case, s.case, consent_given=True, closed_on=None)
    assert _push(s.client, s.b, late) == [("rejected", "case_erased")]

    again = _command(database_url, "--closed-before", DAY, command="purge-closed")
    assert again.stdout == f"0 cases closed before {DAY} erased\n"


def _failing_at(call: int, calls: list[uuid.UUID]) -> Any:
    """``erase_case`` that does all its work, then fails, at its ``call``-th call."""
    real = erasure.erase_case

    def erase(session: Session, case_id: uuid.UUID, **kwargs: Any) -> erasure.Erased:
        calls.append(case_id)
        erased = real(session, case_id, **kwargs)
        if len(calls) == call:
            raise RuntimeError("disk full")
        return erased

    return erase


def test_a_failure_part_way_keeps_the_earlier_erasures_and_says_how_many(
    setting: Setting,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    s = setting
    _close(s, s.case, LONG_AGO)
    _close(s, s.other, "2023-01-15")
    records = {c: _records(s, c) for c in (s.case, s.other)}
    calls: list[uuid.UUID] = []
    with monkeypatch.context() as patch:
        patch.setattr(erasure, "erase_case", _failing_at(2, calls))
        with pytest.raises(PurgeError) as failed:
            purge_closed(s.world.engine, date.fromisoformat(DAY))
    assert (failed.value.erased, failed.value.remaining) == (1, 1)
    first, second = calls
    assert _records(s, first) == 0  # committed before the failure
    assert _records(s, second) == records[second]  # rolled back whole
    with Session(s.world.engine) as session:
        assert set(session.execute(select(CaseErasure.case_id)).scalars()) == {first}  # type: ignore[call-overload]
        assert verify_database(session) is None

    # The command says how many, and neither names nor ids.
    monkeypatch.setenv("DATABASE_URL", database_url)
    with monkeypatch.context() as patch:
        patch.setattr(erasure, "erase_case", _failing_at(1, []))
        assert cli.main(["purge-closed", "--closed-before", DAY]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "purge-closed: 0 cases erased, then a failure (RuntimeError); that case and 0 more "
        "were not changed. Run the command again.\n"
    )
    assert str(second) not in err and s.name not in err
    assert _records(s, second) == records[second]

    assert purge_closed(s.world.engine, date.fromisoformat(DAY)) == Purged(1, 0)
    assert _records(s, second) == 0


def test_a_case_reopened_before_its_turn_is_kept(
    setting: Setting, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The closing day is checked again in the case's own transaction, under the push's lock: a
    case counted as closed but reopened (or never closed) by then stays."""
    s = setting
    _close(s, s.case, LONG_AGO)
    other = _rows_of(s, s.other)
    monkeypatch.setattr(erasure, "closed_case_ids", lambda _session, _day: [s.other, s.case])
    assert purge_closed(s.world.engine, date.fromisoformat(DAY)) == Purged(1, 1)
    assert _rows_of(s, s.other) == other
    assert s.naming(s.ids) == {}


@pytest.mark.parametrize("how", ["erase-case", "purge-closed"])
def test_an_erased_case_s_audit_trail_stays_with_its_organisation_s_administrator(
    setting: Setting, world: World, how: str
) -> None:
    s = setting
    if how == "erase-case":
        s.erase()
    else:
        _close(s, s.case, LONG_AGO)
        assert purge_closed(world.engine, date.fromisoformat(DAY)) == Purged(1, 0)
    with Session(world.engine) as session:
        query = select(AuditEvent.id).where(AuditEvent.case_id == s.case).order_by(AuditEvent.id)  # type: ignore[arg-type, call-overload]
        trail = list(session.execute(query).scalars())
    assert len(trail) > 8

    got = _all_pages(world, s.org_a.admin, s.case)
    assert got[: len(trail)] == trail  # every row, in order, the erasure's own last
    assert len(got) > len(trail)  # and the export's own rows, written page by page

    unknown = world.client.get(f"/cases/{uuid.uuid4()}/audit", headers=s.org_a.admin.headers)
    assert unknown.status_code == 404
    for login in (s.org_b.admin, s.a, s.b, s.lead_b):
        refused = world.client.get(f"/cases/{s.case}/audit", headers=login.headers)
        assert (refused.status_code, refused.json()) == (404, unknown.json())


def _all_pages(world: World, login: Login, case: uuid.UUID) -> list[int]:
    ids: list[int] = []
    after = 0
    while True:
        page = world.client.get(
            f"/cases/{case}/audit", params={"limit": 3, "after": after}, headers=login.headers
        )
        assert page.status_code == 200, page.text
        ids += [e["id"] for e in page.json()["events"]]
        if page.json()["next"] is None:
            return ids
        after = page.json()["next"]


def test_migration_0009_fills_in_the_organisation_of_earlier_erasures(
    setting: Setting, world: World, database_url: str
) -> None:
    s = setting
    s.erase()
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = normalise_url(database_url)
    world.engine.dispose()
    command.downgrade(config, "0008")  # an erasure made before 0009: no organisation kept
    command.upgrade(config, "head")
    with Session(world.engine) as session:
        erased = session.get(CaseErasure, s.case)
        assert erased is not None and erased.organisation_id == s.org_a.id
    assert _all_pages(world, s.org_a.admin, s.case)
    assert REASON not in str(s.rows())

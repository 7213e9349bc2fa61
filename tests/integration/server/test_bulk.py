"""``server.bulk``: the push's way of writing many rows (COPY on PostgreSQL, executemany on
SQLite and for a few rows) stores what an INSERT stores, refuses what an INSERT refuses, and
rolls back with the transaction; ``among`` selects the same rows as IN."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest
from sqlalchemy import Engine, Table, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from server import bulk
from server.models.dossier import AppliedMutation, ChangeRow

CHANGES: Table = cast(Any, ChangeRow).__table__
APPLIED: Table = cast(Any, AppliedMutation).__table__


@pytest.fixture(autouse=True, params=["copy", "insert"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """On PostgreSQL, every test runs with COPY and with the INSERT used for a few rows."""
    monkeypatch.setattr(bulk, "COPY_FROM", 1 if request.param == "copy" else 1_000)
    return str(request.param)


def _change(seq: int, fields: dict[str, Any], at: datetime) -> dict[str, Any]:
    return {
        "seq": seq,
        "entity": "agreement",
        "record_id": uuid.uuid4(),
        "case_id": uuid.uuid4(),
        "op": "upsert",
        "fields": fields,
        "origin_device": uuid.uuid4(),
        "mutation_id": uuid.uuid4(),
        "server_time": at,
    }


def test_rows_come_back_as_written(engine: Engine) -> None:
    awkward = {
        "what": 'Tab\there, "quotes", back\\slash, new\nline, Ëlst, emoji 🙂',
        "nested": {"b": [1, 2.5, None, True], "a": {}},
        "empty": "",
        "none": None,
        "pair": (3, "device"),  # a tuple is stored as a JSON array
    }
    zone = timezone(timedelta(hours=2))
    rows = [
        _change(1, awkward, datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=zone)),
        _change(2, {}, datetime(2026, 3, 1, 10, 0, tzinfo=UTC)),
    ]
    with Session(engine) as session:
        bulk.insert_rows(session.connection(), CHANGES, rows)
        session.commit()
    with Session(engine) as session:
        stored = session.execute(select(CHANGES).order_by(CHANGES.c.seq)).mappings().all()
    assert len(stored) == 2
    first, second = dict(stored[0]), dict(stored[1])
    assert first["fields"] == {**awkward, "pair": [3, "device"]}
    assert first["server_time"] == rows[0]["server_time"]
    assert first["server_time"].utcoffset() == timedelta(0)
    assert {k: first[k] for k in ("record_id", "case_id", "op")} == {
        k: rows[0][k] for k in ("record_id", "case_id", "op")
    }
    assert second["fields"] == {}


def test_tuples_and_a_single_column(engine: Engine) -> None:
    device = uuid.uuid4()
    columns = ("device_id", "mutation_id", "digest", "seq")
    mutations = [uuid.uuid4() for _ in range(3)]
    with Session(engine) as session:
        connection = session.connection()
        bulk.insert_tuples(connection, APPLIED, columns, [(device, m, "d", 1) for m in mutations])
        bulk.insert_tuples(connection, APPLIED, columns, [])  # nothing to do
        session.commit()
        found = session.execute(
            select(APPLIED.c.mutation_id).where(
                bulk.among(session, APPLIED.c.mutation_id, [mutations[0], mutations[2]])
            )
        ).scalars()
        assert set(found) == {mutations[0], mutations[2]}
        none = session.execute(
            select(APPLIED.c.mutation_id).where(bulk.among(session, APPLIED.c.mutation_id, []))
        ).all()
        assert none == []


def test_a_duplicate_is_refused_and_the_batch_rolls_back(engine: Engine) -> None:
    device, mutation = uuid.uuid4(), uuid.uuid4()
    columns = ("device_id", "mutation_id", "digest", "seq")
    with Session(engine) as session:
        connection = session.connection()
        bulk.insert_rows(connection, CHANGES, [_change(7, {"a": 1}, datetime.now(UTC))])
        with pytest.raises(IntegrityError):
            bulk.insert_tuples(
                connection,
                APPLIED,
                columns,
                [(device, mutation, "a", 1), (device, mutation, "b", 2)],
            )
        session.rollback()
    with Session(engine) as session:
        assert session.execute(select(CHANGES.c.seq)).all() == []
        assert session.execute(select(APPLIED.c.id)).all() == []


def test_an_unknown_column_is_an_error(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(Exception, match="no_such"):
        bulk.insert_rows(session.connection(), APPLIED, [{"no_such": 1}])

"""No personal data in the server's logs when a write fails (SECURITY.md: leakage; issue #5).

A push whose field holds a canary value meets a real database error while it is written: the
push's write (``server.sync_push._Batch.write``) is wrapped to execute one more statement that
breaks a real constraint, with the canary among its parameters. The answer is the usual error
shape, and the canary shows up in no log record and nothing written to stdout or stderr, served
by a real uvicorn (whose own error log is where an unhandled exception would end up) with
SQLAlchemy's statement logging switched on.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.exc import DBAPIError

from server import sync_push
from sync.protocol import Entity, Mutation, PushRequest
from tests.integration.server.test_sync_rules import _mutation
from tests.integration.server.world import World
from tests.support.factories import canary

_APPLIED = sync_push._APPLIED  # applied_mutation: UNIQUE (device_id, mutation_id), seq NOT NULL


def _break_the_write(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    """After the batch's rows are written, insert an ``applied_mutation`` row without its ``seq``
    (NOT NULL) and with ``value`` as its digest: a real constraint violation in the push's
    transaction. (PostgreSQL puts the whole failing row, canary included, in the error's detail.)
    """
    original: Callable[[Any], None] = sync_push._Batch.write

    def write(batch: Any) -> None:
        original(batch)
        batch.session.execute(
            insert(_APPLIED).values(
                device_id=batch.principal.device_id,
                mutation_id=uuid.uuid4(),
                digest=value,
                seq=None,
            )
        )

    monkeypatch.setattr(sync_push._Batch, "write", write)


def _push_with(world: World, value: str) -> tuple[dict[str, str], dict[str, Any]]:
    login = world.member(world.organisation())
    case = uuid.uuid4()
    mutation: Mutation = _mutation(
        Entity.CASE, case, case, consent_given=True, question=f"Vraag van {value}"
    )
    body = PushRequest(device_id=login.device_id, mutations=[mutation]).model_dump(mode="json")
    return login.headers, body


def test_a_failed_write_answers_500_and_logs_no_personal_data(
    world: World,
    live_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    value = canary("Log")
    headers, body = _push_with(world, value)
    _break_the_write(monkeypatch, value)
    # INFO on the root logger also lets SQLAlchemy log every statement with its parameters.
    caplog.set_level(logging.INFO)
    response = httpx.post(f"{live_url}/sync/push", json=body, headers=headers, timeout=30)

    assert response.status_code == 500
    answer = response.json()
    assert answer["code"] == "internal_error"
    assert set(answer) == {"code", "message"}
    assert value not in response.text
    out, err = capfd.readouterr()
    assert value not in caplog.text
    assert value not in out + err
    # The error is logged: its type and the route, nothing more.
    logged = [r for r in caplog.records if r.name == "keukentafel.server.errors"]
    assert [r.getMessage() for r in logged] == [
        "unexpected error IntegrityError on POST /sync/push"
    ]
    assert all(r.exc_info is None for r in logged)


def test_a_failed_write_through_the_test_client_is_answered_too(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The handler answers the error itself (the TestClient would re-raise it otherwise)."""
    value = canary("Client")
    headers, body = _push_with(world, value)
    _break_the_write(monkeypatch, value)
    caplog.set_level(logging.INFO)
    response = world.client.post("/sync/push", json=body, headers=headers)
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert value not in caplog.text


def test_a_database_error_does_not_carry_the_row_values(world: World, engine: Engine) -> None:
    """``hide_parameters``: the error text holds the statement, not the values bound to it."""
    world.organisation()
    value = canary("Param")
    row = {"device_id": uuid.uuid4(), "mutation_id": uuid.uuid4(), "digest": "x", "seq": 1}
    with engine.begin() as connection:
        connection.execute(insert(_APPLIED).values(**row))
    with engine.connect() as connection, pytest.raises(DBAPIError) as raised:
        # The same (device, mutation id) again: the key is two random ids, the canary is not in it.
        connection.execute(insert(_APPLIED).values(**{**row, "digest": value}))
    assert "uq_applied_mutation" in str(raised.value) or "UNIQUE" in str(raised.value)
    assert value not in str(raised.value)
    assert "parameters hidden" in str(raised.value)

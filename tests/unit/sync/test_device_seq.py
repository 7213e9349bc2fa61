"""The device numbers its changes (``Mutation.device_seq``) from the outbox: given in the change's
own transaction, increasing, and never reused, not after the outbox emptied, not after a rewrite,
and not after the store was closed and opened again."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import text

from models import outbox, sync_state
from models.changes import Entity
from models.store import CaseStore
from sync import cycle
from tests.support.factories import NOW, PASSPHRASE

CASE = str(uuid.UUID(int=1))


def _queue(store: CaseStore, stage: str) -> str:
    with store.writing() as (conn, sealer):
        return outbox.append(
            conn,
            sealer,
            entity=Entity.CASE,
            record_id=CASE,
            case_id=CASE,
            fields={"stage": stage},
            now=NOW,
        )


def _numbers(store: CaseStore) -> dict[str, int | None]:
    with store.writing() as (conn, sealer):
        entries = cycle._entries(conn, sealer)
    return {str(e.mutation.mutation_id): e.mutation.device_seq for e in entries}


def test_numbers_grow_and_are_never_reused(store: CaseStore) -> None:
    first, second = _queue(store, "contact"), _queue(store, "plan")
    numbers = _numbers(store)
    assert numbers[first] is not None and numbers[second] is not None
    assert numbers[first] < numbers[second]
    with store.writing() as (conn, _sealer):
        outbox.remove(conn, [first, second])  # acknowledged: the outbox is empty
    third = _queue(store, "uitvoering")
    assert (_numbers(store)[third] or 0) > numbers[second]


def test_a_rewritten_outbox_keeps_its_order_above_every_number_given(store: CaseStore) -> None:
    ids = [_queue(store, stage) for stage in ("contact", "plan", "uitvoering")]
    before = _numbers(store)
    with store.writing() as (conn, sealer):
        items = outbox.items(conn, sealer)
        sync_state.rewrite_outbox(conn, sealer, items[1:])  # as after resolving a conflict
    after = _numbers(store)
    assert list(after) == ids[1:]
    assert [after[i] for i in ids[1:]] == sorted(after.values(), key=lambda n: n or 0)
    assert min(n or 0 for n in after.values()) > max(n or 0 for n in before.values())


def test_numbers_survive_closing_the_store(tmp_path: Path, store: CaseStore) -> None:
    last = _queue(store, "plan")
    number = _numbers(store)[last] or 0
    with store.writing() as (conn, _sealer):
        outbox.remove(conn, [last])
        table = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'outbox'")).scalar()
    assert "AUTOINCREMENT" in str(table)
    store.close()
    reopened = CaseStore.open(tmp_path / "k.db")
    reopened.unlock(PASSPHRASE, now=NOW)
    try:
        again = _queue(reopened, "afsluiting")
        assert (_numbers(reopened)[again] or 0) > number
    finally:
        reopened.close()

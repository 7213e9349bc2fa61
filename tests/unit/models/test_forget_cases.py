"""Removing a case whose access ended (issue #5): everything of it leaves the store, in one
transaction, and nothing of any other case (``models.sync_state.forget_cases``)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from models import outbox, plan_pdf, queries, signing, sync_state
from models.changes import Entity
from models.store import CaseStore
from tests.support.factories import TODAY, a_case_file
from tests.support.signatures import a_plan_case_file, sign_all
from tests.support.store_scan import ids_of_case, rows_naming


def _conflict(case_id: str, record_id: str) -> dict[str, object]:
    return {
        "entity": "agreement",
        "record_id": record_id,
        "case_id": case_id,
        "field": "what",
        "mine": "mijn versie",
        "theirs": "hun versie",
        "server_seq": 7,
        "mutation_id": None,
    }


def test_a_forgotten_case_leaves_no_row_and_the_others_stay(
    store: CaseStore, caplog: pytest.LogCaptureFixture
) -> None:
    gone = a_plan_case_file(agreements=3)
    signed = sign_all(store, gone)  # a signed plan version, its signatures and the kept PDF
    signing.save_plan_pdf(store, signed, plan_pdf.build_plan_pdf(signed, language="nl"))
    kept = a_case_file(name="Bram Kuipers")
    store.add_case_files([kept], today=TODAY, now=store.clock())
    gone_id, kept_id = gone.case.id, kept.case.id
    with store.writing() as (conn, sealer):
        for record_id in (gone_id, kept_id):
            outbox.set_base(conn, Entity.CASE, record_id, 3)
        outbox.set_base(conn, Entity.AGREEMENT, gone.agreements[0].id, 4)
        outbox.set_base(conn, Entity.RESIDENT, gone.case.resident.id, 2)
        sync_state.save_conflicts(
            conn,
            sealer,
            [
                _conflict(gone_id, gone.agreements[0].id),
                _conflict(kept_id, kept.agreements[0].id),
            ],
        )
        queued_gone = conn.execute(
            text("SELECT count(*) FROM outbox WHERE case_id = :c"), {"c": gone_id}
        ).scalar_one()
    assert queued_gone > 0
    gone_ids = ids_of_case(store, gone_id)
    assert len(gone_ids) > 10 and rows_naming(store, gone_ids)  # the scan sees the case
    kept_before = queries.case_file(store, kept_id)
    kept_outbox = [i for i in _outbox(store) if i.case_id == kept_id]

    with caplog.at_level(logging.WARNING, logger="models.sync_state"):
        result = store.forget_cases([gone_id])

    assert result == sync_state.ForgetResult(cases=1, changes_dropped=queued_gone)
    assert rows_naming(store, gone_ids) == {}  # no table holds anything of it any more
    assert signing.signed_versions(store, gone.meetings[0].id) == []
    # The other case, its queued changes, its base and its conflict are untouched.
    assert queries.case_file(store, kept_id) == kept_before
    assert [i for i in _outbox(store) if i.case_id == kept_id] == kept_outbox
    with store.reading() as (conn, sealer):
        assert [c["case_id"] for c in sync_state.load_conflicts(conn, sealer)] == [kept_id]
        assert (
            conn.execute(
                text("SELECT base_seq FROM sync_bases WHERE record_id = :r"), {"r": kept_id}
            ).scalar_one()
            == 3
        )
    # The log says how many, nothing personal (no name, no id).
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert f"{queued_gone} unsent change(s) dropped" in logged
    assert gone.case.resident.name not in logged and gone_id not in logged

    # Again, or a case that was never here: nothing to do.
    assert store.forget_cases([gone_id, "00000000-0000-0000-0000-000000000009"]) == (
        sync_state.ForgetResult()
    )


def test_forgetting_is_one_transaction(store: CaseStore) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=store.clock())
    ids = ids_of_case(store, f.case.id)
    before = rows_naming(store, ids)
    with pytest.raises(RuntimeError), store.writing() as (conn, sealer):
        sync_state.forget_cases(conn, sealer, [f.case.id])
        raise RuntimeError("the page after it fails")
    assert rows_naming(store, ids) == before


def _outbox(store: CaseStore) -> list[outbox.OutboxItem]:
    with store.reading() as (conn, sealer):
        return outbox.items(conn, sealer)

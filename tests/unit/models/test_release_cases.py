"""Letting go of closed cases on the store (``models.sync_state.releasable_cases`` and
``release_cases``, issue #5): which cases the rule finds, and that a released one leaves no row
but its id, in one transaction; and (``sync.cycle``) that a pulled change of a released case that
did not come back whole is never applied."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from models import outbox, sync_state, team_cache
from models.changes import Entity
from models.domain import CaseFile
from models.store import CaseStore
from sync.cycle import _without_released
from sync.protocol import Change, Op, PullResponse
from sync.team_protocol import OverdueReport
from tests.support.factories import NOW, TODAY, a_case_file
from tests.support.store_scan import ids_of_case, rows_naming


def _closed(name: str, days_ago: int, *, consent: bool = True) -> CaseFile:
    contact = TODAY - timedelta(days=days_ago + 30)
    made = a_case_file(name=name, contact=contact, held_on=contact + timedelta(days=10))
    assert made.case.consent is not None
    made.case.consent = dataclasses.replace(made.case.consent, given=consent)
    made.case.closed_on = TODAY - timedelta(days=days_ago)
    return made


def _enrol(store: CaseStore, url: str = "https://dossier.example.org") -> None:
    account = sync_state.SyncAccount(
        server_url=url,
        device_id=str(uuid.uuid4()),
        account_id=str(uuid.uuid4()),
        email="wijkverpleegkundige@example.org",
        device_secret="s",
        refresh_token="r",
    )
    with store.writing() as (conn, sealer):
        sync_state.save_account(conn, sealer, account, now=NOW)


def _acknowledged(store: CaseStore, *files: CaseFile) -> None:
    """As after a sync: the outbox sent, the case record pulled back with its seq."""
    with store.writing() as (conn, _sealer):
        for f in files:
            conn.execute(text("DELETE FROM outbox WHERE case_id = :c"), {"c": f.case.id})
            outbox.set_base(conn, Entity.CASE, f.case.id, 5)


def _releasable(store: CaseStore) -> list[str]:
    with store.reading() as (conn, sealer):
        return sync_state.releasable_cases(conn, sealer, today=TODAY)


def test_only_shared_acknowledged_quiet_cases_closed_28_days_ago_are_found(
    store: CaseStore,
) -> None:
    leaves, on_the_day = _closed("Fenna de Bruijn", 29), _closed("Ilse Verbeek", 28)
    too_soon, unshared = _closed("Bram Kuipers", 27), _closed("Sanne Vos", 90, consent=False)
    unacknowledged, waiting = _closed("Daan Smit", 40), _closed("Lotte Bakker", 40)
    questioned = _closed("Mila Visser", 40)
    files = [leaves, on_the_day, too_soon, unshared, unacknowledged, waiting, questioned]
    store.add_case_files(files, today=TODAY, now=NOW)
    _acknowledged(store, leaves, on_the_day, too_soon, unshared, waiting, questioned)
    assert _releasable(store) == []  # not enrolled: nothing leaves
    _enrol(store)
    with store.writing() as (conn, sealer):
        conn.execute(text("DELETE FROM sync_bases WHERE record_id = :c"), {"c": unshared.case.id})
        outbox.append(
            conn,
            sealer,
            entity=Entity.CASE,
            record_id=waiting.case.id,
            case_id=waiting.case.id,
            fields={"closing_note": "nog één ding"},
            now=NOW,
        )
        question = {"case_id": questioned.case.id, "entity": "case", "field": "question"}
        sync_state.save_conflicts(conn, sealer, [question])  # type: ignore[list-item]
    assert _releasable(store) == sorted([leaves.case.id, on_the_day.case.id])


def test_a_released_case_leaves_only_its_id_in_one_transaction(
    store: CaseStore, caplog: pytest.LogCaptureFixture
) -> None:
    gone, kept = _closed("Fenna de Bruijn", 29), _closed("Bram Kuipers", 3)
    store.add_case_files([gone, kept], today=TODAY, now=NOW)
    _acknowledged(store, gone, kept)
    _enrol(store)
    ids = ids_of_case(store, gone.case.id)
    before = rows_naming(store, ids)
    with pytest.raises(RuntimeError), store.writing() as (conn, sealer):
        sync_state.release_cases(conn, sealer, [gone.case.id], now=NOW)
        raise RuntimeError("the cycle stops")
    assert rows_naming(store, ids) == before

    with caplog.at_level(logging.WARNING), store.writing() as (conn, sealer):
        found = sync_state.releasable_cases(conn, sealer, today=TODAY)
        assert sync_state.release_cases(conn, sealer, found, now=NOW).cases == 1
    assert rows_naming(store, ids) == {"released_cases": 1}
    assert store.has_case(kept.case.id)
    assert gone.case.resident.name not in caplog.text and gone.case.id not in caplog.text
    with store.reading() as (conn, _sealer):
        assert sync_state.released_case_ids(conn) == [gone.case.id]

    # Access to it ends later (an erasure, say): it is no released case any more either.
    store.forget_cases([gone.case.id])
    assert rows_naming(store, ids) == {}


def test_another_dossier_knows_nothing_of_the_released_cases(store: CaseStore) -> None:
    gone = _closed("Fenna de Bruijn", 29)
    store.add_case_files([gone], today=TODAY, now=NOW)
    _acknowledged(store, gone)
    _enrol(store)
    with store.writing() as (conn, sealer):
        sync_state.release_cases(conn, sealer, [gone.case.id], now=NOW)
    _enrol(store, "https://ander-dossier.example.org")
    with store.reading() as (conn, _sealer):
        assert sync_state.released_case_ids(conn) == []


def _change(case_id: uuid.UUID, seq: int) -> Change:
    return Change(
        seq=seq,
        entity=Entity.RESIDENT.value,  # a resident alone would make an orphan row here
        record_id=uuid.uuid4(),
        case_id=case_id,
        op=Op.UPSERT,
        fields={"name": "Fenna"},
        origin_device=uuid.uuid4(),
        mutation_id=uuid.uuid4(),
        server_time=datetime(2026, 12, 4, tzinfo=UTC),
    )


def test_a_change_of_a_released_case_that_did_not_come_back_whole_is_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    released, back, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    changes = [_change(released, 1), _change(back, 2), _change(other, 3)]
    for returned in (None, [back]):  # an older server, or one that back-filled only ``back``
        page = PullResponse(changes=changes, cursor=3, done=True, returned=returned)
        with caplog.at_level(logging.WARNING):
            kept, wanted = _without_released(page, {str(released), str(back)})
        expected = [other] if returned is None else [back, other]
        assert [c.case_id for c in kept.changes] == expected
        assert wanted == sorted([str(released), str(back)] if returned is None else [str(released)])
        assert str(released) in caplog.text and "Fenna" not in caplog.text


def test_wanted_marks_are_kept_in_the_store_and_cleared(store: CaseStore) -> None:
    files = [_closed(name, 29) for name in ("Fenna de Bruijn", "Bram Kuipers", "Ilse Verbeek")]
    store.add_case_files(files, today=TODAY, now=NOW)
    _acknowledged(store, *files)
    _enrol(store)
    ids = sorted(f.case.id for f in files)
    with store.writing() as (conn, sealer):
        sync_state.release_cases(conn, sealer, ids, now=NOW)
        assert sync_state.wanted_case_ids(conn, limit=10) == []
        sync_state.want_back(conn, [*ids[:2], str(uuid.uuid4())])  # an id not released: nothing
    with store.reading() as (conn, _sealer):  # committed: a crash now loses no mark
        assert sync_state.wanted_case_ids(conn, limit=10) == ids[:2]
        assert sync_state.wanted_case_ids(conn, limit=1) == ids[:1]
    with store.writing() as (conn, _sealer):
        sync_state.not_wanted(conn, ids[:1])  # the dossier did not send it: released, not wanted
        sync_state.take_back(conn, ids[1:2])  # back whole: no longer released
        assert sync_state.wanted_case_ids(conn, limit=10) == []
        assert sync_state.released_case_ids(conn) == [ids[0], ids[2]]


def _cache_team_answer(store: CaseStore) -> None:
    report = OverdueReport(
        team_id=uuid.uuid4(), team_name="Team Oost", today=TODAY, as_of=NOW, items=[]
    )
    with store.writing() as (conn, sealer):
        team_cache.save_overdue(conn, sealer, report, at=NOW)


def _team_cached(store: CaseStore) -> bool:
    with store.reading() as (conn, sealer):
        return team_cache.load_overdue(conn, sealer) is not None


def test_forgetting_cases_drops_the_team_leads_cached_dashboard(store: CaseStore) -> None:
    ended, closed = _closed("Fenna de Bruijn", 29), _closed("Bram Kuipers", 29)
    store.add_case_files([ended, closed], today=TODAY, now=NOW)
    _acknowledged(store, ended, closed)
    _enrol(store)
    _cache_team_answer(store)
    store.forget_cases([])  # nothing forgotten: the cache stays
    assert _team_cached(store)
    # Releasing a closed case keeps it: the lead still sees that case on the dossier.
    with store.writing() as (conn, sealer):
        sync_state.release_cases(conn, sealer, [closed.case.id], now=NOW)
    assert _team_cached(store)
    # Access ended (or an erasure): the cache may name the resident, so it goes.
    store.forget_cases([ended.case.id])
    assert not _team_cached(store)
    _cache_team_answer(store)
    store.forget_cases([uuid.uuid4()])  # a case the lead saw only on the dashboard
    assert not _team_cached(store)

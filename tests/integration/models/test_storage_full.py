"""A device whose storage is full: SQLite's real SQLITE_FULL, raised as ``StorageError``
(``tests.support.storage``), and the other refusals told apart."""

from __future__ import annotations

import dataclasses
import sqlite3

import pytest

from models import outbox, queries
from models.database import _storage_error
from models.errors import StorageError, StorageProblem, StoreError
from models.store import CaseStore
from tests.support.factories import NOW, TODAY, a_case_file
from tests.support.storage import device_full


def queued(store: CaseStore) -> int:
    with store.reading() as (conn, sealer):
        return len(outbox.items(conn, sealer))


def test_a_save_on_a_full_device_says_so_and_half_saves_nothing(store: CaseStore) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    before, waiting = queries.case_file(store, f.case.id), queued(store)
    # A long note: more than the room left in the file's pages.
    noted = dataclasses.replace(f.agreements[0], note="Gebeld en afgesproken. " * 200)

    with device_full(store), pytest.raises(StorageError) as raised:
        store.save_agreement(noted)

    assert raised.value.problem is StorageProblem.FULL
    assert isinstance(raised.value, StoreError)  # the CLI and screens already show these
    assert "apparaat is vol" in raised.value.message  # Dutch, says what to do
    assert raised.value.message.startswith("Opslaan lukte niet.")
    assert "Gebeld" not in raised.value.message and "Gebeld" not in str(raised.value.__cause__)
    # Nothing half-saved: neither the record nor its outbox row.
    assert queries.case_file(store, f.case.id) == before
    assert queued(store) == waiting

    # Room again: the same save goes through, once, with its outbox row.
    store.save_agreement(noted)
    saved = queries.case_file(store, f.case.id).agreements
    assert next(a for a in saved if a.id == noted.id).note == noted.note
    assert queued(store) == waiting + 1


def test_a_new_case_on_a_full_device_is_not_half_written(store: CaseStore) -> None:
    store.add_case_files([a_case_file()], today=TODAY, now=NOW)
    ids = [s.case_id for s in queries.case_summaries(store, today=TODAY)]
    with device_full(store), pytest.raises(StorageError):
        store.add_case_files([a_case_file(question="Ik wil weer " * 400)], today=TODAY, now=NOW)
    assert [s.case_id for s in queries.case_summaries(store, today=TODAY)] == ids


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        (sqlite3.SQLITE_FULL, StorageProblem.FULL),
        (sqlite3.SQLITE_READONLY, StorageProblem.READ_ONLY),
        (sqlite3.SQLITE_IOERR, StorageProblem.FAILING),
        (sqlite3.SQLITE_IOERR | (3 << 8), StorageProblem.FAILING),  # SQLITE_IOERR_WRITE
    ],
)
def test_the_storage_errors_sqlite_gives_are_told_apart(code: int, problem: StorageProblem) -> None:
    error = sqlite3.OperationalError("from SQLite")
    error.sqlite_errorcode = code  # type: ignore[attr-defined]

    class Context:
        original_exception = error

    raised = _storage_error(Context())  # type: ignore[arg-type]
    assert isinstance(raised, StorageError) and raised.problem is problem


def test_other_sqlite_errors_stay_as_they_are() -> None:
    error = sqlite3.OperationalError("database is locked")
    error.sqlite_errorcode = sqlite3.SQLITE_BUSY  # type: ignore[attr-defined]

    class Context:
        original_exception = error

    assert _storage_error(Context()) is None  # type: ignore[arg-type]

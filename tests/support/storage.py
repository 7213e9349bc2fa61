"""A store whose device is full: SQLite's real SQLITE_FULL, not a fake.

SQLite's ``max_page_count`` stops the file from growing, exactly as a full disk does (SQLite reports
the same error, "database or disk is full"). Every connection of the store's pool gets it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from models.store import CaseStore


@contextmanager
def device_full(store: CaseStore) -> Iterator[None]:
    """No room to grow the file while inside; what is there stays readable."""

    def cap(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count={pages}")

    store.engine.dispose()  # new connections, each capped
    with sqlite3.connect(store.path) as plain:
        plain.execute("VACUUM")  # no free pages left to fill first
    event.listen(store.engine, "connect", cap)
    try:
        yield
    finally:
        event.remove(store.engine, "connect", cap)
        store.engine.dispose()

"""Look through a whole app store, table by table, for any row that names a case's records.

For the tests of "the tablet keeps only the active caseload" (issue #5): a case removed from the
device must leave no row behind in any table, whichever table a later change adds.
"""

from __future__ import annotations

from sqlalchemy import text

from models.store import CaseStore

# Tables whose rows belong to one case, by their case column.
CASE_TABLES = (
    "participants",
    "meetings",
    "agreements",
    "measurements",
    "plan_versions",
    "plan_signatures",
)


def ids_of_case(store: CaseStore, case_id: str) -> set[str]:
    """The ids of the case, its resident and every row of it in the case tables."""
    with store.engine.connect() as conn:
        ids = {case_id}
        resident = conn.execute(
            text("SELECT resident_id FROM cases WHERE id = :id"), {"id": case_id}
        ).scalar()
        if resident is not None:
            ids.add(str(resident))
        for table in CASE_TABLES:
            ids.update(
                str(row_id)
                for row_id in conn.execute(
                    text(f"SELECT id FROM {table} WHERE case_id = :id"),
                    {"id": case_id},
                ).scalars()
            )
    return ids


def rows_naming(store: CaseStore, ids: set[str]) -> dict[str, int]:
    """Per table, how many rows hold one of ``ids`` as a whole value in any column."""
    found: dict[str, int] = {}
    with store.engine.connect() as conn:
        tables = conn.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        ).scalars()
        for table in list(tables):
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                if any(isinstance(v, str) and v in ids for v in row):
                    found[table] = found.get(table, 0) + 1
    return found

"""Writing many rows of one table in the caller's transaction, as cheaply as the database allows.

A push batch writes hundreds of rows into each of several tables (bench/sync_ingest.py). On
PostgreSQL ``insert_rows`` streams them with ``COPY ... FROM STDIN`` on the session's own
connection: one statement per table, inside the transaction, so a rollback takes the rows out
again and constraints (primary keys, UNIQUE, NOT NULL, lengths) are checked as for an INSERT.
Elsewhere (SQLite) it is one executemany INSERT.

``among(session, column, values)`` is ``column IN (values)``; on PostgreSQL as ``column =
ANY(array)``, one parameter: a query with hundreds of placeholders costs more to build, parse and
plan than to run (psycopg does not cache long queries).

Rows are dicts with the same keys, values as the table's Python types; JSON columns take dicts or
lists (serialised with ``json.dumps``, as SQLAlchemy's JSON type does: None becomes JSON null);
datetimes must be aware, as ``UTCDateTime`` wants them (COPY does not run its check).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, ColumnElement, Connection, Table, any_, insert, literal
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session


def insert_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), list(rows))
        return
    columns = list(rows[0])
    for name in columns:  # a typo must fail like an INSERT would, not go unnoticed
        if name not in table.c:
            raise KeyError(f"{table.name} has no column {name}")
    as_json = [isinstance(table.c[name].type, JSON) for name in columns]
    driver: Any = connection.connection.driver_connection
    names = ", ".join(f'"{name}"' for name in columns)
    with (
        driver.cursor() as cursor,
        cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy,
    ):
        if any(as_json):
            for row in rows:
                copy.write_row(
                    [
                        json.dumps(row[name]) if encode else row[name]
                        for name, encode in zip(columns, as_json, strict=True)
                    ]
                )
        else:
            for row in rows:
                copy.write_row([row[name] for name in columns])


def among(
    where: Session | Connection, column: ColumnElement[Any], values: Iterable[Any]
) -> ColumnElement[bool]:
    """``column IN values``, as one array parameter on PostgreSQL."""
    values = list(values)
    bind = where.get_bind() if isinstance(where, Session) else where
    if bind.dialect.name == "postgresql":
        return column == any_(literal(values, ARRAY(column.type)))
    return column.in_(values)

"""Writing many rows of one table in the caller's transaction, as cheaply as the database allows.

A push batch writes hundreds of rows into each of several tables (bench/sync_ingest.py). On
PostgreSQL ``insert_rows`` streams them with ``COPY ... FROM STDIN`` on the session's own
connection: one statement per table, inside the transaction, so a rollback takes the rows out
again and constraints (primary keys, UNIQUE, NOT NULL, lengths) are checked as for an INSERT;
a violation raises SQLAlchemy's error for it (``IntegrityError``, ...), as an INSERT would.
Elsewhere (SQLite), and for a few rows, it is one executemany INSERT.

``among(session, column, values)`` is ``column IN (values)``; on PostgreSQL as ``column =
ANY(array)``, one parameter: a query with hundreds of placeholders costs more to build, parse and
plan than to run (psycopg does not cache long queries).

Rows are dicts with the same keys, values as the table's Python types. JSON columns take dicts or
lists (None becomes JSON null, as with SQLAlchemy's JSON type); COPY gets them serialised by
pydantic's serialiser, a few times faster than ``json.dumps`` and the same JSON values (the
column is JSONB: spacing and escapes do not matter). Datetimes must be aware, as ``UTCDateTime``
wants them (COPY does not run its check).
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import psycopg
import pydantic_core
from sqlalchemy import JSON, ColumnElement, Connection, Table, any_, insert, literal
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

COPY_FROM = 8  # rows; fewer go in with an INSERT (one round trip instead of COPY's two)


def insert_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table``."""
    if not rows:
        return
    columns = list(rows[0])
    _check(table, columns)
    if connection.dialect.name != "postgresql" or len(rows) < COPY_FROM:
        connection.execute(insert(table), list(rows))
        return
    if len(columns) == 1:
        insert_tuples(connection, table, columns, [(row[columns[0]],) for row in rows])
    else:
        values = operator.itemgetter(*columns)  # a tuple of the values, in C
        insert_tuples(connection, table, columns, [values(row) for row in rows])


def insert_tuples(
    connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert ``rows`` (values in the order of ``columns``) into ``table``."""
    if not rows:
        return
    _check(table, columns)
    if connection.dialect.name != "postgresql" or len(rows) < COPY_FROM:
        connection.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    as_json = [i for i, name in enumerate(columns) if isinstance(table.c[name].type, JSON)]
    driver: Any = connection.connection.driver_connection
    names = ", ".join(f'"{name}"' for name in columns)
    statement = f'COPY "{table.name}" ({names}) FROM STDIN'
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            if as_json:
                for row in rows:
                    values = list(row)
                    for i in as_json:
                        values[i] = _json(values[i])
                    copy.write_row(values)
            else:
                for row in rows:
                    copy.write_row(row)
    except psycopg.Error as error:  # as SQLAlchemy raises it: IntegrityError for a duplicate
        raise DBAPIError.instance(statement, None, error, psycopg.Error) from error


def _check(table: Table, columns: Sequence[str]) -> None:
    """A typo must fail, not go unnoticed (SQLAlchemy's executemany ignores unknown keys)."""
    for name in columns:
        if name not in table.c:
            raise KeyError(f"{table.name} has no column {name}")


def _json(value: object) -> str:
    return pydantic_core.to_json(value).decode("utf-8")


def among(
    where: Session | Connection, column: ColumnElement[Any], values: Iterable[Any]
) -> ColumnElement[bool]:
    """``column IN values``, as one array parameter on PostgreSQL."""
    values = list(values)
    bind = where.get_bind() if isinstance(where, Session) else where
    if bind.dialect.name == "postgresql":
        return column == any_(literal(values, ARRAY(column.type)))
    return column.in_(values)

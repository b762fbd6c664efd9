"""Set-based writes for bulk paths: a statement per table and batch, not per row.

Inserts go with COPY on PostgreSQL and multi-row INSERTs on SQLite; updates as one
UPDATE joined to the new values. Never an executemany: both drivers run one of
those as a statement per row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    FromClause,
    Integer,
    Table,
    func,
    select,
    text,
)

from claims_api.extensions import db
from claims_api.models.base import UTCDateTime, json_text

POSTGRES_PARAMETERS = 65_535


def _is_json(column_type: Any) -> bool:
    return isinstance(column_type, JSON)


def _pg_type(column_type: Any) -> str:
    """How COPY sends a column's Python values. JSON goes as its text, which the
    jsonb column parses (sent as jsonb, a str would become a JSON string)."""
    impl = getattr(column_type, "impl", column_type)
    kinds = ((Boolean, "bool"), (Integer, "int4"), (Float, "float8"), (DateTime, "timestamptz"))
    for kind, name in kinds:
        if isinstance(impl, kind):
            return name
    return "text"


def _new_ids(connection: Any, table: Table, count: int, postgres: bool) -> list[int]:
    """Ids for ``count`` new rows, taken before inserting them.

    PostgreSQL: from the table's sequence. SQLite: after the largest id; the
    import's transaction began with BEGIN IMMEDIATE, so no other writer can take
    them meanwhile. (RETURNING would do, but SQLite does not promise its order,
    and SQLAlchemy then falls back to one INSERT per row.)
    """
    if postgres:
        statement = select(text("nextval(pg_get_serial_sequence(:table, 'id'))")).select_from(
            text("generate_series(1, :count)")
        )
        return list(connection.execute(statement, {"table": table.name, "count": count}).scalars())
    last = connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    return list(range(last + 1, last + 1 + count))


def _chunks(connection: Any, rows: list[Any], width: int) -> Iterator[list[Any]]:
    """``rows`` in runs that fit one statement, each row ``width`` parameters: SQLite
    binds at most its variable limit (32,766 since 3.32, 999 before), PostgreSQL 65,535."""
    limit = POSTGRES_PARAMETERS
    if connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        limit = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    size = max(1, limit // width)
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _bind_processors(
    connection: Any, table: Table, names: list[str]
) -> list[Callable[[Any], Any] | None]:
    """Each column's bind processor (None: the value goes as it is). A timestamp's is
    cached: a batch's rows share theirs (the time of the write), and converting the
    same one again for each of a 10,000-claim import's 80,000 timestamps took longer
    than some of its inserts."""
    processors: list[Callable[[Any], Any] | None] = []
    for name in names:
        column_type = table.c[name].type
        process = column_type._cached_bind_processor(connection.dialect)
        if process is not None and isinstance(column_type, UTCDateTime):
            process = lru_cache(maxsize=256)(process)
        processors.append(process)
    return processors


def _insert_values(
    connection: Any, table: Table, rows: list[dict[str, Any]], suffix: str = ""
) -> list[Any]:
    """Multi-row INSERT ... VALUES statements, as few as SQLite's variable limit allows
    (not an executemany: SQLite runs one of those as a statement per row). Each value
    goes through its column type's bind processor once: what SQLAlchemy stores,
    without its per-row bookkeeping."""
    names = list(rows[0])
    processors = _bind_processors(connection, table, names)
    one = "(" + ", ".join("?" * len(names)) + ")"
    returned: list[Any] = []
    for chunk in _chunks(connection, rows, len(names)):
        values = ", ".join([one] * len(chunk))
        result = connection.exec_driver_sql(
            f"INSERT INTO {table.name} ({', '.join(names)}) VALUES {values}{suffix}",
            tuple(
                process(row[name]) if process else row[name]
                for row in chunk
                for name, process in zip(names, processors, strict=True)
            ),
        )
        if result.returns_rows:
            returned.extend(result.all())
    return returned


def insert_rows(
    model_table: FromClause, rows: list[dict[str, Any]], *, returning_ids: bool = False
) -> list[int]:
    """Insert ``rows`` (all with the same keys) in one statement; their ids if asked.

    On PostgreSQL the ids are drawn from the table's sequence first and the rows
    sent with COPY, the fastest way in; on SQLite multi-row INSERTs.
    """
    # A model's __table__ is typed as any FROM clause; it is always a Table.
    assert isinstance(model_table, Table)
    table = model_table
    if not rows:
        return []
    connection = db.session.connection()
    postgres = connection.dialect.name == "postgresql"
    ids: list[int] = []
    if returning_ids:
        ids = _new_ids(connection, table, len(rows), postgres)
        rows = [{"id": row_id, **row} for row_id, row in zip(ids, rows, strict=True)]
    if not postgres:
        _insert_values(connection, table, rows)
        return ids
    names = list(rows[0])
    types = [_pg_type(table.c[name].type) for name in names]
    json_columns = [index for index, name in enumerate(names) if _is_json(table.c[name].type)]
    driver = connection.connection.driver_connection
    assert driver is not None, "a live connection has its driver's connection"
    cursor = driver.cursor()
    with cursor, cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
        copy.set_types(types)
        for row in rows:
            values = [row[name] for name in names]
            for index in json_columns:
                if values[index] is not None:
                    values[index] = json_text(values[index])
            copy.write_row(values)
    return ids


def insert_missing_rows(
    model_table: FromClause, rows: list[dict[str, Any]], returning: tuple[str, ...] = ()
) -> list[Any]:
    """Insert those of ``rows`` (all with the same keys) whose unique keys are free,
    leaving the others as they are (ON CONFLICT DO NOTHING): two writers inserting
    the same new row at once both end up with the one row. ``returning``: the columns
    of the rows this call inserted to return (in no promised order), saving a SELECT.

    PostgreSQL: one statement, each column sent as an array and unnested; SQLite:
    multi-row INSERTs. Rows go in the order given (lock order, for callers that need
    one). Each value goes through its column type's bind processor once.
    """
    assert isinstance(model_table, Table)
    table = model_table
    if not rows:
        return []
    suffix = " ON CONFLICT DO NOTHING" + (f" RETURNING {', '.join(returning)}" if returning else "")
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return _insert_values(connection, table, rows, suffix)
    names = list(rows[0])
    columns = []
    for name, process in zip(names, _bind_processors(connection, table, names), strict=True):
        values = [row[name] for row in rows]
        columns.append([process(value) for value in values] if process else values)
    arrays = ", ".join(
        f"CAST(%s AS {table.c[name].type.compile(connection.dialect)}[])" for name in names
    )
    result = connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays}){suffix}",
        tuple(columns),
    )
    return list(result.all()) if returning else []


def update_rows(model_table: FromClause, rows: list[dict[str, Any]]) -> None:
    """Set columns of existing rows, each found by its ``id``, in one UPDATE joined to a
    VALUES list of the new values (one per chunk of the database's parameter limit).

    Every row has the same keys, ``id`` among them.
    """
    assert isinstance(model_table, Table)
    table = model_table
    if not rows:
        return
    connection = db.session.connection()
    names = ["id", *(name for name in rows[0] if name != "id")]
    types = [table.c[name].type.compile(connection.dialect) for name in names]
    assignments = ", ".join(f"{name} = new_values.{name}" for name in names[1:])
    for chunk in _chunks(connection, rows, len(names)):
        tuples, parameters = [], {}
        for number, row in enumerate(chunk):
            marks = [f":r{number}_{index}" for index in range(len(names))]
            if number == 0:  # its casts type the VALUES columns (a bare NULL is text)
                marks = [f"CAST({mark} AS {kind})" for mark, kind in zip(marks, types, strict=True)]
            tuples.append("(" + ", ".join(marks) + ")")
            parameters.update({f"r{number}_{index}": row[name] for index, name in enumerate(names)})
        connection.execute(
            text(
                f"WITH new_values ({', '.join(names)}) AS (VALUES {', '.join(tuples)}) "
                f"UPDATE {table.name} SET {assignments} FROM new_values "
                f"WHERE {table.name}.id = new_values.id"
            ),
            parameters,
        )

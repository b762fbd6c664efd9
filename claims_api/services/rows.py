"""Multi-row inserts for bulk paths: executemany on SQLite, COPY on PostgreSQL."""

from __future__ import annotations

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
from claims_api.models.base import json_text


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


def _executemany(connection: Any, table: Table, rows: list[dict[str, Any]]) -> None:
    """One executemany on the DB-API cursor, each value passed through its column type's
    bind processor once: what SQLAlchemy stores, without its per-row bookkeeping."""
    dialect = connection.dialect
    names = list(rows[0])
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in names]
    marks = ", ".join("?" * len(names))
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})"
    connection.exec_driver_sql(
        sql,
        [
            tuple(
                process(row[name]) if process else row[name]
                for name, process in zip(names, processors, strict=True)
            )
            for row in rows
        ],
    )


def insert_rows(
    model_table: FromClause, rows: list[dict[str, Any]], *, returning_ids: bool = False
) -> list[int]:
    """Insert ``rows`` (all with the same keys) in one statement; their ids if asked.

    On PostgreSQL the ids are drawn from the table's sequence first and the rows
    sent with COPY, the fastest way in; elsewhere one executemany (SQLAlchemy's
    insertmanyvalues, with RETURNING in parameter order).
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
        _executemany(connection, table, rows)
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

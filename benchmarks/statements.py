"""Counting the statements a database receives, as the database sees them.

SQLAlchemy's ``before_cursor_execute`` misses what goes around it (a COPY on the
driver's own cursor, the COMMIT the DB-API connection sends) and sees an
executemany once, however many statements it puts on the wire. So the count is
taken at the driver instead:

- SQLite: every statement SQLAlchemy hands the DB-API cursor, each row of an
  executemany as one (SQLite runs it as a statement per row), and each COMMIT and
  ROLLBACK the DB-API connection sends. Not its trace callback: that reports a
  statement again at the start of every trigger it fires (the full-text index's,
  per row), each time as the whole statement with its parameters written in: for a
  multi-row INSERT of thousands of rows, a string of megabytes per row, and a
  10,000-claim import traced so did not finish in ten minutes. A raw sqlite3
  connection handed to ``watch`` is traced (its statements are short), a report
  repeating the one before it being a trigger's.
- PostgreSQL: libpq's protocol trace of each connection, counting every Query
  and every Execute message. A COPY is one Query however many rows it carries;
  psycopg 3's executemany is one Execute per row (pipelined, but each is a
  statement the server plans and runs); BEGIN and COMMIT count too.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from typing import Any

from psycopg.pq import Trace
from sqlalchemy import Engine, event


class StatementCounter:
    """Statements sent by the connections it watches (see the module's doc): every
    connection ``engine`` opens while counting, and any raw driver connection handed to
    ``watch``.

    The engine's pool is emptied first, so every connection it uses is one this
    counter watches from its start.
    """

    def __init__(self, engine: Engine | None = None) -> None:
        self.engine = engine
        self._sqlite = 0
        self._last: str | None = None
        self._connections: list[Any] = []
        self._traces: list[Any] = []
        if engine is not None:
            engine.dispose()
            self._listeners: list[tuple[str, Any]] = (
                [
                    ("before_cursor_execute", self._executed),
                    ("commit", self._ended),
                    ("rollback", self._ended),
                ]
                if engine.dialect.name == "sqlite"
                else [("connect", self._connected)]
            )
            for name, listener in self._listeners:
                event.listen(engine, name, listener)

    def _connected(self, dbapi_connection: Any, _record: Any) -> None:
        self.watch(dbapi_connection)

    def _executed(
        self, _c: Any, _cursor: Any, _s: str, parameters: Any, _x: Any, many: bool
    ) -> None:
        self._sqlite += len(parameters) if many else 1

    def _ended(self, _connection: Any) -> None:
        self._sqlite += 1

    def watch(self, dbapi_connection: Any) -> None:
        """Count what this raw driver connection (sqlite3 or psycopg) sends from now on."""
        self._connections.append(dbapi_connection)
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.set_trace_callback(self._traced)
            return
        trace = tempfile.TemporaryFile("w+b")  # noqa: SIM115 (closed by stop)
        dbapi_connection.pgconn.trace(trace.fileno())
        dbapi_connection.pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS)
        self._traces.append(trace)

    def _traced(self, statement: str) -> None:
        if statement != self._last:  # else a trigger of the statement before
            self._sqlite += 1
        self._last = statement

    @property
    def count(self) -> int:
        return self._sqlite + sum(_messages_sent(trace) for trace in self._traces)

    def stop(self) -> None:
        if self.engine is not None:
            for name, listener in self._listeners:
                event.remove(self.engine, name, listener)
        for connection in self._connections:
            if isinstance(connection, sqlite3.Connection):
                with contextlib.suppress(sqlite3.ProgrammingError):  # closed already
                    connection.set_trace_callback(None)
            elif not connection.closed:
                connection.pgconn.untrace()
        for trace in self._traces:
            trace.close()
        if self.engine is not None:
            self.engine.dispose()


def _messages_sent(trace: Any) -> int:
    """Query and Execute messages from client to server in a libpq trace (``F`` lines)."""
    trace.flush()
    trace.seek(0)
    count = sum(
        1
        for line in trace
        if line.startswith(b"F\t") and line.split(b"\t", 3)[2:3] in ([b"Query"], [b"Execute"])
    )
    trace.seek(0, os.SEEK_END)
    return count

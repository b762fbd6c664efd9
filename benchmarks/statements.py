"""Counting the statements a database receives, as the database sees them.

SQLAlchemy's ``before_cursor_execute`` misses what goes around it (a COPY on the
driver's own cursor) and sees an executemany once, however many statements it
puts on the wire. So the count is taken below the driver instead:

- SQLite: every statement handed to the driver's cursor, each row of an
  executemany as one (SQLite runs it as a statement per row). SQLite runs in
  the process, so this is what it receives; its trace callback would serve
  too, but it reports a statement again at each trigger it fires.
- PostgreSQL: libpq's protocol trace of each connection, counting every Query
  and every Execute message. A COPY is one Query however many rows it carries;
  psycopg 3's executemany is one Execute per row (pipelined, but each is a
  statement the server plans and runs); BEGIN and COMMIT count too.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from psycopg.pq import Trace
from sqlalchemy import Engine, event


class StatementCounter:
    """Statements an engine's connections send while listening (see the module's doc).

    The engine's pool is emptied first, so every connection it uses is one this
    counter watches from its start.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sqlite = 0
        self._traces: list[tuple[Any, Any]] = []
        engine.dispose()
        if engine_is_sqlite(engine):
            event.listen(engine, "before_cursor_execute", self._executed)
        else:
            event.listen(engine, "connect", self._watch)

    def _executed(
        self, _c: Any, _cursor: Any, _s: str, parameters: Any, _x: Any, many: bool
    ) -> None:
        self._sqlite += len(parameters) if many else 1

    def _watch(self, dbapi_connection: Any, _record: Any) -> None:
        trace = tempfile.TemporaryFile("w+b")  # noqa: SIM115 (closed by stop)
        dbapi_connection.pgconn.trace(trace.fileno())
        dbapi_connection.pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS)
        self._traces.append((dbapi_connection, trace))

    @property
    def count(self) -> int:
        if engine_is_sqlite(self.engine):
            return self._sqlite
        return sum(_messages_sent(trace) for _, trace in self._traces)

    def stop(self) -> None:
        if engine_is_sqlite(self.engine):
            event.remove(self.engine, "before_cursor_execute", self._executed)
        else:
            event.remove(self.engine, "connect", self._watch)
        for connection, _ in self._traces:
            if not connection.closed:
                connection.pgconn.untrace()
        for _, trace in self._traces:
            trace.close()
        self.engine.dispose()


def engine_is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


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

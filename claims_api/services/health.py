"""Readiness: is the database reachable, at the latest migration, and able to take a write?

Orchestrators probe often and act on silence, so a probe must answer in time
whatever the database does: a held write lock, a server that does not answer, a
full disk. Each probe runs on a connection of its own (never one of the
requests' pool, which a stuck database may have used up) with lock and statement
timeouts of about a second, in a worker thread the request waits for at most
``PROBE_DEADLINE_SECONDS``. The write probe takes the write lock the way a
writer would and rolls back, so it holds it for a moment only and changes nothing.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from claims_api.errors import is_busy
from claims_api.migrations import head_revision, revision_of, schema_problem

PROBE_LOCK_TIMEOUT_MS = 1000
PROBE_DEADLINE_SECONDS = 1.5
# Rewrites the one row every migrated database has: a write that changes nothing.
WRITE_PROBE = "UPDATE alembic_version SET version_num = version_num"

# Few threads: if the database hangs, later probes wait their deadline and report it
# rather than piling up threads.
_probes = ThreadPoolExecutor(max_workers=2, thread_name_prefix="claims-readiness")


@dataclass(frozen=True)
class Readiness:
    """What a readiness probe found; ``problem`` says why the service is not ready."""

    reachable: bool
    writable: bool
    migration: str | None
    problem: str | None = None

    @property
    def ready(self) -> bool:
        return self.problem is None

    @property
    def expected_migration(self) -> str | None:
        return head_revision()


def probe_engine(engine: Engine) -> Engine:
    """An engine beside ``engine`` for probes: no pool, short connect and lock timeouts."""
    if engine.dialect.name == "sqlite":
        # pysqlite's own transaction handling off: the probe says BEGIN IMMEDIATE itself.
        return create_engine(
            engine.url,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={"timeout": PROBE_LOCK_TIMEOUT_MS / 1000},
        )
    # Session-wide, so even reading the migration cannot wait on a lock for long.
    timeout = PROBE_LOCK_TIMEOUT_MS
    timeouts = f"-c statement_timeout={timeout} -c lock_timeout={timeout}"
    given = engine.url.query.get("options")  # a tuple when the URL repeats it
    given_options = " ".join(given) if isinstance(given, tuple) else given
    options = " ".join(filter(None, [given_options, timeouts]))
    return create_engine(
        engine.url,
        poolclass=NullPool,
        connect_args={"connect_timeout": 2, "options": options},
    )


def readiness(engine: Engine, *, min_free_bytes: int) -> Readiness:
    """Probe the database behind ``engine`` (a ``probe_engine``), answering within the deadline."""
    future = _probes.submit(_probe, engine, min_free_bytes)
    try:
        return future.result(timeout=PROBE_DEADLINE_SECONDS)
    except FutureTimeout:
        future.cancel()
        return Readiness(
            reachable=False,
            writable=False,
            migration=None,
            problem=f"The database did not answer within {PROBE_DEADLINE_SECONDS:g} s.",
        )


def _probe(engine: Engine, min_free_bytes: int) -> Readiness:
    try:
        connection = engine.connect()
    except SQLAlchemyError as error:
        return Readiness(False, False, None, f"The database is unreachable: {_reason(error)}")
    with connection:
        try:
            migration = revision_of(connection)
            connection.rollback()
        except SQLAlchemyError as error:
            return Readiness(True, False, None, _failure("cannot be read", error))
        problem = schema_problem(migration)
        if problem:
            return Readiness(True, False, migration, problem)
        try:
            if engine.dialect.name == "sqlite":
                problem = _probe_sqlite_write(connection, min_free_bytes)
            else:
                problem = _probe_postgresql_write(connection)
        except DBAPIError as error:
            problem = _failure("cannot take a write", error)
        return Readiness(True, problem is None, migration, problem)


def _probe_sqlite_write(connection: Connection, min_free_bytes: int) -> str | None:
    # A write into a nearly full disk fails only when it is committed, which a probe
    # must not do: look at the free space where the file lives instead.
    databases = connection.exec_driver_sql("PRAGMA database_list")
    files = [file for _, name, file in databases if name == "main" and file]
    if files:
        free = shutil.disk_usage(Path(files[0]).parent).free
        if free < min_free_bytes:
            return f"The database's disk is full: {free} bytes free, {min_free_bytes} needed."
    connection.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        connection.exec_driver_sql(WRITE_PROBE)
    finally:
        connection.exec_driver_sql("ROLLBACK")
    return None


def _probe_postgresql_write(connection: Connection) -> str | None:
    with connection.begin() as transaction:
        standby, read_only = connection.exec_driver_sql(
            "SELECT pg_is_in_recovery(), current_setting('transaction_read_only') = 'on'"
        ).one()
        if standby:
            return "The database server is a standby (in recovery): it takes no writes."
        if read_only:
            return "The database is read-only (default_transaction_read_only is on)."
        connection.exec_driver_sql(WRITE_PROBE)
        transaction.rollback()
    return None


def _failure(what: str, error: SQLAlchemyError) -> str:
    if isinstance(error, OperationalError) and is_busy(error):
        what = "is busy: another connection holds a lock it needs"
    return f"The database {what}: {_reason(error)}"


def _reason(error: SQLAlchemyError) -> str:
    """The driver's one-line message, without SQLAlchemy's statement and link."""
    return str(getattr(error, "orig", None) or error).strip().splitlines()[0]

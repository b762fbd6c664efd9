"""Backups of the whole database, and restoring one into a database that holds nothing yet.

SQLite: the online backup API copies the file inside one read transaction, so the
copy is the database as of one moment while writers go on (WAL lets them), and
it is written beside its destination and renamed into place, so a backup is never
seen half-made. PostgreSQL: ``pg_dump -Fc`` (one snapshot of the database, writers
go on too) and ``pg_restore``, run for the operator when they are on PATH, so one
command serves both databases. A restore checks the backup's migration first: one
this code does not know is refused, an older one is upgraded after the restore.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from sqlalchemy import Engine, inspect, literal, select, table
from sqlalchemy.exc import SQLAlchemyError

from claims_api import migrations
from claims_api.errors import Conflict
from claims_api.extensions import read_only

MIGRATION_TABLE = "alembic_version"
LOCKED = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})
LOCKED_DEADLINE_SECONDS = 10
PG_TOOLS_HINT = (
    "install PostgreSQL's client tools (of the server's major version or newer), or run "
    "pg_dump -Fc / pg_restore yourself (README, Backups)"
)


class BackupError(Conflict):
    """A backup could not be made, or a file cannot be restored here (a CLI error: no
    HTTP answer carries it, so it adds no problem type)."""


def backup(engine: Engine, path: Path) -> None:
    """Write a consistent copy of the database behind ``engine`` to ``path`` (replacing it)."""
    partial = path.with_name(f".{path.name}.partial")
    with _reported(path):
        partial.unlink(missing_ok=True)
        try:
            _write_backup(engine, partial)
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)


def _write_backup(engine: Engine, partial: Path) -> None:
    if engine.dialect.name == "sqlite":
        with _driver_connection(engine) as source, closing(sqlite3.connect(partial)) as target:
            _copy(source, target)
            # One self-contained file, with no -wal beside it to lose.
            target.execute("PRAGMA journal_mode = DELETE")
    else:
        _run_pg_tool("pg_dump", "--format=custom", f"--file={partial}", engine=engine)


def restore(engine: Engine, path: Path, *, force: bool = False) -> str | None:
    """Replace the database behind ``engine`` with the backup at ``path``; its migration after.

    Refused when the database holds any row and ``force`` is not given, so a
    mistyped DATABASE_URL cannot overwrite live data.
    """
    with _reported(path):
        return _restore(engine, path, force=force)


def _restore(engine: Engine, path: Path, *, force: bool) -> str | None:
    if not path.is_file():
        raise BackupError(f"{path}: no such backup file.")
    sqlite = engine.dialect.name == "sqlite"
    revision = _sqlite_backup_revision(path) if sqlite else _pg_backup_revision(path)
    if revision is None:
        raise BackupError(f"{path} is not a claims-api backup: it records no migration.")
    if not migrations.is_known(revision):
        raise BackupError(
            f"{path} is at migration {revision}, which this version of claims-api does not "
            f"know (its latest is {migrations.head_revision()}): restore it with a newer one."
        )
    if not force and holds_data(engine):
        raise BackupError(
            "The database already holds data: restore into an empty database, "
            "or give --force to replace everything in it."
        )
    if sqlite:
        with closing(_open_read_only(path)) as source, _driver_connection(engine) as target:
            _copy(source, target)
    else:
        # --clean drops what the backup holds first: on an empty database it finds
        # nothing; on a forced restore it replaces it. One transaction: all or nothing.
        _run_pg_tool(
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            str(path),
            engine=engine,
        )
    if revision != migrations.head_revision():
        migrations.upgrade(engine)
    return migrations.current_revision(engine)


def holds_data(engine: Engine) -> bool:
    """Whether any table but the migration's holds a row."""
    with read_only(), engine.connect() as connection:
        names = [name for name in inspect(connection).get_table_names() if name != MIGRATION_TABLE]
        return any(
            connection.execute(select(literal(1)).select_from(table(name)).limit(1)).first()
            for name in names
        )


@contextmanager
def _reported(path: Path) -> Iterator[None]:
    """The failures of the file system and the database, as a BackupError saying which."""
    try:
        yield
    except (OSError, sqlite3.Error) as error:
        raise BackupError(f"{path}: {error}") from None
    except SQLAlchemyError as error:
        cause = getattr(error, "orig", None) or error
        raise BackupError(f"The database cannot be used: {cause}") from None


def _copy(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    """SQLite's online backup of ``source`` into ``target``, all pages in one step.

    One step reads inside one transaction: the copy is the database as of one
    moment. Python retries a locked database for ever; past the deadline the
    progress callback gives up instead (a server still writing the target).
    """
    deadline = time.monotonic() + LOCKED_DEADLINE_SECONDS

    def give_up_when_locked(status: int, remaining: int, total: int) -> None:
        if status in LOCKED and time.monotonic() > deadline:
            raise BackupError(
                f"The database stayed locked for {LOCKED_DEADLINE_SECONDS} s: "
                "another connection is writing (stop the server before a restore)."
            )

    source.backup(target, pages=-1, progress=give_up_when_locked, sleep=0.1)


@contextmanager
def _driver_connection(engine: Engine) -> Iterator[sqlite3.Connection]:
    """The pysqlite connection under one of the engine's, for the backup API."""
    if not engine.url.database or engine.url.database == ":memory:":
        raise BackupError("An in-memory SQLite database has nothing to back up or restore into.")
    connection = engine.raw_connection()
    try:
        driver = connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        yield driver
    finally:
        connection.close()


def _open_read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _sqlite_backup_revision(path: Path) -> str | None:
    try:
        with closing(_open_read_only(path)) as source:
            (verdict,) = source.execute("PRAGMA quick_check").fetchone()
            if verdict != "ok":
                raise BackupError(f"{path} is damaged: {verdict}")
            tables = source.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (MIGRATION_TABLE,)
            ).fetchone()
            if not tables:
                return None
            row = source.execute(f"SELECT version_num FROM {MIGRATION_TABLE}").fetchone()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not an SQLite backup: {error}") from None
    return row[0] if row else None


def _pg_backup_revision(path: Path) -> str | None:
    """The migration recorded in a pg_dump archive: the data of its migration table."""
    _pg_tool("pg_restore")
    try:
        script = _run_pg_tool(
            "pg_restore", "--data-only", f"--table={MIGRATION_TABLE}", "--file=-", str(path)
        )
    except BackupError as error:
        raise BackupError(f"{path} is not a PostgreSQL backup (pg_dump -Fc): {error}") from None
    lines = iter(script.splitlines())
    for line in lines:
        if line.startswith("COPY ") and MIGRATION_TABLE in line:
            value = next(lines, "\\.")
            return None if value == "\\." else value
    return None


def _pg_tool(tool: str) -> str:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(f"{tool} is not on PATH: {PG_TOOLS_HINT}.")
    return executable


def _run_pg_tool(tool: str, *args: str, engine: Engine | None = None) -> str:
    """Run a PostgreSQL client tool (on ``engine``'s database if given); its standard output."""
    env = dict(os.environ)
    command = [_pg_tool(tool), *args]
    if engine is not None:
        # The password goes in the environment, where other users' `ps` cannot read it.
        if engine.url.password:
            env["PGPASSWORD"] = str(engine.url.password)
        libpq = engine.url.set(drivername="postgresql", password=None)
        command.append(f"--dbname={libpq.render_as_string(hide_password=False)}")
    completed = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if completed.returncode != 0:
        lines = completed.stderr.strip().splitlines()
        reason = lines[-1] if lines else f"exit status {completed.returncode}"
        raise BackupError(f"{tool} failed: {reason}")
    return completed.stdout

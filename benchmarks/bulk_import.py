"""Bulk import against the raw driver, on SQLite and PostgreSQL.

    python -m benchmarks.bulk_import [--articles 5000] [--claims-per-article 20] [--rounds 3]

For each database: import a generated corpus (two source links per claim) with
the service's import code, and load exactly the rows it wrote (every table it
fills: events and article versions too) into the same freshly migrated tables
with the raw driver alone (sqlite3 executemany; psycopg COPY). The two alternate,
``--rounds`` times each, and the medians give raw_time / import_time. Also: the
statements the database received per 1,000 claims, counted at the driver (one more
import and one more raw load, traced, never timed: see benchmarks/statements.py for
what counts; the raw load's executemany is a statement per row), and the peak RSS of
`claims-api import` for a tenth of the corpus and all of it. Prints figures;
asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import create_engine, make_url, text

from benchmarks.corpus import write_jsonl
from benchmarks.statements import StatementCounter
from claims_api import create_app, migrations
from claims_api.extensions import db
from claims_api.models.vocabulary import Role
from claims_api.services.imports import ImportReport, import_stream
from claims_api.services.revisions import Change

# Every table of the schema, parents first; those the import leaves empty are skipped.
TABLES = [table.name for table in db.metadata.sorted_tables]
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/claims_bench"


def fresh_database(kind: str, folder: Path, name: str, postgres_url: str) -> str:
    """The URL of an empty database ``name`` (any left from an earlier round dropped)."""
    if kind == "sqlite":
        path = folder / f"{name}.sqlite3"
        for leftover in (
            path,
            path.with_name(f"{path.name}-wal"),
            path.with_name(f"{path.name}-shm"),
        ):
            leftover.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    target = make_url(postgres_url).set(database=f"{make_url(postgres_url).database}_{name}")
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    return target.render_as_string(hide_password=False)


def timed_import(url: str, corpus: Path, *, counted: bool = False) -> tuple[float, int, int]:
    """Seconds the import (with its commit) took, statements sent (when ``counted``: the
    count's tracing slows the import, so a timed run is never a counted one), claims
    created."""
    app = create_app({"DATABASE_URL": url})
    with app.app_context():
        migrations.upgrade(db.engine)
        statements = StatementCounter(db.engine) if counted else None
        report = ImportReport(corpus.name)
        started = time.perf_counter()
        with corpus.open("rb") as stream:
            change = Change("benchmark", "benchmark")
            import_stream(stream, "jsonl", report, change, role=Role.ADMIN)
        db.session.commit()
        elapsed = time.perf_counter() - started
        sent = 0
        if statements is not None:
            sent = statements.count
            statements.stop()
        assert report.error_count == 0, report.errors[:3]
        db.engine.dispose()
    return elapsed, sent, report.counts["claims_created"]


def table_rows(url: str) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Every row the import wrote, as the raw driver reads it back."""
    rows = {}
    if url.startswith("sqlite"):
        connection = sqlite3.connect(make_url(url).database)
        for table in TABLES:
            cursor = connection.execute(f"SELECT * FROM {table}")
            rows[table] = ([column[0] for column in cursor.description], cursor.fetchall())
        connection.close()
        return {table: found for table, found in rows.items() if found[1]}
    with psycopg.connect(
        make_url(url).set(drivername="postgresql").render_as_string(False)
    ) as connection:
        for table in TABLES:
            cursor = connection.execute(f"SELECT * FROM {table}")
            rows[table] = ([column.name for column in cursor.description], cursor.fetchall())
    return {table: found for table, found in rows.items() if found[1]}


def timed_raw_load(
    url: str,
    rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]],
    counter: StatementCounter | None = None,
) -> float:
    """Seconds the raw driver takes to load ``rows`` into freshly migrated tables;
    ``counter``, when given, watches the raw connection (a counted run is never timed)."""
    app = create_app({"DATABASE_URL": url})
    with app.app_context():
        migrations.upgrade(db.engine)
        db.engine.dispose()
    if url.startswith("sqlite"):
        connection = sqlite3.connect(make_url(url).database, isolation_level=None)
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA foreign_keys = ON")
        if counter is not None:
            counter.watch(connection)
        started = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        for table, (columns, values) in rows.items():
            marks = ", ".join("?" * len(columns))
            connection.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", values
            )
        connection.execute("COMMIT")
        elapsed = time.perf_counter() - started
        connection.close()
        return elapsed
    from psycopg.types.json import Jsonb

    with psycopg.connect(
        make_url(url).set(drivername="postgresql").render_as_string(False)
    ) as connection:
        if counter is not None:
            counter.watch(connection)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for table, (columns, values) in rows.items():
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in values:
                        copy.write_row([Jsonb(v) if isinstance(v, dict | list) else v for v in row])
        connection.commit()
        return time.perf_counter() - started


def peak_rss_mb(url: str, corpus: Path) -> float:
    """Peak resident memory of a `claims-api import` process on an empty database."""
    app = create_app({"DATABASE_URL": url})
    with app.app_context():
        migrations.upgrade(db.engine)
        db.engine.dispose()
    script = str(Path(sys.executable).with_name("claims-api"))
    process = subprocess.Popen(
        [script, "import", str(corpus)],
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    assert status == 0, f"import exited with {status}"
    return usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--claims-per-article", type=int, default=20)
    parser.add_argument(
        "--postgres-url", default=os.environ.get("CLAIMS_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        corpus = write_jsonl(folder / "corpus.jsonl", options.articles, options.claims_per_article)
        total = options.articles * options.claims_per_article
        size = corpus.stat().st_size / 1e6
        print(
            f"corpus: {options.articles} articles x {options.claims_per_article} claims"
            f" = {total:,} claims, {size:.0f} MB of JSON Lines"
        )
        kinds = options.databases.split(",")
        if not options.skip_memory:
            # First, while this process is small: a child forked from it would
            # count this process's pages in its own peak.
            small = write_jsonl(
                folder / "small.jsonl", max(1, options.articles // 10), options.claims_per_article
            )
            for kind in kinds:
                small_rss = peak_rss_mb(
                    fresh_database(kind, folder, "rss_s", options.postgres_url), small
                )
                large_rss = peak_rss_mb(
                    fresh_database(kind, folder, "rss_l", options.postgres_url), corpus
                )
                print(
                    f"{kind:10} peak RSS of claims-api import: {total // 10:,} claims"
                    f" {small_rss:.0f} MB, {total:,} claims {large_rss:.0f} MB"
                    f" (ratio {large_rss / small_rss:.2f})"
                )
        for kind in kinds:
            print(compare(kind, folder, corpus, options.postgres_url, options.rounds))


def compare(kind: str, folder: Path, corpus: Path, postgres_url: str, rounds: int) -> str:
    """Import and raw load in alternating order, ``rounds`` times each; medians."""
    counted = fresh_database(kind, folder, "counted", postgres_url)
    _, statements, created = timed_import(counted, corpus, counted=True)
    rows = table_rows(counted)
    raw_counter = StatementCounter()
    timed_raw_load(fresh_database(kind, folder, "raw", postgres_url), rows, raw_counter)
    raw_statements = raw_counter.count
    raw_counter.stop()
    imports: list[float] = []
    raws: list[float] = []
    for round_ in range(rounds):
        steps = [
            lambda: imports.append(
                timed_import(fresh_database(kind, folder, "import", postgres_url), corpus)[0]
            ),
            lambda: raws.append(
                timed_raw_load(fresh_database(kind, folder, "raw", postgres_url), rows)
            ),
        ]
        for step in steps if round_ % 2 == 0 else steps[::-1]:
            step()
    seconds, raw = statistics.median(imports), statistics.median(raws)
    ratios = sorted(r / i for r, i in zip(raws, imports, strict=True))
    return (
        f"{kind:10} import {seconds:7.2f} s ({created / seconds:,.0f} claims/s)"
        f"  raw {raw:6.2f} s  raw/import {raw / seconds:.2f}"
        f" (rounds {ratios[0]:.2f}..{ratios[-1]:.2f}, {rounds} rounds, medians)"
        f"  statements per 1,000 claims: import {statements / (created / 1000):.1f},"
        f" raw {raw_statements / (created / 1000):.1f}"
        f"  tables {len(rows)}"
    )


if __name__ == "__main__":
    main()

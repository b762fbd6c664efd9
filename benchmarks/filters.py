"""Filter and search pages at two table sizes: does their cost grow with the table?

    python -m benchmarks.filters [--sizes 10000,100000] [--rounds 5] [--keep DIR]

For each database: import the corpus of benchmarks/corpus.py at each size (one claim
in 100 carries the tag and word RARE_TAG / RARE_WORD, about 28% of claims carry each
common tag), then request each filtered page through the app's test client, the
sizes alternating round by round, and print the median SQL time of the request (the
time its statements spend in the driver's execute: on SQLite the rows after the first
are stepped through while they are fetched, which it leaves out), its median whole
time, and the larger / smaller ratios of both: about 1 when a page costs what its rows
cost, whatever the table holds (when the smaller table's page is as full). Then the
peak of Python memory one request allocates (tracemalloc, one traced request per size
after the timed ones) beside its page's item count: the same for pages of as many
items when no request holds more than its page.
"deep" pages start from a cursor half-way down the table. With --keep the corpora stay
in DIR (and PostgreSQL databases) and are reused.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, event, func, make_url, select, text

from benchmarks.bulk_import import DEFAULT_POSTGRES, fresh_database
from benchmarks.corpus import RARE_TAG, RARE_WORD, write_jsonl
from claims_api import create_app, migrations
from claims_api.extensions import db
from claims_api.models import Article, Claim
from claims_api.models.vocabulary import Role
from claims_api.services.articles import ARTICLE_ORDER
from claims_api.services.claims import DEFAULT_CLAIM_SORT, claim_order
from claims_api.services.imports import ImportReport, import_stream
from claims_api.services.pagination import encode_cursor
from claims_api.services.review_queue import QUEUE_ORDERS
from claims_api.services.revisions import Change

CLAIMS_PER_ARTICLE = 20
PAGES = [
    ("tag, common", "/claims?tag=NATO&limit=50"),
    ("tag, 1%", f"/claims?tag={RARE_TAG}&limit=50"),
    ("q, common", "/claims?q=NATO&limit=50"),
    ("q, 1%", f"/claims?q={RARE_WORD}&limit=50"),
    ("tag, common, deep", "/claims?tag=NATO&limit=50&cursor={deep}"),
    ("tag, 1%, deep", f"/claims?tag={RARE_TAG}&limit=50&cursor={{deep}}"),
    ("q, common, deep", "/claims?q=NATO&limit=50&cursor={deep}"),
    ("q, 1%, deep", f"/claims?q={RARE_WORD}&limit=50&cursor={{deep}}"),
    ("status", "/claims?status=verified&limit=50"),
    ("status, deep", "/claims?status=verified&limit=50&cursor={deep}"),
    ("tag + status + q", "/claims?tag=NATO&status=verified&q=NATO&limit=50"),
    ("tag + status + q, deep", "/claims?tag=NATO&status=verified&q=NATO&limit=50&cursor={deep}"),
    ("tag + status + q 1%", f"/claims?tag=NATO&status=verified&q={RARE_WORD}&limit=50"),
    ("review queue", "/review-queue?limit=50"),
    ("review queue, deep", "/review-queue?limit=50&cursor={deep_queue}"),
    ("review queue, tag", "/review-queue?tag=NATO&limit=50"),
    ("review queue, tag 1%", f"/review-queue?tag={RARE_TAG}&limit=50"),
    ("review queue, tag 1%, deep", f"/review-queue?tag={RARE_TAG}&limit=50&cursor={{deep_queue}}"),
    ("articles, q", "/articles?q=Blinken&limit=50"),
    ("articles, q, deep", "/articles?q=Blinken&limit=50&cursor={deep_article}"),
    ("articles, q 2%", "/articles?q=Dispatch%2049&limit=50"),
]


def build(url: str, claims: int, folder: Path) -> None:
    """Migrate and import ``claims`` claims of the corpus, unless done before."""
    app = create_app({"DATABASE_URL": url})
    with app.app_context():
        migrations.upgrade(db.engine)
        if db.session.scalar(select(func.count()).select_from(Claim)) == claims:
            return
        corpus = write_jsonl(
            folder / f"filters-{claims}.jsonl",
            claims // CLAIMS_PER_ARTICLE,
            CLAIMS_PER_ARTICLE,
            rare_every=100,
        )
        report = ImportReport(corpus.name)
        with corpus.open("rb") as stream:
            import_stream(stream, "jsonl", report, Change("benchmark"), role=Role.ADMIN)
        db.session.commit()
        assert report.error_count == 0, report.errors[:3]
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does soon after a load: planner statistics, visibility map.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as raw:
                raw.exec_driver_sql("VACUUM ANALYZE")
        db.engine.dispose()


def database_url(kind: str, folder: Path, claims: int, postgres_url: str, keep: bool) -> str:
    name = f"filters_{claims}"
    if kind == "sqlite":
        return f"sqlite:///{folder / f'{name}.sqlite3'}"
    if keep:
        target = make_url(postgres_url)
        target = target.set(database=f"{target.database}_{name}")
        admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            found = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            ).scalar()
            if not found:
                connection.execute(text(f'CREATE DATABASE "{target.database}"'))
        admin.dispose()
        return target.render_as_string(hide_password=False)
    return fresh_database(kind, folder, name, postgres_url)


@contextmanager
def sql_time(app: Flask) -> Iterator[list[float]]:
    """Seconds spent in the driver by each statement run meanwhile."""
    spent: list[float] = []
    started: list[float] = []

    def before(*_: Any) -> None:
        started.append(time.perf_counter())

    def after(*_: Any) -> None:
        spent.append(time.perf_counter() - started.pop())

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield spent
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


class Target:
    """One database of one size, ready to be requested."""

    def __init__(self, url: str) -> None:
        self.app = create_app({"DATABASE_URL": url})
        self.client = self.app.test_client()
        with self.app.app_context():
            total = db.session.scalar(select(func.count()).select_from(Claim)) or 0
            middle = db.session.get(Claim, total // 2)
            self.deep = encode_cursor(claim_order(DEFAULT_CLAIM_SORT), middle)
            self.deep_queue = encode_cursor(QUEUE_ORDERS["created_at"], middle)
            articles = db.session.scalar(select(func.count()).select_from(Article)) or 0
            self.deep_article = encode_cursor(ARTICLE_ORDER, db.session.get(Article, articles // 2))

    def get(self, path: str) -> Any:
        cursors = {
            "deep": self.deep,
            "deep_queue": self.deep_queue,
            "deep_article": self.deep_article,
        }
        response = self.client.get(path.format(**cursors))
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        assert response.get_json()["items"], f"{path} found nothing"
        return response.get_json()["items"]

    def request(self, path: str) -> tuple[float, float]:
        """SQL seconds and whole seconds of one request."""
        with sql_time(self.app) as spent:
            started = time.perf_counter()
            self.get(path)
            whole = time.perf_counter() - started
        return sum(spent), whole

    def peak_memory(self, path: str) -> tuple[int, int]:
        """The most Python memory one request held at once, in bytes (its response
        included), and the items on its page."""
        tracemalloc.start()
        try:
            items = self.get(path)
            return tracemalloc.get_traced_memory()[1], len(items)
        finally:
            tracemalloc.stop()


def measure(targets: dict[int, Target], rounds: int) -> Iterator[str]:
    sizes = sorted(targets)
    for name, path in PAGES:
        for target in targets.values():
            target.request(path)  # warm: plans, caches
        sql: dict[int, list[float]] = {size: [] for size in sizes}
        whole: dict[int, list[float]] = {size: [] for size in sizes}
        for round_ in range(rounds):
            for size in sizes if round_ % 2 == 0 else sizes[::-1]:
                seconds, total = targets[size].request(path)
                sql[size].append(seconds)
                whole[size].append(total)
        medians = {size: statistics.median(sql[size]) for size in sizes}
        figures = "  ".join(
            f"{size // 1000}k: SQL {medians[size] * 1000:7.2f} ms"
            f" (request {statistics.median(whole[size]) * 1000:6.1f} ms)"
            for size in sizes
        )
        ratio = medians[sizes[-1]] / medians[sizes[0]]
        whole_ratio = statistics.median(whole[sizes[-1]]) / statistics.median(whole[sizes[0]])
        peaks = {size: targets[size].peak_memory(path) for size in sizes}
        memory = "/".join(f"{peak // 1024} KiB ({items})" for peak, items in peaks.values())
        yield (
            f"  {name:26} {figures}  {sizes[-1] // 1000}k/{sizes[0] // 1000}k: SQL {ratio:5.2f}"
            f" request {whole_ratio:5.2f}  peak (items) {memory}"
        )


def run_across_sizes(
    description: str,
    measure: Callable[[dict[int, Any], int], Iterable[str]],
    target: Callable[[str], Any],
    header: str = "",
) -> None:
    """The command line of a benchmark that builds the corpus at each size on each
    database and prints what ``measure`` makes of the targets, interleaved in rounds."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--postgres-url", default=os.environ.get("CLAIMS_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the corpora in this folder")
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]
    with tempfile.TemporaryDirectory() as scratch:
        folder = options.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        for kind in options.databases.split(","):
            urls = {
                size: database_url(kind, folder, size, options.postgres_url, bool(options.keep))
                for size in sizes
            }
            for size, url in urls.items():
                build(url, size, folder)
            print(f"{kind}: median of {options.rounds} interleaved rounds{header}")
            for line in measure({size: target(url) for size, url in urls.items()}, options.rounds):
                print(line, flush=True)


def main() -> None:
    run_across_sizes(__doc__.splitlines()[0], measure, Target)


if __name__ == "__main__":
    main()

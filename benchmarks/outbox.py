"""What the transactional outbox costs, and how fast events flow with a webhook.

    python -m benchmarks.outbox [--databases sqlite,postgresql] [--rounds 5]

On an SQLite file and on PostgreSQL, through the service's own request handling (the
Flask test client, no HTTP server):

- the added cost of the outbox on a claim PATCH: the time per PATCH with its events
  written, divided by the same PATCH with event writing switched off (the writers'
  ``record_events`` replaced by a no-op, here in the benchmark only), with 1 and with 8
  concurrent writers, each on its own claim (the time per PATCH is a round's time over
  the PATCHes made in it: with 8 writers, the inverse of their throughput); rounds
  interleave the two modes, and the medians are compared (target: at most 1.2x);
- events written per second by 8 writers, without a webhook and with one whose
  deliveries a delivery loop (``deliver_due``) sends meanwhile to a loopback receiver,
  and how long after the writes the last event was delivered.

Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from benchmarks.bulk_import import fresh_database
from claims_api import create_app, migrations
from claims_api.extensions import db
from claims_api.models import Event, WebhookDelivery
from claims_api.models.vocabulary import DeliveryStatus, Role
from claims_api.services import revisions
from claims_api.services.keys import create_key
from claims_api.services.webhook_delivery import deliver_due
from tests.factories import seed_document

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/claims_bench_outbox"
QUOTE = "around 130,000 Russian troops now deployed on the Ukrainian border"


def make_app(url: str) -> Flask:
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "benchmark"})
    with app.app_context():
        migrations.upgrade(db.engine)
    return app


def admin_client(app: Flask, name: str) -> FlaskClient:
    with app.app_context():
        _, token = create_key(name, Role.ADMIN, None, issued_by="benchmark")
        db.session.commit()
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


class Writer:
    """One client editing its own claim, PATCH after PATCH, each at the ETag it got."""

    def __init__(self, app: Flask, number: int, article_id: int) -> None:
        self.client = admin_client(app, f"writer-{number}")
        response = self.client.post(
            "/claims",
            json={
                "article_id": article_id,
                "text": f"Claim {number}.",
                "kind": "statement",
                "quote": {"exact": QUOTE},
            },
        )
        assert response.status_code == 201, response.get_data(as_text=True)[:300]
        claim = response.get_json()
        self.path, self.etag, self.edits = f"/claims/{claim['id']}", f'"{claim["revision"]}"', 0

    def patch(self) -> None:
        self.edits += 1
        response = self.client.patch(
            self.path, json={"text": f"Edit {self.edits}."}, headers={"If-Match": self.etag}
        )
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        self.etag = response.headers["ETag"]


def run_writers(writers: list[Writer], patches_each: int) -> float:
    """Seconds for every writer to make ``patches_each`` PATCHes, all at once."""
    start = threading.Barrier(len(writers) + 1)

    def work(writer: Writer) -> None:
        start.wait()
        for _ in range(patches_each):
            writer.patch()

    threads = [threading.Thread(target=work, args=(writer,)) for writer in writers]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began


@contextmanager
def events_off() -> Iterator[None]:
    """The claim writers' event writing switched off (the benchmark's switch only)."""
    original = revisions.record_events
    revisions.record_events = lambda rows: None
    try:
        yield
    finally:
        revisions.record_events = original


def patch_ratio(app: Flask, article_id: int, concurrency: int, rounds: int) -> tuple[float, ...]:
    """(ms per PATCH with events, without, ratio) from interleaved rounds' medians."""
    writers = [Writer(app, number, article_id) for number in range(concurrency)]
    patches_each = max(10, 80 // concurrency)
    run_writers(writers, 5)  # warm up: connections, caches
    timings: dict[bool, list[float]] = {True: [], False: []}
    for round_number in range(rounds):
        # Alternate which mode goes first, so drift in the machine's load cancels out.
        for with_events in (True, False) if round_number % 2 == 0 else (False, True):
            if with_events:
                seconds = run_writers(writers, patches_each)
            else:
                with events_off():
                    seconds = run_writers(writers, patches_each)
            timings[with_events].append(seconds / (patches_each * concurrency))
    on, off = statistics.median(timings[True]), statistics.median(timings[False])
    return on * 1000, off * 1000, on / off


@contextmanager
def receiver() -> Iterator[str]:
    class Handle(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def count(app: Flask, statement: Any) -> int:
    with app.app_context():
        return int(db.session.scalar(statement) or 0)


def event_rate(app: Flask, article_id: int, with_webhook: bool) -> tuple[float, float | None]:
    """(events written per second by 8 writers; seconds from the last write to the last
    delivery, with a webhook)."""
    writers = [Writer(app, number, article_id) for number in range(8)]
    before = count(app, select(func.count()).select_from(Event))
    stop = threading.Event()
    delivering: threading.Thread | None = None
    if with_webhook:

        def deliver() -> None:
            while not stop.is_set():
                with app.app_context():
                    if deliver_due(100) == 0:
                        time.sleep(0.05)

        delivering = threading.Thread(target=deliver)
        delivering.start()
    seconds = run_writers(writers, 40)
    written = count(app, select(func.count()).select_from(Event)) - before
    drained: float | None = None
    if delivering is not None:
        done = time.perf_counter()
        pending = select(func.count()).where(WebhookDelivery.status != DeliveryStatus.DELIVERED)
        deadline = done + 300
        while (
            count(app, select(func.count()).select_from(WebhookDelivery)) < written
            or count(app, pending.select_from(WebhookDelivery)) > 0
        ) and time.perf_counter() < deadline:
            time.sleep(0.05)
        drained = time.perf_counter() - done
        stop.set()
        delivering.join()
    return written / seconds, drained


def measure(kind: str, url: str, rounds: int) -> list[tuple[str, str]]:
    app = make_app(url)
    admin = admin_client(app, "admin")
    seed = seed_document()["article"]
    fields = {name: value for name, value in seed.items() if value is not None}
    article_id = admin.post("/articles", json=fields).get_json()["id"]
    rows = []
    for concurrency in (1, 8):
        on, off = patch_ratio(app, article_id, concurrency, rounds)[:2]
        rows.append(
            (
                f"{kind}: PATCH, {concurrency} writer{'s' if concurrency > 1 else ''}",
                f"{on:6.2f} ms with events, {off:6.2f} ms without: {on / off:.2f}x",
            )
        )
    plain, _ = event_rate(app, article_id, with_webhook=False)
    rows.append((f"{kind}: events written/s, no webhook", f"{plain:8.0f}"))
    app.config["WEBHOOK_ALLOWED_HOSTS"] = "127.0.0.1"
    with receiver() as hook:
        assert admin.post("/webhooks", json={"url": hook}).status_code == 201
        delivered, drained = event_rate(app, article_id, with_webhook=True)
    rows.append(
        (
            f"{kind}: events written/s, a webhook delivering",
            f"{delivered:8.0f} (all delivered {drained or 0:.2f} s after the last write)",
        )
    )
    with app.app_context():
        db.engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--postgres-url", default=os.environ.get("CLAIMS_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    options = parser.parse_args()
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as folder:
        for kind in options.databases.split(","):
            url = fresh_database(kind, Path(folder), "outbox", options.postgres_url)
            rows.extend(measure(kind, url, options.rounds))
    width = max(len(name) for name, _ in rows)
    print(f"{'measure':{width}}  result (medians of {options.rounds} interleaved rounds)")
    for name, value in rows:
        print(f"{name:{width}}  {value}")


if __name__ == "__main__":
    main()

"""/health/live and /health/ready: in time whatever the database does, and 503 when it cannot write.

The deadlines asserted are generous (a busy machine); the probes are built to
answer in about 2 s, which ``test_readiness_answers_by_its_deadline_when_the_probe_hangs``
holds them to.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text

from claims_api import create_app, migrations
from claims_api.errors import PROBLEM_MIMETYPE
from claims_api.extensions import db
from claims_api.services import health
from tests.factories import check

GENEROUS_SECONDS = 10


def timed_get(client: FlaskClient, url: str) -> tuple[Any, float]:
    started = time.monotonic()
    response = client.get(url)
    return response, time.monotonic() - started


def assert_not_ready(response: Any, elapsed: float, reason: str) -> dict[str, Any]:
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM_MIMETYPE, response.mimetype
    body = response.get_json()
    assert reason in body["detail"].lower(), body
    assert body["status"] == 503 and body["writable"] is False, body
    assert elapsed < GENEROUS_SECONDS, f"readiness took {elapsed:.1f} s"
    return body


@pytest.fixture
def held_write_lock(app: Flask, dialect: str) -> Iterator[None]:
    """Another connection holding the write lock: SQLite's, or PostgreSQL's on the table the
    write probe writes. EXCLUSIVE mode is PostgreSQL's write lock (reads go on, writes wait);
    ACCESS EXCLUSIVE would stop reads of the table too, which no writer of this service does."""
    with app.app_context():
        url = db.engine.url
    if dialect == "sqlite":
        holder = sqlite3.connect(url.database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    engine = create_engine(url)
    with engine.connect() as connection:
        connection.execute(text("LOCK TABLE alembic_version IN EXCLUSIVE MODE"))
        try:
            yield
        finally:
            connection.rollback()
    engine.dispose()


def other_app(url: str) -> Iterator[Flask]:
    app = create_app({"TESTING": True, "DATABASE_URL": url})
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def read_only_app(app: Flask, database_url: str, dialect: str) -> Iterator[Flask]:
    """The test database opened read-only: SQLite's mode=ro, PostgreSQL's read-only sessions."""
    if dialect == "sqlite":
        url = f"sqlite:///file:{make_url(database_url).database}?mode=ro&uri=true"
    else:
        options = {"options": "-c default_transaction_read_only=on"}
        url = make_url(database_url).update_query_dict(options).render_as_string(False)
    yield from other_app(url)


def test_live_and_ready_are_200_on_a_healthy_database(client: FlaskClient) -> None:
    assert check(client.get("/health/live"), 200) == {"status": "ok"}
    for url in ("/health/ready", "/health"):
        body = check(client.get(url), 200)
        assert body["status"] == "ok" and body["database"] == "reachable", body
        assert body["writable"] is True, body
        assert body["migration"] == body["expected_migration"] == migrations.head_revision()


def test_a_held_write_lock_leaves_live_up_and_makes_ready_503_in_time(
    client: FlaskClient, dialect: str, held_write_lock: None
) -> None:
    response, elapsed = timed_get(client, "/health/live")
    assert response.status_code == 200 and elapsed < GENEROUS_SECONDS, (response, elapsed)
    for url in ("/health/ready", "/health"):
        response, elapsed = timed_get(client, url)
        assert_not_ready(response, elapsed, "busy")
    response, elapsed = timed_get(client, "/claims")
    assert response.status_code == 200 and elapsed < GENEROUS_SECONDS, "reads must go on"


def test_a_write_that_waits_out_the_busy_timeout_gets_503_with_retry_after(
    client: FlaskClient, dialect: str, held_write_lock: None
) -> None:
    if dialect != "sqlite":
        pytest.skip("PostgreSQL writers wait on row locks, not on one database lock")
    started = time.monotonic()
    response = client.post("/articles", json={"url": "https://example.org/locked", "title": "T"})
    elapsed = time.monotonic() - started
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM_MIMETYPE
    assert response.get_json()["detail"] == "The database is busy; try again."
    assert int(response.headers["Retry-After"]) >= 1
    assert elapsed < 5 + GENEROUS_SECONDS, f"the write waited {elapsed:.1f} s, past its timeout"


def test_a_read_only_database_is_not_ready(read_only_app: Flask) -> None:
    response, elapsed = timed_get(read_only_app.test_client(), "/health/ready")
    body = assert_not_ready(response, elapsed, "read")
    assert body["database"] == "reachable", body


def test_a_full_disk_makes_sqlite_not_ready(
    client: FlaskClient, dialect: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if dialect != "sqlite":
        pytest.skip("PostgreSQL's disk is the server's; readiness cannot see it")
    real = health.shutil.disk_usage
    monkeypatch.setattr(health.shutil, "disk_usage", lambda path: real(path)._replace(free=4096))
    response, elapsed = timed_get(client, "/health/ready")
    assert_not_ready(response, elapsed, "disk is full")


def test_readiness_answers_by_its_deadline_when_the_probe_hangs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    released = threading.Event()

    def hang(*args: Any) -> None:
        released.wait(GENEROUS_SECONDS)

    monkeypatch.setattr(health, "_probe", hang)
    started = time.monotonic()
    try:
        found = health.readiness(None, min_free_bytes=0)  # type: ignore[arg-type]
    finally:
        released.set()
    elapsed = time.monotonic() - started
    assert not found.ready and "did not answer" in (found.problem or ""), found
    assert elapsed < 2.5, f"readiness waited {elapsed:.1f} s for a hung probe"

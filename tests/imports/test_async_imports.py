"""POST /imports with Prefer: respond-async, run by the worker: 202 and polling, the same
report as the synchronous form, cancellation, several workers, stopping and lapsed leases.

The worker runs in threads of the test process here (tests/test_worker_processes.py
runs it as real processes, killed and stopped with signals).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from benchmarks.corpus import article_documents
from claims_api import worker as worker_module
from claims_api.cli import main
from claims_api.extensions import db, read_only
from claims_api.models import ImportRun
from claims_api.models.base import utcnow
from claims_api.services import imports as import_service
from claims_api.services.imports import jobs
from claims_api.worker import Worker
from tests.conftest import empty_database
from tests.factories import check, client_for
from tests.imports.helpers import (
    COUNTED,
    border_document,
    embassy_document,
    jsonl,
    post_import,
    row_counts,
    run_cli,
)

NDJSON = "application/x-ndjson"
ASYNC = {"Prefer": "respond-async"}
BODY = jsonl([border_document(), embassy_document()])
DEADLINE_SECONDS = 60.0
EMPTY = dict.fromkeys(COUNTED, 0)


@pytest.fixture(autouse=True)
def spool(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Uploads spooled to this test's folder; workers that look for work often."""
    monkeypatch.setitem(app.config, "IMPORT_SPOOL_DIR", str(tmp_path))
    monkeypatch.setitem(app.config, "WORKER_IDLE_SECONDS", 0.1)
    return tmp_path


@contextmanager
def workers(app: Flask, count: int = 1) -> Iterator[list[Worker]]:
    """``count`` workers running the imports task in threads, stopped on exit."""
    running = [Worker(app, ["imports"]) for _ in range(count)]
    threads = [threading.Thread(target=worker.run, daemon=True) for worker in running]
    for thread in threads:
        thread.start()
    try:
        yield running
    finally:
        for worker in running:
            worker.stop.set()
        for thread in threads:
            thread.join(DEADLINE_SECONDS)
            assert not thread.is_alive(), "a worker did not stop within the deadline"


def wait_for(client: FlaskClient, location: str, *statuses: str) -> dict[str, Any]:
    """GET ``location`` until its status is one of ``statuses``; the run."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        run = check(client.get(location), 200)
        if run["status"] in statuses:
            return run
        assert time.monotonic() < deadline, (
            f"import still {run['status']} after {DEADLINE_SECONDS} s, waiting for {statuses}"
        )
        time.sleep(0.05)


def queue(client: FlaskClient, body: str, **query: Any) -> str:
    response = post_import(client, body, NDJSON, ASYNC, **query)
    run = check(response, 202)
    assert run["status"] == "queued", run
    assert response.headers["Preference-Applied"] == "respond-async", response.headers
    assert response.headers["Location"] == f"/imports/{run['id']}", response.headers
    return response.headers["Location"]


def stored_run(app: Flask, location: str) -> ImportRun:
    # A read: on SQLite it must not wait for the write lock a running import holds.
    with app.app_context(), read_only():
        run = db.session.get(ImportRun, int(location.rsplit("/", 1)[1]))
        assert run is not None
        db.session.expunge(run)
        db.session.remove()
    return run


def report(run: dict[str, Any]) -> dict[str, Any]:
    return {name: run[name] for name in ("counts", "errors", "warnings", "error_count")}


def slow_batches(monkeypatch: pytest.MonkeyPatch, on_batch: Callable[[], None]) -> None:
    """Batches of one claim, each followed by ``on_batch`` (which may sleep or signal)."""
    monkeypatch.setattr(import_service, "BATCH_CLAIMS", 1)
    checked = jobs._Checkpoint.between_batches

    def between_batches(self: Any) -> None:
        on_batch()
        checked(self)

    monkeypatch.setattr(jobs._Checkpoint, "between_batches", between_batches)


MANY = jsonl(article_documents(12, 2))


def test_async_import_is_202_and_ends_with_the_report_of_the_sync_form(
    app: Flask, client: FlaskClient
) -> None:
    location = queue(client, BODY, name="both.jsonl")
    with workers(app):
        run = wait_for(client, location, "succeeded", "failed")
    assert run["status"] == "succeeded", run
    progress = run["progress"]
    assert progress["bytes_read"] == progress["bytes_total"] == len(BODY.encode()), run
    assert run["started_at"] is not None and run["finished_at"] is not None, run
    asynchronous = report(run)

    empty_database(app)
    synchronous = check(post_import(client_for(app), BODY, NDJSON, name="both.jsonl"), 201)

    assert asynchronous == report(synchronous), "the worker's report differs from the request's"
    assert asynchronous["counts"]["claims_created"] == 4, asynchronous


@pytest.mark.parametrize("prefer", ["respond-asynchronously", "wait=5", "respond_async", ","])
def test_other_prefer_values_are_ignored_and_the_import_runs_in_the_request(
    client: FlaskClient, prefer: str
) -> None:
    response = post_import(client, BODY, NDJSON, {"Prefer": prefer})
    run = check(response, 201)
    assert run["status"] == "succeeded", run
    assert "Preference-Applied" not in response.headers, response.headers


def test_respond_async_among_other_preferences_is_honoured(client: FlaskClient) -> None:
    response = post_import(client, BODY, NDJSON, {"Prefer": 'return=minimal, Respond-Async; x="y"'})
    check(response, 202)


def test_an_invalid_file_fails_with_the_problem_the_sync_form_answers(
    app: Flask, client: FlaskClient
) -> None:
    body = '{"article": {"url": "not a url"}, "claims": []}\nnot json\n'
    location = queue(client, body, name="bad.jsonl")
    with workers(app) as (worker,):
        run = wait_for(client, location, "succeeded", "failed")
        assert not worker.stop.is_set(), "the worker stopped on a bad file"
    synchronous = check(post_import(client, body, NDJSON, name="bad.jsonl"), 422)

    assert run["status"] == "failed", run
    problem = run["problem"]
    assert problem is not None, run
    assert {**problem, "import_id": None} == {**synchronous, "import_id": None}, (
        "the worker's problem differs from the synchronous answer"
    )
    assert row_counts(app) == EMPTY, "a failed import wrote rows"


def test_a_queued_import_cancelled_writes_nothing(app: Flask, client: FlaskClient) -> None:
    location = queue(client, BODY)
    spooled = stored_run(app, location).spool_path
    assert spooled is not None and Path(spooled).is_file(), "the upload was not spooled"

    cancelled = check(client.delete(location), 200)
    with workers(app) as (worker,):
        worker.run_round()

    assert cancelled["status"] == "cancelled", cancelled
    assert check(client.get(location), 200)["status"] == "cancelled"
    assert row_counts(app) == EMPTY, "a cancelled import wrote rows"
    assert not Path(spooled).exists(), "the cancelled upload was left behind"


def test_a_running_import_cancelled_is_rolled_back(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = threading.Event()
    slow_batches(monkeypatch, lambda: (written.set(), time.sleep(0.2)))
    location = queue(client, MANY)
    with workers(app):
        assert written.wait(DEADLINE_SECONDS), "the worker wrote no batch"
        asked = check(client.delete(location), 202)
        run = wait_for(client, location, "cancelled", "succeeded", "failed")

    assert asked["status"] == "running", asked
    assert run["status"] == "cancelled", run
    assert row_counts(app) == EMPTY, "a cancelled import left rows behind"


def test_cancelling_a_finished_import_is_409(app: Flask, client: FlaskClient) -> None:
    synchronous = check(post_import(client, BODY, NDJSON), 201)
    location = queue(client, jsonl([embassy_document()]))
    with workers(app):
        wait_for(client, location, "succeeded")

    for finished in (location, f"/imports/{synchronous['id']}"):
        response = client.delete(finished)
        problem = check(response, 409)
        assert response.mimetype == "application/problem+json", response.headers
        assert problem["type"] == "urn:claims-api:problem:import-not-cancellable", problem
        assert problem["import_status"] == "succeeded", problem


def test_two_workers_never_run_the_same_job(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken: list[tuple[int, str]] = []
    lock = threading.Lock()
    run_job = jobs.run_job

    def recording(run: ImportRun, worker_id: str, stopping: Callable[[], bool]) -> str:
        with lock:
            taken.append((run.id, worker_id))
        return run_job(run, worker_id, stopping)

    monkeypatch.setattr(jobs, "run_job", recording)
    documents = list(article_documents(8, 1))
    locations = [queue(client, jsonl([document])) for document in documents]
    with workers(app, 2):
        runs = [wait_for(client, location, "succeeded", "failed") for location in locations]

    assert [run["status"] for run in runs] == ["succeeded"] * len(runs), runs
    job_ids = [job_id for job_id, _ in taken]
    assert sorted(job_ids) == sorted({run["id"] for run in runs}), f"jobs run twice: {taken}"
    assert row_counts(app)["claims"] == len(documents), "a job was written twice"
    assert all(stored_run(app, location).attempts == 1 for location in locations)


def test_a_stopping_worker_rolls_back_and_queues_its_job_again(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = Worker(app, ["imports"])
    slow_batches(monkeypatch, worker.stop.set)
    location = queue(client, MANY)

    worker.run()

    released = check(client.get(location), 200)
    assert released["status"] == "queued", released
    assert row_counts(app) == EMPTY, "a released import left rows behind"
    monkeypatch.undo()
    monkeypatch.setitem(app.config, "WORKER_IDLE_SECONDS", 0.1)
    Worker(app, ["imports"]).run(once=True)
    finished = check(client.get(location), 200)
    assert finished["status"] == "succeeded", finished
    assert stored_run(app, location).attempts == 2


def test_a_job_whose_lease_lapsed_is_run_again_by_another_worker(
    app: Flask, client: FlaskClient
) -> None:
    location = queue(client, BODY)
    with app.app_context():
        # As a worker that died holding it leaves it: running, lease run out.
        db.session.execute(
            update(ImportRun)
            .where(ImportRun.id == int(location.rsplit("/", 1)[1]))
            .values(
                status="running",
                worker_id="dead:1:0",
                attempts=1,
                lease_until=utcnow() - timedelta(seconds=1),
            )
        )
        db.session.commit()
        db.session.remove()

    Worker(app, ["imports"]).run(once=True)

    run = check(client.get(location), 200)
    assert run["status"] == "succeeded", run
    assert run["counts"]["claims_created"] == 4, run
    assert stored_run(app, location).attempts == 2


def test_a_job_whose_lease_holds_is_left_to_its_worker(app: Flask, client: FlaskClient) -> None:
    location = queue(client, BODY)
    with app.app_context():
        db.session.execute(
            update(ImportRun).values(
                status="running", worker_id="alive:1:0", lease_until=utcnow() + timedelta(hours=1)
            )
        )
        db.session.commit()
        db.session.remove()

    Worker(app, ["imports"]).run(once=True)

    assert check(client.get(location), 200)["status"] == "running"
    assert row_counts(app) == EMPTY


def test_a_retry_with_the_same_key_points_at_the_queued_job(
    app: Flask, client: FlaskClient, spool: Path
) -> None:
    first = check(post_import(client, BODY, NDJSON, {**ASYNC, "Idempotency-Key": "k1"}), 202)
    retry = post_import(client, BODY, NDJSON, {**ASYNC, "Idempotency-Key": "k1"})

    assert check(retry, 202)["id"] == first["id"], "the retry queued a second job"
    with app.app_context():
        queued = db.session.scalars(select(ImportRun)).all()
        db.session.remove()
    assert len(queued) == 1, queued
    assert len(list(spool.glob("upload-*"))) == 1, "the retry's upload was left behind"


def test_prune_events_command_deletes_only_events_past_the_retention(
    app: Flask, client: FlaskClient, database_url: str
) -> None:
    from claims_api.models import Event

    check(post_import(client, BODY, NDJSON), 201)
    with app.app_context():
        total = len(db.session.scalars(select(Event)).all())
        db.session.execute(
            update(Event)
            .where(Event.id == db.session.scalar(select(Event.id).limit(1)))
            .values(occurred_at=utcnow() - timedelta(days=31))
        )
        db.session.commit()
        db.session.remove()

    result = run_cli(database_url, "prune-events")

    assert result.exit_code == 0, result.output
    assert "1 events pruned" in result.stderr, result.stderr
    with app.app_context():
        assert len(db.session.scalars(select(Event)).all()) == total - 1
        db.session.remove()


def test_worker_command_once_runs_the_queue_and_exits(
    client: FlaskClient, database_url: str
) -> None:
    locations = [queue(client, BODY), queue(client, jsonl([embassy_document()]))]

    result = run_cli(database_url, "worker", "--once", "--tasks", "imports")

    assert result.exit_code == 0, result.output
    statuses = [check(client.get(location), 200)["status"] for location in locations]
    assert statuses == ["succeeded", "succeeded"], statuses


def test_worker_command_refuses_an_unknown_task(database_url: str) -> None:
    result = CliRunner().invoke(main, ["worker", "--tasks", "imports,webhook"])

    assert result.exit_code == 2, result.output
    assert "webhook" in result.output and "prune-events" in result.output, result.output


def test_a_task_that_fails_does_not_stop_the_worker(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(shift: Any) -> int:
        raise RuntimeError("boom")

    monkeypatch.setitem(worker_module.TASKS, "imports", worker_module.Task(broken))
    worker = Worker(app, ["imports"])

    assert worker.run_round() == 0
    assert not worker.stop.is_set()


def test_a_job_whose_upload_is_gone_fails_with_a_reason(app: Flask, client: FlaskClient) -> None:
    location = queue(client, BODY)
    Path(stored_run(app, location).spool_path or "").unlink()

    Worker(app, ["imports"]).run(once=True)

    run = check(client.get(location), 200)
    assert run["status"] == "failed", run
    assert "could not be read" in run["errors"][0]["reason"], run["errors"]


def test_a_job_taken_up_too_often_fails_instead_of_running_again(
    app: Flask, client: FlaskClient
) -> None:
    location = queue(client, BODY)
    with app.app_context():
        db.session.execute(update(ImportRun).values(attempts=app.config["WORKER_MAX_ATTEMPTS"]))
        db.session.commit()
        db.session.remove()

    Worker(app, ["imports"]).run(once=True)

    run = check(client.get(location), 200)
    assert run["status"] == "failed", run
    assert "never finished" in run["errors"][0]["reason"], run["errors"]
    assert row_counts(app) == EMPTY


def test_an_async_upload_over_the_limit_is_413_and_leaves_no_file(
    app: Flask, client: FlaskClient, spool: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 100)

    check(post_import(client, BODY, NDJSON, ASYNC), 413)

    assert list(spool.iterdir()) == [], "the refused upload was left in the spool"

"""`claims-api worker` as real processes: killed with SIGKILL mid-import, stopped with
SIGTERM, and the worker `claims-api serve` embeds on SQLite.

Each test is bounded by its own deadlines (DEADLINE_SECONDS per wait) and kills
what it started whatever happens.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from benchmarks.corpus import write_jsonl
from claims_api.extensions import db, read_only
from claims_api.models import Claim, ImportRun, Revision
from tests.e2e.helpers import running_server
from tests.factories import bearer, check, issue_token
from tests.imports.helpers import COUNTED, border_document, jsonl, row_counts
from tests.imports.test_interrupted import console_script, read_position

pytestmark = pytest.mark.subprocess

# Past the first batch of 5,000 claims, as in test_interrupted: rows sent, not committed.
ARTICLES, CLAIMS_PER_ARTICLE = 300, 20
TOTAL = ARTICLES * CLAIMS_PER_ARTICLE
KILL_AT = 0.88
DEADLINE_SECONDS = 120.0
LEASE_SECONDS = 2


@pytest.fixture
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jsonl(
        tmp_path_factory.mktemp("corpus") / "corpus.jsonl", ARTICLES, CLAIMS_PER_ARTICLE
    )


@pytest.fixture
def spool(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setitem(app.config, "IMPORT_SPOOL_DIR", str(tmp_path))
    return tmp_path


def queue_file(client: FlaskClient, path: Path) -> int:
    response = client.post(
        "/imports",
        data=path.read_bytes(),
        headers={"Content-Type": "application/x-ndjson", "Prefer": "respond-async"},
    )
    return int(check(response, 202)["id"])


def stored(app: Flask, run_id: int) -> ImportRun:
    # A read: on SQLite it must not wait for the write lock a running import holds.
    with app.app_context(), read_only():
        run = db.session.get(ImportRun, run_id)
        assert run is not None
        db.session.expunge(run)
        db.session.remove()
    return run


@contextmanager
def worker_process(database_url: str) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CLAIMS_WORKER_LEASE_SECONDS": str(LEASE_SECONDS),
        "CLAIMS_WORKER_IDLE_SECONDS": "0.2",
    }
    process = subprocess.Popen(
        [str(console_script()), "worker", "--tasks", "imports"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()  # it ends the round in hand (and its clean-up) first
        try:
            process.wait(DEADLINE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        assert process.stderr is not None
        process.stderr.close()


def wait_until_read(process: subprocess.Popen[bytes], path: Path, share: float) -> None:
    """Until ``process`` has read ``share`` of ``path``."""
    size = path.stat().st_size
    deadline = time.monotonic() + DEADLINE_SECONDS
    position = None
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the worker exited ({process.returncode}) early"
        position = read_position(process.pid, path)
        if position is not None and position >= share * size:
            return
        time.sleep(0.005)
    pytest.fail(f"the worker read {position} of {size} bytes within {DEADLINE_SECONDS} s")


def wait_for_status(app: Flask, run_id: int, *statuses: str) -> ImportRun:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        run = stored(app, run_id)
        if run.status in statuses:
            return run
        assert time.monotonic() < deadline, f"import {run_id} still {run.status}"
        time.sleep(0.1)


def test_a_worker_killed_mid_import_loses_nothing_and_the_next_runs_it_once(
    app: Flask, client: FlaskClient, database_url: str, corpus: Path, spool: Path
) -> None:
    run_id = queue_file(client, corpus)
    spooled = Path(stored(app, run_id).spool_path or "")

    with worker_process(database_url) as first:
        wait_until_read(first, spooled, KILL_AT)
        first.send_signal(signal.SIGKILL)
        first.wait(DEADLINE_SECONDS)
    assert row_counts(app) == dict.fromkeys(COUNTED, 0), "the killed worker's rows are visible"
    assert stored(app, run_id).status == "running", "the job should wait for its lease to lapse"

    with worker_process(database_url):
        run = wait_for_status(app, run_id, "succeeded", "failed")

    assert run.status == "succeeded", run.errors
    assert run.attempts == 2, f"taken up {run.attempts} times, expected 2"
    assert run.counts["claims_created"] == TOTAL, run.counts
    with app.app_context():
        claims = db.session.scalar(select(func.count()).select_from(Claim))
        revisions = db.session.scalar(select(func.count()).select_from(Revision))
        db.session.remove()
    assert claims == TOTAL, f"{claims} claims, expected {TOTAL} (written once)"
    assert revisions == TOTAL, f"{revisions} revisions: the import ran to completion twice"
    assert not spooled.exists(), "the upload was left behind after the import"


def test_sigterm_rolls_back_and_queues_the_job_again_and_exits_0(
    app: Flask, client: FlaskClient, database_url: str, corpus: Path, spool: Path
) -> None:
    run_id = queue_file(client, corpus)
    spooled = Path(stored(app, run_id).spool_path or "")

    with worker_process(database_url) as process:
        # Before the first batch boundary: the worker stops there.
        wait_until_read(process, spooled, 0.05)
        process.send_signal(signal.SIGTERM)
        code = process.wait(DEADLINE_SECONDS)
        assert process.stderr is not None
        log = process.stderr.read().decode(errors="replace")

    assert code == 0, f"the worker exited {code} on SIGTERM: {log[-2000:]}"
    run = stored(app, run_id)
    assert (run.status, run.worker_id, run.lease_until) == ("queued", None, None), run.status
    assert row_counts(app) == dict.fromkeys(COUNTED, 0), "the stopped import left rows behind"
    assert spooled.is_file(), "the released job's upload is gone"


def test_serve_runs_an_embedded_worker_on_sqlite(
    app: Flask, database_url: str, tmp_path: Path, dialect: str
) -> None:
    if dialect != "sqlite":
        pytest.skip("on PostgreSQL serve runs no worker by default")
    token = issue_token(app)
    env = {"CLAIMS_IMPORT_SPOOL_DIR": str(tmp_path / "spool"), "CLAIMS_WORKER_IDLE_SECONDS": "0.2"}
    with running_server(database_url, tmp_path / "serve.log", env=env) as base:
        request = urllib.request.Request(
            f"{base}/imports",
            data=jsonl([border_document()]).encode(),
            method="POST",
            headers={
                "Content-Type": "application/x-ndjson",
                "Prefer": "respond-async",
                **bearer(token),
            },
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 202, response.status
            location = response.headers["Location"]
        deadline = time.monotonic() + DEADLINE_SECONDS
        while True:
            with urllib.request.urlopen(f"{base}{location}", timeout=60) as response:
                run = json.load(response)
            if run["status"] not in ("queued", "running"):
                break
            assert time.monotonic() < deadline, f"the embedded worker left it {run['status']}"
            time.sleep(0.2)
    assert run["status"] == "succeeded", run
    assert run["counts"]["claims_created"] == 3, run["counts"]

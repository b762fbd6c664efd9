"""The import unit of work (services.imports.runs.run_import), called directly.

The route and the CLI only read options and show the outcome; what is kept, what
is recorded and what an error does is decided here, once.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from flask import Flask
from sqlalchemy.exc import IntegrityError, OperationalError

from claims_api.extensions import db
from claims_api.models import ImportRun
from claims_api.models.vocabulary import Role
from claims_api.services import imports as import_service
from claims_api.services.imports import runs as run_service
from claims_api.services.imports.runs import ImportOutcome, ImportRequest, run_import
from tests.imports.helpers import border_document, embassy_document, jsonl, row_counts

STALE = timedelta(hours=1)


def request_for(**options: Any) -> ImportRequest:
    return ImportRequest(
        **{
            "source_name": "batch.jsonl",
            "input_format": "jsonl",
            "actor": "loader",
            "role": Role.ADMIN,
            **options,
        }
    )


def imported(app: Flask, body: str, **options: Any) -> ImportOutcome:
    with app.app_context():
        outcome = run_import(io.BytesIO(body.encode()), request_for(**options), stale_after=STALE)
        db.session.remove()
    return outcome


def stored_run(app: Flask, run_id: int) -> ImportRun:
    """The run as another session reads it: proof that it was committed."""
    with app.app_context():
        run = db.session.get(ImportRun, run_id)
        assert run is not None, f"run {run_id} was not committed"
        db.session.expunge(run)
        db.session.remove()
    return run


VALID = jsonl([border_document(), embassy_document()])
BAD_LINE = "{not json\n"


def test_a_valid_input_is_committed_and_its_run_recorded_as_succeeded(app: Flask) -> None:
    outcome = imported(app, VALID)

    assert outcome.written and not outcome.replayed
    run = stored_run(app, outcome.run.id)
    assert (run.status, run.counts["claims_created"], run.error_count) == ("succeeded", 4, 0)
    assert row_counts(app)["claims"] == 4


def test_an_input_with_an_error_writes_nothing_and_its_run_failed(app: Flask) -> None:
    outcome = imported(app, VALID + BAD_LINE)

    assert not outcome.written
    run = stored_run(app, outcome.run.id)
    assert run.status == "failed" and run.error_count == 1, (run.status, run.errors)
    assert run.counts == {"records": 3}, "a rolled-back run created nothing"
    assert row_counts(app)["claims"] == 0


def test_a_partial_input_keeps_its_valid_records(app: Flask) -> None:
    outcome = imported(app, VALID + BAD_LINE, partial=True)

    run = stored_run(app, outcome.run.id)
    assert (run.status, run.error_count, run.counts["claims_created"]) == ("succeeded", 1, 4)
    assert row_counts(app)["claims"] == 4


@pytest.mark.parametrize("body", ["false", "null", "12", BAD_LINE.strip()])
def test_a_partial_input_with_no_valid_record_has_failed(app: Flask, body: str) -> None:
    outcome = imported(app, body, partial=True)

    assert stored_run(app, outcome.run.id).status == "failed"
    assert not outcome.written


def test_a_dry_run_writes_nothing_and_counts_what_it_would_do(app: Flask) -> None:
    outcome = imported(app, VALID, dry_run=True)

    run = stored_run(app, outcome.run.id)
    assert (run.status, run.counts["claims_created"]) == ("succeeded", 4)
    assert not outcome.written
    assert row_counts(app)["claims"] == 0


def test_a_partial_dry_run_succeeds_where_the_partial_import_would(app: Flask) -> None:
    outcome = imported(app, VALID + BAD_LINE, partial=True, dry_run=True)

    run = stored_run(app, outcome.run.id)
    assert (run.status, run.error_count, run.counts["claims_created"]) == ("succeeded", 1, 4)
    assert not outcome.written and row_counts(app)["claims"] == 0


def test_warnings_are_stored_on_the_run(app: Flask) -> None:
    imported(app, VALID)
    edited = border_document()
    edited["claims"][0]["status"] = "false"

    outcome = imported(app, jsonl([edited]), role=Role.CONTRIBUTOR)

    run = stored_run(app, outcome.run.id)
    assert run.warning_count == 1, run.warnings
    assert "status" in run.warnings[0]["reason"], run.warnings


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("INSERT INTO sources", {}, Exception("deadlock detected")),
        # Raw from psycopg's COPY, which SQLAlchemy does not wrap.
        psycopg.OperationalError("server closed the connection unexpectedly"),
    ],
    ids=["sqlalchemy", "copy"],
)
def test_a_database_stop_is_an_interrupted_run_with_a_503_to_give(
    app: Flask, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    def deadlocked(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(run_service, "import_stream", deadlocked)

    outcome = imported(app, VALID)

    run = stored_run(app, outcome.run.id)
    assert run.status == "interrupted" and not outcome.written
    assert "database" in run.errors[0]["reason"], run.errors
    interrupted = run_service.interruption(outcome)
    assert interrupted is not None and interrupted.status == 503
    assert interrupted.headers and "Retry-After" in interrupted.headers


def test_a_fault_records_the_run_as_failed_and_propagates(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(run_service, "import_stream", broken)

    with app.app_context(), pytest.raises(ZeroDivisionError):
        run_import(io.BytesIO(VALID.encode()), request_for(), stale_after=STALE)

    with app.app_context():
        statuses = [run.status for run in db.session.query(ImportRun)]
        db.session.remove()
    assert statuses == ["failed"], "the run must not stay 'running'"


def test_a_batch_the_database_refuses_is_narrowed_to_the_record_at_fault(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = import_service.write_batch
    refused_line = "line 2"

    def refusing(pending: list[Any], *args: Any) -> None:
        if any(item.location == refused_line for item in pending):
            raise IntegrityError("INSERT INTO claims", {}, Exception("value refused"))
        real_write(pending, *args)

    monkeypatch.setattr(import_service, "write_batch", refusing)
    third = border_document()
    third["article"]["url"] = "https://news.example.org/third"

    outcome = imported(app, jsonl([border_document(), embassy_document(), third]), partial=True)

    run = stored_run(app, outcome.run.id)
    assert [(error["location"], "refused" in error["reason"]) for error in run.errors] == [
        (refused_line, True)
    ], run.errors
    assert run.counts["claims_created"] == 6, "the other two documents are written"
    assert row_counts(app)["claims"] == 6


def test_a_replay_returns_the_first_run_without_importing_again(app: Flask) -> None:
    first = imported(app, VALID, idempotency_key="k-1", request_sha256="abc")

    again = imported(app, VALID, idempotency_key="k-1", request_sha256="abc")

    assert again.replayed and again.run.id == first.run.id
    assert row_counts(app)["revisions"] == 4


def test_reports_bound_their_lists_but_count_every_problem(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_service, "MAX_REPORTED", 3)
    body = "".join(json.dumps({"article": {"url": f"x{n}"}}) + "\n" for n in range(5))

    outcome = imported(app, body)

    run = stored_run(app, outcome.run.id)
    assert (run.error_count, len(run.errors)) == (5, 3), run.errors

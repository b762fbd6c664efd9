"""POST /imports and GET /imports/{id}: Idempotency-Key, size limit, media types, roles."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from claims_api.extensions import db
from claims_api.models import ImportRun
from claims_api.models.base import utcnow
from claims_api.services.imports import runs as run_service
from tests.factories import check, client_for
from tests.imports.helpers import (
    border_document,
    embassy_document,
    jsonl,
    post_import,
    row_counts,
    stored_claims,
)

BODY = jsonl([border_document(), embassy_document()])
OTHER_BODY = jsonl([embassy_document()])
NDJSON = "application/x-ndjson"


def with_key(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


def import_runs(app: Flask) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(ImportRun)) or 0
        db.session.remove()
    return count


def running_run(app: Flask, key: str, body: str, age: timedelta = timedelta(0)) -> int:
    """An import row for ``key`` and ``body`` left "running", as a first request in flight."""
    with app.app_context():
        run = ImportRun(
            status="running",
            idempotency_key=key,
            request_sha256=hashlib.sha256(body.encode()).hexdigest(),
            actor="tester",
            source_name="upload",
            dry_run=False,
            partial=False,
            counts={},
            errors=[],
            error_count=0,
            created_at=utcnow() - age,
        )
        db.session.add(run)
        db.session.commit()
        run_id = run.id
        db.session.remove()
    return run_id


def test_import_returns_its_record_with_a_location(client: FlaskClient) -> None:
    response = post_import(client, BODY, NDJSON, name="both.jsonl")

    run = check(response, 201)
    assert response.headers["Location"].endswith(f"/imports/{run['id']}"), response.headers
    assert run["status"] == "succeeded", run
    assert run["source_name"] == "both.jsonl", run
    assert run["counts"]["claims_created"] == 4, run["counts"]
    assert run["finished_at"] is not None, run


def test_get_import_returns_status_counts_and_errors(client: FlaskClient) -> None:
    failed = check(post_import(client, "not json\n", NDJSON, name="bad.jsonl"), 422)

    run = check(client.get(f"/imports/{failed['import_id']}"), 200)

    assert run["status"] == "failed", run
    assert run["counts"]["records"] == 1, run["counts"]
    assert run["error_count"] == 1, run
    (error,) = run["errors"]
    assert (error["file"], error["location"]) == ("bad.jsonl", "line 1"), error
    assert "invalid JSON" in error["reason"], error


def test_get_unknown_import_is_404(client: FlaskClient) -> None:
    check(client.get("/imports/999999"), 404)


def test_retry_with_same_key_and_body_replays_the_first_result(
    app: Flask, client: FlaskClient
) -> None:
    first = check(post_import(client, BODY, NDJSON, with_key("load-1")), 201)
    rows = row_counts(app)

    retry = check(post_import(client, BODY, NDJSON, with_key("load-1")), 201)

    assert retry["id"] == first["id"], "a retry must replay the first import, not run anew"
    assert retry["counts"] == first["counts"], "the replay should report the first result"
    assert row_counts(app) == rows, "the retry wrote rows"
    assert import_runs(app) == 1, "the retry created another import record"


def test_retry_of_a_failed_import_replays_the_failure(app: Flask, client: FlaskClient) -> None:
    body = "not json\n"
    first = check(post_import(client, body, NDJSON, with_key("bad-1")), 422)

    retry = check(post_import(client, body, NDJSON, with_key("bad-1")), 422)

    assert retry["import_id"] == first["import_id"], retry
    assert retry["import_errors"] == first["import_errors"], retry
    assert import_runs(app) == 1


def test_same_key_with_another_body_is_422_naming_the_header(
    app: Flask, client: FlaskClient
) -> None:
    first = check(post_import(client, BODY, NDJSON, with_key("load-2")), 201)
    rows = row_counts(app)

    problem = check(post_import(client, OTHER_BODY, NDJSON, with_key("load-2")), 422)

    assert "Idempotency-Key" in problem["errors"], problem
    assert "Idempotency-Key" in problem["detail"], problem
    assert problem["import_id"] == first["id"], problem
    assert row_counts(app) == rows, "the refused request wrote rows"


def test_retry_while_the_first_is_running_is_409(app: Flask, client: FlaskClient) -> None:
    run_id = running_run(app, "load-3", BODY)

    problem = check(post_import(client, BODY, NDJSON, with_key("load-3")), 409)

    assert problem["import_id"] == run_id, problem
    assert "running" in problem["detail"], problem
    assert stored_claims(client) == [], "the refused retry imported"


def test_other_body_while_the_first_is_running_is_still_422(
    app: Flask, client: FlaskClient
) -> None:
    running_run(app, "load-4", BODY)

    problem = check(post_import(client, OTHER_BODY, NDJSON, with_key("load-4")), 422)

    assert "Idempotency-Key" in problem["errors"], problem


def test_run_left_running_past_the_stale_limit_is_run_again(
    app: Flask, client: FlaskClient
) -> None:
    stale = timedelta(seconds=app.config["IMPORT_STALE_SECONDS"] + 60)
    run_id = running_run(app, "load-5", BODY, age=stale)

    run = check(post_import(client, BODY, NDJSON, with_key("load-5")), 201)

    assert run["id"] == run_id and run["status"] == "succeeded", run
    assert len(stored_claims(client)) == 4


def test_requests_without_a_key_are_not_deduplicated(app: Flask, client: FlaskClient) -> None:
    first = check(post_import(client, BODY, NDJSON), 201)
    second = check(post_import(client, BODY, NDJSON), 201)

    assert first["id"] != second["id"], "without Idempotency-Key each POST is its own import"
    assert second["counts"]["claims_unchanged"] == 4, second["counts"]


def test_body_over_the_limit_is_413_stating_the_limit(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1000)
    body = json.dumps(border_document())
    assert len(body) > 1000

    problem = check(post_import(client, body, "application/json"), 413)

    assert "1000" in problem["detail"], f"the message should state the limit: {problem}"
    assert problem["limit"] == 1000, problem
    assert row_counts(app)["claims"] == 0 and import_runs(app) == 0


def test_body_at_the_limit_is_accepted(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = json.dumps(embassy_document())
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", len(body.encode()))

    check(post_import(client, body, "application/json"), 201)


@pytest.mark.parametrize("media_type", ["text/plain", "application/xml", "text/csv"])
def test_unsupported_content_type_is_415(app: Flask, client: FlaskClient, media_type: str) -> None:
    problem = check(post_import(client, BODY, media_type), 415)

    assert "application/x-ndjson" in problem["detail"], "415 should list the accepted types"
    assert import_runs(app) == 0


def test_content_type_parameters_are_ignored(client: FlaskClient) -> None:
    check(post_import(client, BODY, "application/x-ndjson; charset=utf-8"), 201)


def test_reader_may_not_import(app: Flask) -> None:
    reader = client_for(app, "r", "reader")

    check(post_import(reader, BODY, NDJSON), 403)

    assert row_counts(app)["claims"] == 0 and import_runs(app) == 0


def test_anonymous_request_may_not_import(app: Flask) -> None:
    anonymous = app.test_client()

    response = post_import(anonymous, BODY, NDJSON)

    assert response.status_code == 401, response.get_data(as_text=True)


def test_contributor_may_import(app: Flask, client: FlaskClient) -> None:
    contributor = client_for(app, "carol", "contributor")

    run = check(post_import(contributor, BODY, NDJSON), 201)

    assert run["counts"]["claims_created"] == 4, run
    actors = {revision["actor"] for revision in check(client.get("/revisions"), 200)["items"]}
    assert actors == {"carol"}, actors


def test_reader_may_read_an_import(app: Flask, client: FlaskClient) -> None:
    run = check(post_import(client, BODY, NDJSON), 201)
    reader = client_for(app, "r", "reader")

    assert check(reader.get(f"/imports/{run['id']}"), 200)["id"] == run["id"]


def test_retry_of_an_import_stopped_by_a_deadlock_runs_again(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_import = run_service.import_stream
    calls = []

    def deadlocked_once(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("INSERT INTO sources", {}, Exception("deadlock detected"))
        return real_import(*args, **kwargs)

    monkeypatch.setattr(run_service, "import_stream", deadlocked_once)
    check(post_import(client, BODY, NDJSON, with_key("deadlock-1")), 503)

    retry = check(post_import(client, BODY, NDJSON, with_key("deadlock-1")), 201)

    assert retry["status"] == "succeeded", retry
    assert retry["counts"]["claims_created"] == 4, retry["counts"]
    assert import_runs(app) == 1

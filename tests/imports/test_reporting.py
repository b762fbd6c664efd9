"""Imports report every problem of a file and true counts, in real and dry runs alike.

A file spanning two batches holds five problems of different kinds: found while
reading (invalid JSON), while validating (a field), and while writing (bad URLs in
each batch, an unknown source). Without partial nothing is written, but every
problem is named; a dry run counts what the whole file would create.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from claims_api.services.imports.bulk import BATCH_CLAIMS
from tests.factories import check
from tests.imports.helpers import (
    border_document,
    cli_reports,
    embassy_document,
    import_json,
    jsonl,
    post_import,
    row_counts,
    run_cli,
)

LINES, CLAIMS_PER_LINE = 1000, 6
NDJSON = "application/x-ndjson"


def document(line: int) -> dict[str, Any]:
    return {
        "article": {"url": f"https://news.example.org/story-{line}", "title": f"Story {line}"},
        "claims": [
            {"key": f"c{index}", "text": f"Claim {index} of story {line}.", "kind": "other"}
            for index in range(CLAIMS_PER_LINE)
        ],
    }


def broken(line: int) -> str:
    """Line ``line`` of the file, with its problem if it has one."""
    value = document(line)
    if line == 3:
        return '{"article": {"url": '
    if line in (21, 901):
        value["article"]["url"] = "not a url"
    if line == 400:
        value["claims"][2]["kind"] = "rumour"
    if line == 950:
        value["claims"][0]["sources"] = [{"source_id": 999_999, "stance": "supports"}]
    return json.dumps(value)


PROBLEM_LINES = {3, 21, 400, 901, 950}
VALID_LINES = LINES - len(PROBLEM_LINES)
# Line 950's article is created, and its claims but the one citing no source.
ARTICLES = VALID_LINES + 1
CLAIMS = VALID_LINES * CLAIMS_PER_LINE + CLAIMS_PER_LINE - 1
BODY = "".join(broken(line) + "\n" for line in range(1, LINES + 1))


def test_the_file_spans_more_than_one_batch() -> None:
    assert LINES * CLAIMS_PER_LINE > BATCH_CLAIMS
    assert 901 * CLAIMS_PER_LINE > BATCH_CLAIMS > 21 * CLAIMS_PER_LINE


def problem_lines(report: dict[str, Any]) -> set[int]:
    return {int(error["location"].removeprefix("line ")) for error in report["errors"]}


@pytest.mark.parametrize("dry_run", [False, True], ids=["import", "dry-run"])
def test_every_problem_of_a_file_is_reported(
    app: Flask, client: FlaskClient, dry_run: bool
) -> None:
    failed = check(post_import(client, BODY, NDJSON, dry_run=dry_run), 422)

    run = check(client.get(f"/imports/{failed['import_id']}"), 200)
    assert problem_lines(run) == PROBLEM_LINES, run["errors"]
    assert run["error_count"] == len(PROBLEM_LINES) == failed["import_error_count"]
    assert row_counts(app)["claims"] == 0, "nothing is written"


def test_a_dry_run_counts_what_the_whole_file_would_create(client: FlaskClient) -> None:
    failed = check(post_import(client, BODY, NDJSON, dry_run=True), 422)

    counts = check(client.get(f"/imports/{failed['import_id']}"), 200)["counts"]
    assert counts["records"] == LINES, counts
    assert (counts["articles_created"], counts["claims_created"]) == (ARTICLES, CLAIMS), counts


def test_a_partial_import_writes_every_valid_record_of_every_batch(
    app: Flask, client: FlaskClient
) -> None:
    run = check(post_import(client, BODY, NDJSON, partial=True), 201)

    assert problem_lines(run) == PROBLEM_LINES, run["errors"]
    assert run["counts"]["claims_created"] == row_counts(app)["claims"] == CLAIMS


def test_the_cli_reports_every_problem_and_true_dry_run_counts(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "stories.jsonl"
    path.write_text(BODY, encoding="utf-8")

    (report,) = cli_reports(import_json(database_url, "--dry-run", str(path)))

    assert problem_lines(report) == PROBLEM_LINES, report["errors"]
    assert report["counts"]["claims_created"] == CLAIMS, report["counts"]
    assert row_counts(app)["claims"] == 0


@pytest.mark.parametrize(
    ("body", "named"), [("false", "false"), ("null", "null"), ("12", "a number")]
)
@pytest.mark.parametrize("media_type", ["application/json", NDJSON])
def test_a_bare_json_value_is_a_422_naming_it_even_with_partial(
    app: Flask, client: FlaskClient, body: str, named: str, media_type: str
) -> None:
    response = post_import(client, body, media_type, partial=True)

    problem = check(response, 422)
    assert response.mimetype == "application/problem+json"
    (error,) = problem["import_errors"]
    assert f"not {named}" in error["reason"], error
    assert check(client.get(f"/imports/{problem['import_id']}"), 200)["status"] == "failed"


@pytest.mark.parametrize("name", ["partial", "dry_run"])
@pytest.mark.parametrize("value", ["maybe", "2", ""])
def test_a_query_boolean_that_is_not_one_is_422(client: FlaskClient, name: str, value: str) -> None:
    response = client.post(
        "/imports",
        data=jsonl([embassy_document()]),
        query_string={name: value},
        headers={"Content-Type": NDJSON},
    )

    problem = check(response, 422)
    assert name in problem["errors"], problem


def test_import_warnings_are_in_the_response_the_run_and_the_cli(
    app: Flask, client: FlaskClient, database_url: str, tmp_path: Path
) -> None:
    check(post_import(client, jsonl([border_document()]), NDJSON), 201)
    edited = border_document()
    edited["claims"][0]["status"] = "false"
    path = tmp_path / "edited.jsonl"
    path.write_text(jsonl([edited]), encoding="utf-8")

    posted = check(post_import(client, jsonl([edited]), NDJSON), 201)
    fetched = check(client.get(f"/imports/{posted['id']}"), 200)
    result = import_json(database_url, str(path))

    for shown in (posted, fetched, cli_reports(result)[0]):
        assert shown["warning_count"] == 1, shown
        assert "status" in shown["warnings"][0]["reason"], shown["warnings"]


def test_the_cli_summary_prints_the_warnings(app: Flask, database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "border.jsonl"
    path.write_text(jsonl([border_document()]), encoding="utf-8")
    run_cli(database_url, "import", str(path))
    edited = border_document()
    edited["claims"][0]["status"] = "false"
    path.write_text(jsonl([edited]), encoding="utf-8")

    result = run_cli(database_url, "import", str(path))

    assert "warning at line 1:" in result.stderr and "status" in result.stderr, result.stderr

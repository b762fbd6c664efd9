"""Validation and reports: where each problem is, all-or-nothing files, --partial, --dry-run,
--json, folders and standard input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from claims_api.services import imports as import_service
from tests.factories import check, client_for
from tests.imports.helpers import (
    REVIEWS,
    border_document,
    cli_reports,
    embassy_document,
    import_json,
    jsonl,
    post_import,
    row_counts,
    run_cli,
    stored_claims,
)

EMPTY = {"articles": 0, "claims": 0, "sources": 0, "claim_sources": 0, "claim_tags": 0}


def nothing_stored(app: Flask) -> dict[str, int]:
    counts = row_counts(app)
    return {name: count for name, count in counts.items() if name in EMPTY or name == "revisions"}


def other_article(number: int) -> dict[str, Any]:
    """A valid copy of the border document at another URL."""
    document = border_document()
    document["article"]["url"] = f"https://news.example.org/other-{number}"
    return document


def misquoted() -> dict[str, Any]:
    """A document whose third claim quotes words the body does not say."""
    document = border_document()
    document["claims"][2]["quote"] = {"exact": "Ukraine is a member of NATO"}
    return document


def mistyped() -> dict[str, Any]:
    """A document whose third claim's quote is a number instead of a string."""
    document = border_document()
    document["claims"][2]["quote"]["exact"] = 42
    return document


def untitled() -> dict[str, Any]:
    document = embassy_document()
    del document["article"]["title"]
    return document


def one_report(result: Any) -> dict[str, Any]:
    (report,) = cli_reports(result)
    return report


def write(folder: Path, name: str, content: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return path


# --- Where a problem is ----------------------------------------------------------------------


def test_json_lines_error_names_line_and_claim_field(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    path = write(tmp_path, "in.jsonl", jsonl([embassy_document(), other_article(1), misquoted()]))

    report = one_report(import_json(database_url, str(path)))

    (error,) = report["errors"]
    assert error["file"] == str(path), error
    assert error["location"] == "line 3", error
    assert error["field"] == "claims.2.quote.exact", error
    assert "does not occur" in error["reason"], error


def test_wrongly_typed_value_is_reported_at_its_field_not_as_invalid_json(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    """A well-formed JSON line whose quote.exact is a number: the field is named, and the
    reason does not call the line invalid JSON (it is valid JSON of the wrong shape)."""
    path = write(tmp_path, "in.jsonl", jsonl([embassy_document(), mistyped()]))

    report = one_report(import_json(database_url, str(path)))

    (error,) = report["errors"]
    assert error["location"] == "line 2", error
    assert error.get("field") == "claims.2.quote.exact", (
        f"the error should name the field claims.2.quote.exact, not {error.get('field')!r}: {error}"
    )
    assert not error["reason"].startswith("invalid JSON"), (
        f"the line is valid JSON; the reason should say what is wrong with the field: {error}"
    )


def test_missing_required_field_is_reported_at_its_field(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    path = write(tmp_path, "in.jsonl", jsonl([untitled()]))

    report = one_report(import_json(database_url, str(path)))

    (error,) = report["errors"]
    assert error["location"] == "line 1", error
    assert error.get("field") == "article.title", (
        f"a missing title should be reported at article.title, not {error.get('field')!r}: {error}"
    )


def test_json_array_error_names_its_pointer(app: Flask, database_url: str, tmp_path: Path) -> None:
    documents = [other_article(0), other_article(1), other_article(2), misquoted()]
    path = write(tmp_path, "in.json", json.dumps(documents))

    report = one_report(import_json(database_url, str(path)))

    assert [(e["location"], e["field"]) for e in report["errors"]] == [
        ("/3", "claims.2.quote.exact")
    ]


def test_graph_error_names_its_pointer_and_the_claimreview_property(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    broken = json.loads(json.dumps(REVIEWS[1][0]))
    del broken["claimReviewed"]
    path = write(tmp_path, "in.json", json.dumps({"@graph": [REVIEWS[0][0], broken]}))

    report = one_report(import_json(database_url, str(path)))

    assert [(e["location"], e["field"]) for e in report["errors"]] == [
        ("/@graph/1", "claimReviewed")
    ]


def test_datafeed_error_names_element_and_item(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    broken = json.loads(json.dumps(REVIEWS[1][0]))
    broken["@type"] = "Review"
    feed = {
        "@type": "DataFeed",
        "dataFeedElement": [{"item": REVIEWS[0][0]}, {"item": [REVIEWS[2][0], broken]}],
    }
    path = write(tmp_path, "feed.json", json.dumps(feed))

    report = one_report(import_json(database_url, str(path)))

    assert [(e["location"], e["field"]) for e in report["errors"]] == [
        ("/dataFeedElement/1/item/1", "@type")
    ]


def test_html_error_names_the_script_and_its_line(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    page = (
        "<html>\n<head>\n"
        f'<script type="application/ld+json">{json.dumps(REVIEWS[0][0])}</script>\n'
        "</head>\n<body>\n"
        '<script type="application/ld+json">{"@type": "ClaimReview",</script>\n'
        "</body></html>\n"
    )
    path = write(tmp_path, "page.html", page)

    report = one_report(import_json(database_url, str(path)))

    (error,) = report["errors"]
    assert error["location"] == "script 2 (line 6)", error
    assert "invalid JSON-LD" in error["reason"], error


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        pytest.param("broken.json", '{"article": {"url": ', "invalid JSON", id="truncated-json"),
        pytest.param("empty.jsonl", "\n\n", "no records", id="empty"),
        pytest.param("scalar.json", "[1]", "(a JSON object), not a number", id="not-an-object"),
    ],
)
def test_unreadable_input_is_reported(
    app: Flask, database_url: str, tmp_path: Path, name: str, content: str, reason: str
) -> None:
    path = write(tmp_path, name, content)

    result = import_json(database_url, str(path))

    assert result.exit_code == 1, result.output
    reasons = [error["reason"] for error in one_report(result)["errors"]]
    assert any(reason in text for text in reasons), f"expected {reason!r} among {reasons}"


# --- All or nothing, --partial, --dry-run -----------------------------------------------------


def test_file_with_one_bad_record_imports_nothing(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    path = write(tmp_path, "in.jsonl", jsonl([embassy_document(), other_article(1), misquoted()]))

    result = run_cli(database_url, "import", str(path))

    assert result.exit_code == 1, "a failed file must give a non-zero exit status"
    assert "nothing was imported" in result.stderr, result.stderr
    assert "error at line 3 claims.2.quote.exact" in result.stderr, result.stderr
    assert nothing_stored(app) == {**EMPTY, "revisions": 0}, "an atomic import wrote rows"


def test_failed_atomic_import_does_not_report_claims_as_created(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    """The records before the bad one were rolled back: the report must not count them."""
    path = write(tmp_path, "in.jsonl", jsonl([embassy_document(), other_article(1), misquoted()]))

    report = one_report(import_json(database_url, str(path)))

    assert report["written"] is False, report
    assert report["counts"].get("claims_created", 0) == 0, (
        f"nothing was written, yet the report counts created claims: {report['counts']}"
    )


def test_bad_record_after_a_full_batch_still_imports_nothing(
    app: Flask, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches written before the error was seen are rolled back with the file."""
    monkeypatch.setattr(import_service, "BATCH_CLAIMS", 3)
    good = [other_article(number) for number in range(4)]
    path = write(tmp_path, "in.jsonl", jsonl([*good, untitled()]))

    result = run_cli(database_url, "import", str(path))

    assert result.exit_code == 1, result.output
    assert nothing_stored(app) == {**EMPTY, "revisions": 0}, "earlier batches were kept"


def test_one_bad_file_does_not_stop_the_others(
    app: Flask, client: FlaskClient, database_url: str, tmp_path: Path
) -> None:
    good = write(tmp_path, "a-good.jsonl", jsonl([border_document()]))
    bad = write(tmp_path, "b-bad.jsonl", jsonl([embassy_document(), untitled()]))

    result = import_json(database_url, str(good), str(bad))

    assert result.exit_code == 1, "one failed file makes the exit status non-zero"
    written = {report["file"]: report["written"] for report in cli_reports(result)}
    assert written == {str(good): True, str(bad): False}, written
    assert len(stored_claims(client)) == 3, "the good file should be imported whole"


def test_partial_keeps_the_valid_records_and_still_exits_non_zero(
    client: FlaskClient, database_url: str, tmp_path: Path
) -> None:
    path = write(tmp_path, "in.jsonl", jsonl([embassy_document(), untitled(), other_article(1)]))

    result = import_json(database_url, "--partial", str(path))

    assert result.exit_code == 1, "errors were found: the exit status must say so"
    report = one_report(result)
    assert [error["location"] for error in report["errors"]] == ["line 2"], report["errors"]
    assert report["counts"]["claims_created"] == 4, report["counts"]
    urls = {claim["article_url"] for claim in stored_claims(client)}
    assert urls == {embassy_document()["article"]["url"], "https://news.example.org/other-1"}


def test_dry_run_reports_what_would_be_created_and_writes_nothing(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    path = write(tmp_path, "in.jsonl", jsonl([border_document(), embassy_document()]))

    result = import_json(database_url, "--dry-run", str(path))

    assert result.exit_code == 0, result.output
    report = one_report(result)
    assert report["dry_run"] is True and report["written"] is False, report
    assert report["counts"]["claims_created"] == 4, report["counts"]
    assert report["counts"]["articles_created"] == 2, report["counts"]
    assert nothing_stored(app) == {**EMPTY, "revisions": 0}, "a dry run wrote rows"


def test_dry_run_of_a_reimport_reports_unchanged(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    path = write(tmp_path, "in.jsonl", jsonl([border_document()]))
    run_cli(database_url, "import", str(path))

    report = one_report(import_json(database_url, "--dry-run", str(path)))

    assert report["counts"]["claims_unchanged"] == 3, report["counts"]


def test_dry_run_with_errors_exits_non_zero(app: Flask, database_url: str, tmp_path: Path) -> None:
    path = write(tmp_path, "in.jsonl", jsonl([untitled()]))

    result = run_cli(database_url, "import", "--dry-run", str(path))

    assert result.exit_code == 1, result.output


# --- --json, folders, standard input ------------------------------------------------------------


def test_json_report_is_the_only_thing_on_stdout(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    path = write(tmp_path, "in.jsonl", jsonl([border_document(), untitled()]))

    result = import_json(database_url, str(path))

    report = one_report(result)
    assert set(report) >= {"file", "counts", "errors", "error_count", "warnings", "written"}
    assert report["error_count"] == len(report["errors"]) == 1, report
    assert "nothing was imported" not in result.stdout, "the human summary went to stdout"


def test_folder_imports_every_json_jsonl_and_html_file_under_it(
    app: Flask, client: FlaskClient, database_url: str, tmp_path: Path
) -> None:
    write(tmp_path, "docs/border.json", json.dumps(border_document()))
    write(tmp_path, "docs/nested/embassy.jsonl", jsonl([embassy_document()]))
    write(tmp_path, "reviews/page.html", "<html>" + _script(REVIEWS[0][0]) + "</html>")
    write(tmp_path, "notes.txt", "not an input")
    write(tmp_path, "README.md", "# not an input")

    result = import_json(database_url, str(tmp_path))

    assert result.exit_code == 0, result.output
    files = sorted(Path(report["file"]).name for report in cli_reports(result))
    assert files == ["border.json", "embassy.jsonl", "page.html"], files
    assert len(stored_claims(client)) == 5, "3 + 1 + 1 claims expected"


def _script(value: Any) -> str:
    return f'<script type="application/ld+json">{json.dumps(value)}</script>'


@pytest.mark.parametrize(
    ("content", "options"),
    [
        pytest.param(jsonl([border_document(), embassy_document()]), (), id="json-lines"),
        pytest.param(json.dumps([border_document(), embassy_document()]), (), id="json-array"),
        pytest.param(
            jsonl([border_document(), embassy_document()]), ("--format", "jsonl"), id="format"
        ),
    ],
)
def test_dash_reads_standard_input(
    client: FlaskClient, database_url: str, content: str, options: tuple[str, ...]
) -> None:
    result = import_json(database_url, *options, "-", stdin=content)

    assert result.exit_code == 0, result.output
    (report,) = cli_reports(result)
    assert report["file"] == "-", report
    assert report["counts"]["claims_created"] == 4, report["counts"]
    assert len(stored_claims(client)) == 4


def test_html_on_standard_input_is_recognised_by_its_content(
    client: FlaskClient, database_url: str
) -> None:
    page = "<!doctype html>\n<html>" + _script([review for review, _ in REVIEWS]) + "</html>"

    result = import_json(database_url, "-", stdin=page)

    assert result.exit_code == 0, result.output
    assert len(stored_claims(client)) == len(REVIEWS)


def test_missing_path_is_a_usage_error(app: Flask, database_url: str, tmp_path: Path) -> None:
    result = run_cli(database_url, "import", str(tmp_path / "nope.jsonl"))

    assert result.exit_code == 2, result.output
    assert "no such file" in result.output, result.output


# --- The same rules over HTTP --------------------------------------------------------------------


def test_api_import_with_an_error_writes_nothing_and_answers_422(
    app: Flask, client: FlaskClient
) -> None:
    body = jsonl([embassy_document(), untitled()])

    problem = check(post_import(client, body, "application/x-ndjson", name="x.jsonl"), 422)

    assert "nothing was written" in problem["detail"], problem
    (error,) = problem["import_errors"]
    assert (error["file"], error["location"]) == ("x.jsonl", "line 2"), error
    assert nothing_stored(app) == {**EMPTY, "revisions": 0}
    run = check(client.get(f"/imports/{problem['import_id']}"), 200)
    assert run["status"] == "failed", run


def test_api_partial_import_keeps_the_valid_records(app: Flask, client: FlaskClient) -> None:
    body = jsonl([embassy_document(), untitled()])

    run = check(post_import(client, body, "application/x-ndjson", partial=True), 201)

    assert run["partial"] is True and run["error_count"] == 1, run
    assert len(stored_claims(client)) == 1, "the valid record should be kept"


def test_api_dry_run_counts_and_writes_nothing(app: Flask, client: FlaskClient) -> None:
    body = jsonl([border_document()])

    run = check(post_import(client, body, "application/x-ndjson", dry_run=True), 201)

    assert run["dry_run"] is True and run["counts"]["claims_created"] == 3, run
    assert nothing_stored(app) == {**EMPTY, "revisions": 0}, "a dry run wrote rows"


# --- Entity and relation records ---------------------------------------------------------------

ENTITY = {"entity": {"name": "Acme Corp", "kind": "organization", "aliases": ["ACME"]}}


def relation_record(**changes: Any) -> dict[str, Any]:
    """A relation between two claims of the border document: valid as it is."""
    url = border_document()["article"]["url"]
    decision = {
        "decision": "confirmed",
        "relation": "same",
        "actor": "rita",
        "created_at": "2026-01-05T10:00:00+00:00",
    }
    fields = {
        "claims": [{"article": url, "key": "troops"}, {"article": url, "key": "calm"}],
        "relation": "same",
        "state": "confirmed",
        "decisions": [decision],
    }
    return {"relation": {**fields, **changes}}


@pytest.mark.parametrize(
    ("record", "field", "reason"),
    [
        ({"entity": {"kind": "person"}}, "entity.name", "Missing data for required field."),
        ({"entity": {"name": "A", "kind": "star"}}, "entity.kind", "Invalid enum value 'star'"),
        ({"entity": {"name": " ", "kind": "other"}}, "entity.name", "Shorter than minimum"),
        (
            relation_record(relation="updates"),
            "relation.relation",
            "must be the last decision's",
        ),
        (
            relation_record(
                relation="updates",
                decisions=[
                    {
                        "decision": "confirmed",
                        "relation": "updates",
                        "actor": "rita",
                        "created_at": "2026-01-05T10:00:00Z",
                    }
                ],
            ),
            "relation.decisions.0.newer_claim",
            "an updates relation names the newer claim",
        ),
        (
            relation_record(
                state="withdrawn",
                decisions=[
                    {
                        "decision": "withdrawn",
                        "relation": "same",
                        "actor": "rita",
                        "created_at": "2026-01-05T10:00:00Z",
                    }
                ],
            ),
            "relation.decisions.0.decision",
            "only a confirmed or rejected decision is withdrawn",
        ),
        (relation_record(decisions=[]), "relation.decisions", "Expected `array` of length >= 1"),
        (
            relation_record(
                claims=[
                    {"article": "https://news.example.org/x"},
                    {"article": "https://x.org", "key": "k"},
                ]
            ),
            "relation.claims.0.kind",
            "a keyless claim is named by its kind and text",
        ),
    ],
)
def test_a_bad_entity_or_relation_record_is_a_422_naming_its_field(
    app: Flask, client: FlaskClient, record: dict[str, Any], field: str, reason: str
) -> None:
    body = jsonl([border_document(), record])

    response = post_import(client, body, "application/x-ndjson", name="x.jsonl")
    problem = check(response, 422)

    assert response.mimetype == "application/problem+json"
    (error,) = problem["import_errors"]
    assert (error["location"], error.get("field")) == ("line 2", field), error
    assert reason in error["reason"], error
    assert nothing_stored(app) == {**EMPTY, "revisions": 0}


def test_a_relation_naming_a_claim_that_is_not_there_is_a_422(client: FlaskClient) -> None:
    record = relation_record()
    record["relation"]["claims"][1]["key"] = "no-such-claim"

    problem = check(
        post_import(client, jsonl([border_document(), record]), "application/x-ndjson"), 422
    )

    (error,) = problem["import_errors"]
    assert error["field"] == "relation.claims.1", error
    assert "has no live claim of this key" in error["reason"], error


def test_an_entity_record_naming_another_entitys_name_is_refused(client: FlaskClient) -> None:
    check(client.post("/entities", json={"name": "Acme Inc", "kind": "organization"}), 201)
    record = {"entity": {**ENTITY["entity"], "aliases": ["ACME", "Acme Inc."]}}

    problem = check(post_import(client, jsonl([record]), "application/x-ndjson"), 422)

    (error,) = problem["import_errors"]
    assert error["field"] == "entity.aliases.1", error
    assert "is already a name of entity" in error["reason"], error


def test_a_contributors_relation_records_are_ignored_with_a_warning(app: Flask) -> None:
    contributor = client_for(app, "cora", "contributor")

    run = check(
        post_import(
            contributor, jsonl([border_document(), relation_record()]), "application/x-ndjson"
        ),
        201,
    )

    assert "relations_created" not in run["counts"], run["counts"]
    (warning,) = [item for item in run["warnings"] if item["location"] == "line 2"]
    assert "writes no relations' decisions" in warning["reason"], warning

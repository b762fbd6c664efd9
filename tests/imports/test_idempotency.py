"""Importing the same input twice changes nothing; an edited input updates what changed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from benchmarks.corpus import write_jsonl
from tests.factories import SEED_FILE, check, client_for, seed_document
from tests.imports.canonical import canonical_dump, differences
from tests.imports.helpers import (
    BORDER_URL,
    CLAIMREVIEW_EXAMPLES,
    border_document,
    cli_reports,
    embassy_document,
    import_json,
    jsonl,
    pages,
    post_import,
    row_counts,
    run_cli,
    shared_sample,
    stored_claims,
)

ARTICLES, CLAIMS_PER_ARTICLE = 10, 5
TOTAL = ARTICLES * CLAIMS_PER_ARTICLE


def corpus_file(folder: Path, name: str = "corpus.jsonl") -> Path:
    return write_jsonl(folder / name, ARTICLES, CLAIMS_PER_ARTICLE)


def rewrite(path: Path, line: int, edit: Any) -> None:
    """Apply ``edit`` to the document on ``line`` (0-based) of a JSON Lines file."""
    documents = [json.loads(text) for text in path.read_text(encoding="utf-8").splitlines()]
    edit(documents[line])
    path.write_text(jsonl(documents), encoding="utf-8")


def only_report(result: Any) -> dict[str, Any]:
    assert result.exit_code == 0, f"import failed: {result.output}"
    (report,) = cli_reports(result)
    assert report["error_count"] == 0, report["errors"]
    return report


def revisions_of(client: FlaskClient, claim_id: int) -> list[dict[str, Any]]:
    return sorted(pages(client, f"/claims/{claim_id}/revisions"), key=lambda rev: rev["number"])


def claim_by_key(client: FlaskClient, article_url: str, key: str) -> dict[str, Any]:
    (claim,) = [
        claim
        for claim in stored_claims(client)
        if claim["article_url"] == article_url and claim["key"] == key
    ]
    return claim


def test_cli_reimport_reports_every_claim_unchanged_and_writes_nothing(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    path = corpus_file(tmp_path)
    first = only_report(import_json(database_url, str(path)))
    assert first["counts"]["claims_created"] == TOTAL, first
    before = row_counts(app)

    second = only_report(import_json(database_url, str(path)))

    counts = second["counts"]
    assert counts.get("claims_created", 0) == 0, counts
    assert counts.get("claims_updated", 0) == 0, counts
    assert counts["claims_unchanged"] == TOTAL, counts
    assert counts.get("articles_created", 0) == 0, counts
    assert counts["articles_unchanged"] == ARTICLES, counts
    assert row_counts(app) == before, "the second import wrote rows"


def test_cli_summary_of_a_reimport_says_unchanged(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    path = corpus_file(tmp_path)
    run_cli(database_url, "import", str(path))

    result = run_cli(database_url, "import", str(path))

    assert result.exit_code == 0, result.output
    assert f"0 created, 0 updated, {TOTAL} unchanged" in result.stderr, result.stderr


def test_api_reimport_reports_unchanged_and_adds_no_revisions(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    body = corpus_file(tmp_path).read_bytes() + jsonl([embassy_document()]).encode()
    check(post_import(client, body, "application/x-ndjson"), 201)
    before = row_counts(app)
    revisions_before = len(pages(client, "/revisions"))

    run = check(post_import(client, body, "application/x-ndjson"), 201)

    assert run["counts"].get("claims_created", 0) == 0, run["counts"]
    assert run["counts"].get("claims_updated", 0) == 0, run["counts"]
    assert run["counts"]["claims_unchanged"] == TOTAL + 1, run["counts"]
    assert row_counts(app) == before, "the second import wrote rows"
    assert len(pages(client, "/revisions")) == revisions_before == TOTAL + 1


def test_reimport_of_the_claimreview_examples_changes_nothing(
    app: Flask, database_url: str
) -> None:
    path = str(shared_sample(CLAIMREVIEW_EXAMPLES))
    only_report(import_json(database_url, "--format", "html", path))
    before = row_counts(app)

    report = only_report(import_json(database_url, "--format", "html", path))

    assert report["counts"]["claims_unchanged"] == 2, report["counts"]
    assert report["counts"].get("claims_created", 0) == 0, report["counts"]
    assert row_counts(app) == before, "re-importing ClaimReviews wrote rows"


def test_import_after_seed_of_the_same_file_changes_nothing(app: Flask, database_url: str) -> None:
    seeded = run_cli(database_url, "seed", str(SEED_FILE))
    assert seeded.exit_code == 0, seeded.output
    before = row_counts(app)

    report = only_report(import_json(database_url, str(SEED_FILE)))

    assert report["counts"]["claims_unchanged"] == len(seed_document()["claims"]), report
    assert row_counts(app) == before


def test_edited_claim_text_updates_that_claim_alone_to_revision_2(
    app: Flask, client: FlaskClient, database_url: str, tmp_path: Path
) -> None:
    path = corpus_file(tmp_path, "dispatches.jsonl")
    only_report(import_json(database_url, str(path)))
    before = row_counts(app)
    edited: dict[str, Any] = {}

    def edit(document: dict[str, Any]) -> None:
        claim = document["claims"][2]
        claim["text"] = claim["text"] + " (corrected)"
        edited.update(url=document["article"]["url"], key=claim["key"], text=claim["text"])

    rewrite(path, 3, edit)

    report = only_report(import_json(database_url, str(path)))

    assert report["counts"]["claims_updated"] == 1, report["counts"]
    assert report["counts"]["claims_unchanged"] == TOTAL - 1, report["counts"]
    assert row_counts(app) == {**before, "revisions": before["revisions"] + 1}
    claim = claim_by_key(client, edited["url"], edited["key"])
    assert (claim["text"], claim["revision"]) == (edited["text"], 2), claim
    latest = revisions_of(client, claim["id"])[-1]
    assert latest["number"] == 2, latest
    assert re.fullmatch(r"import dispatches\.jsonl \(import \d+\)", latest["reason"]), latest
    assert latest["actor"] == "import", "the CLI's default actor is 'import'"
    assert latest["action"] == "update", latest
    assert set(latest["changes"]) == {"text"}, latest["changes"]
    others = [item for item in stored_claims(client) if item["id"] != claim["id"]]
    assert {item["revision"] for item in others} == {1}, "other claims got new revisions"


def test_cli_actor_option_names_the_author_of_the_revisions(
    client: FlaskClient, database_url: str, tmp_path: Path
) -> None:
    path = corpus_file(tmp_path)
    only_report(import_json(database_url, "--actor", "loader-bot", str(path)))

    def edit(document: dict[str, Any]) -> None:
        document["claims"][0]["tags"] = ["Edited"]

    rewrite(path, 0, edit)
    only_report(import_json(database_url, "--actor", "loader-bot", str(path)))

    actors = {revision["actor"] for revision in pages(client, "/revisions")}
    assert actors == {"loader-bot"}, f"revisions should name the --actor: {actors}"


def test_api_import_of_an_edit_is_authored_by_the_keys_name(
    app: Flask, client: FlaskClient
) -> None:
    contributor = client_for(app, "alice", "contributor")
    document = seed_document()
    check(post_import(contributor, json.dumps(document), "application/json", name="a.json"), 201)
    edited = json.loads(json.dumps(document))
    edited["claims"][0]["text"] = "Wang Yi and Antony Blinken spoke by telephone on Wednesday."

    run = check(
        post_import(contributor, json.dumps(edited), "application/json", name="b.json"), 201
    )

    assert run["counts"]["claims_updated"] == 1, run["counts"]
    claim = claim_by_key(client, document["article"]["url"], document["claims"][0]["key"])
    latest = revisions_of(client, claim["id"])[-1]
    assert latest["number"] == 2, latest
    assert latest["actor"] == "alice", "the API key's name is the actor"
    assert latest["reason"].startswith("import b.json"), latest["reason"]


def test_status_only_change_of_a_stored_claim_is_a_warning_not_a_revision(
    client: FlaskClient, database_url: str, tmp_path: Path
) -> None:
    """Even the CLI (an admin) never changes the status of a claim that exists."""
    path = corpus_file(tmp_path)
    only_report(import_json(database_url, str(path)))
    changed: dict[str, Any] = {}

    def edit(document: dict[str, Any]) -> None:
        claim = document["claims"][1]
        changed.update(url=document["article"]["url"], key=claim["key"], status=claim["status"])
        claim["status"] = "disputed" if claim["status"] != "disputed" else "verified"

    rewrite(path, 5, edit)

    report = only_report(import_json(database_url, str(path)))

    assert report["counts"].get("claims_updated", 0) == 0, report["counts"]
    claim = claim_by_key(client, changed["url"], changed["key"])
    assert claim["status"] == changed["status"], claim
    assert [w for w in report["warnings"] if f"claim {claim['id']}" in w["reason"]], report
    assert len(revisions_of(client, claim["id"])) == 1


def test_edited_article_title_updates_the_article_and_leaves_claims_alone(
    app: Flask, client: FlaskClient, database_url: str, tmp_path: Path
) -> None:
    path = corpus_file(tmp_path)
    only_report(import_json(database_url, str(path)))
    before = row_counts(app)

    def edit(document: dict[str, Any]) -> None:
        document["article"]["title"] = "Dispatch zero, revised"

    rewrite(path, 0, edit)

    report = only_report(import_json(database_url, str(path)))

    assert report["counts"]["articles_updated"] == 1, report["counts"]
    assert report["counts"]["claims_unchanged"] == TOTAL, report["counts"]
    assert row_counts(app) == before
    titles = {article["title"] for article in pages(client, "/articles")}
    assert "Dispatch zero, revised" in titles, titles


# --- Entity and relation records ---------------------------------------------------------------


def decision(kind: str, state: str, minute: int) -> dict[str, Any]:
    return {
        "decision": state,
        "relation": kind,
        "actor": "rita",
        "note": f"decided at {minute}",
        "created_at": f"2026-01-05T10:{minute:02d}:00+00:00",
    }


def curated(*decisions: dict[str, Any], aliases: tuple[str, ...] = ("ACME",)) -> str:
    """The border document with an entity before it and a relation between two of its
    claims after it, with ``decisions`` as its history."""
    url = border_document()["article"]["url"]
    last = decisions[-1]
    relation = {
        "claims": [{"article": url, "key": "troops"}, {"article": url, "key": "calm"}],
        "relation": last["relation"],
        "state": last["decision"],
        "decisions": list(decisions),
    }
    entity = {"name": "Acme Corp", "kind": "organization", "aliases": list(aliases)}
    return jsonl([{"entity": entity}, border_document(), {"relation": relation}])


def relations_of_troops(client: FlaskClient) -> list[dict[str, Any]]:
    troops = claim_by_key(client, BORDER_URL, "troops")
    return pages(client, f"/claims/{troops['id']}/relations")


def test_reimport_of_entity_and_relation_records_changes_nothing(
    app: Flask, client: FlaskClient
) -> None:
    body = curated(decision("same", "confirmed", 0), decision("same", "withdrawn", 5))
    first = check(post_import(client, body, "application/x-ndjson"), 201)
    before = canonical_dump(app)

    again = check(post_import(client, body, "application/x-ndjson"), 201)

    assert (first["counts"]["entities_created"], first["counts"]["relations_created"]) == (1, 1)
    assert (again["counts"]["entities_unchanged"], again["counts"]["relations_unchanged"]) == (1, 1)
    assert canonical_dump(app) == before, differences(before, canonical_dump(app))
    (relation,) = relations_of_troops(client)
    assert [item["decision"] for item in relation["decisions"]] == ["confirmed", "withdrawn"]
    assert relation["decisions"][1]["note"] == "decided at 5", relation


def test_a_longer_history_adds_the_decisions_the_stored_one_lacks(
    app: Flask, client: FlaskClient
) -> None:
    confirmed = decision("same", "confirmed", 0)
    check(post_import(client, curated(confirmed), "application/x-ndjson"), 201)
    troops = claim_by_key(client, BORDER_URL, "troops")
    check(client.get(f"/claims/{troops['id']}/group"), 200)

    longer = curated(confirmed, decision("same", "withdrawn", 5), aliases=("ACME", "Acme Inc."))
    report = check(post_import(client, longer, "application/x-ndjson"), 201)

    assert report["counts"]["relations_updated"] == 1, report["counts"]
    assert report["counts"]["entities_updated"] == 1, "the alias it lacked is added"
    (relation,) = relations_of_troops(client)
    assert (relation["state"], relation["revision"]) == ("withdrawn", 2), relation
    assert client.get(f"/claims/{troops['id']}/group").status_code == 404, "the group goes"
    older = check(post_import(client, curated(confirmed), "application/x-ndjson"), 201)
    assert older["counts"]["relations_unchanged"] == 1, "an older history takes nothing back"


def test_a_history_that_went_another_way_is_refused(client: FlaskClient) -> None:
    check(
        post_import(client, curated(decision("same", "confirmed", 0)), "application/x-ndjson"), 201
    )

    other = curated(decision("contradicts", "rejected", 0))
    problem = check(post_import(client, other, "application/x-ndjson"), 422)

    (error,) = problem["import_errors"]
    assert error["field"] == "relation.decisions", error
    assert "differs" in error["reason"], error

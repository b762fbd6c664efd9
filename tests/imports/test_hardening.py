"""Inputs and races that once broke the importer: each must give a report, never a crash."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from claims_api.extensions import db
from claims_api.models.vocabulary import Role
from claims_api.services.imports import ImportReport, import_stream
from claims_api.services.revisions import Change
from tests.factories import check
from tests.imports.helpers import cli_reports, import_json

ARTICLE = {"url": "https://example.org/hardening", "title": "Hardening", "body": "Alpha beta."}


def claim(text: str, **fields: object) -> dict:
    return {
        "text": text,
        "kind": "other",
        "quote": {"exact": "Alpha", "start": 0, "end": 5},
        **fields,
    }


def jsonl(path: Path, *documents: dict) -> Path:
    path.write_text("".join(json.dumps(document) + "\n" for document in documents))
    return path


def test_deeply_nested_json_is_reported_not_fatal(
    database_url: str, app: Flask, tmp_path: Path
) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 50_000 + "]" * 50_000)
    line = tmp_path / "deep.jsonl"
    line.write_text("[" * 50_000 + "]" * 50_000 + "\n")
    result = import_json(database_url, str(deep), str(line))
    assert result.exit_code == 1
    reports = cli_reports(result)
    assert [report["error_count"] for report in reports] == [1, 1], reports


def test_keyless_claims_sharing_a_quote_across_documents_stay_apart(
    database_url: str, client: FlaskClient, tmp_path: Path
) -> None:
    path = jsonl(
        tmp_path / "shared.jsonl",
        {"article": ARTICLE, "claims": [claim("X is so.")]},
        {"article": ARTICLE, "claims": [claim("Y is so.")]},
    )
    for _ in range(3):
        assert import_json(database_url, str(path)).exit_code == 0
    texts = sorted(item["text"] for item in check(client.get("/claims"), 200)["items"])
    assert texts == ["X is so.", "Y is so."]
    assert all(item["revision"] == 1 for item in check(client.get("/claims"), 200)["items"])


def test_one_key_in_two_documents_is_an_error_not_a_crash(
    database_url: str, client: FlaskClient, tmp_path: Path
) -> None:
    path = jsonl(
        tmp_path / "twice.jsonl",
        {"article": ARTICLE, "claims": [claim("one", key="k1")]},
        {"article": ARTICLE, "claims": [claim("two", key="k1")]},
    )
    result = import_json(database_url, str(path))
    assert result.exit_code == 1
    assert cli_reports(result)[0]["errors"][0]["location"] == "line 2"
    assert check(client.get("/claims"), 200)["items"] == []


def test_a_byte_order_mark_is_skipped(
    database_url: str, client: FlaskClient, tmp_path: Path
) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf" + json.dumps({"article": ARTICLE, "claims": [claim("X.")]}).encode()
    )
    assert import_json(database_url, str(path)).exit_code == 0
    assert len(check(client.get("/claims"), 200)["items"]) == 1


def review(rating: dict | None) -> dict:
    node = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": "https://factcheck.example.org/reviews/1",
        "claimReviewed": "The moon is made of cheese.",
        "author": {"@type": "Organization", "name": "Example Checks"},
        "itemReviewed": {"@type": "Claim", "appearance": {"url": "https://example.org/cheese"}},
    }
    if rating is not None:
        node["reviewRating"] = rating
    return node


def test_a_review_reimported_without_its_rating_keeps_the_one_stored(
    database_url: str, client: FlaskClient, tmp_path: Path
) -> None:
    rated = tmp_path / "rated.json"
    rated.write_text(json.dumps(review({"@type": "Rating", "alternateName": "False"})))
    assert import_json(database_url, str(rated)).exit_code == 0
    unrated = tmp_path / "unrated.json"
    unrated.write_text(json.dumps(review(None)))
    assert import_json(database_url, str(unrated)).exit_code == 0
    [item] = check(client.get("/claims"), 200)["items"]
    assert item["status"] == "unverified", "their rating became our status"
    [external] = item["external_reviews"]
    assert external["rating"]["alternate_name"] == "False", external


def test_fractional_ratings_in_a_data_feed_are_kept(
    database_url: str, client: FlaskClient, tmp_path: Path
) -> None:
    feed = {
        "@context": "https://schema.org",
        "@type": "DataFeed",
        "dataFeedElement": [
            {"@type": "DataFeedItem", "item": review({"@type": "Rating", "ratingValue": 1.5})}
        ],
    }
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(feed))
    assert import_json(database_url, str(path)).exit_code == 0
    [item] = check(client.get("/claims"), 200)["items"]
    assert item["external_reviews"][0]["rating"]["value"] == 1.5


def test_imports_of_the_same_new_articles_at_once_do_not_collide(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    documents = [
        {
            "article": {**ARTICLE, "url": f"https://example.org/race/{n}"},
            "claims": [claim(f"C{n}.", key="c")],
        }
        for n in range(20)
    ]
    path = jsonl(tmp_path / "race.jsonl", *documents)
    reports: list[ImportReport] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        with app.app_context():
            report = ImportReport("race")
            barrier.wait()
            with path.open("rb") as stream:
                import_stream(stream, "jsonl", report, Change("racer", "race"), role=Role.ADMIN)
            db.session.commit()
            reports.append(report)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [report.error_count for report in reports] == [0, 0]
    assert sorted(report.counts["claims_created"] for report in reports) == [0, 20]
    assert len(check(client.get("/claims?limit=200"), 200)["items"]) == 20


def test_the_export_carries_review_priority(
    client: FlaskClient, database_url: str, tmp_path: Path
) -> None:
    path = jsonl(tmp_path / "p.jsonl", {"article": ARTICLE, "claims": [claim("X.", priority=1)]})
    assert import_json(database_url, str(path)).exit_code == 0
    records = map(
        json.loads, client.get("/export?format=jsonl").get_data(as_text=True).splitlines()
    )
    [document] = [record for record in records if "article" in record]
    assert document["claims"][0]["priority"] == 1

"""Other fact-checkers' reviews, kept on the claim as theirs (issue 8, item 1).

A ClaimReview by someone else, or an ``external_reviews`` entry of an article
document, is stored exactly as given, never becomes our status or rating, is not
stored twice when imported twice, shows on the claim (with a fixed number of
statements whatever the page size) and survives the export round trip.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import empty_database
from tests.factories import check, client_for, review_claim
from tests.imports.helpers import (
    REVIEWS,
    border_document,
    claimreview,
    jsonl,
    post_import,
    row_counts,
    stored_claims,
)
from tests.test_queries import recorded_statements

THEIRS = {
    "reviewer": "Example Fact Check",
    "reviewer_url": "https://factcheck.example.org",
    "url": "https://factcheck.example.org/reviews/troops",
    "published_at": "2022-02-15T00:00:00+00:00",
    "rating": {
        "value": "4",
        "best": "5",
        "worst": 1,
        "alternate_name": "Mostly true",
        "name": None,
    },
}
UNDATED_URL_LESS = {
    "reviewer": "Another Checker",
    "published_at": "2022-02-16T12:00:00+00:00",
    "rating": {"alternate_name": "Pants on fire"},
}


def with_external_reviews(*reviews: dict[str, Any]) -> dict[str, Any]:
    document = border_document()
    document["claims"][0]["external_reviews"] = list(reviews)
    return document


def by_key(client: FlaskClient) -> dict[str, dict[str, Any]]:
    return {claim["key"]: claim for claim in stored_claims(client)}


def test_a_contributors_claimreview_import_keeps_their_review_and_not_their_verdict(
    app: Flask,
) -> None:
    contributor = client_for(app, "carol", "contributor")
    body = json.dumps([review for review, _ in REVIEWS])

    check(post_import(contributor, body, "application/ld+json"), 201)

    for claim in stored_claims(contributor):
        assert (claim["status"], claim["rating"]) == ("unverified", None), claim
        (external,) = claim["external_reviews"]
        assert external["reviewer"] == "Example Fact Check", external
    names = sorted(
        c["external_reviews"][0]["rating"]["alternate_name"] for c in stored_claims(contributor)
    )
    assert names == ["False", "Mostly true", "Pants on Fire"], names


def test_a_review_is_kept_exactly_as_given(client: FlaskClient) -> None:
    check(post_import(client, json.dumps(with_external_reviews(THEIRS)), "application/json"), 201)

    assert by_key(client)["troops"]["external_reviews"] == [THEIRS]


def test_importing_the_same_reviews_twice_keeps_one_of_each(
    app: Flask, client: FlaskClient
) -> None:
    document = json.dumps(with_external_reviews(THEIRS, UNDATED_URL_LESS))
    check(post_import(client, document, "application/json"), 201)
    counts = row_counts(app)

    run = check(post_import(client, document, "application/json"), 201)

    assert run["counts"].get("claims_updated", 0) == 0, run["counts"]
    assert row_counts(app) == counts
    assert len(by_key(client)["troops"]["external_reviews"]) == 2


def test_the_same_claimreview_imported_twice_keeps_one_external_review(
    app: Flask, client: FlaskClient
) -> None:
    review = json.dumps(claimreview(1, "False", 1))
    check(post_import(client, review, "application/ld+json"), 201)

    check(post_import(client, review, "application/ld+json"), 201)

    (claim,) = stored_claims(client)
    assert len(claim["external_reviews"]) == 1, claim["external_reviews"]
    assert row_counts(app)["external_reviews"] == 1


def test_a_new_review_of_a_stored_claim_is_added_with_a_revision(client: FlaskClient) -> None:
    check(post_import(client, json.dumps(with_external_reviews(THEIRS)), "application/json"), 201)
    both = json.dumps(with_external_reviews(THEIRS, UNDATED_URL_LESS))

    run = check(post_import(client, both, "application/json"), 201)

    assert run["counts"]["claims_updated"] == 1, run["counts"]
    troops = by_key(client)["troops"]
    assert [item["reviewer"] for item in troops["external_reviews"]] == [
        "Example Fact Check",
        "Another Checker",
    ]
    (latest, *_) = check(client.get(f"/claims/{troops['id']}/revisions"), 200)["items"]
    assert set(latest["changes"]) == {"external_reviews"}, latest["changes"]
    assert latest["snapshot"] == troops | {
        "article_url": latest["snapshot"].get("article_url")
    } or (latest["snapshot"]["external_reviews"] == troops["external_reviews"])


def test_an_external_review_needs_a_url_or_a_reviewer(client: FlaskClient) -> None:
    anonymous = {"published_at": "2022-02-16T12:00:00Z", "rating": {"alternate_name": "False"}}

    run = check(
        post_import(client, json.dumps(with_external_reviews(anonymous)), "application/json"),
        422,
    )

    fields = [error.get("field") for error in run["import_errors"]]
    assert fields == ["claims.0.external_reviews.0.url"], run["import_errors"]


def test_an_external_review_leaves_a_published_verdict_alone(client: FlaskClient) -> None:
    check(post_import(client, json.dumps(border_document()), "application/json"), 201)
    troops = by_key(client)["troops"]
    check(review_claim(client, troops, "false"), 201)
    troops = check(client.get(f"/claims/{troops['id']}"), 200)
    headers = {"If-Match": f'"{troops["revision"]}"'}
    check(client.post(f"/claims/{troops['id']}/publish", headers=headers), 200)

    check(post_import(client, json.dumps(with_external_reviews(THEIRS)), "application/json"), 201)

    after = by_key(client)["troops"]
    assert (after["status"], after["rating"]["alternate_name"]) == ("false", "False"), after
    assert after["external_reviews"] == [THEIRS]


def test_the_export_round_trip_restores_external_reviews(app: Flask, client: FlaskClient) -> None:
    document = with_external_reviews(THEIRS, UNDATED_URL_LESS)
    check(post_import(client, json.dumps(document), "application/json"), 201)
    check(
        post_import(client, json.dumps(claimreview(2, "Mostly true", 4)), "application/ld+json"),
        201,
    )
    before = {key: claim["external_reviews"] for key, claim in by_key(client).items()}
    export = client.get("/export").get_data(as_text=True)

    empty_database(app)
    client = client_for(app)
    check(post_import(client, export, "application/x-ndjson", name="export.jsonl"), 201)

    after = {key: claim["external_reviews"] for key, claim in by_key(client).items()}
    assert after == before
    assert client.get("/export").get_data(as_text=True) == export


def test_listing_claims_with_external_reviews_and_verdicts_costs_the_same_for_1_or_50(
    app: Flask, client: FlaskClient
) -> None:
    claims = [
        {
            "key": f"claim-{number}",
            "text": f"Claim number {number}.",
            "kind": "other",
            "external_reviews": [
                {**THEIRS, "url": f"https://factcheck.example.org/reviews/{number}"},
                {**UNDATED_URL_LESS, "reviewer": f"Checker {number}"},
            ],
        }
        for number in range(50)
    ]
    document = {"article": {"url": "https://example.org/many", "title": "Many"}, "claims": claims}
    check(post_import(client, jsonl([document]), "application/x-ndjson"), 201)
    for claim in stored_claims(client)[:3]:
        check(review_claim(client, claim, "in_review"), 201)
        claim = check(client.get(f"/claims/{claim['id']}"), 200)
        check(review_claim(client, claim, "false"), 201)
        claim = check(client.get(f"/claims/{claim['id']}"), 200)
        headers = {"If-Match": f'"{claim["revision"]}"'}
        check(client.post(f"/claims/{claim['id']}/publish", headers=headers), 200)

    with recorded_statements(app) as one:
        check(client.get("/claims?limit=1"), 200)
    with recorded_statements(app) as many:
        page = check(client.get("/claims?limit=50"), 200)

    assert all(len(item["external_reviews"]) == 2 for item in page["items"])
    assert sum(item["rating"] is not None for item in page["items"]) == 3
    assert len(many) == len(one), [statement for statement, _ in many]

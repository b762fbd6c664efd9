"""Every input format, through `claims-api import` and through POST /imports.

Article documents: one per file, a JSON array, JSON Lines. ClaimReview: a single
object, an array, an @graph, a schema.org DataFeed and HTML pages. Each must give
the same articles, claims, sources, stances and statuses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import check
from tests.imports.helpers import (
    BORDER_URL,
    REVIEWS,
    border_document,
    claim_outline,
    cli_reports,
    embassy_document,
    expected_outline,
    expected_review_outline,
    html_page,
    import_json,
    jsonl,
    pages,
    post_import,
    row_counts,
    stored_claims,
)


@dataclass(frozen=True)
class Case:
    filename: str
    media_type: str
    content: str
    expected: list[tuple[Any, ...]]
    articles: int


def document_cases() -> list[Any]:
    border, embassy = border_document(), embassy_document()
    both = [border, embassy]
    return [
        pytest.param(
            Case(
                "border.json", "application/json", json.dumps(border), expected_outline([border]), 1
            ),
            id="document-per-file",
        ),
        pytest.param(
            Case("both.json", "application/json", json.dumps(both), expected_outline(both), 2),
            id="document-array",
        ),
        pytest.param(
            Case("both.jsonl", "application/x-ndjson", jsonl(both), expected_outline(both), 2),
            id="json-lines",
        ),
    ]


def claimreview_cases() -> list[Any]:
    reviews = [review for review, _ in REVIEWS]
    every = expected_review_outline(REVIEWS)
    context = "https://schema.org"
    graph = {"@context": context, "@graph": reviews}
    feed = {
        "@context": context,
        "@type": "DataFeed",
        "dateModified": "2024-03-05T10:00:00+00:00",
        "dataFeedElement": [
            {"@type": "DataFeedItem", "dateCreated": "2024-03-04", "item": reviews[:2]},
            {"@type": "DataFeedItem", "dateCreated": "2024-03-05", "item": reviews[2]},
        ],
    }
    page = html_page(reviews[0], {"@context": context, "@graph": reviews[1:]})
    return [
        pytest.param(
            Case(
                "one.json",
                "application/ld+json",
                json.dumps(reviews[0]),
                expected_review_outline(REVIEWS[:1]),
                1,
            ),
            id="claimreview-object",
        ),
        pytest.param(
            Case("list.json", "application/ld+json", json.dumps(reviews), every, 3),
            id="claimreview-array",
        ),
        pytest.param(
            Case("graph.json", "application/ld+json", json.dumps(graph), every, 3),
            id="claimreview-graph",
        ),
        pytest.param(
            Case("feed.json", "application/ld+json", json.dumps(feed), every, 3),
            id="claimreview-datafeed",
        ),
        pytest.param(Case("page.html", "text/html", page, every, 3), id="claimreview-html"),
    ]


CASES = document_cases() + claimreview_cases()


def imported_outline(client: FlaskClient) -> list[tuple[Any, ...]]:
    return sorted(claim_outline(claim) for claim in stored_claims(client))


@pytest.mark.parametrize("case", CASES)
def test_cli_import_gives_the_articles_claims_sources_stances_and_statuses(
    app: Flask, client: FlaskClient, database_url: str, tmp_path: Path, case: Case
) -> None:
    path = tmp_path / case.filename
    path.write_text(case.content, encoding="utf-8")

    result = import_json(database_url, str(path))

    assert result.exit_code == 0, f"import of {case.filename} failed: {result.output}"
    (report,) = cli_reports(result)
    assert report["error_count"] == 0, f"errors importing {case.filename}: {report['errors']}"
    assert report["counts"]["claims_created"] == len(case.expected), report
    assert imported_outline(client) == case.expected, f"{case.filename} imported other claims"
    assert row_counts(app)["articles"] == case.articles, "wrong number of articles"


@pytest.mark.parametrize("case", CASES)
def test_api_import_gives_the_articles_claims_sources_stances_and_statuses(
    app: Flask, client: FlaskClient, case: Case
) -> None:
    run = check(post_import(client, case.content, case.media_type, name=case.filename), 201)

    assert run["status"] == "succeeded", run
    assert run["error_count"] == 0, f"errors importing {case.filename}: {run['errors']}"
    assert run["counts"]["claims_created"] == len(case.expected), run
    assert imported_outline(client) == case.expected, f"{case.filename} imported other claims"
    assert row_counts(app)["articles"] == case.articles, "wrong number of articles"


@pytest.mark.parametrize(
    ("media_type", "content"),
    [
        pytest.param("application/jsonl", jsonl([embassy_document()]), id="application/jsonl"),
        pytest.param(
            "application/ld+json", json.dumps(embassy_document()), id="document-as-ld+json"
        ),
        pytest.param("text/html", html_page(REVIEWS[0][0]), id="text/html"),
    ],
)
def test_each_accepted_media_type_reads_its_format(
    client: FlaskClient, media_type: str, content: str
) -> None:
    run = check(post_import(client, content, media_type), 201)

    assert run["counts"]["claims_created"] == 1, run


def test_imported_document_keeps_quote_offsets_structured_fields_and_tags(
    client: FlaskClient,
) -> None:
    document = border_document()
    check(post_import(client, json.dumps(document), "application/json"), 201)

    claims = {claim["key"]: claim for claim in stored_claims(client)}
    for entry in document["claims"]:
        stored = claims[entry["key"]]
        for name in ("start", "end", "exact"):
            assert stored["quote"][name] == entry["quote"][name], f"{entry['key']}: quote.{name}"
        detail = entry["kind"]
        for name, value in entry[detail].items():
            assert stored[detail][name] == value, f"{entry['key']}: {detail}.{name} changed"
        assert stored["tags"] == sorted(entry.get("tags", [])), f"{entry['key']}: tags"
    troops = {link["url"]: link for link in claims["troops"]["sources"]}
    kremlin = troops["https://sources.example.org/kremlin"]
    assert (kremlin["title"], kremlin["kind"], kremlin["excerpt"]) == (
        "Kremlin denial",
        "official_statement",
        "No troops are massing.",
    ), "the source's description or the link's excerpt was lost"


def test_a_source_cited_by_two_claims_is_stored_once(app: Flask, client: FlaskClient) -> None:
    check(post_import(client, json.dumps(border_document()), "application/json"), 201)

    counts = row_counts(app)
    assert counts["sources"] == 3, f"pentagon, kremlin, xinhua expected once each: {counts}"
    assert counts["claim_sources"] == 4, counts


def test_claimreview_keeps_speaker_and_their_review_as_an_external_review(
    client: FlaskClient,
) -> None:
    review, _ = REVIEWS[0]
    check(post_import(client, json.dumps(review), "application/ld+json"), 201)

    (claim,) = stored_claims(client)
    assert claim["statement"]["speaker"] == "Jane Doe", claim["statement"]
    assert claim["statement"]["speaker_role"] == "Senator", claim["statement"]
    assert (claim["status"], claim["rating"]) == ("unverified", None), (
        "another fact-checker's rating became our status or rating"
    )
    assert claim["external_reviews"] == [
        {
            "reviewer": "Example Fact Check",
            "reviewer_url": "https://factcheck.example.org",
            "url": review["url"],
            "published_at": "2024-03-01T00:00:00+00:00",
            "rating": {"value": 1, "best": 5, "worst": 1, "alternate_name": "False", "name": None},
        }
    ], claim["external_reviews"]
    assert claim["key"].startswith("claimreview:"), claim["key"]
    (source,) = claim["sources"]
    assert (source["url"], source["publisher"]) == (review["url"], "Example Fact Check"), source


def test_html_page_without_json_ld_is_reported(client: FlaskClient) -> None:
    page = "<html><body><p>No structured data here.</p></body></html>"

    problem = check(post_import(client, page, "text/html"), 422)

    (error,) = problem["import_errors"]
    assert "ld+json" in error["reason"], error


def claimreview_of(article_url: str) -> dict[str, Any]:
    """Another fact-checker's review of a claim that appeared in ``article_url``."""
    review = json.loads(json.dumps(REVIEWS[0][0]))
    review["itemReviewed"]["appearance"]["url"] = article_url
    return review


def test_claimreview_of_a_stored_article_with_claims_leaves_it_unchanged(
    client: FlaskClient,
) -> None:
    """A ClaimReview carries no article text; a review of a claim in an article we hold,
    whose claims are anchored in its body, must not change that article or its claims."""
    document = border_document()
    check(post_import(client, json.dumps(document), "application/json"), 201)
    (article,) = pages(client, "/articles")
    before = check(client.get(f"/articles/{article['id']}"), 200)
    claims_before = [c for c in stored_claims(client) if c["article_url"] == BORDER_URL]

    post_import(client, json.dumps(claimreview_of(BORDER_URL)), "application/ld+json")

    after = check(client.get(f"/articles/{article['id']}"), 200)
    assert after["body"] == before["body"], "the article's body was changed"
    claims_after = [c for c in stored_claims(client) if c["article_url"] == BORDER_URL]
    assert claims_after[: len(claims_before)] == claims_before, "the article's claims changed"


def test_claimreview_of_a_stored_article_without_claims_keeps_its_body(
    client: FlaskClient,
) -> None:
    """A ClaimReview says nothing of the article's text: importing one must not erase the
    body of the article it points at (whether or not its claim can then be filed there)."""
    document = border_document()
    document["claims"] = []
    check(post_import(client, json.dumps(document), "application/json"), 201)

    post_import(client, json.dumps(claimreview_of(BORDER_URL)), "application/ld+json")

    (article,) = pages(client, "/articles")
    stored = check(client.get(f"/articles/{article['id']}"), 200)
    now = {name: stored[name] for name in ("title", "published_at", "body")}
    assert stored["body"] == document["article"]["body"], (
        f"importing a ClaimReview erased the stored article's body: {now}"
    )

"""Exported ClaimReview uses only real schema.org terms, and what Google requires.

Every @type must be a class of tests/data/schemaorg/schemaorg-current-https.jsonld;
every property must be a property there whose schema:domainIncludes names the node's
type or one of its superclasses (rdfs:subClassOf, followed transitively).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from claims_api.services.claimreview import short_form
from tests.factories import check, review_claim, seed_document
from tests.imports.helpers import (
    CLAIMREVIEW_EXAMPLES,
    REVIEWS,
    SCHEMA_ORG_VOCABULARY,
    border_document,
    jsonl,
    post_import,
    shared_sample,
    stored_claims,
)

SCHEMA = "schema:"


def ids(value: Any) -> list[str]:
    """The @ids of a JSON-LD reference or list of references."""
    values = value if isinstance(value, list) else [value]
    return [item["@id"] for item in values if isinstance(item, dict) and "@id" in item]


def types_of(node: dict[str, Any]) -> list[str]:
    kinds = node.get("@type", [])
    return kinds if isinstance(kinds, list) else [kinds]


class Vocabulary:
    def __init__(self, graph: list[dict[str, Any]]) -> None:
        self.classes: dict[str, list[str]] = {}
        self.domains: dict[str, set[str]] = {}
        self.superseded: dict[str, list[str]] = {}
        for node in graph:
            name = node["@id"].removeprefix(SCHEMA)
            if not node["@id"].startswith(SCHEMA):
                continue
            kinds = types_of(node)
            if "rdfs:Class" in kinds:
                self.classes[name] = [
                    item.removeprefix(SCHEMA) for item in ids(node.get("rdfs:subClassOf"))
                ]
            if "rdf:Property" in kinds:
                self.domains[name] = {
                    item.removeprefix(SCHEMA) for item in ids(node.get("schema:domainIncludes"))
                }
                if "schema:supersededBy" in node:
                    self.superseded[name] = ids(node["schema:supersededBy"])

    def ancestry(self, name: str) -> set[str]:
        """The class and every class above it."""
        seen, pending = {name}, [name]
        while pending:
            for parent in self.classes.get(pending.pop(), []):
                if parent not in seen:
                    seen.add(parent)
                    pending.append(parent)
        return seen


@cache
def vocabulary() -> Vocabulary:
    path = shared_sample(SCHEMA_ORG_VOCABULARY)
    return Vocabulary(json.loads(path.read_text(encoding="utf-8"))["@graph"])


def nodes(value: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every JSON-LD node (object) in ``value``, with a pointer to it."""
    if isinstance(value, dict):
        yield where or "/", value
        for name, item in value.items():
            yield from nodes(item, f"{where}/{name}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from nodes(item, f"{where}/{index}")


def vocabulary_problems(document: Any) -> list[str]:
    """Every use of a term schema.org does not define, or on a type it does not apply to."""
    terms = vocabulary()
    problems = []
    for where, node in nodes(document):
        kinds = types_of(node)
        if not kinds:
            problems.append(f"{where}: a node without @type")
            continue
        unknown = [kind for kind in kinds if kind not in terms.classes]
        if unknown:
            problems.append(f"{where}: {unknown} is not a schema.org class")
            continue
        lineage = set().union(*(terms.ancestry(kind) for kind in kinds))
        for name in node:
            if name.startswith("@"):
                continue
            if name not in terms.domains:
                problems.append(f"{where}: {name!r} is not a schema.org property")
            elif not terms.domains[name] & lineage:
                problems.append(
                    f"{where}: {name!r} does not apply to {kinds} "
                    f"(its domain: {sorted(terms.domains[name])})"
                )
            elif name in terms.superseded:
                problems.append(f"{where}: {name!r} is superseded by {terms.superseded[name]}")
    return problems


def publish_verdict(client: FlaskClient, claim_id: int, status: str) -> None:
    claim = check(client.get(f"/claims/{claim_id}"), 200)
    if claim["status"] != "in_review":
        check(review_claim(client, claim, "in_review"), 201)
        claim = check(client.get(f"/claims/{claim_id}"), 200)
    check(review_claim(client, claim, status), 201)
    claim = check(client.get(f"/claims/{claim_id}"), 200)
    published = client.post(
        f"/claims/{claim_id}/publish", headers={"If-Match": f'"{claim["revision"]}"'}
    )
    check(published, 200)


@pytest.fixture
def reviewed(client: FlaskClient) -> dict[str, Any]:
    """Published verdicts on claims of every shape: a statement with a speaker, a
    quantity in an article with a publisher and date, one without a numeric scale, and
    claims imported from other fact-checkers' ClaimReviews (schema.org's examples and
    Google-style reviews), which we reviewed ourselves."""
    check(post_import(client, json.dumps(seed_document()), "application/json"), 201)
    check(post_import(client, jsonl([border_document()]), "application/x-ndjson"), 201)
    page = shared_sample(CLAIMREVIEW_EXAMPLES).read_bytes()
    check(post_import(client, page, "text/html"), 201)
    reviews = json.dumps([review for review, _ in REVIEWS])
    check(post_import(client, reviews, "application/ld+json"), 201)
    claims = {claim["key"]: claim for claim in stored_claims(client)}
    verdicts = {
        "troops": "mostly_true",
        "calm": "unverifiable",
        "troops-on-ukrainian-border": "false",
    }
    imported = sorted(key for key in claims if key.startswith("claimreview:"))
    verdicts.update(dict.fromkeys(imported, "misleading"))
    for key, status in verdicts.items():
        publish_verdict(client, claims[key]["id"], status)
    with_review = [claim for claim in stored_claims(client) if claim["key"] in verdicts]
    return {"claims": with_review}


def claimreviews(client: FlaskClient, claims: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [check(client.get(f"/claims/{claim['id']}/claimreview"), 200) for claim in claims]


def test_vocabulary_file_is_read(app: Flask) -> None:
    terms = vocabulary()

    assert {"ClaimReview", "Claim", "Rating", "DataFeed"} <= set(terms.classes)
    assert "CreativeWork" in terms.ancestry("ClaimReview"), "rdfs:subClassOf not followed"
    assert "ClaimReview" in terms.domains["claimReviewed"]


def test_vocabulary_check_catches_made_up_terms(app: Flask) -> None:
    made_up = {
        "@type": "ClaimReview",
        "verdict": "false",
        "jobTitle": "Editor",
        "itemReviewed": {"@type": "FactualAssertion"},
    }

    problems = " ".join(vocabulary_problems(made_up))

    assert "'verdict' is not a schema.org property" in problems, problems
    assert "'jobTitle' does not apply" in problems, problems
    assert "['FactualAssertion'] is not a schema.org class" in problems, problems


def test_claimreview_of_each_claim_uses_only_schema_org_terms(
    client: FlaskClient, reviewed: dict[str, Any]
) -> None:
    for claim, review in zip(
        reviewed["claims"], claimreviews(client, reviewed["claims"]), strict=True
    ):
        problems = vocabulary_problems(review)
        assert not problems, f"claim {claim['id']}: {problems}"


def test_claimreview_datafeed_uses_only_schema_org_terms(
    client: FlaskClient, reviewed: dict[str, Any]
) -> None:
    response = client.get("/export", query_string={"format": "claimreview"})
    feed = json.loads(check_text(response))

    assert feed["@type"] == "DataFeed"
    assert len(feed["dataFeedElement"]) == len(reviewed["claims"]), "one element per review"
    problems = vocabulary_problems(feed)
    assert not problems, problems


def check_text(response: Any) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def test_claimreview_has_the_fields_google_requires(
    client: FlaskClient, reviewed: dict[str, Any]
) -> None:
    for claim, review in zip(
        reviewed["claims"], claimreviews(client, reviewed["claims"]), strict=True
    ):
        where = f"claim {claim['id']} ({claim['key']})"
        assert review["@context"] in ("https://schema.org", "http://schema.org"), where
        assert review["@type"] == "ClaimReview", where
        assert review.get("claimReviewed") == short_form(claim["text"]), where
        assert len(review["claimReviewed"]) <= 75, f"{where}: {review['claimReviewed']!r}"
        assert review.get("url", "").startswith("http"), f"{where}: url {review.get('url')!r}"
        assert review.get("author", {}).get("@type") in ("Organization", "Person"), where
        assert review["author"].get("name") and review["author"].get("url"), where
        assert review.get("datePublished"), f"{where}: no datePublished"
        rating = review.get("reviewRating", {})
        assert rating.get("alternateName") and rating.get("name"), f"{where}: no rating name"
        if "ratingValue" in rating:
            assert {"bestRating", "worstRating"} <= set(rating), f"{where}: {rating}"
        item = review.get("itemReviewed", {})
        assert item.get("@type") == "Claim", f"{where}: itemReviewed is {item.get('@type')!r}"
        assert item.get("author", {}).get("name"), f"{where}: the Claim has no author"
        assert item["author"].get("@type") in ("Organization", "Person"), where
        appearances = [work["url"] for work in item.get("appearance", [])]
        assert appearances == [claim["article_url"]], f"{where}: appearance {appearances}"
        assert item.get("firstAppearance", {}).get("url") == claim["article_url"], where
        published = check(client.get(f"/articles/{claim['article_id']}"), 200)["published_at"]
        if published is not None:
            assert item.get("datePublished") == published[:10], (
                f"{where}: the article was published {published}; the Claim says "
                f"{item.get('datePublished')!r}"
            )


def test_claim_date_is_the_articles_publication_date(
    client: FlaskClient, reviewed: dict[str, Any]
) -> None:
    troops = next(claim for claim in reviewed["claims"] if claim["key"] == "troops")

    (review,) = claimreviews(client, [troops])

    assert review["itemReviewed"]["datePublished"] == "2022-02-14", review["itemReviewed"]


def test_speaker_is_the_claims_author(client: FlaskClient, reviewed: dict[str, Any]) -> None:
    calm = next(claim for claim in reviewed["claims"] if claim["key"] == "calm")

    (review,) = claimreviews(client, [calm])

    assert review["itemReviewed"]["author"] == {
        "@type": "Person",
        "name": "Wang Yi",
        "jobTitle": "Chinese foreign minister",
    }, review["itemReviewed"]["author"]


def test_numbered_verdict_gives_its_scale_and_a_named_one_only_its_name(
    client: FlaskClient, reviewed: dict[str, Any]
) -> None:
    by_key = {claim["key"]: claim for claim in reviewed["claims"]}

    troops, calm = claimreviews(client, [by_key["troops"], by_key["calm"]])

    assert troops["reviewRating"] == {
        "@type": "Rating",
        "alternateName": "Mostly true",
        "name": "Mostly true",
        "ratingValue": 4,
        "bestRating": 5,
        "worstRating": 1,
    }, troops["reviewRating"]
    assert calm["reviewRating"] == {
        "@type": "Rating",
        "alternateName": "Unverifiable",
        "name": "Unverifiable",
    }, calm["reviewRating"]

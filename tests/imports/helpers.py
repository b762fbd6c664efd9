"""Helpers of the bulk import/export tests: sample inputs, the CLI, and what the database holds."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from claims_api.cli import main
from claims_api.extensions import db
from claims_api.models import (
    Article,
    Claim,
    ClaimSource,
    ClaimTag,
    ExternalReview,
    Revision,
    Source,
)
from tests.factories import check

# schema.org's own examples and vocabulary, vendored with their licence (tests/data/README.md).
SCHEMA_ORG_SAMPLES = Path(__file__).resolve().parents[1] / "data" / "schemaorg"
CLAIMREVIEW_EXAMPLES = "schemaorg-ClaimReview-examples.txt"
MEDIAREVIEW_EXAMPLES = "schemaorg-MediaReview-examples.txt"
SCHEMA_ORG_VOCABULARY = "schemaorg-current-https.jsonld"


def shared_sample(name: str) -> Path:
    """A file of tests/data/schemaorg/; a missing one fails the test (it is never skipped)."""
    path = SCHEMA_ORG_SAMPLES / name
    if not path.is_file():
        pytest.fail(f"the schema.org sample {path} is missing from the repository")
    return path


# --- The CLI -------------------------------------------------------------------------------


def run_cli(database_url: str, *args: str, stdin: str | bytes | None = None) -> Result:
    """``claims-api ARGS`` on the test database (the CLI builds its own app)."""
    return CliRunner().invoke(
        main, list(args), env={"DATABASE_URL": database_url}, input=stdin, catch_exceptions=False
    )


def cli_reports(result: Result) -> list[dict[str, Any]]:
    """The reports `claims-api import --json` printed on standard output."""
    try:
        reports = json.loads(result.stdout)
    except ValueError:
        pytest.fail(f"--json did not print JSON on stdout: {result.stdout[:500]!r}")
    assert isinstance(reports, list), f"--json should print a list of reports, got {reports!r}"
    return reports


def import_json(database_url: str, *args: str, stdin: str | bytes | None = None) -> Result:
    return run_cli(database_url, "import", "--json", *args, stdin=stdin)


# --- The API -------------------------------------------------------------------------------


def post_import(
    client: FlaskClient,
    body: bytes | str,
    media_type: str,
    headers: dict[str, str] | None = None,
    **query: Any,
) -> Any:
    """POST /imports with ``body`` as ``media_type``; the query carries name, partial, dry_run."""
    data = body.encode() if isinstance(body, str) else body
    return client.post(
        "/imports",
        data=data,
        query_string={name: str(value).lower() for name, value in query.items()},
        headers={"Content-Type": media_type, **(headers or {})},
    )


def pages(client: FlaskClient, path: str, **query: Any) -> list[dict[str, Any]]:
    """Every item of a paginated list."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": 200, **query, **({"cursor": cursor} if cursor else {})}
        page = check(client.get(path, query_string=params), 200)
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def stored_claims(client: FlaskClient) -> list[dict[str, Any]]:
    """Every live claim as GET /claims shows it, with its article's URL added."""
    urls = {article["id"]: article["url"] for article in pages(client, "/articles")}
    return [
        {**claim, "article_url": urls[claim["article_id"]]} for claim in pages(client, "/claims")
    ]


def claim_outline(claim: dict[str, Any]) -> tuple[Any, ...]:
    """What a test expects of an imported claim: article, text, kind, status, sources+stances."""
    return (
        claim["article_url"],
        claim["text"],
        claim["kind"],
        claim["status"],
        tuple(sorted((link["url"], link["stance"]) for link in claim["sources"])),
    )


# --- The database --------------------------------------------------------------------------

COUNTED = {
    "articles": Article,
    "claims": Claim,
    "sources": Source,
    "claim_sources": ClaimSource,
    "claim_tags": ClaimTag,
    "external_reviews": ExternalReview,
    "revisions": Revision,
}


def row_counts(app: Flask) -> dict[str, int]:
    """How many rows each table of imported data holds."""
    with app.app_context():
        counts = {
            name: db.session.scalar(select(func.count()).select_from(model)) or 0
            for name, model in COUNTED.items()
        }
        db.session.remove()
    return counts


# --- Sample inputs -------------------------------------------------------------------------

BODY = (
    "Border report\n\n"
    "Around 130,000 Russian troops are deployed on the Ukrainian border. "
    "\u201cWe call for calm,\u201d Wang Yi told reporters in Beijing. "
    "Ukraine is not a member of NATO. "
    "Officials evacuated the embassy on Monday.\n"
)
BORDER_URL = "https://news.example.org/border-report"
EMBASSY_URL = "https://news.example.org/embassy-notes"


def anchored(body: str, exact: str) -> dict[str, Any]:
    """A quote of ``exact`` with its offsets in ``body``, computed (never counted by hand)."""
    start = body.index(exact)
    return {"exact": exact, "start": start, "end": start + len(exact)}


def border_document() -> dict[str, Any]:
    """An article with a body and three claims of different kinds, statuses and stances."""
    return {
        "article": {
            "url": BORDER_URL,
            "title": "Border report",
            "publisher": "Example News",
            "authors": ["A. Writer"],
            "published_at": "2022-02-14T08:00:00+00:00",
            "language": "en",
            "body": BODY,
        },
        "claims": [
            {
                "key": "troops",
                "text": "Around 130,000 Russian troops are deployed on the Ukrainian border.",
                "kind": "quantity",
                "quote": anchored(BODY, "Around 130,000 Russian troops"),
                "quantity": {"value": 130000, "unit": "troops", "approximate": True},
                "tags": ["Russia", "Ukraine"],
                "status": "in_review",
                "sources": [
                    {
                        "url": "https://sources.example.org/pentagon",
                        "title": "Pentagon briefing",
                        "kind": "official_statement",
                        "stance": "supports",
                    },
                    {
                        "url": "https://sources.example.org/kremlin",
                        "title": "Kremlin denial",
                        "kind": "official_statement",
                        "stance": "refutes",
                        "excerpt": "No troops are massing.",
                    },
                ],
            },
            {
                "key": "calm",
                "text": "Wang Yi called on all parties to stay calm.",
                "kind": "statement",
                "quote": anchored(BODY, "We call for calm"),
                "statement": {
                    "speaker": "Wang Yi",
                    "speaker_role": "Chinese foreign minister",
                    "audience": "reporters",
                    "verbatim": True,
                },
                "status": "verified",
                "sources": [{"url": "https://sources.example.org/xinhua", "stance": "context"}],
            },
            {
                "key": "nato",
                "text": "Ukraine is not a member of NATO.",
                "kind": "membership",
                "quote": anchored(BODY, "Ukraine is not a member of NATO"),
                "membership": {
                    "member": "Ukraine",
                    "organization": "NATO",
                    "relation": "not_member",
                },
                "sources": [{"url": "https://sources.example.org/pentagon", "stance": "supports"}],
            },
        ],
    }


def embassy_document() -> dict[str, Any]:
    """An article without a body: its claim has no quote."""
    return {
        "article": {"url": EMBASSY_URL, "title": "Embassy notes"},
        "claims": [
            {
                "text": "Officials evacuated the embassy on Monday.",
                "kind": "event",
                "status": "false",
                "sources": [{"url": "https://sources.example.org/embassy", "stance": "refutes"}],
            }
        ],
    }


def expected_outline(documents: Iterable[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The claim outlines article documents should import as (URLs already normalised)."""
    return sorted(
        claim_outline(
            {
                "article_url": document["article"]["url"],
                "text": claim["text"],
                "kind": claim["kind"],
                "status": claim.get("status", "unverified"),
                "sources": claim.get("sources", []),
            }
        )
        for document in documents
        for claim in document["claims"]
    )


def claimreview(
    number: int, rating_name: str | None, value: int | None, speaker: str = "Jane Doe"
) -> dict[str, Any]:
    """A Google-style ClaimReview by another fact-checker of a claim made in a speech."""
    rating: dict[str, Any] = {"@type": "Rating", "alternateName": rating_name}
    if value is not None:
        rating.update(ratingValue=value, bestRating=5, worstRating=1)
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": f"https://factcheck.example.org/reviews/{number}",
        "datePublished": f"2024-03-0{number}",
        "author": {
            "@type": "Organization",
            "name": "Example Fact Check",
            "url": "https://factcheck.example.org",
        },
        "claimReviewed": f"Claim number {number} made in a speech.",
        "reviewRating": rating,
        "itemReviewed": {
            "@type": "Claim",
            "author": {"@type": "Person", "name": speaker, "jobTitle": "Senator"},
            "datePublished": "2024-03-01",
            "appearance": {
                "@type": "CreativeWork",
                "url": f"https://news.example.org/speech-{number}",
                "headline": f"Speech {number}",
            },
        },
    }


# Three reviews by another fact-checker, and the status each claim gets: the initial
# one, whatever their rating (it is theirs, kept as an external review).
REVIEWS = [
    (claimreview(1, "False", 1), "unverified"),
    (claimreview(2, "Mostly true", 4), "unverified"),
    (claimreview(3, "Pants on Fire", None), "unverified"),
]


def expected_review_outline(reviews: Iterable[tuple[dict[str, Any], str]]) -> list[tuple[Any, ...]]:
    return sorted(
        (
            review["itemReviewed"]["appearance"]["url"],
            review["claimReviewed"],
            "statement",
            status,
            ((review["url"], "context"),),
        )
        for review, status in reviews
    )


def html_page(*blocks: Any) -> str:
    """A web page carrying each block in its own <script type="application/ld+json">."""
    scripts = "\n".join(
        f'<script type="application/ld+json">\n{json.dumps(block, indent=2)}\n</script>'
        for block in blocks
    )
    return (
        "<!doctype html>\n<html><head><title>Fact checks</title>\n"
        '<script>var analytics = {"not": "json-ld"};</script>\n'
        f"{scripts}\n</head>\n<body><p>Our fact checks.</p></body></html>\n"
    )


def jsonl(documents: Iterable[dict[str, Any]]) -> str:
    return "".join(json.dumps(document, ensure_ascii=False) + "\n" for document in documents)


def copied(value: Any) -> Any:
    return copy.deepcopy(value)

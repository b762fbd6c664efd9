"""The published JSON Schema is the one the import's own structs generate, and it accepts
everything the service itself writes out: the export imports back, so it must validate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator

from claims_api.errors import InvalidInput
from claims_api.limits import MAX_NAME_LENGTH, MAX_TAG_LENGTH, MAX_TEXT_LENGTH, MAX_URL_LENGTH
from claims_api.services.imports.decoding import decode_document
from claims_api.services.imports.schema import schema_text
from tests.factories import check, create_article, create_claim, review_claim, seed_document
from tests.imports.helpers import border_document, embassy_document, jsonl, post_import

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "seed-format.schema.json"
REGENERATE = "python -m claims_api.services.imports.schema > docs/seed-format.schema.json"


def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_errors(document: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message[:200]}"
        for error in validator().iter_errors(document)
    ]


def test_the_committed_schema_is_the_generated_one() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        f"{SCHEMA_FILE.name} is not what the structs of decoding.py generate: run {REGENERATE}"
    )


def test_the_export_of_every_kind_of_claim_validates_against_the_schema(
    client: FlaskClient,
) -> None:
    """priority, external reviews, status, quotes with context, sources with every field:
    all of it."""
    rated = embassy_document()
    rated["claims"][0].update(
        priority=1,
        external_reviews=[
            {
                "reviewer": "Example Fact Check",
                "reviewer_url": "https://factcheck.example.org/",
                "url": "https://factcheck.example.org/embassy",
                "published_at": "2022-02-15T00:00:00+00:00",
                "rating": {"value": 1, "best": 5, "worst": 1, "alternate_name": "False"},
            }
        ],
    )
    documents = [seed_document(), border_document(), rated]
    check(post_import(client, jsonl(documents), "application/x-ndjson"), 201)
    article = create_article(client, url="https://example.org/api-written")
    claim = create_claim(
        client,
        article["id"],
        key="written-by-hand",
        priority=2,
        sources=[
            {
                "url": "https://example.org/evidence",
                "stance": "supports",
                "archived_url": "https://archive.example.org/evidence",
                "accessed_at": "2022-02-16T09:30:00Z",
                "excerpt": "130,000",
                "note": "a note",
            }
        ],
    )
    check(review_claim(client, claim, "in_review"), 201)

    response = client.get("/export", query_string={"format": "jsonl"})
    lines = response.get_data(as_text=True).splitlines()
    # The article documents: the entity records beside them are not article documents.
    exported = [record for record in map(json.loads, lines) if "article" in record]

    assert len(exported) == 4, exported
    assert any(c.get("external_reviews") for document in exported for c in document["claims"])
    for document in exported:
        errors = schema_errors(document)
        assert not errors, f"the export of {document['article']['url']} breaks the schema:\n" + (
            "\n".join(errors)
        )


def over_long(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    document = border_document()
    target: Any = document
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return document


@pytest.mark.parametrize(
    ("path", "value"),
    [
        pytest.param(("claims", 0, "text"), "x" * (MAX_TEXT_LENGTH + 1), id="claim-text"),
        pytest.param(("claims", 0, "tags"), ["t" * (MAX_TAG_LENGTH + 1)], id="tag"),
        pytest.param(("article", "title"), "t" * 1001, id="title"),
        pytest.param(
            ("claims", 1, "statement", "speaker"), "s" * (MAX_NAME_LENGTH + 1), id="speaker"
        ),
        pytest.param(
            ("article", "url"), "https://example.org/" + "a" * MAX_URL_LENGTH, id="article-url"
        ),
        pytest.param(("article", "language"), "en" + "-abcdefgh" * 4, id="language"),
    ],
)
def test_the_schema_and_the_import_refuse_the_same_over_long_values(
    path: tuple[Any, ...], value: Any
) -> None:
    document = over_long(path, value)
    assert schema_errors(document), f"the schema accepts an over-long {'.'.join(map(str, path))}"
    with pytest.raises(InvalidInput):
        decode_document(json.dumps(document).encode())

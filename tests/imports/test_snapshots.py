"""Revision 1 of an imported claim is the claim as GET /claims/{id} shows it.

The bulk path inserts claims without the ORM; their snapshots come from the same
builder as every other writer's (revisions.snapshot_of, on the inserted rows).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from benchmarks.corpus import article_documents
from tests.factories import check, patch_claim, seed_document
from tests.imports.helpers import (
    CLAIMREVIEW_EXAMPLES,
    REVIEWS,
    border_document,
    embassy_document,
    jsonl,
    post_import,
    shared_sample,
    stored_claims,
)

BOOKKEEPING = {"revision", "updated_at"}


def inputs() -> list[Any]:
    """Bodies to import (built when the test runs) and their media types."""
    return [
        pytest.param(lambda: json.dumps(seed_document()), "application/json", id="seed"),
        pytest.param(lambda: jsonl(article_documents(4, 5)), "application/x-ndjson", id="corpus"),
        pytest.param(
            lambda: jsonl([border_document(), embassy_document()]),
            "application/x-ndjson",
            id="documents",
        ),
        pytest.param(
            lambda: json.dumps([review for review, _ in REVIEWS]),
            "application/ld+json",
            id="claimreview",
        ),
        pytest.param(
            lambda: shared_sample(CLAIMREVIEW_EXAMPLES).read_text(encoding="utf-8"),
            "text/html",
            id="claimreview-examples",
        ),
    ]


def first_revision(client: FlaskClient, claim_id: int) -> dict[str, Any]:
    return check(client.get(f"/claims/{claim_id}/revisions/1"), 200)


def differences(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    return {
        name: (left.get(name, "<missing>"), right.get(name, "<missing>"))
        for name in sorted(left.keys() | right.keys())
        if left.get(name, "<missing>") != right.get(name, "<missing>")
    }


@pytest.mark.parametrize(("body", "media_type"), inputs())
def test_revision_1_snapshot_equals_the_imported_claim(
    client: FlaskClient, body: Callable[[], str], media_type: str
) -> None:
    check(post_import(client, body(), media_type), 201)
    claims = stored_claims(client)
    assert claims, "nothing was imported"

    for listed in claims:
        claim = check(client.get(f"/claims/{listed['id']}"), 200)
        snapshot = first_revision(client, claim["id"])["snapshot"]
        assert snapshot == claim, (
            f"claim {claim['id']}: revision 1 snapshot differs from GET /claims/{claim['id']} "
            f"(snapshot, claim): {differences(snapshot, claim)}"
        )


def test_revision_1_changes_list_every_field_the_claim_was_created_with(
    client: FlaskClient,
) -> None:
    check(post_import(client, jsonl([border_document()]), "application/x-ndjson"), 201)

    for listed in stored_claims(client):
        claim = check(client.get(f"/claims/{listed['id']}"), 200)
        revision = first_revision(client, claim["id"])
        expected = {
            name: {"old": None, "new": value}
            for name, value in claim.items()
            if value is not None and name not in BOOKKEEPING
        }
        assert revision["changes"] == expected, (
            f"claim {claim['id']}: revision 1 changes (got, expected): "
            f"{differences(revision['changes'], expected)}"
        )
        assert revision["action"] == "create", revision


def test_imported_snapshot_has_the_fields_of_an_api_created_snapshot(
    client: FlaskClient,
) -> None:
    check(post_import(client, jsonl([border_document()]), "application/x-ndjson"), 201)
    (article,) = check(client.get("/articles"), 200)["items"]
    created = check(
        client.post(
            "/claims",
            json={
                "article_id": article["id"],
                "text": "Officials evacuated.",
                "kind": "event",
                "quote": {"exact": "Officials evacuated the embassy"},
            },
        ),
        201,
    )
    imported = stored_claims(client)[0]

    api_fields = set(first_revision(client, created["id"])["snapshot"])
    bulk_fields = set(first_revision(client, imported["id"])["snapshot"])

    assert bulk_fields == api_fields, (
        f"missing from the bulk snapshot: {sorted(api_fields - bulk_fields)}; "
        f"extra: {sorted(bulk_fields - api_fields)}"
    )


def test_diff_of_the_first_edit_after_an_import_lists_only_the_edited_field(
    client: FlaskClient,
) -> None:
    check(post_import(client, jsonl([border_document()]), "application/x-ndjson"), 201)
    claim = stored_claims(client)[0]
    check(patch_claim(client, claim, text="Some 130,000 Russian troops are at the border."), 200)

    diff = check(client.get(f"/claims/{claim['id']}/revisions/2/diff"), 200)

    assert set(diff["changes"]) == {"text"}, (
        f"only the text was edited, yet the diff against revision 1 shows {diff['changes']}"
    )


def test_a_claim_created_through_the_api_and_by_an_import_has_one_snapshot(
    client: FlaskClient,
) -> None:
    """One builder: the same claim, written by either writer, has the same revision 1."""
    fields = {
        "key": "troops",
        "text": "Around 130,000 Russian troops are deployed on the Ukrainian border.",
        "kind": "quantity",
        "quote": {"exact": "Around 130,000 Russian troops"},
        "quantity": {"value": 130000, "unit": "troops", "approximate": True},
        "tags": ["Ukraine", "Russia"],
        "priority": 1,
        "sources": [
            {"url": "https://sources.example.org/pentagon", "stance": "supports", "note": "n"},
            {"url": "https://sources.example.org/kremlin", "stance": "refutes", "excerpt": "e"},
        ],
    }
    article = border_document()["article"]
    written = check(client.post("/articles", json={**article, "url": article["url"] + "/api"}), 201)
    by_api = check(client.post("/claims", json={"article_id": written["id"], **fields}), 201)
    document = {"article": article, "claims": [fields]}
    check(post_import(client, json.dumps(document), "application/json"), 201)
    (by_import,) = [claim for claim in stored_claims(client) if claim["id"] != by_api["id"]]

    own = {"id", "article_id", "created_at", "updated_at"}
    api, imported = (
        {name: value for name, value in revision.items() if name not in own}
        for revision in (
            first_revision(client, by_api["id"])["snapshot"],
            first_revision(client, by_import["id"])["snapshot"],
        )
    )
    assert api == imported, f"(API, import): {differences(api, imported)}"

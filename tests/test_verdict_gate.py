"""What each role may change of a claim's status and rating, by write path.

The role matrix of tests/test_roles.py says who may call a route; this says what
the payload may change: status and rating move only through reviews, whoever
writes and whatever path the write takes (security item 1 of issue 8).
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from claims_api.extensions import db
from claims_api.models.vocabulary import Role
from claims_api.services.imports import ImportReport, import_stream
from claims_api.services.revisions import Change
from tests.factories import (
    bearer,
    check,
    create_article,
    create_claim,
    issue_token,
    review_claim,
)

QUOTE = "around 130,000 Russian troops now deployed on the Ukrainian border"
MADE_UP = {"status": "verified", "rating": {"value": 5, "best": 5, "alternate_name": "True"}}


def read(client: FlaskClient, claim_id: int) -> dict[str, Any]:
    return check(client.get(f"/claims/{claim_id}"), 200)


def published_false(client: FlaskClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """An article and a claim of it with a published ``false`` verdict."""
    article = create_article(client)
    claim = create_claim(client, article["id"], key="troops")
    check(review_claim(client, read(client, claim["id"]), "in_review"), 201)
    check(review_claim(client, read(client, claim["id"]), "false"), 201)
    current = read(client, claim["id"])
    url = f"/claims/{claim['id']}/publish"
    check(client.post(url, headers={"If-Match": f'"{current["revision"]}"'}), 200)
    return article, read(client, claim["id"])


def document(article: dict[str, Any], claim: dict[str, Any], **fields: Any) -> str:
    entry = {
        "key": claim["key"],
        "text": claim["text"],
        "kind": claim["kind"],
        "quote": {"exact": claim["quote"]["exact"]},
        "quantity": claim["quantity"],
        **fields,
    }
    return json.dumps(
        {"article": {"url": article["url"], "title": article["title"]}, "claims": [entry]}
    )


def post_import(app: Flask, client: FlaskClient, role: str, body: str) -> dict[str, Any]:
    headers = {"Content-Type": "application/json", **bearer(issue_token(app, f"i-{role}", role))}
    return check(client.post("/imports", data=body, headers=headers), 201)


@pytest.mark.parametrize("role", ["contributor", "reviewer", "admin"])
def test_an_import_never_rewrites_a_published_verdict(
    app: Flask, client: FlaskClient, role: str
) -> None:
    """The attack of issue 8: an existing published false claim, re-imported as verified."""
    article, claim = published_false(client)
    public_before = check(client.get(f"/claims/{claim['id']}/claimreview"), 200)
    edited = "Some 130,000 Russian troops are deployed on the Ukrainian border."
    reply = post_import(app, client, role, document(article, claim, text=edited, **MADE_UP))

    after = read(client, claim["id"])
    assert (after["status"], after["rating"]) == (claim["status"], claim["rating"])
    assert after["text"] == edited, "the rest of the record is applied"
    public = check(client.get(f"/claims/{claim['id']}/claimreview"), 200)
    assert public["reviewRating"] == public_before["reviewRating"]
    assert public["reviewRating"]["alternateName"] == "False"
    assert reply["status"] == "succeeded"


@pytest.mark.parametrize(
    ("role", "kept"), [("contributor", False), ("reviewer", False), ("admin", True)]
)
def test_a_new_claim_keeps_its_status_only_in_an_admin_load(
    app: Flask, client: FlaskClient, role: str, kept: bool
) -> None:
    article = create_article(client)
    body = {
        "article": {"url": article["url"], "title": article["title"]},
        "claims": [
            {
                "key": "new",
                "text": "Ukraine has not joined NATO.",
                "kind": "other",
                "quote": {"exact": QUOTE},
                **MADE_UP,
            }
        ],
    }
    reply = post_import(app, client, role, json.dumps(body))
    items = check(client.get(f"/articles/{article['id']}/claims"), 200)["items"]
    (claim,) = [item for item in items if item["key"] == "new"]
    assert reply["status"] == "succeeded"
    # Our rating is the published verdict's: no import writes one, not even an admin's.
    assert claim["rating"] is None, claim["rating"]
    assert claim["status"] == ("verified" if kept else "unverified"), claim["status"]


@pytest.mark.parametrize("role", [Role.CONTRIBUTOR, Role.ADMIN])
def test_each_refused_verdict_field_is_a_warning_naming_claim_and_field(
    app: Flask, client: FlaskClient, role: Role
) -> None:
    article, claim = published_false(client)
    with app.app_context():
        report = ImportReport("attack")
        stream = io.BytesIO(document(article, claim, **MADE_UP).encode())
        import_stream(stream, "json", report, Change("mallory"), role=role)
        db.session.commit()
    reasons = [warning["reason"] for warning in report.warnings]
    for name in ("status", "rating"):
        assert any(f"claims.0.{name}:" in r and f"claim {claim['id']}" in r for r in reasons), (
            reasons
        )
    assert read(client, claim["id"])["status"] == "false"


@pytest.mark.parametrize("role", ["contributor", "reviewer", "admin"])
def test_patch_with_a_status_or_rating_is_refused(
    app: Flask, client: FlaskClient, role: str
) -> None:
    claim = create_claim(client, create_article(client)["id"])
    for name, value in MADE_UP.items():
        response = client.patch(
            f"/claims/{claim['id']}",
            json={name: value},
            headers={"If-Match": f'"{claim["revision"]}"', **bearer(issue_token(app, role, role))},
        )
        check(response, 422)
    assert read(client, claim["id"])["status"] == "unverified"


@pytest.mark.parametrize("role", ["contributor", "reviewer", "admin"])
def test_post_claims_with_a_status_or_rating_is_refused(
    app: Flask, client: FlaskClient, role: str
) -> None:
    article = create_article(client)
    for name, value in MADE_UP.items():
        response = client.post(
            "/claims",
            json={
                "article_id": article["id"],
                "text": "Ukraine has not joined NATO.",
                "kind": "other",
                "quote": {"exact": QUOTE},
                name: value,
            },
            headers=bearer(issue_token(app, role, role)),
        )
        check(response, 422)

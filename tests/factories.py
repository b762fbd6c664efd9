"""Test data: the seed article, API keys, and helpers that create articles and claims over HTTP."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from claims_api import workflow
from claims_api.extensions import db
from claims_api.models.vocabulary import Role
from claims_api.services.keys import create_key

# The name of the key the `client` fixture authenticates with: the actor of its changes.
DEFAULT_ACTOR = "tester"

SEED_FILE = Path(__file__).resolve().parents[1] / "seeds" / "000_china-urges-calm.json"


@cache
def seed_document() -> dict[str, Any]:
    return json.loads(SEED_FILE.read_text(encoding="utf-8"))


def seed_body() -> str:
    return seed_document()["article"]["body"]


def check(response: Any, status: int) -> dict[str, Any]:
    """The JSON body of ``response``, after asserting its status."""
    assert response.status_code == status, (
        f"expected {status}, got {response.status_code}: {response.get_data(as_text=True)[:500]}"
    )
    return response.get_json()


def issue_token(app: Flask, name: str = DEFAULT_ACTOR, role: str = "admin") -> str:
    """A new API key's token, issued through the service as `claims-api keys create` does."""
    with app.app_context():
        _, token = create_key(name, Role(role), None, issued_by="tests")
        db.session.commit()
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def client_for(app: Flask, name: str = DEFAULT_ACTOR, role: str = "admin") -> FlaskClient:
    """A test client sending a fresh key of ``role`` named ``name`` with every request."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {issue_token(app, name, role)}"
    return client


def acting_as(client: FlaskClient, actor: str | None) -> dict[str, str]:
    """Headers that make ``actor`` the author of a request (the client's own key for None)."""
    return {} if actor is None else bearer(issue_token(client.application, actor))


def create_article(client: FlaskClient, **fields: Any) -> dict[str, Any]:
    data = {
        "url": "https://nationalinterest.org/blog/buzz/china-urges-calm",
        "title": "China Urges Calm and Respect for Russia Amid Growing Ukraine Crisis",
        "publisher": "The National Interest",
        "authors": ["Trevor Filseth"],
        "language": "en",
        "body": seed_body(),
        **fields,
    }
    return check(client.post("/articles", json=data), 201)


def create_claim(
    client: FlaskClient, article_id: int, actor: str | None = None, **fields: Any
) -> dict[str, Any]:
    data = {
        "article_id": article_id,
        "text": "Around 130,000 Russian troops are deployed on the Ukrainian border.",
        "kind": "quantity",
        "quote": {"exact": "around 130,000 Russian troops now deployed on the Ukrainian border"},
        "quantity": {"value": 130000, "unit": "troops", "approximate": True},
        "tags": ["Russia", "Ukraine"],
        **fields,
    }
    return check(client.post("/claims", json=data, headers=acting_as(client, actor)), 201)


def patch_claim(
    client: FlaskClient, claim: dict[str, Any], actor: str | None = None, **fields: Any
) -> Any:
    """PATCH with the claim's current ETag."""
    return client.patch(
        f"/claims/{claim['id']}",
        json=fields,
        headers={"If-Match": f'"{claim["revision"]}"', **acting_as(client, actor)},
    )


EVIDENCE = [{"url": "https://example.org/evidence", "stance": "supports"}]


def review_claim(
    client: FlaskClient, claim: dict[str, Any], status: str, actor: str | None = None, **fields: Any
) -> Any:
    """POST a review at the claim's current ETag; a verdict gets a rationale and evidence."""
    decision: dict[str, Any] = {"status": status}
    if workflow.DEFAULT.is_verdict(status):
        decision.update(rationale="Checked against the sources.", evidence=EVIDENCE)
    return client.post(
        f"/claims/{claim['id']}/reviews",
        json={**decision, **fields},
        headers={"If-Match": f'"{claim["revision"]}"', **acting_as(client, actor)},
    )

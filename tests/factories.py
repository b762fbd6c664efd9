"""Test data: the seed article and helpers that create articles and claims over HTTP."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

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
    client: FlaskClient, article_id: int, actor: str = "tester", **fields: Any
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
    return check(client.post("/claims", json=data, headers={"X-Actor": actor}), 201)


def patch_claim(
    client: FlaskClient, claim: dict[str, Any], actor: str = "tester", **fields: Any
) -> Any:
    """PATCH with the claim's current ETag."""
    return client.patch(
        f"/claims/{claim['id']}",
        json=fields,
        headers={"If-Match": f'"{claim["revision"]}"', "X-Actor": actor},
    )

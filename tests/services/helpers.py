"""Data for the service tests."""

from __future__ import annotations

from typing import Any

from claims_api.models import Article
from claims_api.services.revisions import Change

ALICE = Change("alice", "checking")


def claim_data(article: Article, **fields: Any) -> dict[str, Any]:
    """A new claim's fields as the API's schema loads them."""
    return {
        "article_id": article.id,
        "text": "Around 130,000 Russian troops are deployed on the Ukrainian border.",
        "kind": "quantity",
        "quote": {"exact": "Around 130,000 Russian troops"},
        "quantity": {"value": 130000, "unit": "troops", "approximate": True},
        **fields,
    }

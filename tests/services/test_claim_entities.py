"""Claim entity links, set-based (claims_api/services/claim_entities.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event, func, select

from claims_api.extensions import db
from claims_api.models import Article, ClaimEntity, Entity
from claims_api.models.vocabulary import Role
from claims_api.services.claim_entities import link_claims
from claims_api.services.claims import create_claim
from tests.services.helpers import ALICE, claim_data


@contextmanager
def _statements() -> Iterator[list[str]]:
    sent: list[str] = []

    def count(*args: Any) -> None:
        sent.append(args[2])

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _snapshot(claim_id: int, speaker: str) -> dict[str, Any]:
    return {
        "id": claim_id,
        "kind": "statement",
        "text": f"{speaker} said Nato and the EU met in Kiev.",
        "statement": {"speaker": speaker},
        "tags": ["Ukraine", f"Topic {claim_id}"],
    }


def _statement_count(claim_ids: list[int]) -> int:
    with _statements() as sent:
        link_claims([_snapshot(claim_id, f"Speaker {claim_id}") for claim_id in claim_ids])
    return len(sent)


def test_links_cost_the_same_statements_for_5_claims_as_for_200(
    in_app: Flask, article: Article
) -> None:
    ids = [create_claim(claim_data(article), ALICE, role=Role.CONTRIBUTOR).id for _ in range(200)]
    few, many = _statement_count(ids[:5]), _statement_count(ids)
    assert few == many, f"{few} statements for 5 claims, {many} for 200: a query per claim"
    assert db.session.scalar(select(func.count()).select_from(ClaimEntity)) == 200 * 6
    named = db.session.scalar(select(func.count()).where(Entity.key.like("name:%")))
    assert named == 400, "each speaker and each topic once"

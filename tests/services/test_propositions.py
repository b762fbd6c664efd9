"""Propositions follow their claims: created, edited, imported and deleted, in the same write."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from claims_api.entities import entity_key
from claims_api.extensions import db
from claims_api.models import Proposition
from claims_api.models.vocabulary import ClaimKind
from claims_api.services.propositions import Tolerances, proposition_values
from tests.factories import check, create_article, create_claim, patch_claim
from tests.imports.helpers import border_document, jsonl, post_import

WITHIN = Tolerances(exact=0.02, approximate=0.10)


def proposition(app: Flask, claim_id: int) -> dict[str, Any] | None:
    with app.app_context():
        row = db.session.scalars(
            select(Proposition).where(Proposition.claim_id == claim_id)
        ).one_or_none()
        found = (
            None
            if row is None
            else {column.key: getattr(row, column.key) for column in Proposition.__table__.columns}
        )
        db.session.remove()
    return found


def membership(member: str, organization: str, relation: str) -> dict[str, Any]:
    return {
        "kind": "membership",
        "text": f"{member} {relation} {organization}",
        "quote": None,
        "quantity": None,
        "membership": {"member": member, "organization": organization, "relation": relation},
    }


def test_an_exact_figure_is_within_two_percent_and_an_approximate_one_ten() -> None:
    exact = proposition_values(
        ClaimKind.QUANTITY, {"value": 100_000, "unit": "troops"}, "100,000 troops", None, WITHIN
    )
    around = proposition_values(
        ClaimKind.QUANTITY,
        {"value": 100_000, "unit": "soldiers", "approximate": True, "subject": "Russian troops"},
        "around 100,000 soldiers",
        None,
        WITHIN,
    )
    assert (exact["value_low"], exact["value_high"]) == pytest.approx((98_000, 102_000))
    assert (around["value_low"], around["value_high"]) == pytest.approx((90_000, 110_000))
    assert around["predicate"] == exact["predicate"] == "quantity:troops"
    assert around["subject_key"] == entity_key("Russia")


def test_a_membership_not_held_is_negated_and_the_alliance_is_the_nato_its_tags_name() -> None:
    values = proposition_values(
        ClaimKind.MEMBERSHIP,
        {"member": "Kiev", "organization": "the alliance", "relation": "not_member"},
        "Ukraine is not a member of the alliance",
        None,
        WITHIN,
        tags=["Nato"],
    )
    assert values["subject_key"] == entity_key("Kyiv")
    assert values["polarity"] == "negated"
    assert values["object_key"] == entity_key("NATO") == entity_key("Nato")
    assert values["time_start"] is None and values["time_source"] is None


def test_a_claim_created_over_the_api_has_its_proposition_dated_by_its_article(
    app: Flask, client: FlaskClient
) -> None:
    article = create_article(client, published_at="2022-02-14T08:00:00+00:00")
    claim = create_claim(client, article["id"])
    found = proposition(app, claim["id"])
    assert found is not None, "a new claim should have its proposition"
    assert found["predicate"] == "quantity:troops"
    assert found["value_low"] == pytest.approx(117_000)
    assert found["time_source"] == "published_at"
    assert found["time_start"].isoformat() == "2022-02-14T08:00:00+00:00"


def test_a_patch_rewrites_the_proposition_and_a_delete_removes_it(
    app: Flask, client: FlaskClient
) -> None:
    article = create_article(client, body=None)
    claim = check(
        client.post(
            "/claims",
            json={"article_id": article["id"], **membership("Ukraine", "NATO", "member")},
        ),
        201,
    )
    assert proposition(app, claim["id"])["polarity"] == "affirmed"  # type: ignore[index]
    changed = check(
        patch_claim(
            client,
            claim,
            membership={
                "member": "Ukraine",
                "organization": "NATO",
                "relation": "not_member",
                "as_of": "2023-01-05",
            },
        ),
        200,
    )
    found = proposition(app, claim["id"])
    assert found is not None
    assert (found["polarity"], found["state"], found["time_source"]) == (
        "negated",
        "not_member",
        "as_of",
    )
    response = client.delete(
        f"/claims/{claim['id']}", headers={"If-Match": f'"{changed["revision"]}"'}
    )
    assert response.status_code == 204
    assert proposition(app, claim["id"]) is None, "a deleted claim keeps no proposition"


def test_an_article_date_change_moves_its_claims_time(app: Flask, client: FlaskClient) -> None:
    article = create_article(client, published_at="2022-02-14T08:00:00+00:00")
    claim = create_claim(client, article["id"])
    response = client.patch(
        f"/articles/{article['id']}",
        json={"published_at": "2022-02-20T08:00:00+00:00"},
        headers={"If-Match": f'"{article["version"]}"'},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    found = proposition(app, claim["id"])
    assert found is not None and found["time_start"].isoformat().startswith("2022-02-20")


def test_imported_claims_get_their_propositions(app: Flask, client: FlaskClient) -> None:
    report = check(post_import(client, jsonl([border_document()]), "application/x-ndjson"), 201)
    assert report["counts"]["claims_created"] == 3
    with app.app_context():
        rows = db.session.execute(select(Proposition.kind, Proposition.predicate)).all()
        db.session.remove()
    assert sorted(rows) == [
        ("membership", "member_of"),
        ("quantity", "quantity:troops"),
        ("statement", "said"),
    ]

"""The review queue: what waits, in which order, and reviewers' leases on claims."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from claims_api.extensions import db
from claims_api.models import ClaimAssignment
from tests.factories import check, client_for, create_article, create_claim, review_claim


@pytest.fixture
def claims(client: FlaskClient) -> list[dict[str, Any]]:
    """Four claims: a quantity (priority 3), a statement (1), a membership (2), and one judged."""
    article = create_article(client)
    made = [
        create_claim(client, article["id"], key="troops"),
        create_claim(
            client,
            article["id"],
            key="wang",
            kind="statement",
            quantity=None,
            statement={"speaker": "Wang Yi"},
            tags=["China"],
            priority=1,
            quote={"exact": "Wang told Blinken"},
        ),
        create_claim(
            client,
            article["id"],
            key="nato",
            kind="other",
            quantity=None,
            tags=["NATO"],
            priority=2,
            quote={"exact": "Ukraine has not joined NATO"},
        ),
        create_claim(client, article["id"], key="judged", kind="event", quantity=None),
    ]
    check(review_claim(client, made[2], "in_review"), 201)
    check(review_claim(client, made[3], "in_review"), 201)
    judged = check(client.get(f"/claims/{made[3]['id']}"), 200)
    check(review_claim(client, judged, "verified"), 201)
    return made


def queue(client: FlaskClient, query: str = "") -> list[int]:
    return [item["id"] for item in check(client.get(f"/review-queue?{query}"), 200)["items"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [0, 1, 2]),
        ("sort=priority", [1, 2, 0]),
        ("tag=China", [1]),
        ("kind=other", [2]),
        ("kind=event", []),
        ("article_id=999", []),
        ("limit=2", [0, 1]),
    ],
)
def test_queue_lists_claims_awaiting_review_in_order(
    client: FlaskClient, claims: list[dict[str, Any]], query: str, expected: list[int]
) -> None:
    assert queue(client, query) == [claims[index]["id"] for index in expected]


def test_queue_pages_follow_the_cursor(client: FlaskClient, claims: list[dict[str, Any]]) -> None:
    first = check(client.get("/review-queue?sort=priority&limit=2"), 200)
    rest = check(
        client.get(f"/review-queue?sort=priority&limit=2&cursor={first['next_cursor']}"), 200
    )
    assert [item["id"] for item in first["items"] + rest["items"]] == [
        claims[index]["id"] for index in (1, 2, 0)
    ]
    assert rest["next_cursor"] is None


def test_a_leased_claim_leaves_other_reviewers_queues_until_released(
    app: Flask, client: FlaskClient, claims: list[dict[str, Any]]
) -> None:
    ann, bob = client_for(app, "ann", "reviewer"), client_for(app, "bob", "reviewer")
    url = f"/claims/{claims[0]['id']}/assignment"
    lease = check(ann.post(url, json={}), 201)
    assert lease["reviewer"] == "ann"
    expires = datetime.fromisoformat(lease["expires_at"])
    assert timedelta(minutes=29) < expires - datetime.now(UTC) <= timedelta(minutes=30)
    assert claims[0]["id"] in queue(ann) and claims[0]["id"] not in queue(bob)
    assert claims[0]["id"] not in queue(app.test_client())
    assert check(bob.post(url, json={}), 409)["assigned_to"] == "ann"
    renewed = check(ann.post(url, json={"minutes": 60}), 200)
    assert (
        renewed["leased_at"] == lease["leased_at"] and renewed["expires_at"] > lease["expires_at"]
    )
    check(bob.delete(url), 403)
    assert ann.delete(url).status_code == 204
    check(ann.delete(url), 404)
    assert claims[0]["id"] in queue(bob)


def test_an_admin_may_release_anyones_lease(
    app: Flask, client: FlaskClient, claims: list[dict[str, Any]]
) -> None:
    url = f"/claims/{claims[0]['id']}/assignment"
    check(client_for(app, "ann", "reviewer").post(url, json={}), 201)
    assert client.delete(url).status_code == 204


def test_an_expired_lease_returns_the_claim_to_the_queue(
    app: Flask, claims: list[dict[str, Any]]
) -> None:
    ann, bob = client_for(app, "ann", "reviewer"), client_for(app, "bob", "reviewer")
    check(ann.post(f"/claims/{claims[0]['id']}/assignment", json={}), 201)
    with app.app_context():
        db.session.get(ClaimAssignment, claims[0]["id"]).expires_at = datetime.now(UTC) - timedelta(
            seconds=1
        )
        db.session.commit()
    assert claims[0]["id"] in queue(bob)
    assert (
        check(bob.post(f"/claims/{claims[0]['id']}/assignment", json={}), 201)["reviewer"] == "bob"
    )


def test_taking_from_the_queue_leases_the_next_claim(
    app: Flask, claims: list[dict[str, Any]]
) -> None:
    ann, bob = client_for(app, "ann", "reviewer"), client_for(app, "bob", "reviewer")
    response = ann.post("/review-queue/claims", json={"sort": "priority"})
    taken = check(response, 201)
    assert (taken["claim_id"], taken["reviewer"]) == (claims[1]["id"], "ann")
    assert taken["claim"]["id"] == claims[1]["id"]
    assert response.headers["ETag"] == f'"{taken["claim"]["revision"]}"'
    assert (
        check(bob.post("/review-queue/claims", json={"sort": "priority"}), 201)["claim_id"]
        == claims[2]["id"]
    )
    assert (
        check(bob.post("/review-queue/claims", json={"tag": ["NATO"]}), 201)["claim_id"]
        == claims[2]["id"]
    )
    assert check(bob.post("/review-queue/claims", json={}), 201)["claim_id"] == claims[0]["id"]
    assert bob.post("/review-queue/claims", json={"kind": "event"}).status_code == 204


def test_a_verdict_ends_the_lease(app: Flask, claims: list[dict[str, Any]]) -> None:
    ann = client_for(app, "ann", "reviewer")
    claim = check(ann.post("/review-queue/claims", json={"kind": "other"}), 201)["claim"]
    check(review_claim(ann, claim, "false"), 201)
    with app.app_context():
        assert db.session.get(ClaimAssignment, claim["id"]) is None

"""Reviews: the workflow's transitions, verdicts with evidence, four eyes, publishing,
corrections and bulk decisions."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import (
    EVIDENCE,
    acting_as,
    check,
    client_for,
    create_article,
    create_claim,
    patch_claim,
    review_claim,
)


@pytest.fixture
def claim(client: FlaskClient) -> dict[str, Any]:
    return create_claim(client, create_article(client)["id"])


def read(client: FlaskClient, claim: dict[str, Any]) -> dict[str, Any]:
    return check(client.get(f"/claims/{claim['id']}"), 200)


def revisions(client: FlaskClient, claim: dict[str, Any]) -> list[dict[str, Any]]:
    return check(client.get(f"/claims/{claim['id']}/revisions"), 200)["items"]


def verdict(client: FlaskClient, claim: dict[str, Any], status: str = "false", **fields: Any):
    """Move a fresh claim to in_review, then give it ``status``; returns the claim."""
    if read(client, claim)["status"] != "in_review":
        check(review_claim(client, read(client, claim), "in_review"), 201)
    check(review_claim(client, read(client, claim), status, **fields), 201)
    return read(client, claim)


def test_a_verdict_writes_review_status_links_and_one_revision(
    client: FlaskClient, claim: dict[str, Any]
) -> None:
    check(review_claim(client, claim, "in_review"), 201)
    current = read(client, claim)
    response = client.post(
        f"/claims/{claim['id']}/reviews",
        json={
            "status": "mostly_true",
            "rationale": "The Pentagon gave 130,000 that week.",
            "rating": "Roughly right",
            "evidence": [
                {"url": "https://www.defense.gov/briefing", "stance": "supports", "excerpt": "130k"}
            ],
            "reason": "checked",
        },
        headers={"If-Match": f'"{current["revision"]}"', **acting_as(client, "rita")},
    )
    review = check(response, 201)
    assert response.headers["ETag"] == '"3"'
    assert (review["reviewer"], review["from_status"], review["to_status"]) == (
        "rita",
        "in_review",
        "mostly_true",
    )
    assert review["evidence"] == [
        {
            "source_id": review["evidence"][0]["source_id"],
            "url": "https://www.defense.gov/briefing",
            "stance": "supports",
            "excerpt": "130k",
        }
    ]
    assert (review["revision_number"], review["correction"]) == (3, False)
    assert review["rating"] == {
        "alternate_name": "Mostly true",
        "name": "Roughly right",
        "value": 4,
        "best": 5,
        "worst": 1,
    }, "the review should carry its verdict's rating, in the reviewer's words"
    after = read(client, claim)
    assert after["status"] == "mostly_true"
    assert [source["url"] for source in after["sources"]] == ["https://www.defense.gov/briefing"]
    latest = revisions(client, claim)[0]
    assert (latest["number"], latest["action"], latest["actor"], latest["reason"]) == (
        3,
        "review",
        "rita",
        "checked",
    )
    assert set(latest["changes"]) == {"status", "sources"}
    assert latest["snapshot"] == after
    listed = check(client.get(f"/claims/{claim['id']}/reviews"), 200)["items"]
    assert [item["to_status"] for item in listed] == ["mostly_true", "in_review"]


@pytest.mark.parametrize(
    ("fields", "missing"),
    [
        ({"rationale": "", "evidence": EVIDENCE}, {"rationale"}),
        ({"rationale": "Because.", "evidence": []}, {"evidence"}),
        ({"rationale": None, "evidence": None}, {"rationale", "evidence"}),
    ],
)
def test_a_verdict_needs_a_rationale_and_evidence(
    client: FlaskClient, claim: dict[str, Any], fields: dict[str, Any], missing: set[str]
) -> None:
    check(review_claim(client, claim, "in_review"), 201)
    current = read(client, claim)
    decision = {"status": "false", **{k: v for k, v in fields.items() if v is not None}}
    response = client.post(
        f"/claims/{claim['id']}/reviews",
        json=decision,
        headers={"If-Match": f'"{current["revision"]}"'},
    )
    assert set(check(response, 422)["errors"]) == missing
    assert read(client, claim) == current


def test_review_needs_if_match_and_a_current_one(
    client: FlaskClient, claim: dict[str, Any]
) -> None:
    url = f"/claims/{claim['id']}/reviews"
    check(client.post(url, json={"status": "in_review"}), 428)
    stale = client.post(url, json={"status": "in_review"}, headers={"If-Match": '"7"'})
    assert check(stale, 412)["current_version"] == 1
    check(client.post(url, json={"status": "maybe"}, headers={"If-Match": '"1"'}), 422)
    assert check(client.get(url), 200)["items"] == []


def test_an_invalid_transition_is_409_listing_the_allowed_ones(
    client: FlaskClient, claim: dict[str, Any]
) -> None:
    problem = check(review_claim(client, claim, "verified"), 409)
    assert (problem["current_status"], problem["allowed"]) == ("unverified", ["in_review"])
    assert "in_review" in problem["detail"]
    assert len(revisions(client, claim)) == 1


def test_four_eyes_keeps_creator_and_last_editor_from_the_verdict(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "FOUR_EYES", True)
    claim = create_claim(client, create_article(client)["id"], actor="ann")
    claim = check(patch_claim(client, claim, actor="bob", text="Edited by bob."), 200)
    check(review_claim(client, claim, "in_review", actor="ann"), 201)
    for author in ("ann", "bob"):
        problem = check(review_claim(client, read(client, claim), "false", actor=author), 403)
        assert "Four eyes" in problem["detail"]
    check(review_claim(client, read(client, claim), "false", actor="cy"), 201)


def test_four_eyes_off_lets_the_author_give_the_verdict(client: FlaskClient) -> None:
    claim = create_claim(client, create_article(client)["id"], actor="ann")
    assert verdict(client, claim, actor="ann")["status"] == "false"


def test_publish_then_only_a_correction_changes_the_verdict(
    client: FlaskClient, claim: dict[str, Any]
) -> None:
    url = f"/claims/{claim['id']}/publish"
    check(client.post(url, headers={"If-Match": "*"}), 409)  # nothing to publish yet
    current = verdict(client, claim, "false")
    check(client.post(url), 428)
    response = client.post(url, headers={"If-Match": f'"{current["revision"]}"'})
    published = check(response, 200)
    first = check(client.get(f"/claims/{claim['id']}/reviews"), 200)["items"][0]
    assert published["published_review_id"] == first["id"]
    assert revisions(client, claim)[0]["action"] == "publish"
    check(client.post(url, headers={"If-Match": "*"}), 409)  # already published

    refused = check(review_claim(client, published, "in_review"), 409)
    assert refused["published_review_id"] == first["id"]
    check(review_claim(client, published, "in_review", correction=True), 201)
    check(review_claim(client, read(client, claim), "misleading", correction=True), 201)
    corrected = read(client, claim)
    assert (corrected["status"], corrected["published_review_id"]) == ("misleading", first["id"])
    republished = check(client.post(url, headers={"If-Match": f'"{corrected["revision"]}"'}), 200)
    reviews = check(client.get(f"/claims/{claim['id']}/reviews"), 200)["items"]
    assert republished["published_review_id"] == reviews[0]["id"] != first["id"]
    assert [
        (item["to_status"], item["correction"], item["published_at"] is not None)
        for item in reviews
    ] == [
        ("misleading", True, True),
        ("in_review", True, False),
        ("false", False, True),
        ("in_review", False, False),
    ]


def test_correction_of_an_unpublished_claim_is_refused(
    client: FlaskClient, claim: dict[str, Any]
) -> None:
    problem = check(review_claim(client, claim, "in_review", correction=True), 422)
    assert "correction" in problem["errors"]


def bulk(client: FlaskClient, claims: list[dict[str, Any]], **decision: Any) -> Any:
    items = [{"claim_id": claim["id"], "revision": claim["revision"]} for claim in claims]
    return client.post("/reviews/bulk", json={"status": "in_review", **decision, "claims": items})


def test_bulk_review_gives_each_claim_one_revision(client: FlaskClient) -> None:
    article = create_article(client)
    claims = [create_claim(client, article["id"], key=f"c{index}") for index in range(3)]
    result = check(bulk(client, claims, reason="triage"), 201)
    assert [item["claim_id"] for item in result["items"]] == [claim["id"] for claim in claims]
    for claim in claims:
        assert read(client, claim)["status"] == "in_review"
        assert [item["number"] for item in revisions(client, claim)] == [2, 1]


def test_bulk_review_is_all_or_nothing(client: FlaskClient) -> None:
    article = create_article(client)
    claims = [create_claim(client, article["id"], key=f"c{index}") for index in range(3)]
    stale = [*claims[:2], {**claims[2], "revision": 9}]
    problem = check(bulk(client, stale), 412)
    assert problem["detail"].startswith("claims.2:")
    assert problem["claim_id"] == claims[2]["id"]
    check(review_claim(client, claims[1], "in_review"), 201)
    check(bulk(client, [claims[0], read(client, claims[1])]), 409)
    by_if_match = [{"claim_id": claims[0]["id"], "if_match": '"1"'}] * 2
    check(client.post("/reviews/bulk", json={"status": "in_review", "claims": by_if_match}), 422)
    for claim in (claims[0], claims[2]):
        assert read(client, claim)["status"] == "unverified"
        assert len(revisions(client, claim)) == 1


def test_bulk_items_accept_if_match_values(client: FlaskClient) -> None:
    article = create_article(client)
    claims = [create_claim(client, article["id"], key=f"c{index}") for index in range(2)]
    items = [{"claim_id": claim["id"], "if_match": '"1"'} for claim in claims]
    check(client.post("/reviews/bulk", json={"status": "in_review", "claims": items}), 201)
    both = [{"claim_id": claims[0]["id"], "if_match": '"2"', "revision": 2}]
    check(client.post("/reviews/bulk", json={"status": "false", "claims": both}), 422)


def test_a_reviewer_cannot_review_a_claim_leased_to_another(
    app: Flask, client: FlaskClient, claim: dict[str, Any]
) -> None:
    holder = client_for(app, "holder", "reviewer")
    check(holder.post(f"/claims/{claim['id']}/assignment", json={}), 201)
    problem = check(review_claim(client, claim, "in_review"), 409)
    assert problem["assigned_to"] == "holder"
    check(review_claim(holder, claim, "in_review"), 201)

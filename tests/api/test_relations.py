"""Relations between claims: reviewers' decisions with their own history, groups of
the same claim kept in step, and one verdict for a whole group."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from claims_api.extensions import db
from claims_api.services.relations import decided_pairs, rejected_pairs
from tests.factories import check, client_for, create_article, create_claim, review_claim


@pytest.fixture
def claims(client: FlaskClient) -> list[dict[str, Any]]:
    article = create_article(client)
    return [
        create_claim(client, article["id"], key=f"c{index}", text=f"Claim number {index}.")
        for index in range(5)
    ]


@pytest.fixture
def reviewer(app: Flask) -> FlaskClient:
    return client_for(app, "rhea", "reviewer")


def decide(client: FlaskClient, claim: dict[str, Any], other: dict[str, Any], **body: Any) -> Any:
    return client.post(
        f"/claims/{claim['id']}/relations",
        json={"claim_id": other["id"], "relation": "same", **body},
    )


def group_of(client: FlaskClient, claim: dict[str, Any]) -> dict[str, Any] | None:
    response = client.get(f"/claims/{claim['id']}/group")
    return None if response.status_code == 404 else check(response, 200)


def member_ids(group: dict[str, Any] | None) -> list[int]:
    return [member["claim_id"] for member in group["members"]] if group else []


def test_a_confirmed_relation_reads_the_same_from_either_claim_with_its_history(
    reviewer: FlaskClient, claims: list[dict[str, Any]]
) -> None:
    first, second = claims[3], claims[1]
    response = decide(reviewer, first, second, note="Same figure, same day.")
    relation = check(response, 201)
    assert response.headers["ETag"] == '"1"'
    assert relation["claim_id"] == second["id"]
    assert relation["claim_ids"] == [second["id"], first["id"]]
    assert (relation["relation"], relation["state"], relation["revision"]) == (
        "same",
        "confirmed",
        1,
    )
    assert [(d["decision"], d["actor"], d["note"]) for d in relation["decisions"]] == [
        ("confirmed", "rhea", "Same figure, same day.")
    ]
    from_first = check(reviewer.get(f"/claims/{first['id']}/relations"), 200)["items"]
    from_second = check(reviewer.get(f"/claims/{second['id']}/relations"), 200)["items"]
    assert from_first == [relation]
    assert from_second == [{**relation, "claim_id": first["id"]}]


def test_a_decision_writes_no_revision_and_keeps_the_claims_etags(
    reviewer: FlaskClient, claims: list[dict[str, Any]]
) -> None:
    before = [reviewer.get(f"/claims/{claim['id']}").headers["ETag"] for claim in claims[:2]]
    check(decide(reviewer, claims[0], claims[1]), 201)
    check(decide(reviewer, claims[0], claims[1], relation="related"), 200)
    after = [reviewer.get(f"/claims/{claim['id']}").headers["ETag"] for claim in claims[:2]]
    assert after == before
    revisions = check(reviewer.get(f"/claims/{claims[0]['id']}/revisions"), 200)["items"]
    assert [revision["number"] for revision in revisions] == [1]


def test_deciding_again_changes_the_relation_and_appends_to_its_history(
    reviewer: FlaskClient, claims: list[dict[str, Any]]
) -> None:
    check(decide(reviewer, claims[0], claims[1]), 201)
    response = decide(
        reviewer, claims[1], claims[0], relation="updates", newer_claim_id=claims[1]["id"]
    )
    relation = check(response, 200)
    assert (relation["relation"], relation["newer_claim_id"], relation["revision"]) == (
        "updates",
        claims[1]["id"],
        2,
    )
    assert [d["relation"] for d in relation["decisions"]] == ["same", "updates"]
    assert len(check(reviewer.get(f"/claims/{claims[0]['id']}/relations"), 200)["items"]) == 1


def test_a_rejected_pair_is_remembered_for_matching(
    app: Flask, reviewer: FlaskClient, claims: list[dict[str, Any]]
) -> None:
    check(decide(reviewer, claims[2], claims[0], relation="contradicts", decision="rejected"), 201)
    check(decide(reviewer, claims[2], claims[4], decision="rejected"), 201)
    check(decide(reviewer, claims[2], claims[1]), 201)
    with app.app_context():
        assert rejected_pairs(claims[2]["id"]) == {claims[0]["id"], claims[4]["id"]}
        assert rejected_pairs(claims[0]["id"]) == {claims[2]["id"]}
        assert decided_pairs(claims[2]["id"]) == {
            claims[0]["id"]: "rejected",
            claims[1]["id"]: "confirmed",
            claims[4]["id"]: "rejected",
        }
        db.session.remove()
    assert group_of(reviewer, claims[4]) is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"relation": "updates"}, "newer_claim_id"),
        ({"relation": "same", "newer_claim_id": 1}, "newer_claim_id"),
        ({"relation": "alike"}, "relation"),
        ({"decision": "withdrawn"}, "decision"),
    ],
)
def test_a_decision_the_schema_refuses_is_422(
    reviewer: FlaskClient, claims: list[dict[str, Any]], body: dict[str, Any], field: str
) -> None:
    problem = check(decide(reviewer, claims[0], claims[1], **body), 422)
    assert field in problem["errors"], problem


def test_a_relation_to_itself_to_no_claim_or_to_an_outside_newer_claim_is_422(
    reviewer: FlaskClient, claims: list[dict[str, Any]]
) -> None:
    assert "claim_id" in check(decide(reviewer, claims[0], claims[0]), 422)["errors"]
    assert "claim_id" in check(decide(reviewer, claims[0], {"id": 99999}), 422)["errors"]
    outside = decide(
        reviewer, claims[0], claims[1], relation="updates", newer_claim_id=claims[2]["id"]
    )
    assert "newer_claim_id" in check(outside, 422)["errors"]
    assert check(reviewer.get(f"/claims/{claims[0]['id']}/relations"), 200)["items"] == []


def test_relation_decisions_need_a_reviewer(app: Flask, claims: list[dict[str, Any]]) -> None:
    contributor = client_for(app, "cora", "contributor")
    assert check(decide(contributor, claims[0], claims[1]), 403)["required_role"] == "reviewer"


def test_withdrawing_needs_the_relations_etag_and_keeps_it_with_its_history(
    reviewer: FlaskClient, claims: list[dict[str, Any]]
) -> None:
    relation = check(decide(reviewer, claims[0], claims[1]), 201)
    url = f"/claims/{claims[1]['id']}/relations/{relation['id']}"
    check(reviewer.delete(url), 428)
    check(reviewer.delete(url, headers={"If-Match": '"7"'}), 412)
    response = reviewer.delete(url, headers={"If-Match": '"1"', "X-Reason": "Other years."})
    withdrawn = check(response, 200)
    assert response.headers["ETag"] == '"2"'
    assert withdrawn["state"] == "withdrawn"
    assert [(d["decision"], d["note"]) for d in withdrawn["decisions"]] == [
        ("confirmed", None),
        ("withdrawn", "Other years."),
    ]
    check(reviewer.delete(url, headers={"If-Match": '"2"'}), 409)
    assert check(reviewer.get(url), 200) == withdrawn
    check(reviewer.get(f"/claims/{claims[2]['id']}/relations/{relation['id']}"), 404)


def test_an_if_match_on_a_decision_is_checked_against_the_relation(
    reviewer: FlaskClient, claims: list[dict[str, Any]]
) -> None:
    check(decide(reviewer, claims[0], claims[1]), 201)
    stale = reviewer.post(
        f"/claims/{claims[0]['id']}/relations",
        json={"claim_id": claims[1]["id"], "relation": "related"},
        headers={"If-Match": '"0"'},
    )
    assert check(stale, 412)["current_version"] == 1


def test_confirmed_same_relations_form_groups_that_merge_and_split(
    reviewer: FlaskClient, claims: list[dict[str, Any]]
) -> None:
    a, b, c, d, e = claims
    check(decide(reviewer, a, b), 201)
    check(decide(reviewer, c, d), 201)
    first, second = group_of(reviewer, a), group_of(reviewer, c)
    assert member_ids(first) == [a["id"], b["id"]]
    assert member_ids(second) == [c["id"], d["id"]]
    check(decide(reviewer, c, e, relation="contradicts"), 201)
    assert group_of(reviewer, e) is None
    bridge = check(decide(reviewer, b, c), 201)
    merged = group_of(reviewer, d)
    assert member_ids(merged) == [a["id"], b["id"], c["id"], d["id"]]
    assert merged["id"] == first["id"] and merged["revision"] == first["revision"] + 1
    check(reviewer.get(f"/claim-groups/{second['id']}"), 404)
    # A cycle: taking one edge of it away leaves everything connected.
    check(decide(reviewer, a, d), 201)
    unchanged = check(reviewer.get(f"/claim-groups/{merged['id']}"), 200)
    check(
        reviewer.delete(f"/claims/{b['id']}/relations/{bridge['id']}", headers={"If-Match": '"1"'}),
        200,
    )
    assert check(reviewer.get(f"/claim-groups/{merged['id']}"), 200) == unchanged
    # A rejection of the last link between two parts splits the group.
    ad = check(reviewer.get(f"/claims/{a['id']}/relations"), 200)["items"][-1]
    check(decide(reviewer, a, d, decision="rejected"), 200)
    assert ad["claim_id"] == d["id"]
    assert member_ids(group_of(reviewer, a)) == [a["id"], b["id"]]
    assert member_ids(group_of(reviewer, c)) == [c["id"], d["id"]]
    # Changing the relation to another kind is a split too; a lone claim is in no group.
    check(decide(reviewer, a, b, relation="related"), 200)
    assert group_of(reviewer, a) is None and group_of(reviewer, b) is None


def publish(client: FlaskClient, claim: dict[str, Any], status: str) -> None:
    check(review_claim(client, check(client.get(f"/claims/{claim['id']}"), 200), "in_review"), 201)
    check(review_claim(client, check(client.get(f"/claims/{claim['id']}"), 200), status), 201)
    check(client.post(f"/claims/{claim['id']}/publish", headers={"If-Match": "*"}), 200)


def test_a_group_shows_its_members_verdicts_and_flags_conflicting_ones(
    client: FlaskClient, reviewer: FlaskClient, claims: list[dict[str, Any]]
) -> None:
    a, b, c = claims[:3]
    check(decide(reviewer, a, b), 201)
    check(decide(reviewer, b, c), 201)
    publish(client, a, "false")
    group = group_of(reviewer, c)
    assert group["conflicting_verdicts"] is False
    assert [
        member["rating"] and member["rating"]["alternate_name"] for member in group["members"]
    ] == [
        "False",
        None,
        None,
    ]
    publish(client, b, "verified")
    assert group_of(reviewer, c)["conflicting_verdicts"] is True


def test_one_verdict_reviews_every_member_of_a_group(
    reviewer: FlaskClient, claims: list[dict[str, Any]]
) -> None:
    a, b, c = claims[:3]
    check(decide(reviewer, a, b), 201)
    check(decide(reviewer, c, b), 201)
    group = group_of(reviewer, a)
    url = f"/claim-groups/{group['id']}/reviews"
    check(reviewer.post(url, json={"status": "in_review"}), 428)
    check(reviewer.post(url, json={"status": "in_review"}, headers={"If-Match": '"1"'}), 412)
    etag = {"If-Match": f'"{group["revision"]}"'}
    reviews = check(reviewer.post(url, json={"status": "in_review"}, headers=etag), 201)["items"]
    assert sorted(review["claim_id"] for review in reviews) == member_ids(group)
    verdict = {
        "status": "false",
        "rationale": "The ministry's figures say otherwise.",
        "evidence": [{"url": "https://example.org/figures", "stance": "refutes"}],
    }
    check(reviewer.post(url, json=verdict, headers=etag), 201)
    statuses = {member["status"] for member in group_of(reviewer, a)["members"]}
    assert statuses == {"false"}


def test_a_member_the_workflow_refuses_fails_the_whole_group_review(
    reviewer: FlaskClient, claims: list[dict[str, Any]]
) -> None:
    a, b, c = claims[:3]
    check(decide(reviewer, a, b), 201)
    check(decide(reviewer, b, c), 201)
    check(review_claim(reviewer, check(reviewer.get(f"/claims/{b['id']}"), 200), "in_review"), 201)
    group = group_of(reviewer, a)
    url = f"/claim-groups/{group['id']}/reviews"
    response = reviewer.post(url, json={"status": "in_review"}, headers={"If-Match": "*"})
    problem = check(response, 409)
    assert problem["claim_id"] == b["id"], problem
    assert f"Claim {b['id']}" in problem["detail"]
    assert {member["status"] for member in group_of(reviewer, a)["members"]} == {
        "unverified",
        "in_review",
    }


def test_relation_decisions_are_told_in_the_change_feed(
    reviewer: FlaskClient, claims: list[dict[str, Any]]
) -> None:
    relation = check(decide(reviewer, claims[0], claims[1], decision="rejected"), 201)
    events = check(reviewer.get("/events?type=relation.decided"), 200)["items"]
    assert [event["data"]["relation"]["id"] for event in events] == [relation["id"]]
    assert events[0]["data"]["relation"]["state"] == "rejected"
    assert events[0]["claim_id"] == claims[0]["id"]


def test_a_deleted_claim_leaves_its_group_reads_and_its_group_review(
    client: FlaskClient, reviewer: FlaskClient, claims: list[dict[str, Any]]
) -> None:
    a, b, c = claims[:3]
    check(decide(reviewer, a, b), 201)
    check(decide(reviewer, b, c), 201)
    client.delete(f"/claims/{b['id']}", headers={"If-Match": '"1"'})
    group = group_of(reviewer, a)
    assert member_ids(group) == [a["id"], c["id"]]
    check(reviewer.get(f"/claims/{b['id']}/group"), 410)
    check(decide(reviewer, b, a, relation="related"), 410)
    assert "claim_id" in check(decide(reviewer, a, b, relation="related"), 422)["errors"]
    url = f"/claim-groups/{group['id']}/reviews"
    reviews = check(
        reviewer.post(url, json={"status": "in_review"}, headers={"If-Match": "*"}), 201
    )
    assert sorted(review["claim_id"] for review in reviews["items"]) == [a["id"], c["id"]]
    assert len(check(reviewer.get(f"/claims/{b['id']}/relations"), 200)["items"]) == 2


def test_a_group_mixing_published_and_new_claims_takes_one_verdict_as_a_correction(
    client: FlaskClient, reviewer: FlaskClient, claims: list[dict[str, Any]]
) -> None:
    published, fresh = claims[:2]
    publish(client, published, "false")
    check(decide(reviewer, published, fresh), 201)
    url = f"/claim-groups/{group_of(reviewer, fresh)['id']}/reviews"
    etag = {"If-Match": "*"}
    refused = check(reviewer.post(url, json={"status": "in_review"}, headers=etag), 409)
    assert refused["claim_id"] == published["id"]
    check(reviewer.post(url, json={"status": "in_review", "correction": True}, headers=etag), 201)
    verdict = {
        "status": "false",
        "rationale": "Same claim, same evidence.",
        "evidence": [{"url": "https://example.org/figures", "stance": "refutes"}],
        "correction": True,
    }
    reviews = check(reviewer.post(url, json=verdict, headers=etag), 201)["items"]
    corrections = {review["claim_id"]: review["correction"] for review in reviews}
    assert corrections == {published["id"]: True, fresh["id"]: False}

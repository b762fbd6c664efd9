"""Reviewers deciding on relations at once: one row per pair, every decision kept, and
groups that always equal the components of the confirmed ``same`` relations.

Real threads on PostgreSQL (row locks, ON CONFLICT, the groups' advisory lock) and on
an SQLite file (BEGIN IMMEDIATE), as tests/test_concurrency.py runs its writers.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import Flask

from tests.factories import check, client_for, create_article, create_claim
from tests.test_concurrency import run_together

REVIEWERS = 12


def make_claims(app: Flask, count: int) -> list[dict[str, Any]]:
    client = client_for(app)
    article = create_article(client)
    return [
        create_claim(client, article["id"], key=f"c{index}", text=f"Claim {index}.")
        for index in range(count)
    ]


def relations_of(app: Flask, claim_id: int) -> list[dict[str, Any]]:
    page = check(app.test_client().get(f"/claims/{claim_id}/relations?limit=200"), 200)
    return page["items"]


def groups(app: Flask, claims: list[dict[str, Any]]) -> set[frozenset[int]]:
    """The groups as the service shows them, as sets of claim ids."""
    found = set()
    for claim in claims:
        response = app.test_client().get(f"/claims/{claim['id']}/group")
        if response.status_code == 200:
            found.add(frozenset(member["claim_id"] for member in response.get_json()["members"]))
        else:
            check(response, 404)
    return found


def components(app: Flask, claims: list[dict[str, Any]]) -> set[frozenset[int]]:
    """The components of two or more claims that confirmed same relations connect."""
    parent = {claim["id"]: claim["id"] for claim in claims}

    def root(claim_id: int) -> int:
        while parent[claim_id] != claim_id:
            claim_id = parent[claim_id]
        return claim_id

    for claim in claims:
        for relation in relations_of(app, claim["id"]):
            if (relation["relation"], relation["state"]) == ("same", "confirmed"):
                low, high = relation["claim_ids"]
                parent[root(high)] = root(low)
    parts: dict[int, set[int]] = {}
    for claim_id in parent:
        parts.setdefault(root(claim_id), set()).add(claim_id)
    return {frozenset(part) for part in parts.values() if len(part) > 1}


def test_reviewers_confirming_one_pair_at_once_make_one_relation_keeping_every_decision(
    app: Flask,
) -> None:
    first, second = make_claims(app, 2)
    reviewers = [client_for(app, f"reviewer-{index}", "reviewer") for index in range(REVIEWERS)]

    def confirm(index: int) -> int:
        response = reviewers[index].post(
            f"/claims/{(first, second)[index % 2]['id']}/relations",
            json={
                "claim_id": (second, first)[index % 2]["id"],
                "relation": "same",
                "note": f"reviewer {index}",
            },
        )
        return response.status_code

    statuses = Counter(run_together(REVIEWERS, confirm))
    assert statuses == Counter({201: 1, 200: REVIEWERS - 1}), statuses
    (relation,) = relations_of(app, first["id"])
    assert relation["revision"] == REVIEWERS
    notes = sorted(decision["note"] for decision in relation["decisions"])
    assert notes == sorted(f"reviewer {index}" for index in range(REVIEWERS))
    assert groups(app, [first, second]) == {frozenset({first["id"], second["id"]})}


def test_confirmations_racing_to_join_groups_are_all_kept_in_one_group(app: Flask) -> None:
    claims = make_claims(app, REVIEWERS + 1)
    reviewers = [client_for(app, f"reviewer-{index}", "reviewer") for index in range(REVIEWERS)]

    def confirm(index: int) -> int:
        # A chain: every link merges the groups on either side of it, all at once.
        response = reviewers[index].post(
            f"/claims/{claims[index]['id']}/relations",
            json={"claim_id": claims[index + 1]["id"], "relation": "same"},
        )
        return response.status_code

    assert Counter(run_together(REVIEWERS, confirm)) == Counter({201: REVIEWERS})
    assert groups(app, claims) == {frozenset(claim["id"] for claim in claims)}


def test_confirmations_and_withdrawals_racing_leave_groups_equal_to_the_components(
    app: Flask,
) -> None:
    claims = make_claims(app, 6)
    admin = client_for(app)
    pairs = [(claims[i], claims[j]) for i in range(6) for j in range(i + 1, 6) if (i + j) % 2]
    relation_ids = {}
    for low, high in pairs:
        relation = check(
            admin.post(
                f"/claims/{low['id']}/relations", json={"claim_id": high["id"], "relation": "same"}
            ),
            201,
        )
        relation_ids[(low["id"], high["id"])] = relation["id"]
    reviewers = [client_for(app, f"reviewer-{index}", "reviewer") for index in range(len(pairs))]

    def flip(index: int) -> list[int]:
        low, high = pairs[index]
        statuses = []
        for round_ in range(4):
            if (index + round_) % 2:
                response = reviewers[index].delete(
                    f"/claims/{low['id']}/relations/{relation_ids[(low['id'], high['id'])]}",
                    headers={"If-Match": "*"},
                )
            else:
                response = reviewers[index].post(
                    f"/claims/{high['id']}/relations",
                    json={"claim_id": low["id"], "relation": "same"},
                )
            statuses.append(response.status_code)
        return statuses

    outcomes = [status for statuses in run_together(len(pairs), flip) for status in statuses]
    assert set(outcomes) <= {200, 409}, Counter(outcomes)
    assert groups(app, claims) == components(app, claims)

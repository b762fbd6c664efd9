"""Groups follow every decision: after any sequence of confirmations, rejections,
withdrawals and changes of relation, the groups are exactly the connected components
of the confirmed ``same`` relations; and reading relations and groups costs a fixed
number of indexed statements."""

from __future__ import annotations

import random
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from claims_api.extensions import db
from claims_api.services.relations import rejected_pairs
from tests.factories import check, create_article, create_claim
from tests.test_queries import full_scans, plan, recorded_statements
from tests.test_relation_concurrency import components, groups

STEPS = 60


def test_groups_equal_the_components_after_every_decision(app: Flask, client: FlaskClient) -> None:
    article = create_article(client)
    claims = [create_claim(client, article["id"], key=f"c{index}") for index in range(7)]
    chance = random.Random(12)
    relations: dict[tuple[int, int], dict[str, Any]] = {}
    for step in range(STEPS):
        first, second = chance.sample(claims, 2)
        pair = tuple(sorted((first["id"], second["id"])))
        known = relations.get(pair)
        if known is not None and known["state"] != "withdrawn" and chance.random() < 0.3:
            response = client.delete(
                f"/claims/{first['id']}/relations/{known['id']}",
                headers={"If-Match": f'"{known["revision"]}"'},
            )
        else:
            relation = chance.choice(["same", "same", "same", "related", "contradicts"])
            decision = chance.choice(["confirmed", "confirmed", "rejected"])
            response = client.post(
                f"/claims/{first['id']}/relations",
                json={"claim_id": second["id"], "relation": relation, "decision": decision},
            )
        relations[pair] = check(response, 201 if known is None else 200)
        assert groups(app, claims) == components(app, claims), f"after step {step}"


def test_a_claims_relations_cost_the_same_statements_for_1_or_20(
    app: Flask, client: FlaskClient
) -> None:
    article = create_article(client)
    hub, *others = [create_claim(client, article["id"], key=f"c{index}") for index in range(21)]
    check(
        client.post(
            f"/claims/{hub['id']}/relations", json={"claim_id": others[0]["id"], "relation": "same"}
        ),
        201,
    )
    with recorded_statements(app) as one:
        assert len(check(client.get(f"/claims/{hub['id']}/relations"), 200)["items"]) == 1
    for other in others[1:]:
        # Some pairs with the hub as the lower claim, some as the higher.
        first, second = (other, hub) if other["id"] % 2 else (hub, other)
        body = {"claim_id": second["id"], "relation": "related"}
        check(client.post(f"/claims/{first['id']}/relations", json=body), 201)
    with recorded_statements(app) as many:
        page = check(client.get(f"/claims/{hub['id']}/relations"), 200)
    assert len(page["items"]) == 20
    assert len(many) == len(one), [statement for statement, _ in many]
    with recorded_statements(app) as group_reads:
        check(client.get(f"/claims/{hub['id']}/group"), 200)
    with recorded_statements(app) as pair_reads, app.app_context():
        rejected_pairs(hub["id"])
        db.session.remove()
    for statement, parameters in [*many, *group_reads, *pair_reads]:
        if statement.lstrip().upper().startswith("SELECT"):
            scans = full_scans(plan(app, statement, parameters))
            assert not scans, f"a relation read scans a whole table: {scans}\n{statement}"

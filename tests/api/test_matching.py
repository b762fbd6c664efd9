"""GET /claims/{id}/matches and POST /claims/match: the relation comes from the propositions."""

from __future__ import annotations

from itertools import count
from typing import Any

from flask.testing import FlaskClient

from tests.factories import check, client_for, review_claim

_urls = count(1)


def article(client: FlaskClient, published_at: str | None = None) -> int:
    data = {"url": f"https://news.example.org/{next(_urls)}", "title": "Report", "body": None}
    if published_at is not None:
        data["published_at"] = published_at
    return check(client.post("/articles", json=data), 201)["id"]


def membership(
    client: FlaskClient,
    text: str,
    member: str,
    organization: str,
    relation: str,
    tags: tuple[str, ...] = (),
    **extra: Any,
) -> dict[str, Any]:
    fields = {"member": member, "organization": organization, "relation": relation, **extra}
    data = {
        "article_id": article(client),
        "text": text,
        "kind": "membership",
        "membership": fields,
        "tags": tags,
    }
    return check(client.post("/claims", json=data), 201)


def troops(
    client: FlaskClient, value: int, published_at: str, place: str = "the Ukrainian border"
) -> dict[str, Any]:
    data = {
        "article_id": article(client, published_at),
        "text": f"{value:,} Russian troops are deployed on {place}.",
        "kind": "quantity",
        "quantity": {
            "value": value,
            "unit": "troops",
            "subject": "Russian troops",
            "location": place,
        },
    }
    return check(client.post("/claims", json=data), 201)


def read(client: FlaskClient, claim_id: int) -> dict[str, Any]:
    return check(client.get(f"/claims/{claim_id}"), 200)


def matches(client: FlaskClient, claim: dict[str, Any]) -> dict[int, dict[str, Any]]:
    body = check(client.get(f"/claims/{claim['id']}/matches"), 200)
    return {item["claim"]["id"]: item for item in body["items"]}


def not_joined(client: FlaskClient) -> dict[str, Any]:
    return membership(client, "Ukraine has not joined NATO.", "Ukraine", "NATO", "not_member")


def test_a_paraphrase_of_a_negated_membership_is_the_same_claim(client: FlaskClient) -> None:
    claim = not_joined(client)
    # "The alliance" is NATO in a claim tagged so (the extractor tags with the article's
    # entities).
    paraphrase = membership(
        client,
        "Ukraine is not a member of the alliance.",
        "Ukraine",
        "the alliance",
        "not_member",
        tags=("Nato", "Ukraine"),
    )
    found = matches(client, claim)
    assert found[paraphrase["id"]]["relation"] == "same", found
    comparison = found[paraphrase["id"]]["signals"]["proposition"]
    assert comparison["polarity"] == "same" and comparison["subject"] == "same"
    assert found[paraphrase["id"]]["claim"] == check(client.get(f"/claims/{paraphrase['id']}"), 200)


def test_the_affirmed_membership_contradicts_the_negated_one(client: FlaskClient) -> None:
    claim = not_joined(client)
    joined = membership(client, "Ukraine joined NATO.", "Ukraine", "NATO", "member")
    found = matches(client, claim)
    assert found[joined["id"]]["relation"] == "contradicts", found
    assert found[joined["id"]]["signals"]["proposition"]["polarity"] == "opposite"


def test_another_country_is_never_the_same_claim(client: FlaskClient) -> None:
    claim = not_joined(client)
    georgia = membership(client, "Georgia has not joined NATO.", "Georgia", "NATO", "not_member")
    found = matches(client, claim)
    assert georgia["id"] not in found or found[georgia["id"]]["relation"] == "related"
    if georgia["id"] in found:
        assert found[georgia["id"]]["signals"]["proposition"]["subject"] == "different"


def test_a_higher_figure_a_week_later_updates_the_earlier_one(client: FlaskClient) -> None:
    earlier = troops(client, 130_000, "2022-02-08T09:00:00+00:00")
    later = troops(client, 150_000, "2022-02-15T09:00:00+00:00")
    item = matches(client, earlier)[later["id"]]
    assert (item["relation"], item["newer_claim_id"]) == ("updates", later["id"]), item
    assert item["signals"]["proposition"]["time"] == "later"
    assert item["signals"]["time_distance_days"] == 7
    back = matches(client, later)[earlier["id"]]
    assert (back["relation"], back["newer_claim_id"]) == ("updates", later["id"])


def test_another_figure_on_the_same_date_contradicts(client: FlaskClient) -> None:
    claim = troops(client, 150_000, "2022-02-15T09:00:00+00:00")
    other = troops(client, 100_000, "2022-02-16T09:00:00+00:00")
    close = troops(client, 152_000, "2022-02-15T12:00:00+00:00")
    found = matches(client, claim)
    assert found[other["id"]]["relation"] == "contradicts", found[other["id"]]
    assert found[other["id"]]["signals"]["proposition"]["value"] == "incompatible"
    assert found[close["id"]]["relation"] == "same", found[close["id"]]


def test_the_same_figure_elsewhere_is_not_the_same_claim(client: FlaskClient) -> None:
    claim = troops(client, 130_000, "2022-02-15T09:00:00+00:00")
    belarus = troops(client, 130_000, "2022-02-15T09:00:00+00:00", place="Belarus")
    found = matches(client, claim)
    assert found[belarus["id"]]["relation"] == "related"
    assert found[belarus["id"]]["signals"]["proposition"]["object"] == "different"


def test_a_published_verdict_ranks_first(client: FlaskClient) -> None:
    claim = not_joined(client)
    plain = membership(client, "Ukraine has not joined NATO.", "Ukraine", "NATO", "not_member")
    checked = membership(client, "Ukraine is not in NATO.", "Ukraine", "NATO", "not_member")
    check(review_claim(client, read(client, checked["id"]), "in_review"), 201)
    check(review_claim(client, read(client, checked["id"]), "false"), 201)
    headers = {"If-Match": f'"{read(client, checked["id"])["revision"]}"'}
    check(client.post(f"/claims/{checked['id']}/publish", headers=headers), 200)
    items = check(client.get(f"/claims/{claim['id']}/matches"), 200)["items"]
    assert [item["claim"]["id"] for item in items[:2]] == [checked["id"], plain["id"]], items
    assert items[0]["verdict"] == {"rating": "False", "by": "ours"}
    assert items[1]["verdict"] is None


def test_a_deleted_claim_never_matches(client: FlaskClient) -> None:
    claim = not_joined(client)
    gone = membership(client, "Ukraine has not joined NATO.", "Ukraine", "NATO", "not_member")
    response = client.delete(f"/claims/{gone['id']}", headers={"If-Match": f'"{gone["revision"]}"'})
    assert response.status_code == 204
    assert gone["id"] not in matches(client, claim)
    found = check(client.post("/claims/match", json={"text": "Ukraine has not joined NATO."}), 200)
    assert gone["id"] not in [item["claim"]["id"] for item in found["items"]]
    assert client.get(f"/claims/{gone['id']}/matches").status_code == 410


def test_a_text_not_stored_matches_with_its_structured_fields(client: FlaskClient) -> None:
    claim = not_joined(client)
    body = {
        "text": "Ukraine joined NATO last year.",
        "kind": "membership",
        "membership": {"member": "Ukraine", "organization": "Nato", "relation": "member"},
    }
    found = check(client.post("/claims/match", json=body), 200)["items"]
    assert [(item["claim"]["id"], item["relation"]) for item in found] == [
        (claim["id"], "contradicts")
    ]


def test_a_text_alone_is_read_for_its_figure(client: FlaskClient) -> None:
    claim = troops(client, 150_000, "2022-02-15T09:00:00+00:00")
    body = {
        "text": "Some 100,000 Russian troops are massed on the Ukrainian border.",
        "article_published_at": "2022-02-15T18:00:00+00:00",
    }
    found = check(client.post("/claims/match", json=body), 200)["items"]
    assert found and found[0]["claim"]["id"] == claim["id"]
    assert found[0]["signals"]["proposition"]["value"] == "incompatible"


def test_errors_are_problems(client: FlaskClient) -> None:
    missing = client.get("/claims/999/matches")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    bad = client.post("/claims/match", json={"kind": "membership", "quantity": {}})
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert set(bad.get_json()["errors"]) >= {"text"}
    reader = client_for(client.application, "reader-1", "reader")
    assert reader.post("/claims/match", json={"text": "Ukraine joined NATO."}).status_code == 200


def test_another_fact_checkers_review_is_a_verdict_by_them(client: FlaskClient) -> None:
    claim = not_joined(client)
    document = {
        "article": {"url": "https://elsewhere.example.org/ukraine", "title": "Ukraine"},
        "claims": [
            {
                "text": "Ukraine is not a NATO member.",
                "kind": "membership",
                "membership": {
                    "member": "Ukraine",
                    "organization": "NATO",
                    "relation": "not_member",
                },
                "external_reviews": [
                    {
                        "reviewer": "PolitiFact",
                        "url": "https://www.politifact.com/factchecks/ukraine-nato/",
                        "rating": {"alternate_name": "True"},
                    }
                ],
            }
        ],
    }
    response = client.post("/imports", json=document)
    assert response.status_code == 201, response.get_data(as_text=True)
    items = check(client.get(f"/claims/{claim['id']}/matches"), 200)["items"]
    assert items[0]["verdict"] == {"rating": "True", "by": "PolitiFact"}, items
    assert items[0]["relation"] == "same"


def publish_false(client: FlaskClient, claim: dict[str, Any]) -> None:
    check(review_claim(client, read(client, claim["id"]), "in_review"), 201)
    check(review_claim(client, read(client, claim["id"]), "false"), 201)
    headers = {"If-Match": f'"{read(client, claim["id"])["revision"]}"'}
    check(client.post(f"/claims/{claim['id']}/publish", headers=headers), 200)


def test_claims_matching_a_published_verdict_are_found_by_a_filter(client: FlaskClient) -> None:
    earlier = not_joined(client)
    checked = membership(client, "Ukraine is not in NATO.", "Ukraine", "NATO", "not_member")
    unrelated = membership(client, "Finland joined NATO.", "Finland", "NATO", "member")
    publish_false(client, checked)
    later = membership(client, "Ukraine joined NATO.", "Ukraine", "NATO", "member")

    def listed(query: str) -> list[int]:
        return [claim["id"] for claim in check(client.get(f"/claims?{query}"), 200)["items"]]

    assert listed("matches_verdict=true") == [earlier["id"], later["id"]]
    assert listed("matches_verdict=false") == [checked["id"], unrelated["id"]]
    response = client.patch(
        f"/claims/{later['id']}",
        json={"membership": {"member": "Poland", "organization": "NATO", "relation": "member"}},
        headers={"If-Match": f'"{later["revision"]}"'},
    )
    assert response.status_code == 200
    assert listed("matches_verdict=true") == [earlier["id"]], "an edit matches it again"

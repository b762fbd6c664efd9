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


def test_a_pair_a_reviewer_rejected_is_never_suggested_again(client: FlaskClient) -> None:
    claim = not_joined(client)
    repeated = membership(client, "Ukraine has not joined NATO.", "Ukraine", "NATO", "not_member")
    kept = membership(client, "Ukraine is not in NATO.", "Ukraine", "NATO", "not_member")
    assert {repeated["id"], kept["id"]} <= set(matches(client, claim))
    body = {"claim_id": claim["id"], "relation": "same", "decision": "rejected"}
    check(client.post(f"/claims/{repeated['id']}/relations", json=body), 201)
    assert set(matches(client, claim)) & {repeated["id"], kept["id"]} == {kept["id"]}
    assert claim["id"] not in matches(client, repeated)


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


def plain(client: FlaskClient, text: str, kind: str = "other", **extra: Any) -> dict[str, Any]:
    data = {"article_id": article(client, "2015-08-20T09:00:00+00:00"), "text": text, "kind": kind}
    return check(client.post("/claims", json={**data, **extra}), 201)


def test_the_claim_sharing_the_rare_words_is_found_among_many_sharing_common_ones(
    client: FlaskClient,
) -> None:
    claim = plain(client, "The bomb blast targeted former minister Fernando Londoño.")
    rephrased = plain(client, "Fernando Londoño, a former minister, was the bomb's target.")
    for number in range(12):  # newer, and sharing only common words
        plain(client, f"The former minister said the blast of report {number} was a bomb.")
    client.application.config["MATCH_CANDIDATES"] = 8
    assert rephrased["id"] in matches(client, claim)


def test_claims_without_a_subject_are_compared_by_their_words(client: FlaskClient) -> None:
    claim = plain(client, "Construction was underway at the mosque to enlarge it.", "event")
    again = plain(client, "Construction was underway at the mosque so as to enlarge it.", "event")
    denied = plain(client, "Construction was not underway at the mosque to enlarge it.", "event")
    found = matches(client, claim)
    assert found[again["id"]]["relation"] == "same", found[again["id"]]
    assert found[again["id"]]["signals"]["proposition"]["subject"] == "unknown"
    assert found[denied["id"]]["relation"] == "contradicts", found[denied["id"]]


def test_a_compatible_figure_at_another_time_is_the_same_claim(client: FlaskClient) -> None:
    earlier = troops(client, 130_000, "2022-02-08T09:00:00+00:00")
    later = troops(client, 130_500, "2022-02-20T09:00:00+00:00")
    item = matches(client, earlier)[later["id"]]
    assert (item["relation"], item["newer_claim_id"]) == ("same", None), item
    assert item["signals"]["proposition"]["time"] == "later"


def test_claims_naming_other_countries_or_people_are_at_most_related(
    client: FlaskClient,
) -> None:
    claim = plain(client, "Tension between China and the Philippines over the shoal has risen.")
    country = plain(client, "Tension between China and Syria over the shoal has risen.")
    said = {"kind": "statement", "statement": {"speaker": "Xinhua"}}
    wife = plain(client, "Xinhua announced the role of Bo Xilai's wife in the murder.", **said)
    other = plain(client, "Xinhua announced the role of Wang Lijun's wife in the murder.", **said)
    item = matches(client, claim)[country["id"]]
    assert item["relation"] == "related", item
    assert item["signals"]["proposition"]["entities"] == "different"
    assert matches(client, wife)[other["id"]]["relation"] == "related"


def test_an_acronym_of_a_news_agency_is_the_same_speaker(client: FlaskClient) -> None:
    said = "the foolhardy provocation deserves harsh punishment"
    claim = plain(
        client,
        f"KCNA said {said}.",
        "statement",
        statement={"speaker": "Korean Central News Agency"},
    )
    again = plain(client, f"KCNA added that {said}.", "statement", statement={"speaker": "KCNA"})
    item = matches(client, claim)[again["id"]]
    assert item["relation"] == "same", item
    assert item["signals"]["proposition"]["subject"] == "same"


def test_a_look_alike_with_a_name_put_for_other_words_is_at_most_related(
    client: FlaskClient,
) -> None:
    claim = plain(client, "Much of the local media failed to report on the arson attack.")
    swapped = plain(client, "Much of the local Cuba failed to report on the arson attack.")
    item = matches(client, claim)[swapped["id"]]
    assert item["relation"] == "related", item
    assert item["signals"]["proposition"]["entities"] == "different"

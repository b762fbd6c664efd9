"""Our rating and our ClaimReview: what a claim, its review and the published
ClaimReview say once a verdict is published (issue 9, item 9)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from claims_api import create_app
from claims_api.cli import main
from tests.factories import check, create_article, create_claim, review_claim

FALSE_RATING = {"alternate_name": "False", "name": "False", "value": 1, "best": 5, "worst": 1}
TEMPLATE = "https://factcheck.example.org/claims/{claim_id}"
LONG_TEXT = (
    "Around 130,000 Russian troops are deployed on the Ukrainian border, according to "
    "estimates by Western intelligence agencies quoted in the article."
)


def read(client: FlaskClient, claim_id: int) -> dict[str, Any]:
    return check(client.get(f"/claims/{claim_id}"), 200)


def reviewed(client: FlaskClient, claim_id: int, status: str, **fields: Any) -> dict[str, Any]:
    check(review_claim(client, read(client, claim_id), "in_review"), 201)
    return check(review_claim(client, read(client, claim_id), status, **fields), 201)


def publish(client: FlaskClient, claim_id: int) -> dict[str, Any]:
    headers = {"If-Match": f'"{read(client, claim_id)["revision"]}"'}
    return check(client.post(f"/claims/{claim_id}/publish", headers=headers), 200)


def published_claim(client: FlaskClient, status: str = "false", **fields: Any) -> dict[str, Any]:
    article = create_article(client, published_at="2022-02-14T09:30:00Z")
    claim = create_claim(client, article["id"], **fields)
    reviewed(client, claim["id"], status)
    publish(client, claim["id"])
    return read(client, claim["id"])


def statement(speaker: str, role: str | None = None) -> dict[str, Any]:
    return {
        "kind": "statement",
        "text": f"{speaker} said the troops are on the border.",
        "quantity": None,
        "statement": {"speaker": speaker, "speaker_role": role},
    }


# --- Ratings on our side ------------------------------------------------------------------


def test_after_publishing_the_claim_and_its_review_carry_the_verdicts_rating(
    client: FlaskClient,
) -> None:
    article = create_article(client)
    claim = create_claim(client, article["id"])
    reviewed(client, claim["id"], "false")
    assert read(client, claim["id"])["rating"] is None, "a verdict not yet published is no rating"

    publish(client, claim["id"])

    claim = read(client, claim["id"])
    assert claim["rating"] == FALSE_RATING, claim["rating"]
    listed = check(client.get("/claims"), 200)["items"]
    assert [item["rating"] for item in listed] == [FALSE_RATING], "the list lacks the rating"
    reviews = check(client.get(f"/claims/{claim['id']}/reviews"), 200)["items"]
    verdict = next(review for review in reviews if review["to_status"] == "false")
    assert verdict["rating"] == FALSE_RATING, verdict
    opening = next(review for review in reviews if review["to_status"] == "in_review")
    assert opening["rating"] is None, "a review to a status that is no verdict has no rating"


def test_the_reviewers_wording_names_the_rating(client: FlaskClient) -> None:
    article = create_article(client)
    claim = create_claim(client, article["id"])
    reviewed(client, claim["id"], "false", rating="Pants on fire")
    publish(client, claim["id"])

    assert read(client, claim["id"])["rating"] == {**FALSE_RATING, "name": "Pants on fire"}
    review = check(client.get(f"/claims/{claim['id']}/claimreview"), 200)
    assert review["reviewRating"]["name"] == "Pants on fire", review["reviewRating"]
    assert review["reviewRating"]["alternateName"] == "False", review["reviewRating"]


def test_an_unpublished_correction_leaves_the_public_rating_as_published(
    client: FlaskClient,
) -> None:
    claim = published_claim(client)
    check(review_claim(client, read(client, claim["id"]), "in_review", correction=True), 201)
    check(review_claim(client, read(client, claim["id"]), "verified", correction=True), 201)

    after = read(client, claim["id"])
    assert after["status"] == "verified"
    assert after["rating"] == FALSE_RATING, "the correction is not published yet"
    review = check(client.get(f"/claims/{claim['id']}/claimreview"), 200)
    assert review["reviewRating"]["alternateName"] == "False", review["reviewRating"]

    publish(client, claim["id"])
    assert read(client, claim["id"])["rating"]["alternate_name"] == "True"


def test_publishing_records_the_rating_in_the_revision(client: FlaskClient) -> None:
    claim = published_claim(client)

    revisions = check(client.get(f"/claims/{claim['id']}/revisions"), 200)["items"]
    publication = revisions[0]
    assert publication["action"] == "publish", publication
    assert publication["changes"]["rating"] == {"old": None, "new": FALSE_RATING}
    assert publication["snapshot"] == read(client, claim["id"])


# --- ClaimReview as we publish it ---------------------------------------------------------


def test_claimreview_has_every_property_google_lists(client: FlaskClient) -> None:
    claim = published_claim(client)
    (published,) = [
        review
        for review in check(client.get(f"/claims/{claim['id']}/reviews"), 200)["items"]
        if review["published_at"]
    ]

    review = check(client.get(f"/claims/{claim['id']}/claimreview"), 200)

    assert review["url"] == f"http://localhost:8000/claims/{claim['id']}", review["url"]
    assert review["author"] == {
        "@type": "Organization",
        "name": "claims-api",
        "url": "http://localhost:8000/",
    }, review["author"]
    assert review["datePublished"] == published["published_at"][:10], review
    assert review["reviewRating"] == {
        "@type": "Rating",
        "alternateName": "False",
        "name": "False",
        "ratingValue": 1,
        "bestRating": 5,
        "worstRating": 1,
    }
    item = review["itemReviewed"]
    work = {
        "@type": "CreativeWork",
        "url": "https://nationalinterest.org/blog/buzz/china-urges-calm",
        "headline": "China Urges Calm and Respect for Russia Amid Growing Ukraine Crisis",
        "datePublished": "2022-02-14",
    }
    assert item["@type"] == "Claim"
    assert (item["appearance"], item["firstAppearance"]) == ([work], work), item
    assert item["datePublished"] == "2022-02-14", item
    assert item["author"] == {"@type": "Organization", "name": "The National Interest"}, item


@pytest.mark.parametrize(
    ("speaker", "role", "author"),
    [
        pytest.param(
            "the Chinese government",
            None,
            {"@type": "Organization", "name": "the Chinese government"},
            id="government",
        ),
        pytest.param("NATO", None, {"@type": "Organization", "name": "NATO"}, id="nato"),
        pytest.param(
            "Wang Yi",
            "Chinese foreign minister",
            {"@type": "Person", "name": "Wang Yi", "jobTitle": "Chinese foreign minister"},
            id="person",
        ),
    ],
)
def test_the_claims_author_is_typed_by_the_speaker(
    client: FlaskClient, speaker: str, role: str | None, author: dict[str, Any]
) -> None:
    claim = published_claim(client, **statement(speaker, role))

    review = check(client.get(f"/claims/{claim['id']}/claimreview"), 200)

    assert review["itemReviewed"]["author"] == author


def test_claim_reviewed_is_the_text_cut_at_a_word_under_75_characters(
    client: FlaskClient,
) -> None:
    claim = published_claim(client, text=LONG_TEXT)

    reviewed_text = check(client.get(f"/claims/{claim['id']}/claimreview"), 200)["claimReviewed"]

    assert len(reviewed_text) <= 75, reviewed_text
    assert reviewed_text == (
        "Around 130,000 Russian troops are deployed on the Ukrainian border,"[:-1] + "…"
    ), reviewed_text


def test_the_url_template_and_publisher_make_the_same_claimreview_from_cli_and_http(
    app: Flask, client: FlaskClient, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "FACTCHECK_URL_TEMPLATE", TEMPLATE)
    monkeypatch.setitem(app.config, "PUBLISHER_URL", "https://factcheck.example.org/about")
    claim = published_claim(client, **statement("NATO"))

    over_http = client.get("/export", query_string={"format": "claimreview"})
    from_cli = CliRunner().invoke(
        main,
        ["export", "--format", "claimreview"],
        env={
            "DATABASE_URL": database_url,
            "CLAIMS_FACTCHECK_URL_TEMPLATE": TEMPLATE,
            "CLAIMS_PUBLISHER_URL": "https://factcheck.example.org/about",
        },
        catch_exceptions=False,
    )

    assert from_cli.exit_code == 0, from_cli.output
    assert from_cli.stdout == over_http.get_data(as_text=True), "CLI and HTTP exports differ"
    (element,) = json.loads(from_cli.stdout)["dataFeedElement"]
    assert element["url"] == f"https://factcheck.example.org/claims/{claim['id']}", element
    assert element["author"]["url"] == "https://factcheck.example.org/about", element["author"]
    one = check(client.get(f"/claims/{claim['id']}/claimreview"), 200)
    assert {**element, "@context": "https://schema.org"} == one, "feed and claim differ"


def test_the_publisher_site_defaults_to_the_fact_check_pages_host(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "FACTCHECK_URL_TEMPLATE", TEMPLATE)
    claim = published_claim(client)

    review = check(client.get(f"/claims/{claim['id']}/claimreview"), 200)

    assert review["author"]["url"] == "https://factcheck.example.org/", review["author"]


@pytest.mark.parametrize(
    "template",
    [
        "https://factcheck.example.org/claims/",
        "https://factcheck.example.org/{claim_id}/{slug}",
        "factcheck.example.org/{claim_id}",
    ],
)
def test_a_template_that_cannot_make_urls_stops_the_service(template: str) -> None:
    with pytest.raises(ValueError, match="CLAIMS_FACTCHECK_URL_TEMPLATE"):
        create_app({"TESTING": True, "FACTCHECK_URL_TEMPLATE": template})


# --- A verdict on words that changed since ---------------------------------------------------


def corrected_figure(client: FlaskClient, claim: dict[str, Any]) -> dict[str, Any]:
    """The article's "130,000" edited to "100,000" inside the claim's quote: flagged."""
    article = check(client.get(f"/articles/{claim['article_id']}"), 200)
    body = article["body"].replace("130,000", "100,000")
    headers = {"If-Match": f'"{article["version"]}"'}
    check(client.patch(f"/articles/{article['id']}", json={"body": body}, headers=headers), 200)
    return read(client, claim["id"])


def test_a_published_verdict_stays_public_marked_as_concerning_an_earlier_version(
    client: FlaskClient,
) -> None:
    claim = published_claim(client)
    assert claim["verdict_concerns_earlier_version"] is False, claim
    before = check(client.get(f"/claims/{claim['id']}/claimreview"), 200)
    assert "dateModified" not in before["itemReviewed"]["firstAppearance"], before

    flagged = corrected_figure(client, claim)

    assert flagged["verdict_concerns_earlier_version"] is True, flagged
    assert (flagged["status"], flagged["rating"]) == (claim["status"], claim["rating"]), flagged
    review = check(client.get(f"/claims/{claim['id']}/claimreview"), 200)
    assert review["reviewRating"] == before["reviewRating"], "the verdict should stay public"
    since = flagged["needs_review"]["since"]
    for work in (review["itemReviewed"]["firstAppearance"], *review["itemReviewed"]["appearance"]):
        assert work["dateModified"] == since, work
    exported = client.get("/export", query_string={"format": "claimreview"}).get_json()
    assert exported["dataFeedElement"][0]["itemReviewed"]["firstAppearance"]["dateModified"]


def test_confirming_the_anchor_clears_the_earlier_version_mark(client: FlaskClient) -> None:
    flagged = corrected_figure(client, published_claim(client))
    place = {"start": flagged["quote"]["start"], "end": flagged["quote"]["end"]}
    headers = {"If-Match": f'"{flagged["revision"]}"'}

    confirmed = check(
        client.put(f"/claims/{flagged['id']}/anchor", json=place, headers=headers), 200
    )

    assert confirmed["verdict_concerns_earlier_version"] is False, confirmed
    review = check(client.get(f"/claims/{flagged['id']}/claimreview"), 200)
    assert "dateModified" not in review["itemReviewed"]["firstAppearance"], review


def test_a_new_review_clears_the_earlier_version_mark(client: FlaskClient) -> None:
    flagged = corrected_figure(client, published_claim(client))

    check(review_claim(client, flagged, "in_review", correction=True), 201)

    reopened = read(client, flagged["id"])
    assert reopened["verdict_concerns_earlier_version"] is False, reopened
    assert reopened["needs_review"] is None, reopened

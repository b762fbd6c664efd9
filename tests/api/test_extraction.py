"""POST /articles/{id}/extract: candidates, saving them, and never saving one twice."""

from __future__ import annotations

import json
from pathlib import Path

from flask.testing import FlaskClient

from tests.factories import acting_as, check, create_article, create_claim

GOLD_DIR = Path(__file__).resolve().parents[1] / "gold"


def test_extract_returns_anchored_candidates_without_storing_them(client: FlaskClient) -> None:
    article = create_article(client)
    body = article["body"]
    result = check(client.post(f"/articles/{article['id']}/extract"), 200)
    assert result["article_id"] == article["id"] and result["saved"] == 0
    assert len(result["items"]) >= 30, f"too few candidates: {len(result['items'])}"
    for item in result["items"]:
        quote = item["quote"]
        assert body[quote["start"] : quote["end"]] == quote["exact"], item
        assert quote["prefix"] == body[max(0, quote["start"] - 32) : quote["start"]], item
        assert quote["suffix"] == body[quote["end"] : quote["end"] + 32], item
        assert 0 <= item["score"] <= 1 and item["features"], item
        assert (item["outcome"], item["claim_id"]) == ("proposed", None)
        structured = {k for k in ("quantity", "membership", "statement") if item[k] is not None}
        assert structured == ({item["kind"]} & {"quantity", "membership", "statement"}), item
    troops = next(i for i in result["items"] if "130,000" in i["quote"]["exact"])
    assert troops["kind"] == "quantity" and troops["quantity"]["value"] == 130000
    assert check(client.get(f"/articles/{article['id']}/claims"), 200)["items"] == []


def test_save_stores_each_candidate_with_reason_extracted(client: FlaskClient) -> None:
    article = create_article(client)
    url = f"/articles/{article['id']}/extract?save=true"
    result = check(client.post(url, headers=acting_as(client, "extractor-bot")), 200)
    saved = [item for item in result["items"] if item["outcome"] == "saved"]
    assert result["saved"] == len(saved) == len(result["items"])
    claim = check(client.get(f"/claims/{saved[0]['claim_id']}"), 200)
    assert claim["text"] == saved[0]["text"] and claim["kind"] == saved[0]["kind"]
    revision = check(client.get(f"/claims/{claim['id']}/revisions"), 200)["items"][0]
    assert (revision["reason"], revision["actor"]) == ("extracted", "extractor-bot")
    statement = next(item for item in saved if item["kind"] == "statement")
    listed = check(client.get(f"/claims?speaker={statement['statement']['speaker']}"), 200)
    assert statement["claim_id"] in [item["id"] for item in listed["items"]]


def test_extracting_again_never_duplicates_a_claim(client: FlaskClient) -> None:
    article = create_article(client)
    url = f"/articles/{article['id']}/extract?save=true"
    first = check(client.post(url), 200)
    second = check(client.post(url), 200)
    assert second["saved"] == 0
    assert [item["claim_id"] for item in second["items"]] == [
        item["claim_id"] for item in first["items"]
    ]
    assert {item["outcome"] for item in second["items"]} == {"exists"}
    listed = check(client.get(f"/articles/{article['id']}/claims?limit=200"), 200)["items"]
    assert len(listed) == first["saved"]


def test_save_skips_candidates_a_live_claim_of_the_same_kind_covers(client: FlaskClient) -> None:
    article = create_article(client)
    by_hand = create_claim(client, article["id"])  # the 130,000 troops, as a quantity
    result = check(client.post(f"/articles/{article['id']}/extract?save=true"), 200)
    troops = next(i for i in result["items"] if "130,000" in i["quote"]["exact"])
    assert (troops["outcome"], troops["claim_id"]) == ("exists", by_hand["id"])
    assert result["saved"] == len(result["items"]) - 1


def test_a_deleted_claim_does_not_stop_its_span_being_saved_again(client: FlaskClient) -> None:
    article = create_article(client)
    by_hand = create_claim(client, article["id"])
    client.delete(f"/claims/{by_hand['id']}", headers={"If-Match": '"1"'})
    result = check(client.post(f"/articles/{article['id']}/extract?save=true"), 200)
    troops = next(i for i in result["items"] if "130,000" in i["quote"]["exact"])
    assert troops["outcome"] == "saved" and troops["claim_id"] != by_hand["id"]


def test_min_score_leaves_out_less_check_worthy_candidates(client: FlaskClient) -> None:
    article = create_article(client)
    everything = check(client.post(f"/articles/{article['id']}/extract?min_score=0"), 200)
    strict = check(client.post(f"/articles/{article['id']}/extract?min_score=0.8"), 200)
    assert len(strict["items"]) < len(everything["items"])
    assert all(item["score"] >= 0.8 for item in strict["items"])


def test_gold_articles_extract_through_the_api(client: FlaskClient) -> None:
    for path in sorted(GOLD_DIR.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        article = check(client.post("/articles", json=document["article"]), 201)
        result = check(client.post(f"/articles/{article['id']}/extract?save=true"), 200)
        assert result["saved"] >= 0.9 * len(document["claims"]), path.name


def test_extract_errors_are_problems(client: FlaskClient) -> None:
    missing = client.post("/articles/999/extract")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    article = create_article(client, url="https://example.org/no-body", body=None)
    no_body = client.post(f"/articles/{article['id']}/extract")
    assert no_body.status_code == 422, no_body.get_data(as_text=True)
    assert "body" in no_body.get_json()["errors"]
    for query in ("min_score=2", "save=maybe", "limit=3"):
        bad = client.post(f"/articles/{article['id']}/extract?{query}")
        assert bad.status_code == 422, f"?{query} gave {bad.status_code}"


def test_an_article_in_another_language_is_refused_not_guessed(client: FlaskClient) -> None:
    german = create_article(client, url="https://example.org/de", language="de-DE")
    refused = client.post(f"/articles/{german['id']}/extract?save=true")
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    problem = refused.get_json()
    assert problem["type"] == "urn:claims-api:problem:language-not-supported", problem
    assert "language" in problem["errors"] and problem["supported_languages"] == ["en"]
    assert check(client.get(f"/articles/{german['id']}/claims"), 200)["items"] == []
    for english in ("en", "en-GB", "EN-us"):
        article = create_article(client, url=f"https://example.org/{english}", language=english)
        check(client.post(f"/articles/{article['id']}/extract"), 200)
    unknown = create_article(client, url="https://example.org/unknown", language=None)
    check(client.post(f"/articles/{unknown['id']}/extract"), 200)


def test_a_candidate_posted_to_claims_as_given_is_stored(client: FlaskClient) -> None:
    article = create_article(client)
    result = check(client.post(f"/articles/{article['id']}/extract"), 200)
    candidate = result["items"][0]
    created = check(
        client.post("/claims", json={"article_id": article["id"], **candidate["claim"]}), 201
    )
    assert (created["kind"], created["text"]) == (candidate["kind"], candidate["text"])
    assert created["quote"] == candidate["quote"]


def test_without_an_nlp_pipeline_extract_is_503_naming_the_setting(
    client: FlaskClient, no_nlp_pipeline: str
) -> None:
    article = create_article(client)
    for query in ("", "?save=true"):
        refused = client.post(f"/articles/{article['id']}/extract{query}")
        assert refused.status_code == 503, refused.get_data(as_text=True)
        assert refused.mimetype == "application/problem+json"
        problem = refused.get_json()
        assert problem["type"] == "urn:claims-api:problem:extraction-unavailable", problem
        assert problem["detail"] == no_nlp_pipeline and "CLAIMS_NLP_MODEL" in problem["detail"]
        assert (problem["setting"], problem["check"]) == ("CLAIMS_NLP_MODEL", "installed")
    assert check(client.get(f"/articles/{article['id']}/claims"), 200)["items"] == []
    # The rest of the service works, and client errors are still the client's.
    check(client.get(f"/articles/{article['id']}"), 200)
    assert client.post("/articles/999/extract").status_code == 404

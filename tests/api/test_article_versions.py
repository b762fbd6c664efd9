"""Article body versions, and claims' quotes following the body when it is edited.

Each anchor state comes from a real edit of the seed article: a paragraph inserted
before the quote (moved), a typo fixed inside it (fuzzy), the sentence duplicated
(ambiguous), the sentence deleted (orphaned), a figure corrected (fuzzy, flagged with
the old and new numbers). A flag sends the claim to the review queue; it changes no
status, and a reviewer clears it by confirming or re-pointing the quote.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.factories import (
    check,
    client_for,
    create_article,
    create_claim,
    review_claim,
    seed_body,
)

QUOTE = "around 130,000 Russian troops now deployed on the Ukrainian border"
SENTENCE_START = "With around 130,000 Russian troops"


def if_match(version: int) -> dict[str, str]:
    return {"If-Match": f'"{version}"'}


def edit_body(client: FlaskClient, article: dict[str, Any], body: str) -> dict[str, Any]:
    current = check(client.get(f"/articles/{article['id']}"), 200)
    response = client.patch(
        f"/articles/{article['id']}", json={"body": body}, headers=if_match(current["version"])
    )
    return check(response, 200)


def claim_after(client: FlaskClient, claim: dict[str, Any]) -> dict[str, Any]:
    return check(client.get(f"/claims/{claim['id']}"), 200)


def quoted_sentence(body: str) -> str:
    start = body.index(SENTENCE_START)
    return body[start : body.index("\n\n", start)]


def test_a_new_article_keeps_its_body_as_version_1(client: FlaskClient) -> None:
    article = create_article(client)
    assert article["body_version"] == 1
    versions = check(client.get(f"/articles/{article['id']}/versions"), 200)
    assert [(v["number"], v["origin"], v["actor"]) for v in versions] == [(1, "created", "tester")]
    assert versions[0]["body_sha256"] == article["body_sha256"]
    first = check(client.get(f"/articles/{article['id']}/versions/1"), 200)
    assert first["body"] == seed_body()


def test_every_body_edit_is_a_new_version_with_a_word_diff(client: FlaskClient) -> None:
    article = create_article(client)
    edited = edit_body(client, article, seed_body().replace("130,000", "150,000"))
    assert edited["body_version"] == 2
    retitled = client.patch(
        f"/articles/{article['id']}", json={"title": "New"}, headers=if_match(edited["version"])
    )
    assert check(retitled, 200)["body_version"] == 2, "metadata edits make no body version"
    versions = check(client.get(f"/articles/{article['id']}/versions"), 200)
    assert [(v["number"], v["origin"]) for v in versions] == [(1, "created"), (2, "edited")]
    diff = check(client.get(f"/articles/{article['id']}/versions/2/diff"), 200)
    assert diff["against"] == 1
    [change] = diff["changes"]
    assert (change["op"], change["old_text"], change["new_text"]) == ("replace", "130", "150")
    assert seed_body()[change["old_start"] : change["old_end"]] == "130"
    same = check(client.get(f"/articles/{article['id']}/versions/2/diff?against=2"), 200)
    assert same["changes"] == []


def test_unknown_versions_are_404_problems(client: FlaskClient) -> None:
    article = create_article(client)
    for path in ("versions/2", "versions/2/diff", "versions/1/diff?against=9"):
        response = client.get(f"/articles/{article['id']}/{path}")
        assert response.status_code == 404, path
        assert response.mimetype == "application/problem+json"
    assert client.get("/articles/999/versions").status_code == 404


def test_a_paragraph_inserted_before_the_quote_moves_it(client: FlaskClient) -> None:
    article = create_article(client)
    claim = create_claim(client, article["id"])
    inserted = "Editor's note: this story was updated.\n\n"
    body = inserted + seed_body()
    edit_body(client, article, body)
    after = claim_after(client, claim)
    assert after["anchor"] == {
        "state": "moved",
        "version": 2,
        "score": None,
        "previous_exact": None,
    }
    assert after["quote"]["start"] == claim["quote"]["start"] + len(inserted)
    assert body[after["quote"]["start"] : after["quote"]["end"]] == QUOTE
    assert after["needs_review"] is None
    revision = check(client.get(f"/claims/{claim['id']}/revisions/2"), 200)
    assert revision["action"] == "reanchor"
    assert set(revision["changes"]) >= {"anchor", "quote"}


def test_an_edit_elsewhere_leaves_the_quote_anchored(client: FlaskClient) -> None:
    article = create_article(client)
    claim = create_claim(client, article["id"])
    edit_body(client, article, seed_body() + "\n\nA paragraph added at the end.")
    after = claim_after(client, claim)
    assert after["anchor"]["state"] == "anchored"
    assert after["anchor"]["version"] == 2
    assert after["quote"] == claim["quote"]


def test_a_typo_fixed_inside_the_quote_is_fuzzy_and_flagged(client: FlaskClient) -> None:
    article = create_article(client)
    claim = create_claim(client, article["id"])
    body = seed_body().replace("Russian troops now", "Russian troop now")
    edit_body(client, article, body)
    after = claim_after(client, claim)
    assert after["anchor"]["state"] == "fuzzy"
    assert after["anchor"]["version"] == 2
    assert 85 <= after["anchor"]["score"] < 100
    assert after["anchor"]["previous_exact"] == QUOTE
    assert after["quote"]["exact"] == QUOTE.replace("troops", "troop")
    assert body[after["quote"]["start"] : after["quote"]["end"]] == after["quote"]["exact"]
    assert "troop now" in after["needs_review"]["reason"]
    assert after["status"] == claim["status"], "a flag changes no status"


def test_a_corrected_figure_is_flagged_with_the_old_and_new_numbers(client: FlaskClient) -> None:
    article = create_article(client)
    claim = create_claim(client, article["id"])
    edit_body(client, article, seed_body().replace("130,000", "100,000"))
    after = claim_after(client, claim)
    assert after["anchor"]["state"] == "fuzzy"
    assert after["quote"]["exact"] == QUOTE.replace("130,000", "100,000")
    reason = after["needs_review"]["reason"]
    assert "130,000" in reason and "100,000" in reason and "numbers changed" in reason
    assert after["quantity"] == claim["quantity"], "the claim's own value is the reviewer's call"


def test_a_duplicated_sentence_is_ambiguous_and_the_quote_stays(client: FlaskClient) -> None:
    article = create_article(client)
    claim = create_claim(client, article["id"])
    sentence = quoted_sentence(seed_body())
    edit_body(client, article, seed_body().replace(sentence, f"{sentence}\n\n{sentence}"))
    after = claim_after(client, claim)
    assert after["anchor"]["state"] == "ambiguous"
    assert after["anchor"]["version"] == 1, "the quote stays on the version it was taken from"
    assert after["quote"] == claim["quote"]
    assert after["needs_review"] is not None


def test_a_deleted_sentence_orphans_the_quote(client: FlaskClient) -> None:
    article = create_article(client)
    claim = create_claim(client, article["id"])
    edit_body(client, article, seed_body().replace(quoted_sentence(seed_body()), ""))
    after = claim_after(client, claim)
    assert after["anchor"]["state"] == "orphaned"
    assert after["anchor"]["version"] == 1
    assert after["quote"] == claim["quote"]
    old = check(client.get(f"/articles/{article['id']}/versions/1"), 200)["body"]
    assert old[after["quote"]["start"] : after["quote"]["end"]] == QUOTE
    assert "no longer has the quoted words" in after["needs_review"]["reason"]


def test_flagged_claims_wait_in_the_review_queue_whatever_their_status(
    app: Flask, client: FlaskClient
) -> None:
    article = create_article(client)
    claim = create_claim(client, article["id"])
    # Take the claim out of the queue's statuses first: give it a verdict.
    check(review_claim(client, claim, "in_review", actor="reviewer-1"), 201)
    check(review_claim(client, claim_after(client, claim), "verified", actor="reviewer-2"), 201)
    queue = check(client.get("/review-queue"), 200)
    assert claim["id"] not in [item["id"] for item in queue["items"]]
    edit_body(client, article, seed_body().replace("130,000", "100,000"))
    flagged = claim_after(client, claim)
    assert flagged["status"] == "verified"
    queue = check(client.get("/review-queue"), 200)
    assert claim["id"] in [item["id"] for item in queue["items"]]


def test_a_reviewer_confirms_a_fuzzy_anchor_and_clears_the_flag(
    app: Flask, client: FlaskClient
) -> None:
    article = create_article(client)
    claim = create_claim(client, article["id"])
    edit_body(client, article, seed_body().replace("130,000", "100,000"))
    flagged = claim_after(client, claim)
    contributor = client_for(app, "writer", "contributor")
    path = f"/claims/{claim['id']}/anchor"
    place = {"start": flagged["quote"]["start"], "end": flagged["quote"]["end"]}
    assert (
        contributor.put(path, json=place, headers=if_match(flagged["revision"])).status_code == 403
    )
    reviewer = client_for(app, "reviewer-1", "reviewer")
    assert reviewer.put(path, json=place).status_code == 428
    confirmed = check(reviewer.put(path, json=place, headers=if_match(flagged["revision"])), 200)
    assert confirmed["anchor"] == {
        "state": "anchored",
        "version": 2,
        "score": None,
        "previous_exact": None,
    }
    assert confirmed["needs_review"] is None
    assert confirmed["status"] == flagged["status"]
    revision = check(client.get(f"/claims/{claim['id']}/revisions/{confirmed['revision']}"), 200)
    assert (revision["action"], revision["actor"]) == ("anchor", "reviewer-1")


def test_a_reviewer_re_points_an_orphaned_quote_by_its_words(
    app: Flask, client: FlaskClient
) -> None:
    article = create_article(client)
    claim = create_claim(client, article["id"])
    body = seed_body().replace(
        quoted_sentence(seed_body()), "Some 130,000 Russian soldiers are massed at the border."
    )
    edit_body(client, article, body)
    orphan = claim_after(client, claim)
    assert orphan["anchor"]["state"] == "orphaned"
    reviewer = client_for(app, "reviewer-1", "reviewer")
    response = reviewer.put(
        f"/claims/{claim['id']}/anchor",
        json={"exact": "130,000 Russian soldiers are massed at the border"},
        headers=if_match(orphan["revision"]),
    )
    repointed = check(response, 200)
    assert repointed["anchor"]["state"] == "anchored" and repointed["anchor"]["version"] == 2
    assert body[repointed["quote"]["start"] : repointed["quote"]["end"]] == (
        "130,000 Russian soldiers are massed at the border"
    )
    missing = reviewer.put(
        f"/claims/{claim['id']}/anchor",
        json={"exact": "words that are nowhere"},
        headers=if_match(repointed["revision"]),
    )
    assert missing.status_code == 422
    assert "quote.exact" in missing.get_json()["errors"]


def test_a_review_answers_the_flag(app: Flask, client: FlaskClient) -> None:
    article = create_article(client)
    claim = create_claim(client, article["id"])
    edit_body(client, article, seed_body().replace("130,000", "100,000"))
    flagged = claim_after(client, claim)
    reviewer = client_for(app, "reviewer-1", "reviewer")
    check(
        reviewer.post(
            f"/claims/{claim['id']}/reviews",
            json={"status": "in_review"},
            headers=if_match(flagged["revision"]),
        ),
        201,
    )
    assert claim_after(client, claim)["needs_review"] is None


def test_an_import_that_changes_a_body_versions_and_reanchors(client: FlaskClient) -> None:
    article = create_article(client)
    claim = create_claim(client, article["id"])
    document = {
        "article": {
            "url": article["url"],
            "title": article["title"],
            "body": "Editor's note.\n\n" + seed_body(),
        },
        "claims": [],
    }
    response = client.post("/imports", json=document)
    assert response.status_code in (200, 201), response.get_data(as_text=True)[:500]
    versions = check(client.get(f"/articles/{article['id']}/versions"), 200)
    assert [(v["number"], v["origin"]) for v in versions] == [(1, "created"), (2, "imported")]
    assert claim_after(client, claim)["anchor"]["state"] == "moved"


def test_an_imported_article_has_version_1_and_anchored_claims(client: FlaskClient) -> None:
    body = "Officials said 40 ships had arrived. Nothing else happened."
    document = {
        "article": {"url": "https://example.com/a", "title": "A", "body": body},
        "claims": [
            {"text": "40 ships had arrived.", "kind": "other", "quote": {"exact": "40 ships"}}
        ],
    }
    assert client.post("/imports", json=document).status_code in (200, 201)
    article = check(client.get("/articles"), 200)["items"][0]
    assert article["body_version"] == 1
    versions = check(client.get(f"/articles/{article['id']}/versions"), 200)
    assert [(v["number"], v["origin"]) for v in versions] == [(1, "imported")]
    [claim] = check(client.get("/claims"), 200)["items"]
    assert claim["anchor"]["state"] == "anchored" and claim["anchor"]["version"] == 1

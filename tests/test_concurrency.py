"""Concurrent writers: nobody's update is lost, revision numbers stay gapless.

Runs on PostgreSQL (row locks) and on an SQLite file (BEGIN IMMEDIATE + busy timeout),
with real threads sharing the app's connection pool: writers of one claim, reviewers
racing on one verdict, and reviewers taking from the queue at once.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask

from tests.factories import (
    check,
    client_for,
    create_article,
    create_claim,
    review_claim,
    seed_body,
)

WRITERS = 20


def run_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released at the same moment."""
    barrier = threading.Barrier(count)

    def start(index: int) -> Any:
        barrier.wait()
        return work(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(start, range(count)))


def revision_numbers(app: Flask, claim_id: int) -> list[int]:
    page = check(app.test_client().get(f"/claims/{claim_id}/revisions?limit=200"), 200)
    return sorted(item["number"] for item in page["items"])


def test_writers_with_the_same_etag_one_wins_the_rest_get_412(app: Flask) -> None:
    client = client_for(app)
    claim = create_claim(client, create_article(client)["id"])
    writers = [client_for(app, f"writer-{index}", "contributor") for index in range(WRITERS)]

    def patch(index: int) -> int:
        response = writers[index].patch(
            f"/claims/{claim['id']}",
            json={"text": f"Edit by writer {index}."},
            headers={"If-Match": '"1"'},
        )
        return response.status_code

    statuses = Counter(run_together(WRITERS, patch))
    assert statuses == Counter({200: 1, 412: WRITERS - 1}), statuses
    assert revision_numbers(app, claim["id"]) == [1, 2]
    final = check(client.get(f"/claims/{claim['id']}/revisions/2"), 200)
    assert check(client.get(f"/claims/{claim['id']}"), 200)["text"] == final["snapshot"]["text"]


def test_writers_with_fresh_etags_all_land_with_gapless_numbers(app: Flask) -> None:
    client = client_for(app)
    claim = create_claim(client, create_article(client)["id"])
    writers = [client_for(app, f"writer-{index}", "contributor") for index in range(WRITERS)]

    def edit_until_applied(index: int) -> list[int]:
        worker = writers[index]
        seen = []
        while True:
            current = worker.get(f"/claims/{claim['id']}")
            response = worker.patch(
                f"/claims/{claim['id']}",
                json={"text": f"Edit by writer {index}."},
                headers={"If-Match": current.headers["ETag"]},
            )
            seen.append(response.status_code)
            if response.status_code != 412:
                return seen

    outcomes = run_together(WRITERS, edit_until_applied)
    assert all(attempts[-1] == 200 for attempts in outcomes), outcomes
    assert not any(status >= 500 for attempts in outcomes for status in attempts)
    assert revision_numbers(app, claim["id"]) == list(range(1, WRITERS + 2))


def test_unconditional_links_from_many_writers_are_all_kept(app: Flask) -> None:
    client = client_for(app)
    claim = create_claim(client, create_article(client)["id"])
    writers = [client_for(app, f"writer-{index}", "contributor") for index in range(WRITERS)]

    def link(index: int) -> int:
        response = writers[index].post(
            f"/claims/{claim['id']}/sources",
            json={"url": f"https://example.org/evidence/{index}", "stance": "supports"},
        )
        return response.status_code

    assert Counter(run_together(WRITERS, link)) == Counter({201: WRITERS})
    assert revision_numbers(app, claim["id"]) == list(range(1, WRITERS + 2))
    assert len(check(client.get(f"/claims/{claim['id']}"), 200)["sources"]) == WRITERS


def test_writers_citing_the_same_new_source_share_one_source_row(app: Flask) -> None:
    client = client_for(app)
    article = create_article(client)
    claims = [create_claim(client, article["id"], key=f"claim-{index}") for index in range(8)]
    writers = [client_for(app, f"writer-{index}", "contributor") for index in range(len(claims))]

    def link(index: int) -> int:
        response = writers[index].post(
            f"/claims/{claims[index]['id']}/sources",
            json={"url": "https://example.org/shared", "stance": "context"},
        )
        return response.status_code

    assert Counter(run_together(len(claims), link)) == Counter({201: len(claims)})
    sources = check(client.get("/sources?url=https://example.org/shared"), 200)["items"]
    assert len(sources) == 1


def test_a_body_change_racing_a_new_claim_never_leaves_a_quote_pointing_elsewhere(
    app: Flask,
) -> None:
    client = client_for(app)
    exact = "Ukraine has not joined NATO"
    for round_number in range(6):
        article = create_article(client, url=f"https://example.org/race/{round_number}")

        def write(index: int, article_id: int = article["id"]) -> int:
            worker = client_for(app)
            if index == 0:
                response = worker.patch(
                    f"/articles/{article_id}",
                    json={"body": "A different text altogether."},
                    headers={"If-Match": "*"},
                )
            else:
                response = worker.post(
                    "/claims",
                    json={
                        "article_id": article_id,
                        "text": "Ukraine is not in NATO.",
                        "kind": "other",
                        "quote": {"exact": exact},
                    },
                )
            return response.status_code

        statuses = run_together(2, write)
        assert all(status < 500 for status in statuses), statuses
        for claim in check(client.get(f"/articles/{article['id']}/claims"), 200)["items"]:
            # The quote points into the version it names: the new body, or (orphaned
            # by the change) the one it was taken from.
            version = claim["anchor"]["version"]
            body = check(client.get(f"/articles/{article['id']}/versions/{version}"), 200)["body"]
            quote = claim["quote"]
            assert body[quote["start"] : quote["end"]] == quote["exact"], (round_number, statuses)


def test_unconditional_edits_of_one_article_all_apply(app: Flask) -> None:
    client = client_for(app)
    article = create_article(client)

    def retitle(index: int) -> int:
        response = client_for(app).patch(
            f"/articles/{article['id']}",
            json={"title": f"Title {index}"},
            headers={"If-Match": "*"},
        )
        return response.status_code

    assert Counter(run_together(10, retitle)) == Counter({200: 10})
    assert check(client.get(f"/articles/{article['id']}"), 200)["version"] == 11


REVIEWERS = 16


def test_reviewers_with_the_same_etag_one_verdict_lands_the_rest_get_412(app: Flask) -> None:
    client = client_for(app)
    claim = create_claim(client, create_article(client)["id"])
    check(review_claim(client, claim, "in_review"), 201)
    reviewers = [client_for(app, f"reviewer-{index}", "reviewer") for index in range(REVIEWERS)]

    def review(index: int) -> int:
        response = reviewers[index].post(
            f"/claims/{claim['id']}/reviews",
            json={
                "status": "false",
                "rationale": f"Reviewer {index} checked it.",
                "evidence": [{"url": f"https://example.org/proof/{index}", "stance": "refutes"}],
            },
            headers={"If-Match": '"2"'},
        )
        return response.status_code

    statuses = Counter(run_together(REVIEWERS, review))
    assert statuses == Counter({201: 1, 412: REVIEWERS - 1}), statuses
    assert revision_numbers(app, claim["id"]) == [1, 2, 3]
    reviews = check(client.get(f"/claims/{claim['id']}/reviews"), 200)["items"]
    assert [item["to_status"] for item in reviews] == ["false", "in_review"]
    winner = reviews[0]
    after = check(client.get(f"/claims/{claim['id']}"), 200)
    assert after["status"] == "false"
    assert [source["url"] for source in after["sources"]] == [winner["evidence"][0]["url"]]
    stored = [item["url"] for item in check(client.get("/sources?limit=200"), 200)["items"]]
    assert stored == [winner["evidence"][0]["url"]], "a losing reviewer's evidence was stored"


def test_reviewers_taking_from_the_queue_never_get_the_same_claim(app: Flask) -> None:
    client = client_for(app)
    article = create_article(client)
    claims = [
        create_claim(client, article["id"], key=f"q{index}") for index in range(REVIEWERS + 4)
    ]
    reviewers = [client_for(app, f"reviewer-{index}", "reviewer") for index in range(REVIEWERS)]

    def take(index: int) -> tuple[int, int | None]:
        response = reviewers[index].post("/review-queue/claims", json={})
        return response.status_code, (response.get_json() or {}).get("claim_id")

    outcomes = run_together(REVIEWERS, take)
    assert Counter(status for status, _ in outcomes) == Counter({201: REVIEWERS}), outcomes
    taken = [claim_id for _, claim_id in outcomes]
    assert len(set(taken)) == REVIEWERS, f"a claim was assigned twice: {sorted(taken)}"
    assert set(taken) == {claim["id"] for claim in claims[:REVIEWERS]}
    left = [item["id"] for item in check(app.test_client().get("/review-queue"), 200)["items"]]
    assert left == [claim["id"] for claim in claims[REVIEWERS:]]


def test_reviewers_asking_for_the_same_claim_only_one_gets_it(app: Flask) -> None:
    client = client_for(app)
    claim = create_claim(client, create_article(client)["id"])
    reviewers = [client_for(app, f"reviewer-{index}", "reviewer") for index in range(REVIEWERS)]

    def lease(index: int) -> int:
        return reviewers[index].post(f"/claims/{claim['id']}/assignment", json={}).status_code

    assert Counter(run_together(REVIEWERS, lease)) == Counter({201: 1, 409: REVIEWERS - 1})


def test_body_edits_racing_claim_edits_never_deadlock_nor_misplace_a_quote(app: Flask) -> None:
    """Body edits lock the article then its claims; claim edits take the same order."""
    client = client_for(app)
    article = create_article(client)
    claims = [
        create_claim(client, article["id"], key=f"claim-{index}", text=f"Claim {index}.")
        for index in range(4)
    ]
    bodies = [seed_body(), "Editor's note: updated.\n\n" + seed_body()]
    rounds = 5

    def work(index: int) -> list[int]:
        worker = client_for(app, f"racer-{index}", "contributor")
        statuses = []
        for round_ in range(rounds):
            while True:
                if index % 2 == 0:
                    current = worker.get(f"/articles/{article['id']}")
                    response = worker.patch(
                        f"/articles/{article['id']}",
                        json={"body": bodies[(index + round_) % 2]},
                        headers={"If-Match": current.headers["ETag"]},
                    )
                else:
                    claim_id = claims[(index + round_) % len(claims)]["id"]
                    current = worker.get(f"/claims/{claim_id}")
                    response = worker.patch(
                        f"/claims/{claim_id}",
                        json={
                            "text": f"Edited by {index} in round {round_}.",
                            "quote": {"exact": current.get_json()["quote"]["exact"]},
                        },
                        headers={"If-Match": current.headers["ETag"]},
                    )
                statuses.append(response.status_code)
                if response.status_code != 412:
                    break
        return statuses

    outcomes = [status for statuses in run_together(8, work) for status in statuses]
    assert set(outcomes) <= {200, 412}, Counter(outcomes)
    for claim in claims:
        current = check(client.get(f"/claims/{claim['id']}"), 200)
        version = current["anchor"]["version"]
        body = check(client.get(f"/articles/{article['id']}/versions/{version}"), 200)["body"]
        quote = current["quote"]
        assert body[quote["start"] : quote["end"]] == quote["exact"]
        assert current["anchor"]["state"] in {"anchored", "moved"}
        assert revision_numbers(app, claim["id"]) == list(range(1, current["revision"] + 1))


def test_writers_naming_the_same_new_entities_at_once_share_one_of_each(app: Flask) -> None:
    client = client_for(app)
    article = create_article(client, body=None)
    writers = [client_for(app, f"linker-{index}", "contributor") for index in range(WRITERS)]

    def create(index: int) -> int:
        response = writers[index].post(
            "/claims",
            json={
                "article_id": article["id"],
                "text": f"Claim {index}: Nato and the Acme Alliance met in Kiev.",
                "kind": "other",
                # Both orders, so writers insert the same new entities in both orders.
                "tags": ["Zed Group", "Acme Alliance"] if index % 2 else ["Acme Alliance"],
            },
        )
        return response.status_code

    assert Counter(run_together(WRITERS, create)) == {201: WRITERS}
    for name in ("Acme Alliance", "NATO", "Kyiv"):
        found = check(client.get("/entities", query_string={"q": name}), 200)["items"]
        assert len(found) == 1, f"{name}: {found}"
        claims = check(
            client.get(f"/entities/{found[0]['id']}/claims", query_string={"limit": 200}), 200
        )
        assert len(claims["items"]) == WRITERS, name

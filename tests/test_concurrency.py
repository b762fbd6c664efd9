"""Concurrent writers: nobody's update is lost, revision numbers stay gapless.

Runs on PostgreSQL (row locks) and on an SQLite file (BEGIN IMMEDIATE + busy timeout),
with real threads sharing the app's connection pool.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask

from tests.factories import check, client_for, create_article, create_claim

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

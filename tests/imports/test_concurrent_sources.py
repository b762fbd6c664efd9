"""Two imports citing the same new sources in opposite orders both succeed (no deadlock).

Each writes its own articles, so nothing else serialises them: on PostgreSQL both
insert the shared sources at once, and only taking the unique-index locks in one
order (the sources go in URL order) keeps them from waiting on each other.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.factories import check, client_for
from tests.imports.helpers import post_import, row_counts

SOURCES, ROUNDS, DEADLINE = 300, 4, 120.0
NDJSON = "application/x-ndjson"


def body(writer: str, round_: int, urls: list[str]) -> str:
    """One article per 30 sources, its claim citing them in the order given."""
    lines = []
    for start in range(0, len(urls), 30):
        document = {
            "article": {"url": f"https://{writer}.example.org/{round_}/{start}", "title": "T"},
            "claims": [
                {
                    "key": "c",
                    "text": f"Claim {start}.",
                    "kind": "other",
                    "sources": [
                        {"url": url, "stance": "supports"} for url in urls[start : start + 30]
                    ],
                }
            ],
        }
        lines.append(json.dumps(document))
    return "\n".join(lines) + "\n"


def race(writers: dict[str, FlaskClient], bodies: dict[str, str]) -> dict[str, Any]:
    """Each writer's POST /imports of its body, all started at once; their responses."""
    barrier = threading.Barrier(len(writers))
    answers: dict[str, Any] = {}

    def post(name: str) -> None:
        barrier.wait(DEADLINE)
        answers[name] = post_import(writers[name], bodies[name], NDJSON)

    threads = [threading.Thread(target=post, args=(name,)) for name in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE)
    assert not any(thread.is_alive() for thread in threads), "an import hung"
    assert answers.keys() == writers.keys(), f"a writer failed to answer: {answers}"
    return answers


def test_imports_citing_the_same_new_sources_in_opposite_orders_both_succeed(
    app: Flask, client: FlaskClient
) -> None:
    writers = {"left": client_for(app, "left", "contributor"), "right": client}
    for round_ in range(ROUNDS):
        urls = [f"https://sources.example.org/{round_}/{n:04d}" for n in range(SOURCES)]
        bodies = {"left": body("left", round_, urls), "right": body("right", round_, urls[::-1])}

        answers = race(writers, bodies)

        for name, response in answers.items():
            run = check(response, 201)
            assert run["status"] == "succeeded", (round_, name, run)
        assert row_counts(app)["sources"] == SOURCES * (round_ + 1), "one row per source"

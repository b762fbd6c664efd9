"""What relation decisions and group upkeep cost as a group grows.

    python -m benchmarks.relations [--databases sqlite,postgresql] [--claims 200]

On an SQLite file and on PostgreSQL, through the service's own request handling (the
Flask test client): ``--claims`` claims joined one by one into a chain of confirmed
``same`` relations (each confirmation merges the chain's group with one more claim),
then the middle link withdrawn (the group splits in two: one recursive statement finds
the part) and confirmed again (the two halves merge). Prints the median time and the
statements (SQLAlchemy's count) of a confirmation at the chain's end, of the split and
of the merge, and of reading the group; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

from sqlalchemy import event

from benchmarks.bulk_import import fresh_database
from benchmarks.outbox import admin_client, make_app
from claims_api.extensions import db

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/claims_bench_relations"


def measured(app: Any, call: Callable[[], Any]) -> tuple[float, int, Any]:
    """Milliseconds and statements of one call, and its response."""
    count = [0]

    def counted(*args: Any) -> None:
        count[0] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counted)
    try:
        start = time.perf_counter()
        response = call()
        elapsed = (time.perf_counter() - start) * 1000
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    assert response.status_code < 300, response.get_data(as_text=True)
    return elapsed, count[0], response


def run(url: str, claims: int) -> dict[str, str]:
    app = make_app(url)
    client = admin_client(app, "bench")
    article = client.post(
        "/articles", json={"url": "https://example.org/bench", "title": "Bench", "body": "A claim."}
    ).get_json()
    ids = [
        client.post(
            "/claims",
            json={
                "article_id": article["id"],
                "kind": "other",
                "text": f"Claim {index}.",
                "quote": {"exact": "A claim"},
            },
        ).get_json()["id"]
        for index in range(claims)
    ]

    def confirm(low: int, high: int) -> Callable[[], Any]:
        return lambda: client.post(
            f"/claims/{low}/relations", json={"claim_id": high, "relation": "same"}
        )

    timings = [measured(app, confirm(low, high)) for low, high in pairwise(ids)]
    tail = timings[-10:]
    middle = len(ids) // 2
    relation = timings[middle - 1][2].get_json()
    split = measured(
        app,
        lambda: client.delete(
            f"/claims/{ids[middle - 1]}/relations/{relation['id']}", headers={"If-Match": "*"}
        ),
    )
    merge = measured(app, confirm(ids[middle - 1], ids[middle]))
    group = measured(app, lambda: client.get(f"/claims/{ids[0]}/group"))
    assert len(group[2].get_json()["members"]) == claims
    return {
        "confirm (ms)": f"{statistics.median(t for t, _, _ in tail):.1f}",
        "confirm (statements)": str(tail[-1][1]),
        "split (ms)": f"{split[0]:.1f}",
        "split (statements)": str(split[1]),
        "merge (ms)": f"{merge[0]:.1f}",
        "merge (statements)": str(merge[1]),
        "read group (ms)": f"{group[0]:.1f}",
        "read group (statements)": str(group[1]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--claims", type=int, default=200)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        results = {
            kind: run(
                fresh_database(kind, Path(folder), "relations", args.postgres_url), args.claims
            )
            for kind in args.databases.split(",")
        }
    names = list(next(iter(results.values())))
    print(f"{'group of ' + str(args.claims):<26}" + "".join(f"{kind:>12}" for kind in results))
    for name in names:
        print(f"{name:<26}" + "".join(f"{results[kind][name]:>12}" for kind in results))


if __name__ == "__main__":
    main()

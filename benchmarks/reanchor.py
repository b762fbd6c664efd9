"""Re-anchoring cost: a body edit of an article with N claims against the same edit of
the same article with none, on SQLite and PostgreSQL.

    python -m benchmarks.reanchor [--claims 200] [--rounds 7] [--postgres URL]

Two articles share one body; one carries N claims, each quoting its own sentence.
Each round edits both bodies over HTTP (the Flask test client, so no network noise),
interleaved: a paragraph inserted at the top (every quote moves), then removed again.
Prints the median time of each, their ratio, and the SQL statements each edit sent
(counted at the driver). The target is a ratio of at most 10. Asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from benchmarks.bulk_import import DEFAULT_POSTGRES, fresh_database
from benchmarks.statements import StatementCounter
from claims_api import create_app, migrations
from claims_api.extensions import db
from claims_api.models.vocabulary import Role
from claims_api.services.keys import create_key

NOTE = "Editor's note: this article was updated after publication.\n\n"


def body_of(sentences: int) -> str:
    return "\n\n".join(
        f"Officials in district {index} said {index * 37 + 11} soldiers arrived on day {index}."
        for index in range(sentences)
    )


def client_of(app: Flask) -> FlaskClient:
    with app.app_context():
        _, token = create_key("bench", Role.ADMIN, None, issued_by="bench")
        db.session.commit()
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def new_article(client: FlaskClient, url: str, body: str) -> int:
    response = client.post("/articles", json={"url": url, "title": "Bench", "body": body})
    assert response.status_code == 201, response.get_data(as_text=True)
    return int(response.get_json()["id"])


def edit(client: FlaskClient, article_id: int, body: str) -> float:
    etag = client.get(f"/articles/{article_id}").headers["ETag"]
    started = time.perf_counter()
    response = client.patch(
        f"/articles/{article_id}", json={"body": body}, headers={"If-Match": etag}
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return elapsed


def measure(url: str, claims: int, rounds: int) -> dict[str, Any]:
    app = create_app({"DATABASE_URL": url})
    with app.app_context():
        migrations.upgrade(db.engine)
        statements = StatementCounter(db.engine)
    client = client_of(app)
    body = body_of(claims)
    with_claims = new_article(client, "https://bench.example/with-claims", body)
    without = new_article(client, "https://bench.example/without-claims", body)
    for index in range(claims):
        exact = f"district {index} said {index * 37 + 11} soldiers arrived on day {index}."
        response = client.post(
            "/claims",
            json={
                "article_id": with_claims,
                "text": exact,
                "kind": "other",
                "quote": {"exact": exact},
            },
        )
        assert response.status_code == 201, response.get_data(as_text=True)[:300]
    times: dict[str, list[float]] = {"claims": [], "none": []}
    sent: dict[str, list[int]] = {"claims": [], "none": []}
    for round_ in range(rounds):
        new_body = NOTE + body if round_ % 2 == 0 else body
        order = [("claims", with_claims), ("none", without)]
        for name, article_id in order if round_ % 2 == 0 else order[::-1]:
            before = statements.count
            times[name].append(edit(client, article_id, new_body))
            sent[name].append(statements.count - before)
    with app.app_context():
        db.engine.dispose()
    with_median, without_median = (statistics.median(times[name]) for name in ("claims", "none"))
    return {
        "with": with_median,
        "without": without_median,
        "ratio": with_median / without_median,
        "statements": (statistics.median(sent["claims"]), statistics.median(sent["none"])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for kind in ("sqlite", "postgresql"):
            url = fresh_database(kind, Path(folder), "reanchor", args.postgres)
            result = measure(url, args.claims, args.rounds)
            print(
                f"{kind:10} {args.claims} claims: {result['with'] * 1000:7.1f} ms, "
                f"none: {result['without'] * 1000:6.1f} ms, ratio {result['ratio']:5.1f} "
                f"(statements {result['statements'][0]:.0f} vs {result['statements'][1]:.0f})"
            )


if __name__ == "__main__":
    main()

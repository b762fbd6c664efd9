"""The change feed: every change's events, in its own transaction, read from any point
and resumed without gaps or duplicates, even when transactions commit out of order."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from claims_api.extensions import db
from claims_api.models import Event
from claims_api.models.base import utcnow
from claims_api.models.vocabulary import EventType
from claims_api.services import events as event_service
from claims_api.services.events import Position
from tests.factories import (
    check,
    client_for,
    create_article,
    create_claim,
    patch_claim,
    review_claim,
    seed_body,
    seed_document,
)


def read_all(client: FlaskClient, limit: int = 200, **params: Any) -> list[dict[str, Any]]:
    """The whole feed, page by page, as a consumer resuming with next_cursor reads it."""
    events: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"limit": limit, **params, **({"after": cursor} if cursor else {})}
        page = check(client.get("/events", query_string=query), 200)
        events.extend(page["items"])
        if not page["items"]:
            return events
        cursor = page["next_cursor"]


def types(events: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in events]


def test_a_claims_life_is_told_in_order_with_what_changed(client: FlaskClient) -> None:
    article = create_article(client)
    claim = create_claim(client, article["id"])
    edited = check(patch_claim(client, claim, text="Edited text."), 200)
    check(review_claim(client, edited, "in_review", actor="reviewer-1"), 201)
    events = read_all(client)
    assert types(events) == [
        "article.created",
        "claim.created",
        "claim.updated",
        "claim.status_changed",
        "review.created",
    ]
    created, updated = events[1], events[2]
    assert created["claim_id"] == claim["id"] and created["article_id"] == article["id"]
    assert created["actor"] == "tester"
    assert created["data"]["claim"]["text"] == claim["text"]
    assert updated["data"]["changes"]["text"] == {"old": claim["text"], "new": "Edited text."}
    now_reads = check(client.get(f"/claims/{claim['id']}"), 200)
    assert events[3]["data"]["claim"] == now_reads, "the event carries the claim as it reads"
    assert events[4]["data"]["review"]["to_status"] == "in_review"
    assert events[4]["actor"] == "reviewer-1"
    assert [event["id"] for event in events] == sorted(event["id"] for event in events)


def test_a_body_edit_that_changes_quoted_words_raises_needs_review(client: FlaskClient) -> None:
    article = create_article(client)
    create_claim(client, article["id"])
    current = check(client.get(f"/articles/{article['id']}"), 200)
    check(
        client.patch(
            f"/articles/{article['id']}",
            json={"body": seed_body().replace("130,000", "100,000")},
            headers={"If-Match": f'"{current["version"]}"'},
        ),
        200,
    )
    events = read_all(client)
    assert types(events)[-3:] == ["claim.updated", "claim.needs_review", "article.updated"]
    flagged = events[-2]["data"]
    assert "100,000" in flagged["claim"]["needs_review"]["reason"]
    article_changes = events[-1]["data"]["changes"]
    assert set(article_changes) == {"body_sha256", "body_version"}
    assert "body" not in events[-1]["data"]["article"], "events leave long bodies out"


def test_types_filter_the_feed(client: FlaskClient) -> None:
    article = create_article(client)
    create_claim(client, article["id"])
    assert types(read_all(client, type=["claim.created"])) == ["claim.created"]
    both = read_all(client, type=["claim.created", "article.created"])
    assert Counter(types(both)) == Counter({"claim.created": 1, "article.created": 1})
    response = client.get("/events?type=claim.exploded")
    assert response.status_code == 422


def test_an_import_writes_one_event_per_claim(client: FlaskClient) -> None:
    document = seed_document()
    assert client.post("/imports", json=document).status_code in (200, 201)
    counts = Counter(types(read_all(client)))
    assert counts["claim.created"] == len(document["claims"])
    assert counts["article.created"] == 1


def test_an_import_that_ends_says_so_once_with_its_counts(client: FlaskClient) -> None:
    document = seed_document()
    created = check(client.post("/imports?name=seed.json", json=document), 201)
    failed = client.post("/imports?name=broken.json", json={"article": {}})
    assert failed.status_code == 422
    finished = read_all(client, type="import.finished")
    assert [event["data"]["import"]["id"] for event in finished] == [
        created["id"],
        failed.get_json()["import_id"],
    ]
    succeeded, refused = (event["data"] for event in finished)
    assert succeeded["import"]["status"] == "succeeded"
    assert succeeded["import"]["counts"] == created["counts"]
    assert succeeded["changes"] == {"status": {"old": "running", "new": "succeeded"}}
    assert refused["import"]["status"] == "failed" and refused["import"]["error_count"] >= 1
    assert "errors" not in refused["import"], "the lists stay at GET /imports/{id}"


def test_sources_created_and_changed_are_told_once_each(client: FlaskClient) -> None:
    source = check(client.post("/sources", json={"url": "https://example.org/report"}), 201)
    check(
        client.patch(
            f"/sources/{source['id']}",
            json={"title": "The report"},
            headers={"If-Match": f'"{source["version"]}"'},
        ),
        200,
    )
    article = create_article(client)
    links = [
        {"url": "https://example.org/report", "stance": "supports"},
        {"url": "https://example.org/new-one", "stance": "refutes"},
    ]
    create_claim(client, article["id"], sources=links)
    created, updated = (
        read_all(client, type="source.created"),
        read_all(client, type="source.updated"),
    )
    assert [event["data"]["source"]["url"] for event in created] == [
        "https://example.org/report",
        "https://example.org/new-one",
    ], "a source already known raises no second source.created"
    assert [event["data"]["changes"] for event in updated] == [
        {"title": {"old": None, "new": "The report"}}
    ]
    assert updated[0]["data"]["source"]["version"] == 2
    document = seed_document()
    check(client.post("/imports", json=document), 201)
    cited = {link["url"] for claim in document["claims"] for link in claim.get("sources", [])}
    assert len(read_all(client, type="source.created")) == 2 + len(cited)


def test_resuming_from_any_cursor_skips_and_repeats_nothing(client: FlaskClient) -> None:
    article = create_article(client)
    for index in range(5):
        create_claim(client, article["id"], key=f"k{index}", text=f"Claim {index}.")
    everything = read_all(client)
    assert [event["id"] for event in read_all(client, limit=2)] == [e["id"] for e in everything]
    page = check(client.get("/events?limit=3"), 200)
    rest = read_all(client, after=page["next_cursor"])
    assert [e["id"] for e in page["items"] + rest] == [e["id"] for e in everything]
    # At the end the cursor stays usable: polling with it later returns what came since.
    last = check(client.get("/events", query_string={"after": page["next_cursor"]}), 200)
    cursor = check(client.get("/events", query_string={"after": last["next_cursor"]}), 200)
    assert cursor["items"] == []
    create_claim(client, article["id"], key="later", text="A later claim.")
    later = check(client.get("/events", query_string={"after": cursor["next_cursor"]}), 200)
    assert types(later["items"]) == ["claim.created"]


def test_bad_and_expired_cursors_are_problems(app: Flask, client: FlaskClient) -> None:
    response = client.get("/events?after=not-a-cursor")
    assert response.status_code == 422 and "after" in response.get_json()["errors"]
    old = Position(0, 0, utcnow() - timedelta(days=31)).encode()
    gone = client.get("/events", query_string={"after": old})
    assert gone.status_code == 410
    assert gone.mimetype == "application/problem+json"
    assert "30 days" in gone.get_json()["detail"]


def test_events_older_than_the_retention_are_pruned(app: Flask, client: FlaskClient) -> None:
    create_article(client)
    with app.app_context():
        assert event_service.prune(utcnow() + timedelta(days=29)) == 0
        assert event_service.prune(utcnow() + timedelta(days=31)) == 1
        db.session.commit()
    assert read_all(client) == []


def test_a_transaction_committing_late_is_not_skipped(app: Flask, client: FlaskClient) -> None:
    """Event A is written first and commits last; a reader polling in between must get
    B only after A (PostgreSQL), never B then never A."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite runs one writer at a time: commits cannot interleave")
    with app.app_context():
        early = Session(db.engine)
    early.begin()
    stamp = int(early.scalar(text("SELECT pg_current_xact_id()::text::bigint")) or 0)
    row = event_service.event_row(EventType.ARTICLE_CREATED, {"n": "A"}, "early", utcnow())
    early.execute(insert(Event), [{**row, "txid": stamp}])
    create_article(client)  # event B, committed while A is still open
    seen_before = read_all(client)
    early.commit()
    early.close()
    seen_after = read_all(client)
    assert seen_before == [], "B must wait behind A, which may still commit"
    assert [event["actor"] for event in seen_after] == ["early", "tester"]


def test_a_feed_read_during_concurrent_writes_misses_and_repeats_nothing(app: Flask) -> None:
    client = client_for(app)
    article = create_article(client)
    claims = [
        create_claim(client, article["id"], key=f"k{index}", text=f"Claim {index}.")
        for index in range(8)
    ]
    done = threading.Event()
    read: list[int] = []

    def consume() -> None:
        reader = app.test_client()
        cursor = None
        while True:
            finished = done.is_set()
            query = {"limit": 50, **({"after": cursor} if cursor else {})}
            page = check(reader.get("/events", query_string=query), 200)
            read.extend(event["id"] for event in page["items"])
            cursor = page["next_cursor"]
            if finished and not page["items"]:
                return
            time.sleep(0.01)

    def write(index: int) -> None:
        writer = client_for(app, f"writer-{index}", "contributor")
        claim = claims[index]
        for round_ in range(6):
            current = writer.get(f"/claims/{claim['id']}")
            writer.patch(
                f"/claims/{claim['id']}",
                json={"text": f"Claim {index}, edit {round_}."},
                headers={"If-Match": current.headers["ETag"]},
            )

    reader = threading.Thread(target=consume)
    reader.start()
    writers = [threading.Thread(target=write, args=(index,)) for index in range(8)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    reader.join(timeout=120)
    assert not reader.is_alive()
    every = [event["id"] for event in read_all(client)]
    assert len(read) == len(set(read)), "an event was read twice"
    assert sorted(read) == sorted(every), "an event was skipped"
    assert Counter(types(read_all(client)))["claim.updated"] == 8 * 6

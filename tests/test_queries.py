"""Cost grows with the page, not the table: fixed statement counts and index-only plans."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from claims_api.extensions import db
from tests.factories import check, create_article, create_claim, seed_body


@contextmanager
def recorded_statements(app: Flask) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        statements.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def add_claims(client: FlaskClient, count: int) -> dict[str, Any]:
    article = create_article(client)
    body = seed_body()
    word = "Ukraine"
    offsets = [index for index in range(len(body)) if body.startswith(word, index)]
    for number in range(count):
        start = offsets[number % len(offsets)]
        create_claim(
            client,
            article["id"],
            key=f"claim-{number}",
            quote={"exact": word, "start": start, "end": start + len(word)},
            sources=[
                {"url": f"https://example.org/{number % 7}", "stance": "supports"},
                {"url": "https://example.org/common", "stance": "context"},
            ],
        )
    return article


def test_listing_1_or_200_claims_with_sources_issues_the_same_statements(
    app: Flask, client: FlaskClient
) -> None:
    add_claims(client, 200)
    with recorded_statements(app) as one:
        assert len(check(client.get("/claims?limit=1"), 200)["items"]) == 1
    with recorded_statements(app) as many:
        page = check(client.get("/claims?limit=200"), 200)
    assert len(page["items"]) == 200
    assert all(len(item["sources"]) == 2 for item in page["items"])
    assert len(many) == len(one), [statement for statement, _ in many]


def plan(app: Flask, statement: str, parameters: Any) -> str:
    """The database's plan for ``statement``; PostgreSQL told to avoid sequential scans,
    so a plan still holding one means no index could serve the query."""
    with app.app_context():
        raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if raw.dbapi_connection.__class__.__module__.startswith("psycopg"):
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("EXPLAIN " + statement, parameters)
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
        return "\n".join(row[-1] for row in cursor.fetchall())
    finally:
        raw.rollback()
        raw.close()


def full_scans(plan_text: str) -> list[str]:
    scans = []
    for line in plan_text.splitlines():
        text = line.strip()
        if "Seq Scan" in text or (
            text.startswith("SCAN ") and "USING" not in text and "VIRTUAL TABLE" not in text
        ):
            scans.append(text)
    return scans


LIST_QUERIES = [
    "/claims",
    "/claims?sort=-created_at",
    "/claims?sort=updated_at",
    "/claims?sort=-updated_at",
    "/claims?article_id=1",
    "/claims?kind=statement",
    "/claims?status=unverified",
    "/claims?tag=Russia",
    "/claims?speaker=Wang Yi",
    "/claims?source_id=1",
    "/claims?q=troops",
    "/claims?updated_since=2020-01-01T00:00:00Z",
    "/articles/1/claims",
    "/articles",
    "/articles?publisher=The National Interest",
    "/articles?published_after=2020-01-01T00:00:00Z",
    "/articles?published_before=2030-01-01T00:00:00Z",
    "/articles?q=Ukraine",
    "/sources",
    "/sources?url=https://example.org/common",
    "/sources?publisher=Reuters",
    "/sources?kind=news",
    "/sources/1",
    "/revisions",
    "/revisions?actor=tester",
    "/revisions?since=2020-01-01T00:00:00Z",
    "/revisions?until=2030-01-01T00:00:00Z",
    "/claims/1/revisions",
    "/articles/1",
    "/claims/1/reviews",
    "/review-queue",
    "/review-queue?sort=priority",
    "/review-queue?tag=Russia",
    "/review-queue?kind=quantity",
    "/review-queue?article_id=1",
    "/keys",
]


@pytest.mark.parametrize("url", LIST_QUERIES)
def test_every_list_and_filter_is_served_by_an_index(
    app: Flask, client: FlaskClient, url: str
) -> None:
    add_claims(client, 3)
    with recorded_statements(app) as statements:
        check(client.get(url), 200)
    selects = [(s, p) for s, p in statements if s.lstrip().upper().startswith("SELECT")]
    assert selects, "the request ran no query"
    for statement, parameters in selects:
        scans = full_scans(plan(app, statement, parameters))
        assert not scans, f"{url} scans a whole table: {scans}\n{statement}"


def test_cursor_pages_cost_the_same_as_the_first(app: Flask, client: FlaskClient) -> None:
    add_claims(client, 30)
    first = check(client.get("/claims?limit=10"), 200)
    with recorded_statements(app) as statements:
        check(client.get(f"/claims?limit=10&cursor={first['next_cursor']}"), 200)
    main_query = statements[0][0]
    assert "OFFSET" not in main_query.upper()
    assert not full_scans(plan(app, *statements[0]))

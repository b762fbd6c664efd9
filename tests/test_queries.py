"""Cost grows with the page, not the table: fixed statement counts and index-only plans."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, text, update

from benchmarks.statements import StatementCounter
from claims_api.extensions import db
from claims_api.models import Article, Claim
from claims_api.models.base import utcnow
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


def add_claims(
    client: FlaskClient, count: int, article: dict[str, Any] | None = None, first: int = 0
) -> dict[str, Any]:
    article = article or create_article(client)
    body = seed_body()
    word = "Ukraine"
    offsets = [index for index in range(len(body)) if body.startswith(word, index)]
    for number in range(first, first + count):
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


def full_scans(plan_text: str, statement: str = "") -> list[str]:
    """The plan's steps that read a whole table. SQLite shows a walk of a table in rowid
    order as SCAN too: one that serves the statement's ORDER BY id and LIMIT (nothing
    sorted after it) stops when the page is full, as a walk of any other index does."""
    ordered = " ORDER BY " in statement and "LIMIT" in statement and "TEMP B-TREE" not in plan_text
    scans = []
    for line in plan_text.splitlines():
        text = line.strip()
        table = text.removeprefix("SCAN ")
        if ordered and table != text and f"ORDER BY {table}.id " in statement:
            continue
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
    "/claims?matches_verdict=true",
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
    "/claims/1/matches",
    "/articles/1",
    "/claims/1/reviews",
    "/claims/1/relations",
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
        scans = full_scans(plan(app, statement, parameters), statement)
        assert not scans, f"{url} scans a whole table: {scans}\n{statement}"


def test_cursor_pages_cost_the_same_as_the_first(app: Flask, client: FlaskClient) -> None:
    add_claims(client, 30)
    first = check(client.get("/claims?limit=10"), 200)
    with recorded_statements(app) as statements:
        check(client.get(f"/claims?limit=10&cursor={first['next_cursor']}"), 200)
    main_query = statements[0][0]
    assert "OFFSET" not in main_query.upper()
    assert not full_scans(plan(app, *statements[0]), statements[0][0])


# Filters whose matches are collected and sorted cost what the table holds; read off an
# index that holds them in the page's order, they cost what the page holds. SQLite's
# first step of each page: the index the page is read off (the tag Rare names an entity,
# as every tag does once written).
WALKED_FILTERS = {
    "/claims?tag=Rare": "ix_claim_entities_entity_id_role_claim_id (entity_id=? AND role=?",
    "/claims?q=Kaliningrad": "SCAN claims_fts VIRTUAL TABLE",
    "/claims?tag=Rare&q=Kaliningrad": "SCAN claims_fts VIRTUAL TABLE",
    "/claims?tag=Rare&q=Kaliningrad&status=unverified": "SCAN claims_fts VIRTUAL TABLE",
    "/claims?tag=Rare&status=unverified": "ix_claim_entities_entity_id_role_claim_id",
    "/claims?source_id=1": "ix_claim_sources_source_id_claim_id (source_id=?",
    "/claims?status=unverified": "ix_claims_status_id (status=?",
    "/claims?kind=statement": "ix_claims_kind_id (kind=?",
    "/claims?speaker=Wang Yi": "ix_claims_speaker_id (speaker=?",
    "/articles/1/claims?tag=Rare": "ix_claims_article_id_id (article_id=?",
    "/articles/1/claims?tag=Rare&sort=-created_at": "ix_claims_article_id_created_at_id",
    "/entities/1/claims?role=mentioned": "ix_claim_entities_entity_id_role_claim_id",
    "/review-queue?tag=Rare": "ix_claims_status_created_at_id (status=?",
}


def page_query(statements: list[tuple[str, Any]]) -> tuple[str, Any]:
    """The statement that selects a page's claims."""
    return next(
        (statement, parameters)
        for statement, parameters in statements
        if statement.lstrip().startswith("SELECT claims.id")
    )


@pytest.mark.parametrize("url", WALKED_FILTERS)
def test_filters_read_their_page_off_their_own_index_and_sort_nothing(
    app: Flask, client: FlaskClient, dialect: str, url: str
) -> None:
    add_filtered_claims(client, sources=True)
    joiner = "&" if "?" in url else "?"
    first = check(client.get(f"{url}{joiner}limit=1"), 200)
    assert first["next_cursor"], f"{url} has one page only: nothing to page through"
    cursor = first["next_cursor"]
    for page_url in (f"{url}{joiner}limit=1", f"{url}{joiner}limit=1&cursor={cursor}"):
        with recorded_statements(app) as statements:
            check(client.get(page_url), 200)
        statement, parameters = page_query(statements)
        steps = plan(app, statement, parameters)
        assert not full_scans(steps, statement), f"{page_url}:\n{steps}"
        if dialect == "sqlite":
            assert WALKED_FILTERS[url] in steps.splitlines()[0], f"{page_url}:\n{steps}"
            assert "TEMP B-TREE" not in steps, f"{page_url} sorts its matches:\n{steps}"
        elif "tag=" in url or "q=" in url:
            # Planned for the value itself (no generic plan that walks the whole index
            # for a rare one): the value (or the tag's entity) is in the statement, not
            # a parameter.
            written = ("'Rare'", "Kaliningrad%", "claim_entities.entity_id = ")
            assert any(value in statement for value in written), statement
            assert "entity_id = %(" not in statement, statement
        walked_link = re.search(r"FROM (claim_entities|claim_sources) JOIN claims", statement)
        if dialect == "postgresql" and walked_link and "cursor=" in page_url:
            # The claims' own key bounded too: PostgreSQL carries no range across a
            # join, and a merge join would read the claims from the table's start.
            assert re.search(r"claims\.id > %\(", statement), statement


@pytest.mark.parametrize("url", ["/review-queue?sort=created_at", "/claims?sort=created_at"])
def test_claims_sharing_a_creation_time_page_through_once_each_by_seeks(
    app: Flask, client: FlaskClient, dialect: str, url: str
) -> None:
    """A bulk import's claims share one created_at. Paging them by creation gives each
    once, in id order, and a page after a cursor among them seeks to it: on SQLite,
    the ties after its id, then the later times, rather than a walk through every
    tied claim before it."""
    ids = [claim["id"] for claim in add_filtered_claims(client)]
    with app.app_context():
        db.session.execute(update(Claim).values(created_at=utcnow()))
        db.session.commit()

    assert every_page(client, url) == ids

    first = check(client.get(f"{url}&limit=2"), 200)
    with recorded_statements(app) as statements:
        check(client.get(f"{url}&limit=2&cursor={first['next_cursor']}"), 200)
    pages = [(s, p) for s, p in statements if s.lstrip().startswith("SELECT claims.id")]
    plans = [plan(app, statement, parameters) for statement, parameters in pages]
    for steps, (statement, _) in zip(plans, pages, strict=True):
        assert not full_scans(steps, statement), f"{url}:\n{steps}"
    if dialect == "sqlite":
        assert any("created_at=? AND id>?" in steps for steps in plans), plans


def add_filtered_claims(client: FlaskClient, *, sources: bool = False) -> list[dict[str, Any]]:
    """Claims of which every third is tagged Rare and every second says Kaliningrad;
    with ``sources``, each cites source 1, and every other one is a statement of Wang Yi."""
    article = create_article(client)
    claims = []
    for number in range(12):
        tags = ["Russia", "Rare"] if number % 3 == 0 else ["Russia"]
        text = f"Claim {number}" + (" about Kaliningrad." if number % 2 == 0 else ".")
        extra: dict[str, Any] = {}
        if sources:
            extra["sources"] = [{"url": "https://example.org/common", "stance": "supports"}]
            if number % 2:
                extra.update(kind="statement", quantity=None, statement={"speaker": "Wang Yi"})
        claims.append(
            create_claim(client, article["id"], key=f"c{number}", text=text, tags=tags, **extra)
        )
    return claims


def every_page(client: FlaskClient, url: str, limit: int = 2) -> list[int]:
    """The ids of every page of ``url``, ``limit`` at a time, following the cursors."""
    ids: list[int] = []
    page = check(client.get(f"{url}&limit={limit}"), 200)
    ids.extend(item["id"] for item in page["items"])
    while page["next_cursor"]:
        page = check(client.get(f"{url}&limit={limit}&cursor={page['next_cursor']}"), 200)
        ids.extend(item["id"] for item in page["items"])
    return ids


@pytest.mark.parametrize(
    "sort", ["id", "-id", "created_at", "-created_at", "updated_at", "-updated_at"]
)
def test_tag_and_text_filters_page_through_exactly_their_claims_in_order(
    client: FlaskClient, sort: str
) -> None:
    claims = add_filtered_claims(client)
    check(
        client.patch(
            "/claims/1",
            json={"text": "Claim 0, edited, about Kaliningrad."},
            headers={"If-Match": '"1"'},
        ),
        200,
    )
    everything = every_page(client, f"/claims?sort={sort}")
    rare = {claim["id"] for number, claim in enumerate(claims) if number % 3 == 0}
    kaliningrad = {claim["id"] for number, claim in enumerate(claims) if number % 2 == 0}

    assert every_page(client, f"/claims?sort={sort}&tag=Rare") == [
        claim_id for claim_id in everything if claim_id in rare
    ]
    assert every_page(client, f"/claims?sort={sort}&q=kaliningrad") == [
        claim_id for claim_id in everything if claim_id in kaliningrad
    ]
    assert every_page(client, f"/claims?sort={sort}&tag=Rare&q=Kaliningrad&status=unverified") == [
        claim_id for claim_id in everything if claim_id in rare & kaliningrad
    ]


def test_the_review_queue_filtered_by_tag_pages_through_its_claims(client: FlaskClient) -> None:
    claims = add_filtered_claims(client)
    rare = [claim["id"] for number, claim in enumerate(claims) if number % 3 == 0]

    assert every_page(client, "/review-queue?tag=Rare") == rare


@pytest.mark.parametrize("q", ["O'Brien", "100%", "a_b", "back\\slash", "%(x)s", "{0}", "'; --"])
def test_a_searched_term_written_into_the_statement_is_only_ever_a_term(
    client: FlaskClient, q: str
) -> None:
    article = create_article(client)
    said = create_claim(client, article["id"], key="said", text=f"He said {q} twice.")
    create_claim(client, article["id"], key="other", text="Nothing of the kind.")

    page = check(client.get("/claims", query_string={"q": q, "tag": "Russia"}), 200)

    assert [item["id"] for item in page["items"]] == [said["id"]]


PAGED_CLAIM_LISTS = ["/claims", "/articles/1/claims", "/review-queue", "/claims?tag=Russia"]


@pytest.mark.parametrize("url", PAGED_CLAIM_LISTS)
def test_a_claim_page_sends_the_database_as_many_statements_for_1_claim_as_for_200(
    app: Flask, client: FlaskClient, url: str
) -> None:
    """Counted at the driver (benchmarks/statements.py): each link and tag of a claim
    listed must not cost a statement of its own, nor the look-ahead row of a page."""
    add_claims(client, 201)
    counts = {}
    for limit in (1, 200):
        with app.app_context():
            counter = StatementCounter(db.engine)
        try:
            page = check(client.get(f"{url}{'&' if '?' in url else '?'}limit={limit}"), 200)
            counts[limit] = counter.count
        finally:
            counter.stop()
        assert len(page["items"]) == limit and page["next_cursor"]
        assert all(len(item["sources"]) == 2 for item in page["items"])
    assert counts[200] == counts[1], counts


def test_a_cursor_given_out_when_the_default_order_was_created_at_pages_the_id_order(
    client: FlaskClient,
) -> None:
    claims = add_filtered_claims(client)
    former = check(client.get("/claims?sort=created_at&limit=2"), 200)["next_cursor"]

    page = check(client.get(f"/claims?limit=2&cursor={former}"), 200)

    assert [item["id"] for item in page["items"]] == [claim["id"] for claim in claims[2:4]]
    assert check(client.get(f"/claims?sort=updated_at&cursor={former}"), 422)


def encoded_cursor(payload: list[Any]) -> str:
    """A cursor as the service writes them: ``[sort, position, id]``, base64url JSON."""
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def add_searched_articles(client: FlaskClient) -> list[dict[str, Any]]:
    """Six articles, of which every second says Kaliningrad in its title."""
    return [
        create_article(
            client,
            url=f"https://example.org/article-{number}",
            title=f"Article {number}" + (" on Kaliningrad" if number % 2 == 0 else ""),
        )
        for number in range(6)
    ]


def test_an_article_search_reads_its_page_off_the_text_index_and_sorts_nothing(
    app: Flask, client: FlaskClient, dialect: str
) -> None:
    articles = add_searched_articles(client)
    first = check(client.get("/articles?q=Kaliningrad&limit=1"), 200)
    assert [item["id"] for item in first["items"]] == [articles[0]["id"]]
    cursor = first["next_cursor"]
    for url in (
        "/articles?q=Kaliningrad&limit=1",
        f"/articles?q=Kaliningrad&limit=1&cursor={cursor}",
    ):
        with recorded_statements(app) as statements:
            check(client.get(url), 200)
        statement, parameters = next(
            (statement, parameters)
            for statement, parameters in statements
            if statement.lstrip().startswith("SELECT") and "articles" in statement
        )
        steps = plan(app, statement, parameters)
        assert not full_scans(steps, statement), f"{url}:\n{steps}"
        if dialect == "sqlite":
            assert "SCAN articles_fts VIRTUAL TABLE" in steps.splitlines()[0], f"{url}:\n{steps}"
            assert "TEMP B-TREE" not in steps, f"{url} sorts its matches:\n{steps}"
        else:
            assert "Kaliningrad%" in statement, statement


def test_article_search_pages_through_exactly_its_articles_in_id_order(
    client: FlaskClient,
) -> None:
    articles = add_searched_articles(client)
    ids: list[int] = []
    page = check(client.get("/articles?q=kaliningrad&limit=2"), 200)
    ids.extend(item["id"] for item in page["items"])
    while page["next_cursor"]:
        url = f"/articles?q=kaliningrad&limit=2&cursor={page['next_cursor']}"
        page = check(client.get(url), 200)
        ids.extend(item["id"] for item in page["items"])
    assert ids == [article["id"] for article in articles[::2]]


def test_an_article_search_on_postgresql_tests_a_window_of_the_id_order_first(
    app: Flask, client: FlaskClient, dialect: str
) -> None:
    """A word in every body (and no title) fills its page from the next articles in id
    order, sorting nothing, whatever the planner estimates: PostgreSQL keeps no statistics
    on bodies this wide (over 1 kB) and takes any word in them for a rare one (at 5,000
    articles it then collected every match through the trigram index and sorted them)."""
    if dialect != "postgresql":
        pytest.skip("SQLite reads every search off its FTS5 index in id order")
    create_article(client)
    with app.app_context():  # 3,000 copies of it: enough rows for the planner to choose
        columns = [c.name for c in Article.__table__.columns if c.name not in ("id", "url")]
        listed = ", ".join(columns)
        db.session.execute(
            text(
                f"INSERT INTO articles (url, {listed}) SELECT url || '/' || copy, {listed}"
                " FROM articles, generate_series(1, 3000) AS copy"
            )
        )
        db.session.commit()
        db.session.execute(text("ANALYZE articles"))
        db.session.commit()
    with recorded_statements(app) as statements:
        check(client.get("/articles?q=Blinken&limit=2"), 200)
    searches = [(s, p) for s, p in statements if "ILIKE" in s and "articles" in s]
    assert len(searches) == 1, "a full page needs no read past the window"
    statement, parameters = searches[0]
    steps = plan(app, statement, parameters)
    assert not full_scans(steps, statement), steps
    assert "Sort" not in steps, f"the window's matches are sorted:\n{steps}"


def test_an_article_search_pages_past_its_window_to_rare_matches(client: FlaskClient) -> None:
    """With limit=1 the window is 20 articles: matches far apart are found beyond it."""
    articles = [
        create_article(
            client,
            url=f"https://example.org/sparse-{number}",
            title=f"Sparse {number}" + (" on Kaliningrad" if number in (0, 23, 24, 47) else ""),
        )
        for number in range(50)
    ]
    expected = [articles[number]["id"] for number in (0, 23, 24, 47)]
    assert every_page(client, "/articles?q=Kaliningrad", limit=1) == expected
    assert every_page(client, "/articles?q=Kaliningrad", limit=3) == expected
    assert every_page(client, "/articles?q=nowhere-said", limit=1) == []


def test_an_article_cursor_given_out_in_creation_order_pages_the_id_order(
    client: FlaskClient,
) -> None:
    articles = add_searched_articles(client)
    first, second = articles[0], articles[1]
    former = encoded_cursor(["created_at", second["created_at"], second["id"]])

    page = check(client.get(f"/articles?limit=2&cursor={former}"), 200)

    assert first["id"] < second["id"]
    assert [item["id"] for item in page["items"]] == [article["id"] for article in articles[2:4]]


def test_a_match_issues_the_same_statements_whatever_the_claims_it_has(
    app: Flask, client: FlaskClient
) -> None:
    """Candidates come from capped queries (one per word of the claim, at most
    SEARCHED_WORDS), so a table holding more look-alikes costs no more statements."""
    article = add_claims(client, 2)
    with recorded_statements(app) as few:
        check(client.get("/claims/1/matches"), 200)
    add_claims(client, 40, article, first=2)
    with recorded_statements(app) as many:
        check(client.get("/claims/1/matches"), 200)
    assert len(many) == len(few), [statement for statement, _ in many]

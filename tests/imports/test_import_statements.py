"""A bulk import sends a fixed number of statements per batch, however many records it holds,
and at most 5 per 1,000 claims.

Counted at the driver: every statement SQLAlchemy hands the DB-API cursor, each row
of an executemany as one (both drivers run it as a statement per row: psycopg 3
pipelines them, SQLite steps them), and on PostgreSQL every COPY, which goes to
psycopg's own cursor and counts once however many rows it carries. The per-1,000
pin counts below SQLAlchemy altogether (``benchmarks.statements``: libpq's protocol
trace on PostgreSQL; on SQLite the DB-API calls, COMMIT included).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from benchmarks.corpus import article_documents
from benchmarks.statements import StatementCounter
from claims_api.extensions import db
from claims_api.models.vocabulary import Role
from claims_api.services.imports import ImportReport, import_stream
from claims_api.services.imports.bulk import BATCH_CLAIMS
from claims_api.services.revisions import Change
from tests.factories import check, client_for
from tests.imports.helpers import post_import, row_counts

NDJSON = "application/x-ndjson"
SOURCES = "https://sources.example.org"


def records(count: int, tag: str, *, reviewed: bool = False) -> str:
    """``count`` articles of one claim each, citing two new sources, each record followed
    by a source record of a source no claim cites; ``reviewed``: each claim with a public
    review (an admin's load) whose evidence is a third new source."""
    review = {
        "reviewer": "rita",
        "from_status": "in_review",
        "to_status": "verified",
        "created_at": "2026-01-01T00:00:00+00:00",
        "rationale": "Checked.",
        "published_at": "2026-01-01T00:00:00+00:00",
        "public": True,
    }
    lines = []
    for n in range(count):
        claim: dict[str, Any] = {
            "key": "main",
            "text": f"Claim of story {n}.",
            "kind": "other",
            "tags": ["bulk"],
            "sources": [
                {"url": f"{SOURCES}/{tag}/{n}", "stance": "supports"},
                {"url": f"{SOURCES}/{tag}/{n}/b", "stance": "refutes"},
            ],
        }
        if reviewed:
            evidence = [{"url": f"{SOURCES}/{tag}/{n}/evidence", "stance": "supports"}]
            claim |= {"status": "verified", "reviews": [{**review, "evidence": evidence}]}
        article = {"url": f"https://news.example.org/{tag}/{n}", "title": f"Story {n}"}
        lines.append(json.dumps({"article": article, "claims": [claim]}))
        lines.append(json.dumps({"source": {"url": f"{SOURCES}/{tag}/{n}/uncited"}}))
    return "".join(line + "\n" for line in lines)


@contextmanager
def statements_sent(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool):
        words = " ".join(statement.split()[:3])
        sent.extend([f"executemany {words}"] * len(parameters) if many else [words])

    real_copy = psycopg.Cursor.copy

    def copy(self: psycopg.Cursor[Any], statement: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(" ".join(str(statement).split()[:2]))
        return real_copy(self, statement, *args, **kwargs)

    with app.app_context():
        engine = db.engine
    with monkeypatch.context() as patched:
        patched.setattr(psycopg.Cursor, "copy", copy)
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield sent
        finally:
            event.remove(engine, "before_cursor_execute", record)


def imported(client: FlaskClient, body: str) -> dict[str, Any]:
    report = check(post_import(client, body, NDJSON), 201)
    assert report["errors"] == [], report["errors"][:3]
    return report


def test_50_or_500_records_send_the_same_statements(
    app: Flask, client: FlaskClient, dialect: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first request checks the schema's migration once per process: not counted.
    imported(client, records(1, "warm-up"))
    with statements_sent(app, monkeypatch) as few:
        imported(client, records(50, "few"))
    with statements_sent(app, monkeypatch) as many:
        report = imported(client, records(500, "many"))

    assert report["counts"]["sources_created"] == 500, report["counts"]
    assert row_counts(app)["sources"] == 3 * 551, "every cited and uncited source was created"
    assert len(many) == len(few), (
        f"{len(few)} statements for 50 records, {len(many)} for 500: {few} / {many}"
    )
    assert not [text for text in many if text.startswith("executemany")], many
    inserts = [text for text in many if "INSERT INTO sources" in text]
    assert len(inserts) == 2, f"new sources should go in one statement per kind: {inserts}"


def test_an_admins_load_with_reviews_sends_the_same_statements_for_50_or_500(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = client_for(app)
    imported(admin, records(1, "warm-up", reviewed=True))
    with statements_sent(app, monkeypatch) as few:
        imported(admin, records(50, "few", reviewed=True))
    with statements_sent(app, monkeypatch) as many:
        imported(admin, records(500, "many", reviewed=True))

    assert len(many) == len(few), (
        f"{len(few)} statements for 50 records, {len(many)} for 500: {few} / {many}"
    )
    assert not [text for text in many if text.startswith("executemany")], many
    claims = check(admin.get("/claims?limit=200"), 200)["items"]
    assert all(claim["published_review_id"] is not None for claim in claims), [
        claim for claim in claims if claim["published_review_id"] is None
    ][:1]


def test_a_10000_claim_import_sends_at_most_5_statements_per_1000_claims(app: Flask) -> None:
    # The import itself, as benchmarks/bulk_import.py counts it: import_stream and its
    # commit, BEGIN and COMMIT included (a request adds its run record's bookkeeping,
    # a fixed nine or so, whatever its size). The corpus is the benchmark's: 20 claims
    # an article, two source links each, tags and entities; on SQLite its inserts are
    # as many as the variable limit makes them. Two whole batches, so that the first
    # one's entities are not all of it.
    claims = 2 * BATCH_CLAIMS
    body = "".join(json.dumps(document) + "\n" for document in article_documents(claims // 20, 20))
    report = ImportReport("corpus.jsonl")
    with app.app_context():
        counter = StatementCounter(db.engine)
        try:
            import_stream(
                io.BytesIO(body.encode()), "jsonl", report, Change("t", "t"), role=Role.ADMIN
            )
            db.session.commit()
            sent = counter.count
        finally:
            counter.stop()

    assert report.error_count == 0, report.errors[:3]
    assert report.counts["claims_created"] == claims, report.counts
    per_1000 = sent / (claims / 1000)
    assert per_1000 <= 5, f"{sent} statements for {claims} claims: {per_1000:.1f} per 1,000"

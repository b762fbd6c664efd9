"""A bulk import sends a fixed number of statements per batch, however many records it holds.

Counted at the driver: every statement SQLAlchemy hands the DB-API cursor (an
executemany counts once: SQLite runs it in-process), and on PostgreSQL every COPY,
which goes to psycopg's own cursor.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from claims_api.extensions import db
from tests.factories import check
from tests.imports.helpers import post_import, row_counts

NDJSON = "application/x-ndjson"
SOURCES = "https://sources.example.org"


def records(count: int, tag: str) -> str:
    """``count`` articles of one claim each, citing two new sources."""
    return "".join(
        json.dumps(
            {
                "article": {"url": f"https://news.example.org/{tag}/{n}", "title": f"Story {n}"},
                "claims": [
                    {
                        "key": "main",
                        "text": f"Claim of story {n}.",
                        "kind": "other",
                        "tags": ["bulk"],
                        "sources": [
                            {"url": f"https://sources.example.org/{tag}/{n}", "stance": "supports"},
                            {
                                "url": f"https://sources.example.org/{tag}/{n}/b",
                                "stance": "refutes",
                            },
                        ],
                    }
                ],
            }
        )
        + "\n"
        for n in range(count)
    )


@contextmanager
def statements_sent(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool):
        sent.append(("executemany " if many else "") + " ".join(statement.split()[:3]))

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


def test_50_or_500_records_send_the_same_statements(
    app: Flask, client: FlaskClient, dialect: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first request checks the schema's migration once per process: not counted.
    check(post_import(client, records(1, "warm-up"), NDJSON), 201)
    with statements_sent(app, monkeypatch) as few:
        check(post_import(client, records(50, "few"), NDJSON), 201)
    with statements_sent(app, monkeypatch) as many:
        check(post_import(client, records(500, "many"), NDJSON), 201)

    assert row_counts(app)["sources"] == 2 * 551, "every cited source was created"
    assert len(many) == len(few), (
        f"{len(few)} statements for 50 records, {len(many)} for 500: {few} / {many}"
    )
    if dialect == "postgresql":
        # On PostgreSQL an executemany is one statement per row on the wire.
        assert not [text for text in many if text.startswith("executemany")], many
    inserts = [text for text in many if "INSERT INTO sources" in text]
    assert len(inserts) == 1, f"new sources should go in one statement: {inserts}"

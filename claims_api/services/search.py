"""Substring search served by an index on both databases, and filter values planned
for what they are.

PostgreSQL: ILIKE over pg_trgm GIN indexes. SQLite: an FTS5 table with the
trigram tokenizer, kept in step with its table by triggers (see the migration).
Both match case-insensitively and need at least three characters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Integer, String, column, literal, or_, table, text

from claims_api.extensions import db
from claims_api.models import Article, Claim

if TYPE_CHECKING:
    from claims_api.services.claim_reads import IdLink

SEARCHED_COLUMNS: dict[type, tuple[str, ...]] = {
    Claim: ("text", "quote_exact"),
    Article: ("title", "body"),
}


def fts_table(model: type[Claim] | type[Article]) -> str:
    return f"{model.__tablename__}_fts"


def planned(value: str) -> ColumnElement[str]:
    """``value`` for a filter whose cost depends on it (a tag, a searched word), written
    into the statement on PostgreSQL rather than bound.

    With a bound value, PostgreSQL may settle on one generic plan for every value
    (psycopg prepares a statement run 5 times; the server then stops planning for
    each value), and the plan that suits a common value, walking the page's index
    until the page is full, walks all of it for a rare one. A literal is planned for
    itself: a rare value then collects its few rows from its own index. The literal
    is rendered by SQLAlchemy with the dialect's quoting; text that could not be
    stored (NUL) never reaches a filter (schemas/common.py).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        return literal(value, String(), literal_execute=True)
    return literal(value, String())


def planned_id(value: int) -> ColumnElement[int]:
    """A row id for a filter whose cost depends on it (the entity of a tag), written into
    the statement on PostgreSQL, for the reason ``planned`` gives."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    return literal(value, Integer(), literal_execute=postgres)


def contains_text(model: type[Claim] | type[Article], q: str) -> ColumnElement[bool]:
    """A condition: any of the model's searched columns contains ``q``.

    On SQLite a membership test against the FTS5 matches: the list of matching rowids is
    built once, and ``id + 0`` (an expression, not the column) keeps SQLite from
    looking each match up by rowid and sorting them all: it walks the page's keyset
    index in order instead and stops when the page is full. (A correlated EXISTS probe
    of the FTS table per row costs far more than a row: the full-text query runs again.)
    """
    names = SEARCHED_COLUMNS[model]
    if db.session.get_bind().dialect.name == "postgresql":
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = planned(f"%{escaped}%")
        return or_(*(getattr(model, name).ilike(pattern, escape="\\") for name in names))
    name = fts_table(model)
    matching = (
        text(f"SELECT rowid FROM {name} WHERE {name} MATCH :phrase")
        .bindparams(phrase=_phrase(q))
        .columns(column("rowid", Integer))
    )
    return (model.id + 0).in_(matching)


def text_matches(
    model: type[Claim] | type[Article], q: str
) -> tuple[Any, ColumnElement[int], ColumnElement[bool]] | None:
    """On SQLite, the rows containing ``q`` as the FTS table's matches: the table, its
    rowid and the MATCH condition. FTS5 walks them in rowid order from a rowid bound and
    stops at the page's LIMIT, so a page read off it costs what the page holds, however
    many rows match. None on PostgreSQL, where ``contains_text`` is the condition (the
    planner walks the primary key with it for a common term, the trigram index for a
    rare one, which ``planned`` lets it tell)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return None
    name = fts_table(model)
    fts = table(name, column("rowid", Integer), column(name))
    return fts, fts.c.rowid, fts.c[name].op("MATCH")(literal(_phrase(q)))


def text_link(model: type[Claim], q: str) -> IdLink | None:
    """``text_matches`` as a claim filter's link."""
    from claims_api.services.claim_reads import IdLink

    matches = text_matches(model, q)
    if matches is None:
        return None
    fts, rowid, condition = matches
    return IdLink(fts, rowid, (condition,))


def _phrase(q: str) -> str:
    """``q`` as one FTS5 phrase: matched as written, whatever its quotes or operators."""
    return '"' + q.replace('"', '""') + '"'

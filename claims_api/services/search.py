"""Substring search served by an index on both databases.

PostgreSQL: ILIKE over pg_trgm GIN indexes. SQLite: an FTS5 table with the
trigram tokenizer, kept in step with its table by triggers (see the migration).
Both match case-insensitively and need at least three characters.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Integer, column, or_, text

from claims_api.extensions import db
from claims_api.models import Article, Claim

SEARCHED_COLUMNS: dict[type, tuple[str, ...]] = {
    Claim: ("text", "quote_exact"),
    Article: ("title", "body"),
}


def fts_table(model: type[Claim] | type[Article]) -> str:
    return f"{model.__tablename__}_fts"


def contains_text(model: type[Claim] | type[Article], q: str) -> ColumnElement[bool]:
    """A condition: any of the model's searched columns contains ``q``."""
    names = SEARCHED_COLUMNS[model]
    if db.session.get_bind().dialect.name == "postgresql":
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        return or_(*(getattr(model, name).ilike(pattern, escape="\\") for name in names))
    phrase = '"' + q.replace('"', '""') + '"'
    table = fts_table(model)
    matching = (
        text(f"SELECT rowid FROM {table} WHERE {table} MATCH :phrase")
        .bindparams(phrase=phrase)
        .columns(column("rowid", Integer))
    )
    return model.id.in_(matching)

"""Fetched articles: article_aliases (other URLs of an article's document); articles gain
the page's modified date and what the last fetch returned (time, ETag, Last-Modified).

The articles columns are plain ADD/DROP COLUMN: a batch rebuild on SQLite would drop
their FTS triggers.

Revision ID: c7d2e8f4a190
Revises: 7d3f0a6c2e18
Create Date: 2026-12-03 07:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c7d2e8f4a190"
down_revision: str | None = "7d3f0a6c2e18"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
URL = sa.String(2048)


def upgrade() -> None:
    op.create_table(
        "article_aliases",
        sa.Column("url", URL, nullable=False),
        sa.Column(
            "article_id",
            sa.Integer(),
            sa.ForeignKey("articles.id", name="fk_article_aliases_article_id_articles"),
            nullable=False,
        ),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("url", name="pk_article_aliases"),
    )
    op.create_index("ix_article_aliases_article_id", "article_aliases", ["article_id"])
    op.add_column("articles", sa.Column("modified_at", TIMESTAMP))
    op.add_column("articles", sa.Column("fetched_at", TIMESTAMP))
    op.add_column("articles", sa.Column("fetch_etag", sa.String(1000)))
    op.add_column("articles", sa.Column("fetch_last_modified", sa.String(100)))
    op.create_index("ix_articles_fetched_at", "articles", ["fetched_at"])


def downgrade() -> None:
    op.drop_index("ix_articles_fetched_at", table_name="articles")
    for column in ("fetch_last_modified", "fetch_etag", "fetched_at", "modified_at"):
        op.drop_column("articles", column)
    op.drop_index("ix_article_aliases_article_id", table_name="article_aliases")
    op.drop_table("article_aliases")

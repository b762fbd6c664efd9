"""Initial schema: articles, claims, sources, their links and the claims' revisions.

Besides the tables the models describe, text search gets its index here:
pg_trgm GIN indexes on PostgreSQL, FTS5 trigram tables kept in step by
triggers on SQLite.

Revision ID: 9fc59d4db51a
Revises:
Create Date: 2026-11-28 11:00:54
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "9fc59d4db51a"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)

# table -> the columns searched by the `q` filter
SEARCHED = {"articles": ("title", "body"), "claims": ("text", "quote_exact")}


def enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("title", sa.String(1000), nullable=False),
        sa.Column("publisher", sa.String(300)),
        sa.Column("authors", JSON, nullable=False),
        sa.Column("published_at", TIMESTAMP),
        sa.Column("language", sa.String(35)),
        sa.Column("body", sa.Text()),
        sa.Column("body_sha256", sa.String(64)),
        sa.Column("version", sa.Integer(), nullable=False),
        *timestamps(),
        sa.UniqueConstraint("url", name="uq_articles_url"),
    )
    op.create_index("ix_articles_created_at_id", "articles", ["created_at", "id"])
    op.create_index("ix_articles_published_at", "articles", ["published_at"])
    op.create_index("ix_articles_publisher", "articles", ["publisher"])

    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("title", sa.Text()),
        sa.Column("publisher", sa.String(300)),
        sa.Column(
            "kind",
            enum(
                "source_kind",
                "news",
                "official_statement",
                "government_record",
                "dataset",
                "social_post",
                "other",
            ),
            nullable=False,
        ),
        sa.Column("archived_url", sa.String(2048)),
        sa.Column("accessed_at", TIMESTAMP),
        sa.Column("version", sa.Integer(), nullable=False),
        *timestamps(),
        sa.UniqueConstraint("url", name="uq_sources_url"),
    )
    op.create_index("ix_sources_created_at_id", "sources", ["created_at", "id"])
    op.create_index("ix_sources_kind_created_at_id", "sources", ["kind", "created_at", "id"])
    op.create_index(
        "ix_sources_publisher_created_at_id", "sources", ["publisher", "created_at", "id"]
    )

    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "article_id",
            sa.Integer(),
            sa.ForeignKey("articles.id", name="fk_claims_article_id_articles"),
            nullable=False,
        ),
        sa.Column("key", sa.String(200)),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "kind",
            enum("claim_kind", "quantity", "membership", "statement", "event", "other"),
            nullable=False,
        ),
        sa.Column("quote_exact", sa.Text()),
        sa.Column("quote_start", sa.Integer()),
        sa.Column("quote_end", sa.Integer()),
        sa.Column("quote_prefix", sa.Text()),
        sa.Column("quote_suffix", sa.Text()),
        sa.Column("details", JSON),
        sa.Column("speaker", sa.String(300)),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        *timestamps(),
        sa.Column("deleted_at", TIMESTAMP),
        sa.UniqueConstraint("article_id", "key", name="uq_claims_article_id_key"),
    )
    for name, columns in {
        "ix_claims_created_at_id": ["created_at", "id"],
        "ix_claims_updated_at_id": ["updated_at", "id"],
        "ix_claims_article_id_created_at_id": ["article_id", "created_at", "id"],
        "ix_claims_kind_created_at_id": ["kind", "created_at", "id"],
        "ix_claims_status_created_at_id": ["status", "created_at", "id"],
        "ix_claims_speaker_created_at_id": ["speaker", "created_at", "id"],
    }.items():
        op.create_index(name, "claims", columns)

    op.create_table(
        "claim_tags",
        sa.Column(
            "claim_id",
            sa.Integer(),
            sa.ForeignKey("claims.id", name="fk_claim_tags_claim_id_claims"),
            primary_key=True,
        ),
        sa.Column("tag", sa.String(100), primary_key=True),
    )
    op.create_index("ix_claim_tags_tag_claim_id", "claim_tags", ["tag", "claim_id"])

    op.create_table(
        "claim_sources",
        sa.Column(
            "claim_id",
            sa.Integer(),
            sa.ForeignKey("claims.id", name="fk_claim_sources_claim_id_claims"),
            primary_key=True,
        ),
        sa.Column(
            "source_id",
            sa.Integer(),
            sa.ForeignKey("sources.id", name="fk_claim_sources_source_id_sources"),
            primary_key=True,
        ),
        sa.Column("stance", enum("stance", "supports", "refutes", "context"), nullable=False),
        sa.Column("excerpt", sa.Text()),
        sa.Column("note", sa.Text()),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )
    op.create_index(
        "ix_claim_sources_source_id_claim_id", "claim_sources", ["source_id", "claim_id"]
    )

    op.create_table(
        "revisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "claim_id",
            sa.Integer(),
            sa.ForeignKey("claims.id", name="fk_revisions_claim_id_claims"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "action",
            enum("revision_action", "create", "update", "delete", "status", "link", "unlink"),
            nullable=False,
        ),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("changes", JSON, nullable=False),
        sa.Column("snapshot", JSON, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.UniqueConstraint("claim_id", "number", name="uq_revisions_claim_id_number"),
    )
    op.create_index("ix_revisions_created_at_id", "revisions", ["created_at", "id"])
    op.create_index("ix_revisions_actor_created_at_id", "revisions", ["actor", "created_at", "id"])

    if op.get_bind().dialect.name == "postgresql":
        create_trigram_indexes()
    else:
        create_fts_tables()


def create_trigram_indexes() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, columns in SEARCHED.items():
        for column in columns:
            op.create_index(
                f"ix_{table}_{column}_trgm",
                table,
                [column],
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            )


def create_fts_tables() -> None:
    """An external-content FTS5 table per searched table, synced by triggers."""
    for table, columns in SEARCHED.items():
        fts = f"{table}_fts"
        names = ", ".join(columns)
        new_values = ", ".join(f"new.{column}" for column in columns)
        old_values = ", ".join(f"old.{column}" for column in columns)
        op.execute(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{table}', "
            "content_rowid='id', tokenize='trigram')"
        )
        insert = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new_values});"
        delete = (
            f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old_values});"
        )
        op.execute(f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {insert} END")
        op.execute(f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {delete} END")
        op.execute(
            f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {names} ON {table} "
            f"BEGIN {delete} {insert} END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        for table in SEARCHED:
            for event in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER {table}_fts_{event}")
            op.execute(f"DROP TABLE {table}_fts")
    for table in ("revisions", "claim_sources", "claim_tags", "claims", "sources", "articles"):
        op.drop_table(table)

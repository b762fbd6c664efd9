"""Bulk imports: the import record table, and the rating a claim was given elsewhere.

Revision ID: 6f8c545d5f88
Revises: 9fc59d4db51a
Create Date: 2026-11-28 11:22:42
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "6f8c545d5f88"
down_revision: str | None = "9fc59d4db51a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("idempotency_key", sa.String(200)),
        sa.Column("request_sha256", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("source_name", sa.String(300), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("partial", sa.Boolean(), nullable=False),
        sa.Column("counts", JSON, nullable=False),
        sa.Column("errors", JSON, nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP),
        sa.UniqueConstraint("idempotency_key", name="uq_imports_idempotency_key"),
    )
    # A plain ADD/DROP COLUMN, not a batch copy: SQLite's search triggers on
    # claims must survive.
    op.add_column("claims", sa.Column("rating", JSON))


def downgrade() -> None:
    op.drop_column("claims", "rating")
    op.drop_table("imports")

"""Other fact-checkers' ratings move from claims.rating to external_reviews.

claims.rating held a rating given elsewhere (an imported ClaimReview). A claim's
``rating`` is now our published verdict's, derived from the published review, so
the column goes; each rating it held becomes one external review, with the
reviewer, review URL and date it carried. The downgrade puts each claim's
earliest external review back into the column.

A plain ADD/DROP COLUMN, not a batch copy: SQLite's search triggers on claims
must survive (SQLite has DROP COLUMN since 3.35).

Revision ID: 3b7e2f9c1a4d
Revises: 851a1e7a483d
Create Date: 2026-12-03 06:20:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "3b7e2f9c1a4d"
down_revision: str | None = "851a1e7a483d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)
# The rating keys the old column and an external review's rating share.
RATING_KEYS = ("value", "best", "worst", "alternate_name")


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _stored(moment: datetime | None, dialect: str) -> datetime | None:
    # SQLite keeps UTC as naive text, as the models' UTCDateTime does.
    if moment is None or dialect != "sqlite":
        return moment
    return moment.replace(tzinfo=None)


def upgrade() -> None:
    table = op.create_table(
        "external_reviews",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "claim_id",
            sa.Integer(),
            sa.ForeignKey("claims.id", name="fk_external_reviews_claim_id_claims"),
            nullable=False,
        ),
        sa.Column("reviewer", sa.String(300)),
        sa.Column("reviewer_url", sa.String(2048)),
        sa.Column("url", sa.String(2048)),
        sa.Column("published_at", TIMESTAMP),
        sa.Column("rating", JSON),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_external_reviews"),
    )
    op.create_index("ix_external_reviews_claim_id_id", "external_reviews", ["claim_id", "id"])
    bind = op.get_bind()
    claims = sa.table("claims", sa.column("id", sa.Integer()), sa.column("rating", JSON))
    now = _stored(datetime.now(UTC), bind.dialect.name)
    rows = []
    for claim_id, rating in bind.execute(
        sa.select(claims.c.id, claims.c.rating).where(claims.c.rating.isnot(None))
    ):
        if not isinstance(rating, dict):
            continue
        given = {key: rating.get(key) for key in RATING_KEYS}
        rows.append(
            {
                "claim_id": claim_id,
                "reviewer": rating.get("reviewed_by"),
                "reviewer_url": None,
                "url": rating.get("review_url"),
                "published_at": _stored(_moment(rating.get("reviewed_at")), bind.dialect.name),
                "rating": {**given, "name": None},
                "created_at": now,
            }
        )
    if rows:
        op.bulk_insert(table, rows)
    op.drop_column("claims", "rating")


def downgrade() -> None:
    op.add_column("claims", sa.Column("rating", JSON))
    bind = op.get_bind()
    reviews = sa.table(
        "external_reviews",
        sa.column("id", sa.Integer()),
        sa.column("claim_id", sa.Integer()),
        sa.column("reviewer", sa.String()),
        sa.column("url", sa.String()),
        sa.column("published_at", TIMESTAMP),
        sa.column("rating", JSON),
    )
    claims = sa.table("claims", sa.column("id", sa.Integer()), sa.column("rating", JSON))
    seen: set[int] = set()
    for row in bind.execute(sa.select(reviews).order_by(reviews.c.claim_id, reviews.c.id)):
        if row.claim_id in seen:
            continue
        seen.add(row.claim_id)
        rating = dict(row.rating or {})
        published = row.published_at
        if isinstance(published, datetime) and published.tzinfo is None:
            published = published.replace(tzinfo=UTC)
        old = {key: rating.get(key) for key in RATING_KEYS}
        old.update(
            explanation=None,
            review_url=row.url,
            reviewed_by=row.reviewer,
            reviewed_at=published.isoformat() if isinstance(published, datetime) else published,
        )
        bind.execute(claims.update().where(claims.c.id == row.claim_id).values(rating=old))
    op.drop_index("ix_external_reviews_claim_id_id", table_name="external_reviews")
    op.drop_table("external_reviews")

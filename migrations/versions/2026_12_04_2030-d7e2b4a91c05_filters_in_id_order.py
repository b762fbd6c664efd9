"""Filters in id order: claim lists default to id order, each filter read off its index.

A page of claims filtered by article, kind, status or speaker in id order is read off
an index (column, id); one filtered by a tag that names an entity, off the entity's
links in role ``mentioned`` (entity_id, role, claim_id), which replaces
(entity_id, claim_id): it serves everything that one did. The (column, created_at, id)
indexes stay, for the created_at sort and the review queue. The review queue's
flagged claims get partial indexes in its two orders (the planner walked every claim
by created_at to find a page of the few flagged ones).

Revision ID: d7e2b4a91c05
Revises: c3a9e5f71b28
Create Date: 2026-12-04 20:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d7e2b4a91c05"
down_revision: str | None = "c3a9e5f71b28"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLAIM_INDEXES = {
    "ix_claims_article_id_id": ["article_id", "id"],
    "ix_claims_kind_id": ["kind", "id"],
    "ix_claims_status_id": ["status", "id"],
    "ix_claims_speaker_id": ["speaker", "id"],
}
FLAGGED = "needs_review_since IS NOT NULL"
FLAGGED_INDEXES = {
    "ix_claims_flagged_created_at_id": ["created_at", "id"],
    "ix_claims_flagged_review_priority_id": ["review_priority", "id"],
}


def upgrade() -> None:
    for name, columns in CLAIM_INDEXES.items():
        op.create_index(name, "claims", columns)
    for name, columns in FLAGGED_INDEXES.items():
        op.create_index(
            name,
            "claims",
            columns,
            sqlite_where=sa.text(FLAGGED),
            postgresql_where=sa.text(FLAGGED),
        )
    op.create_index(
        "ix_claim_entities_entity_id_role_claim_id",
        "claim_entities",
        ["entity_id", "role", "claim_id"],
    )
    op.drop_index("ix_claim_entities_entity_id_claim_id", table_name="claim_entities")


def downgrade() -> None:
    op.create_index(
        "ix_claim_entities_entity_id_claim_id", "claim_entities", ["entity_id", "claim_id"]
    )
    op.drop_index("ix_claim_entities_entity_id_role_claim_id", table_name="claim_entities")
    for name in [*FLAGGED_INDEXES, *CLAIM_INDEXES]:
        op.drop_index(name, table_name="claims")

"""Propositions: what each claim asserts in normal form, for claim matching.

One row per live claim (claim_id is the key). The table is created empty: the
derivation is the application's (services/propositions.py), which changes, so a
migration does not import it; the worker derives the propositions of claims that
predate the table (pending_matches, revision c3a9e5f71b28). The index on
(subject_key, predicate, time_start) gives matching its structural candidates (its
text candidates come from the existing pg_trgm and FTS5 indexes).

Revision ID: b5d19e0c7a42
Revises: b5d81f3c2a70
Create Date: 2026-12-03 19:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b5d19e0c7a42"
down_revision: str | None = "b5d81f3c2a70"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "propositions",
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("subject_key", sa.String(300)),
        sa.Column("predicate", sa.String(140), nullable=False),
        sa.Column("object_key", sa.String(300)),
        sa.Column("value_low", sa.Double()),
        sa.Column("value_high", sa.Double()),
        sa.Column("unit", sa.String(100)),
        sa.Column("state", sa.String(32)),
        sa.Column("time_start", TIMESTAMP),
        sa.Column("time_end", TIMESTAMP),
        sa.Column("time_source", sa.String(16)),
        sa.Column("polarity", sa.String(16), nullable=False),
        sa.Column("attribution_key", sa.String(300)),
        sa.Column("verdict_claim_id", sa.Integer()),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name="fk_propositions_claim_id_claims"
        ),
        sa.ForeignKeyConstraint(
            ["verdict_claim_id"], ["claims.id"], name="fk_propositions_verdict_claim_id_claims"
        ),
        sa.PrimaryKeyConstraint("claim_id", name="pk_propositions"),
    )
    op.create_index(
        "ix_propositions_subject_key_predicate_time_start",
        "propositions",
        ["subject_key", "predicate", "time_start"],
    )


def downgrade() -> None:
    op.drop_index("ix_propositions_subject_key_predicate_time_start", table_name="propositions")
    op.drop_table("propositions")

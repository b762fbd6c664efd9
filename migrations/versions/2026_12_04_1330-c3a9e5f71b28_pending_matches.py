"""Pending matches: claims whose verdict match the worker has yet to compute.

pending_matches holds the claims a bulk import (or a batch too large to match in its
own transaction) wrote, keyed by claim id, the order the worker's ``matching`` task
takes them in. Every live claim is queued here once: the propositions migration
(b5d19e0c7a42) no longer derives propositions with the application's code, so a
database upgraded in place gets them, and its verdict matches, from the worker
(``claims-api worker --once --tasks matching`` to do it at once). Plain SQL only.

Revision ID: c3a9e5f71b28
Revises: b5d19e0c7a42
Create Date: 2026-12-04 13:30:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "c3a9e5f71b28"
down_revision: str | None = "b5d19e0c7a42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pending_matches",
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("queued_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name="fk_pending_matches_claim_id_claims"
        ),
        sa.PrimaryKeyConstraint("claim_id", name="pk_pending_matches"),
    )
    op.get_bind().execute(
        sa.text(
            "INSERT INTO pending_matches (claim_id, queued_at) "
            "SELECT id, :now FROM claims WHERE deleted_at IS NULL"
        ).bindparams(sa.bindparam("now", datetime.now(UTC), type_=TIMESTAMP))
    )


def downgrade() -> None:
    op.drop_table("pending_matches")

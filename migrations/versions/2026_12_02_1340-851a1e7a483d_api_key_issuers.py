"""API keys record who issued and who revoked them: api_keys gains issued_by and revoked_by.

Both are nullable: keys issued before this revision have no recorded issuer.
Batch mode, so SQLite rebuilds the table when the columns are dropped again
(api_keys has no triggers to lose).

Revision ID: 851a1e7a483d
Revises: c4e1a7d2b9f3
Create Date: 2026-12-02 13:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "851a1e7a483d"
down_revision: str | None = "c4e1a7d2b9f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("issued_by", sa.String(200), nullable=True))
        batch.add_column(sa.Column("revoked_by", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("revoked_by")
        batch.drop_column("issued_by")

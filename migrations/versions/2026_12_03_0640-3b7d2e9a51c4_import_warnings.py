"""Import runs keep their warnings: imports gains warnings and warning_count.

Runs recorded before this revision get none (their count was in ``counts``).
Plain ADD COLUMN with server defaults, so existing rows are filled on both
databases; batch mode, so SQLite rebuilds the table when they are dropped again
(imports has no triggers to lose).

Revision ID: 3b7d2e9a51c4
Revises: 3b7e2f9c1a4d
Create Date: 2026-12-03 06:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "3b7d2e9a51c4"
down_revision: str | None = "3b7e2f9c1a4d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("imports") as batch:
        batch.add_column(sa.Column("warnings", JSON, nullable=False, server_default="[]"))
        batch.add_column(
            sa.Column("warning_count", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("imports") as batch:
        batch.drop_column("warning_count")
        batch.drop_column("warnings")

"""Asynchronous imports: an import run can be the worker's job.

imports gains what a worker needs to run a queued import (its format, the
uploader's role, the spooled upload and its size) and to hold it (the worker's
id, its lease, when it started, how many times it was taken up), and an index
on (status, id) for the queue. Plain ADD COLUMN, all nullable or with server
defaults, so existing runs read as they did; batch mode, so SQLite rebuilds
the table when they are dropped again (imports has no triggers to lose).

Revision ID: e41a9c6b3f27
Revises: a83f5d1c9e62
Create Date: 2026-12-03 15:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e41a9c6b3f27"
down_revision: str | None = "a83f5d1c9e62"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
COLUMNS = (
    "attempts",
    "started_at",
    "lease_until",
    "worker_id",
    "bytes_total",
    "spool_path",
    "role",
    "input_format",
)


def upgrade() -> None:
    with op.batch_alter_table("imports") as batch:
        batch.add_column(sa.Column("input_format", sa.String(20)))
        batch.add_column(sa.Column("role", sa.String(20)))
        batch.add_column(sa.Column("spool_path", sa.String(1000)))
        batch.add_column(sa.Column("bytes_total", sa.BigInteger()))
        batch.add_column(sa.Column("worker_id", sa.String(200)))
        batch.add_column(sa.Column("lease_until", TIMESTAMP))
        batch.add_column(sa.Column("started_at", TIMESTAMP))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_imports_status_id", "imports", ["status", "id"])


def downgrade() -> None:
    op.drop_index("ix_imports_status_id", table_name="imports")
    with op.batch_alter_table("imports") as batch:
        for column in COLUMNS:
            batch.drop_column(column)

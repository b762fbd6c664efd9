from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from claims_api.models.base import Base, utcnow


class ImportRun(Base):
    """One bulk import (over the API or the command line): its outcome, readable later.

    ``errors`` and ``warnings`` keep the first problems of each kind (see
    ``imports.MAX_REPORTED``); ``error_count`` and ``warning_count`` count them all.
    ``idempotency_key`` with ``request_sha256`` lets a client retry a POST
    safely: the same key and body replay this run's result.

    An asynchronous import (``Prefer: respond-async``) is also the worker's job:
    queued with its upload spooled at ``spool_path``, then claimed by a worker
    (``worker_id``) that holds it until ``lease_until`` and renews the lease while
    it runs; a lease that lapses means the worker died, and another takes the job
    up again from the start (see ``services.imports.jobs``).
    """

    __tablename__ = "imports"
    # The worker's queue: claimable jobs by status, oldest first.
    __table_args__ = (Index("ix_imports_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    request_sha256: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(200))
    source_name: Mapped[str] = mapped_column(String(300))
    dry_run: Mapped[bool] = mapped_column(default=False)
    partial: Mapped[bool] = mapped_column(default=False)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    error_count: Mapped[int] = mapped_column(default=0)
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(default=list, server_default="[]")
    warning_count: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # What the worker needs to run a queued import as its uploader asked.
    input_format: Mapped[str | None] = mapped_column(String(20))
    role: Mapped[str | None] = mapped_column(String(20))
    spool_path: Mapped[str | None] = mapped_column(String(1000))
    bytes_total: Mapped[int | None] = mapped_column(BigInteger)
    worker_id: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from claims_api.models.base import Base, utcnow


class ImportRun(Base):
    """One bulk import (over the API or the command line): its outcome, readable later.

    ``errors`` and ``warnings`` keep the first problems of each kind (see
    ``imports.MAX_REPORTED``); ``error_count`` and ``warning_count`` count them all.
    ``idempotency_key`` with ``request_sha256`` lets a client retry a POST
    safely: the same key and body replay this run's result.
    """

    __tablename__ = "imports"

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

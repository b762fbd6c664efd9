from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from claims_api.models.base import Base, utcnow


class Event(Base):
    """One change, as the change feed and webhooks tell it: written in the change's own
    transaction (a transactional outbox), never updated, pruned after the retention.

    ``txid`` orders the feed by visibility on PostgreSQL: the id of the
    writing transaction, so a reader can hold back events of transactions that may
    still commit (see services/events.py). SQLite runs one writer at a time and
    stores 0.
    """

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    txid: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    claim_id: Mapped[int | None]
    article_id: Mapped[int | None]
    # The resource as it now reads, and the fields that changed.
    data: Mapped[dict[str, Any]]

    __table_args__ = (
        Index("ix_events_txid_id", "txid", "id"),
        Index("ix_events_type_txid_id", "type", "txid", "id"),
        Index("ix_events_occurred_at", "occurred_at"),
    )

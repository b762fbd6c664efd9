"""Webhooks: endpoints told of events, and each event's delivery to each of them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from claims_api.limits import MAX_URL_LENGTH
from claims_api.models.base import Base, utcnow
from claims_api.models.vocabulary import DeliveryStatus, enum_column_type


class Webhook(Base):
    """An endpoint that receives events, signed with its secret.

    The secrets are stored encrypted (claims_api/encryption.py). After a rotation the
    previous secret keeps signing beside the new one until ``previous_secret_expires_at``.
    ``cursor_txid`` and ``cursor_event_id`` are the webhook's position in the change
    feed (services/events.py): events after it have not yet been fanned out to it.
    """

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(MAX_URL_LENGTH))
    # Event types it receives; empty: all of them.
    events: Mapped[list[str]]
    description: Mapped[str | None] = mapped_column(Text)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    previous_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None]
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    # Since when every delivery has failed (None: the last one succeeded).
    failing_since: Mapped[datetime | None]
    cursor_txid: Mapped[int] = mapped_column(BigInteger)
    cursor_event_id: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_webhooks_created_at_id", "created_at", "id"),)


class WebhookDelivery(Base):
    """One event on its way to one webhook: attempted until delivered or failed.

    ``claim_id`` is the event's, copied so the due query can hold back a claim's later
    events behind its earlier pending ones without reading the events table.
    ``lease_until`` is set by the process sending it: past it, the process is presumed
    dead and another takes the delivery again.
    """

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    # Deliveries go with their event when the feed's retention prunes it.
    event_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("events.id", ondelete="CASCADE"),
    )
    event_type: Mapped[str] = mapped_column(String(64))
    claim_id: Mapped[int | None]
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_column_type(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_response_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("webhook_id", "event_id"),
        # The due query: pending deliveries by when they are next due.
        Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        # A claim's earlier pending deliveries to the same webhook hold back its later ones.
        Index("ix_webhook_deliveries_webhook_id_claim_id_id", "webhook_id", "claim_id", "id"),
        # A webhook's deliveries, newest first.
        Index("ix_webhook_deliveries_webhook_id_id", "webhook_id", "id"),
    )

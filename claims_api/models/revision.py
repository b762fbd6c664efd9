from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from claims_api.limits import MAX_ACTOR_LENGTH
from claims_api.models.base import Base, utcnow
from claims_api.models.vocabulary import RevisionAction, enum_column_type


class Revision(Base):
    """One entry of a claim's append-only history.

    Written by the service in the same transaction as the change it records and
    never updated or deleted afterwards.
    """

    __tablename__ = "revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"))
    number: Mapped[int]
    action: Mapped[RevisionAction] = mapped_column(
        enum_column_type(RevisionAction, "revision_action")
    )
    actor: Mapped[str] = mapped_column(String(MAX_ACTOR_LENGTH))
    reason: Mapped[str | None] = mapped_column(Text)
    # Field -> {"old": ..., "new": ...} for every field the change touched.
    changes: Mapped[dict[str, Any]]
    # The claim as it read right after the change, source links included.
    snapshot: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("claim_id", "number"),
        Index("ix_revisions_created_at_id", "created_at", "id"),
        Index("ix_revisions_actor_created_at_id", "actor", "created_at", "id"),
    )

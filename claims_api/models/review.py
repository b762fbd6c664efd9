from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from claims_api import workflow
from claims_api.limits import MAX_ACTOR_LENGTH, MAX_RATING_WORDING_LENGTH, MAX_STATUS_LENGTH
from claims_api.models.base import Base, utcnow


class Review(Base):
    """One reviewer's decision on a claim: who, when, from which status to which, and why.

    Written with the claim's new status and its revision in one transaction;
    like revisions, never changed afterwards, except that publishing stamps
    ``published_at`` once.
    """

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"))
    reviewer: Mapped[str] = mapped_column(String(MAX_ACTOR_LENGTH))
    from_status: Mapped[str] = mapped_column(String(MAX_STATUS_LENGTH))
    to_status: Mapped[str] = mapped_column(String(MAX_STATUS_LENGTH))
    rationale: Mapped[str | None] = mapped_column(Text)
    # The reviewer's own wording of the rating, if it differs from the status's.
    rating: Mapped[str | None] = mapped_column(String(MAX_RATING_WORDING_LENGTH))
    # The sources the decision rests on: [{"source_id", "url", "stance", "excerpt"}].
    evidence: Mapped[list[dict[str, Any]]]
    correction: Mapped[bool] = mapped_column(default=False)
    # The claim revision this review wrote.
    revision_number: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_reviews_claim_id_created_at_id", "claim_id", "created_at", "id"),)

    @property
    def verdict_rating(self) -> dict[str, Any] | None:
        """The rating this review gives, as ClaimReview publishes it: the workflow's rating
        of the verdict (``alternate_name`` and scale), named in the reviewer's words if
        given; None for a status that is no verdict."""
        rating = workflow.rating_for(self.to_status)
        if rating is None:
            return None
        numbered = rating.rating_value is not None
        return {
            "alternate_name": rating.alternate_name,
            "name": self.rating or rating.alternate_name,
            "value": rating.rating_value,
            "best": rating.best_rating if numbered else None,
            "worst": rating.worst_rating if numbered else None,
        }


class ClaimAssignment(Base):
    """A reviewer's lease on a claim: others do not get it from the queue until it expires."""

    __tablename__ = "claim_assignments"

    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), primary_key=True)
    reviewer: Mapped[str] = mapped_column(String(MAX_ACTOR_LENGTH))
    leased_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    def is_held_by_another(self, reviewer: str, now: datetime) -> bool:
        return self.reviewer != reviewer and self.expires_at > now

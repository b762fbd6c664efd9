"""Another fact-checker's review of a claim: their rating, kept as they gave it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from claims_api.limits import MAX_URL_LENGTH
from claims_api.models.base import Base, utcnow

# What an external review holds, as the import format names it.
EXTERNAL_REVIEW_FIELDS = ("reviewer", "reviewer_url", "url", "published_at", "rating")


class ExternalReview(Base):
    """A ClaimReview published elsewhere about one of our claims.

    It is their verdict, never ours: it sets no status and no rating of the claim.
    Append-only, like reviews; matched on re-import by ``url``, else by
    (``reviewer``, ``published_at``), so importing a review twice keeps one row.
    """

    __tablename__ = "external_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"))
    reviewer: Mapped[str | None] = mapped_column(String(300))
    reviewer_url: Mapped[str | None] = mapped_column(String(MAX_URL_LENGTH))
    url: Mapped[str | None] = mapped_column(String(MAX_URL_LENGTH))
    published_at: Mapped[datetime | None]
    # schema.org Rating as given: value, best, worst (numbers or text), alternate_name, name.
    rating: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_external_reviews_claim_id_id", "claim_id", "id"),)

    @property
    def natural_key(self) -> tuple[str | None, ...]:
        return natural_key(self.url, self.reviewer, self.published_at)

    def as_document(self) -> dict[str, Any]:
        return external_review_document(
            {name: getattr(self, name) for name in EXTERNAL_REVIEW_FIELDS}
        )


def external_review_document(values: Mapping[str, Any]) -> dict[str, Any]:
    """An external review as the API shows it and the export writes it (the import format)."""
    published = values.get("published_at")
    return {
        **{name: values.get(name) for name in EXTERNAL_REVIEW_FIELDS},
        "published_at": published.isoformat() if published else None,
    }


def natural_key(
    url: str | None, reviewer: str | None, published_at: datetime | None
) -> tuple[str | None, ...]:
    """What makes two external reviews the same one: the review's URL, else who and when."""
    if url:
        return ("url", url)
    return ("reviewer", reviewer, published_at.isoformat() if published_at else None)

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, func, select
from sqlalchemy import text as sql_text  # the class has a column named text
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from claims_api.limits import MAX_KEY_LENGTH, MAX_NAME_LENGTH, MAX_STATUS_LENGTH, MAX_TAG_LENGTH
from claims_api.models.article import Article
from claims_api.models.base import Base, utcnow
from claims_api.models.vocabulary import (
    DEFAULT_STATUS,
    AnchorState,
    ClaimKind,
    Stance,
    StructuredByKind,
    enum_column_type,
)

if TYPE_CHECKING:
    from claims_api.models.external_review import ExternalReview
    from claims_api.models.review import Review
    from claims_api.models.source import Source

DEFAULT_PRIORITY = 3


class QuotedByColumns:
    """The ``quote``, ``anchor`` and ``needs_review`` of a claim-like object, from its
    columns: a Claim, or a claim row the bulk import inserts without the ORM
    (services.revisions.ClaimRow)."""

    if TYPE_CHECKING:
        quote_exact: str | None
        quote_start: int | None
        quote_end: int | None
        quote_prefix: str | None
        quote_suffix: str | None
        anchor_state: AnchorState | str | None
        anchor_version: int | None
        anchor_score: float | None
        anchor_previous_exact: str | None
        needs_review_reason: str | None
        needs_review_since: datetime | None
        published_review_id: int | None

    @property
    def quote(self) -> dict[str, Any] | None:
        if self.quote_exact is None:
            return None
        return {
            "exact": self.quote_exact,
            "start": self.quote_start,
            "end": self.quote_end,
            "prefix": self.quote_prefix,
            "suffix": self.quote_suffix,
        }

    @property
    def anchor(self) -> dict[str, Any] | None:
        if self.anchor_state is None:
            return None
        return {
            "state": self.anchor_state,
            "version": self.anchor_version,
            "score": self.anchor_score,
            "previous_exact": self.anchor_previous_exact,
        }

    @property
    def needs_review(self) -> dict[str, Any] | None:
        if self.needs_review_reason is None:
            return None
        return {"reason": self.needs_review_reason, "since": self.needs_review_since}

    @property
    def verdict_concerns_earlier_version(self) -> bool:
        """Whether the published verdict was given on words the body has changed since: it
        stays public, so marked, until a reviewer confirms the anchor or reviews again
        (either clears the flag, which only a body change sets)."""
        return self.published_review_id is not None and self.needs_review_since is not None


class Claim(StructuredByKind, QuotedByColumns, Base):
    """One checkable factual claim, anchored in its article's words.

    ``revision`` is the number of the claim's latest revision: it is both the
    counter that keeps revision numbers gapless (it is bumped under a row lock)
    and the claim's ETag.
    """

    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"))
    key: Mapped[str | None] = mapped_column(String(MAX_KEY_LENGTH))
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[ClaimKind] = mapped_column(enum_column_type(ClaimKind, "claim_kind"))
    quote_exact: Mapped[str | None] = mapped_column(Text)
    quote_start: Mapped[int | None]
    quote_end: Mapped[int | None]
    quote_prefix: Mapped[str | None] = mapped_column(Text)
    quote_suffix: Mapped[str | None] = mapped_column(Text)
    # Which body version the quote points into, and how it got there when the body changed.
    anchor_state: Mapped[AnchorState | None] = mapped_column(
        enum_column_type(AnchorState, "anchor_state")
    )
    anchor_version: Mapped[int | None]
    anchor_score: Mapped[float | None]
    anchor_previous_exact: Mapped[str | None] = mapped_column(Text)
    # Set when the words a claim quotes changed under it; cleared by a reviewer.
    needs_review_reason: Mapped[str | None] = mapped_column(Text)
    needs_review_since: Mapped[datetime | None]
    # The structured fields of the claim's kind (quantity, membership or statement).
    details: Mapped[dict[str, Any] | None]
    # An indexed copy of details["speaker"] for statements, so the speaker filter
    # does not scan JSON.
    speaker: Mapped[str | None] = mapped_column(String(MAX_NAME_LENGTH))
    status: Mapped[str] = mapped_column(String(MAX_STATUS_LENGTH), default=DEFAULT_STATUS)
    # Review queue order: 1 is the most urgent, 5 the least.
    review_priority: Mapped[int] = mapped_column(
        default=DEFAULT_PRIORITY, server_default=str(DEFAULT_PRIORITY)
    )
    # The review whose verdict is public (ClaimReview export); changed only by publishing.
    # use_alter: reviews refer to claims too, and the cycle is broken here.
    published_review_id: Mapped[int | None] = mapped_column(
        ForeignKey("reviews.id", use_alter=True)
    )
    revision: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]

    article: Mapped[Article] = relationship(back_populates="claims", lazy="raise")
    tags: Mapped[list[ClaimTag]] = relationship(
        cascade="all, delete-orphan", order_by="ClaimTag.tag", lazy="raise"
    )
    source_links: Mapped[list[ClaimSource]] = relationship(
        back_populates="claim",
        cascade="all, delete-orphan",
        order_by="ClaimSource.source_id",
        lazy="raise",
    )
    # post_update: reviews refer to their claim, so this side is written after both rows.
    published_review: Mapped[Review | None] = relationship(
        foreign_keys=[published_review_id], post_update=True, lazy="raise"
    )
    # Other fact-checkers' reviews: theirs, never our status or rating.
    external_reviews: Mapped[list[ExternalReview]] = relationship(
        cascade="all, delete-orphan", order_by="ExternalReview.id", lazy="raise"
    )

    __table_args__ = (
        UniqueConstraint("article_id", "key"),
        Index("ix_claims_created_at_id", "created_at", "id"),
        Index("ix_claims_updated_at_id", "updated_at", "id"),
        Index("ix_claims_article_id_created_at_id", "article_id", "created_at", "id"),
        Index("ix_claims_kind_created_at_id", "kind", "created_at", "id"),
        Index("ix_claims_status_created_at_id", "status", "created_at", "id"),
        Index("ix_claims_status_review_priority_id", "status", "review_priority", "id"),
        Index("ix_claims_speaker_created_at_id", "speaker", "created_at", "id"),
        Index("ix_claims_needs_review_since_id", "needs_review_since", "id"),
        # Each filter in id order, the default order of claim lists: a page is read off
        # the filter's own index and ends when it is full (SQLite's index on a column
        # alone would serve too: it ends with the rowid).
        Index("ix_claims_article_id_id", "article_id", "id"),
        Index("ix_claims_kind_id", "kind", "id"),
        Index("ix_claims_status_id", "status", "id"),
        Index("ix_claims_speaker_id", "speaker", "id"),
        # The review queue's flagged claims (quoted words changed) in each of its
        # orders: few, and read in order only off indexes that hold them alone.
        *(
            Index(
                f"ix_claims_flagged_{column}_id",
                column,
                "id",
                sqlite_where=sql_text("needs_review_since IS NOT NULL"),
                postgresql_where=sql_text("needs_review_since IS NOT NULL"),
            )
            for column in ("created_at", "review_priority")
        ),
        Index(
            "ix_claims_text_trgm",
            "text",
            postgresql_using="gin",
            postgresql_ops={"text": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        Index(
            "ix_claims_quote_exact_trgm",
            "quote_exact",
            postgresql_using="gin",
            postgresql_ops={"quote_exact": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def rating(self) -> dict[str, Any] | None:
        """Our rating: the published verdict's (a verdict reviewed but unpublished has none)."""
        return self.published_review.verdict_rating if self.published_review else None

    @property
    def tag_names(self) -> list[str]:
        return [tag.tag for tag in self.tags]


class ClaimTag(Base):
    """An entity a claim is about (NATO, Ukraine, ...), for filtering."""

    __tablename__ = "claim_tags"

    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(MAX_TAG_LENGTH), primary_key=True)

    __table_args__ = (Index("ix_claim_tags_tag_claim_id", "tag", "claim_id"),)


class ClaimSource(Base):
    """The link between a claim and a source cited as evidence, with its stance."""

    __tablename__ = "claim_sources"

    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), primary_key=True)
    stance: Mapped[Stance] = mapped_column(enum_column_type(Stance, "stance"))
    excerpt: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    claim: Mapped[Claim] = relationship(back_populates="source_links", lazy="raise")
    source: Mapped[Source] = relationship(back_populates="claim_links", lazy="raise")

    __table_args__ = (Index("ix_claim_sources_source_id_claim_id", "source_id", "claim_id"),)


# Defined here, where both tables are known: the live claims quoting an article,
# counted in the same statement that reads the article.
Article.claim_count = column_property(
    select(func.count(Claim.id))
    .where(Claim.article_id == Article.id, Claim.deleted_at.is_(None))
    .correlate_except(Claim)
    .scalar_subquery(),
    deferred=True,
)

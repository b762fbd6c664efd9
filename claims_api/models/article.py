from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from claims_api.limits import (
    MAX_LANGUAGE_LENGTH,
    MAX_NAME_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_URL_LENGTH,
)
from claims_api.models.base import Base, utcnow
from claims_api.models.vocabulary import VersionOrigin, enum_column_type

if TYPE_CHECKING:
    from claims_api.models.claim import Claim


class Article(Base):
    """A news article whose words claims are anchored in.

    ``body`` is optional: a claim reviewed elsewhere may only come with the URL it
    appeared at. Where a body exists, every claim's quote must match it.
    """

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(MAX_URL_LENGTH), unique=True)
    title: Mapped[str] = mapped_column(String(MAX_TITLE_LENGTH))
    publisher: Mapped[str | None] = mapped_column(String(MAX_NAME_LENGTH), index=True)
    authors: Mapped[list[str]] = mapped_column(default=list)
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    language: Mapped[str | None] = mapped_column(String(MAX_LANGUAGE_LENGTH))
    body: Mapped[str | None] = mapped_column(Text)
    body_sha256: Mapped[str | None] = mapped_column(String(64))
    # The number of the body's latest ArticleVersion; None while there is no body.
    body_version: Mapped[int | None]
    # The page's own last-modified date, for an article fetched from its URL.
    modified_at: Mapped[datetime | None]
    # When the page was last downloaded (None: never fetched), and the validators it
    # came with, sent back on refresh so that an unchanged page costs a 304.
    fetched_at: Mapped[datetime | None] = mapped_column(index=True)
    fetch_etag: Mapped[str | None] = mapped_column(String(1000))
    fetch_last_modified: Mapped[str | None] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    claims: Mapped[list[Claim]] = relationship(back_populates="article", lazy="raise")
    aliases: Mapped[list[ArticleAlias]] = relationship(
        lazy="selectin", order_by="ArticleAlias.url", cascade="all, delete-orphan"
    )
    if TYPE_CHECKING:
        # A column_property mapped in models/claim.py, where the claims table is known.
        claim_count: Mapped[int]

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_articles_created_at_id", "created_at", "id"),
        Index(
            "ix_articles_title_trgm",
            "title",
            postgresql_using="gin",
            postgresql_ops={"title": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        Index(
            "ix_articles_body_trgm",
            "body",
            postgresql_using="gin",
            postgresql_ops={"body": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )


class ArticleVersion(Base):
    """One body an article has had, numbered 1, 2, 3... per article.

    Numbered apart from the article's ETag counter, which metadata edits move too;
    claims' quotes name the version they were taken from.
    """

    __tablename__ = "article_versions"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True)
    number: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    body_sha256: Mapped[str] = mapped_column(String(64))
    origin: Mapped[VersionOrigin] = mapped_column(enum_column_type(VersionOrigin, "version_origin"))
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ArticleAlias(Base):
    """Another URL of an article's document: its canonical URL (``rel=canonical``,
    ``og:url``) or where fetching it was redirected. A URL is the article's own or one
    alias, never both and never two articles', so one document has one row."""

    __tablename__ = "article_aliases"

    url: Mapped[str] = mapped_column(String(MAX_URL_LENGTH), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

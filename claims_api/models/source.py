from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from claims_api.limits import MAX_NAME_LENGTH, MAX_URL_LENGTH
from claims_api.models.base import Base, utcnow
from claims_api.models.vocabulary import SourceKind, enum_column_type

if TYPE_CHECKING:
    from claims_api.models.claim import ClaimSource


class Source(Base):
    """A document cited as evidence for or against claims."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(MAX_URL_LENGTH), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    publisher: Mapped[str | None] = mapped_column(String(MAX_NAME_LENGTH))
    kind: Mapped[SourceKind] = mapped_column(
        enum_column_type(SourceKind, "source_kind"), default=SourceKind.OTHER
    )
    archived_url: Mapped[str | None] = mapped_column(String(MAX_URL_LENGTH))
    accessed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    claim_links: Mapped[list[ClaimSource]] = relationship(back_populates="source", lazy="raise")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_sources_created_at_id", "created_at", "id"),
        Index("ix_sources_publisher_created_at_id", "publisher", "created_at", "id"),
        Index("ix_sources_kind_created_at_id", "kind", "created_at", "id"),
    )

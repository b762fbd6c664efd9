from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from claims_api.models.base import Base, utcnow
from claims_api.models.vocabulary import Role, enum_column_type


class ApiKey(Base):
    """A bearer token's record: only its SHA-256 is kept, never the token.

    ``prefix`` is the token's public start: it finds the row (so the hash is
    compared with one candidate, in constant time) and tells keys apart in lists.
    ``name`` is who holds it; it becomes the actor of every revision they write.
    ``issued_by`` and ``revoked_by`` are who issued and revoked it: the acting
    key's name, or ``cli:<OS user>`` for the command line (None for keys issued
    before they were recorded).
    """

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_column_type(Role, "role"))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    token_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    issued_by: Mapped[str | None] = mapped_column(String(200))
    revoked_by: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_api_keys_created_at_id", "created_at", "id"),)

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

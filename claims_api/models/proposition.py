"""What a claim asserts, in normal form: the row claim matching compares.

One row per live claim, derived from its kind and structured fields by
services/propositions.py and rewritten, in the same transaction, by every write
of the claim (a deleted claim has none, so it is never a candidate).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from claims_api.limits import MAX_NAME_LENGTH, MAX_UNIT_LENGTH
from claims_api.models.base import Base, utcnow

MAX_PREDICATE_LENGTH = MAX_UNIT_LENGTH + 40


class Proposition(Base):
    """``subject_key`` ``predicate`` ``object_key`` = value, at a time, affirmed or negated.

    ``predicate`` is ``quantity:<unit>``, ``member_of``, ``said``, ``event:<lemma>`` or
    ``other``. A quantity's value is the range [value_low, value_high] (None: open); a
    membership's ``state`` is its relation (member, not_member, candidate, applicant).
    The time is the claim's as_of, else its article's published_at (``time_source``
    says which), else unknown.
    """

    __tablename__ = "propositions"

    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject_key: Mapped[str | None] = mapped_column(String(MAX_NAME_LENGTH))
    predicate: Mapped[str] = mapped_column(String(MAX_PREDICATE_LENGTH))
    object_key: Mapped[str | None] = mapped_column(String(MAX_NAME_LENGTH))
    value_low: Mapped[float | None]
    value_high: Mapped[float | None]
    unit: Mapped[str | None] = mapped_column(String(MAX_UNIT_LENGTH))
    state: Mapped[str | None] = mapped_column(String(32))
    time_start: Mapped[datetime | None]
    time_end: Mapped[datetime | None]
    time_source: Mapped[str | None] = mapped_column(String(16))
    polarity: Mapped[str] = mapped_column(String(16))
    attribution_key: Mapped[str | None] = mapped_column(String(MAX_NAME_LENGTH))
    # A claim with a published verdict (ours or another fact-checker's) that this one
    # is the same as, contradicts or updates: set by a single write of either claim and
    # by publishing (services/matching.flag_verdict_matches); GET /claims?matches_verdict.
    verdict_claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))

    __table_args__ = (
        # Matching's structural candidates: same subject and predicate, nearest in time.
        Index(
            "ix_propositions_subject_key_predicate_time_start",
            "subject_key",
            "predicate",
            "time_start",
        ),
    )


class PendingMatch(Base):
    """A claim whose verdict match (``Proposition.verdict_claim_id``) is yet to be
    computed: one a bulk import or a large batch wrote, which leave matching to the
    worker's ``matching`` task (services/pending_matches.py). The key is the queue's
    order, so taking a batch is an index range, never a scan."""

    __tablename__ = "pending_matches"

    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), primary_key=True)
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)

"""Relations between claims that reviewers decided, their history, and the groups that
confirmed ``same`` relations form."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from claims_api.limits import MAX_ACTOR_LENGTH
from claims_api.models.base import Base, utcnow
from claims_api.models.vocabulary import RelationKind, RelationState, enum_column_type


class ClaimRelation(Base):
    """A reviewer's decision about how two claims relate, one row per pair.

    The pair is stored once, in canonical order (``claim_low_id < claim_high_id``), so
    that the relation read from either claim is the same row and the unique constraint
    stops a second row for a pair. ``revision`` counts the decisions (its ETag); the
    decisions themselves are the relation's own history (``RelationDecision``), never
    a revision of either claim: deciding never moves a claim's ETag.
    """

    __tablename__ = "claim_relations"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_low_id: Mapped[int] = mapped_column(ForeignKey("claims.id"))
    claim_high_id: Mapped[int] = mapped_column(ForeignKey("claims.id"))
    relation: Mapped[RelationKind] = mapped_column(enum_column_type(RelationKind, "relation_kind"))
    # For ``updates``: the claim that gives the later value (one of the pair).
    newer_claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))
    state: Mapped[RelationState] = mapped_column(enum_column_type(RelationState, "relation_state"))
    revision: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("claim_low_id", "claim_high_id"),
        CheckConstraint("claim_low_id < claim_high_id", name="canonical_pair"),
        Index("ix_claim_relations_claim_low_id_id", "claim_low_id", "id"),
        Index("ix_claim_relations_claim_high_id_id", "claim_high_id", "id"),
    )

    def other_claim_id(self, claim_id: int) -> int:
        return self.claim_high_id if claim_id == self.claim_low_id else self.claim_low_id


class RelationDecision(Base):
    """One decision in a relation's history: who decided what, when, and why."""

    __tablename__ = "relation_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    relation_id: Mapped[int] = mapped_column(ForeignKey("claim_relations.id"))
    decision: Mapped[RelationState] = mapped_column(
        enum_column_type(RelationState, "relation_state")
    )
    relation: Mapped[RelationKind] = mapped_column(enum_column_type(RelationKind, "relation_kind"))
    newer_claim_id: Mapped[int | None]
    actor: Mapped[str] = mapped_column(String(MAX_ACTOR_LENGTH))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_relation_decisions_relation_id_id", "relation_id", "id"),)


class ClaimGroup(Base):
    """The claims that confirmed ``same`` relations connect (a connected component of two
    or more claims), kept in step with every decision in its transaction, so a claim's
    group is an index lookup. ``revision`` moves whenever its members change: the ETag
    a group review is based on."""

    __tablename__ = "claim_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClaimGroupMember(Base):
    """A claim's place in its group: a claim is in one group at most."""

    __tablename__ = "claim_group_members"

    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("claim_groups.id"))

    __table_args__ = (Index("ix_claim_group_members_group_id_claim_id", "group_id", "claim_id"),)

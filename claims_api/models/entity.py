"""Entities claims are about (people, organisations, countries, places, groups), their
aliases, and the claims' links to them, each with the role the entity plays in the claim."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from claims_api.limits import MAX_KEY_LENGTH, MAX_NAME_LENGTH
from claims_api.models.base import Base, utcnow
from claims_api.models.vocabulary import enum_column_type


class EntityKindValue(StrEnum):
    """The resolver's ``EntityKind`` as a column type (a test keeps the two equal)."""

    PERSON = "person"
    ORGANIZATION = "organization"
    COUNTRY = "country"
    PLACE = "place"
    GROUP = "group"
    OTHER = "other"


class EntityRole(StrEnum):
    """What an entity is to a claim: derived from the claim's kind and structured fields."""

    SUBJECT = "subject"  # a quantity's subject
    SPEAKER = "speaker"  # a statement's speaker
    MEMBER = "member"  # a membership's member
    ORGANIZATION = "organization"  # a membership's organisation
    LOCATION = "location"  # a quantity's location
    MENTIONED = "mentioned"  # a tag, or a name in the claim's text


class Entity(Base):
    """One entity. ``key`` is the resolver's (a Wikidata id, a slug such as ``org:csto``)
    for a reference entity, else ``name:`` and the normalised name it was first used by."""

    __tablename__ = "entities"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME_LENGTH))
    kind: Mapped[EntityKindValue] = mapped_column(enum_column_type(EntityKindValue, "entity_kind"))
    wikidata_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EntityAlias(Base):
    """A name an entity goes by, and its normalised form (``claims_api.entities.normalise``),
    which names one entity only: the lookup of every name, tag and ``q``."""

    __tablename__ = "entity_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"))
    alias: Mapped[str] = mapped_column(String(MAX_NAME_LENGTH))
    normalised: Mapped[str] = mapped_column(String(MAX_NAME_LENGTH), unique=True)

    __table_args__ = (Index("ix_entity_aliases_entity_id_normalised", "entity_id", "normalised"),)


class ClaimEntity(Base):
    """A claim's link to an entity, in one role."""

    __tablename__ = "claim_entities"

    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), primary_key=True)
    role: Mapped[EntityRole] = mapped_column(
        enum_column_type(EntityRole, "entity_role"), primary_key=True
    )

    # An entity's claims in one role in id order: a tag filter reads its page off it.
    __table_args__ = (
        Index("ix_claim_entities_entity_id_role_claim_id", "entity_id", "role", "claim_id"),
    )

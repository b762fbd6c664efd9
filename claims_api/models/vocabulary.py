"""The closed vocabularies the data model uses, shared by models, schemas and services."""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa


class ClaimKind(StrEnum):
    QUANTITY = "quantity"
    MEMBERSHIP = "membership"
    STATEMENT = "statement"
    EVENT = "event"
    OTHER = "other"


# The kinds that carry a structured object of their own, named after the kind.
STRUCTURED_KINDS = (ClaimKind.QUANTITY, ClaimKind.MEMBERSHIP, ClaimKind.STATEMENT)


class MembershipRelation(StrEnum):
    MEMBER = "member"
    NOT_MEMBER = "not_member"
    CANDIDATE = "candidate"
    APPLICANT = "applicant"


class SourceKind(StrEnum):
    NEWS = "news"
    OFFICIAL_STATEMENT = "official_statement"
    GOVERNMENT_RECORD = "government_record"
    DATASET = "dataset"
    SOCIAL_POST = "social_post"
    OTHER = "other"


class Stance(StrEnum):
    SUPPORTS = "supports"
    REFUTES = "refutes"
    CONTEXT = "context"


class RevisionAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    STATUS = "status"
    LINK = "link"
    UNLINK = "unlink"


DEFAULT_STATUS = "unverified"

# The default verification statuses; the reviewer workflow makes this set configurable.
STATUSES = (
    "unverified",
    "in_review",
    "verified",
    "mostly_true",
    "misleading",
    "false",
    "unverifiable",
    "disputed",
)


def enum_column_type(enum: type[StrEnum], name: str) -> sa.Enum:
    """A portable VARCHAR + CHECK column type holding the enum's values."""
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )

"""The closed vocabularies the data model uses, shared by models, schemas and services."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from claims_api import workflow


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


class RelationKind(StrEnum):
    """How two claims relate (issue 12): what matching suggests and reviewers decide."""

    SAME = "same"  # the same truth conditions
    CONTRADICTS = "contradicts"
    UPDATES = "updates"  # a later value of the same thing (the relation names the newer claim)
    RELATED = "related"


class RelationState(StrEnum):
    """Where a relation between two claims stands: a reviewer's last decision on it."""

    CONFIRMED = "confirmed"
    # Remembered so that matching never suggests the pair again.
    REJECTED = "rejected"
    # A decision taken back: the pair is as undecided as one never looked at.
    WITHDRAWN = "withdrawn"


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
    REVIEW = "review"
    PUBLISH = "publish"
    # The article's body changed and the claim's quote followed it (or could not).
    REANCHOR = "reanchor"
    # A reviewer confirmed or re-pointed a doubtful anchor.
    ANCHOR = "anchor"


class EventType(StrEnum):
    """What the change feed and webhooks tell consumers about."""

    CLAIM_CREATED = "claim.created"
    CLAIM_UPDATED = "claim.updated"
    CLAIM_STATUS_CHANGED = "claim.status_changed"
    CLAIM_PUBLISHED = "claim.published"
    CLAIM_CORRECTED = "claim.corrected"
    CLAIM_DELETED = "claim.deleted"
    CLAIM_SOURCE_LINKED = "claim.source_linked"
    CLAIM_SOURCE_UNLINKED = "claim.source_unlinked"
    CLAIM_NEEDS_REVIEW = "claim.needs_review"
    ARTICLE_CREATED = "article.created"
    ARTICLE_UPDATED = "article.updated"
    ARTICLE_DELETED = "article.deleted"
    SOURCE_CREATED = "source.created"
    SOURCE_UPDATED = "source.updated"
    REVIEW_CREATED = "review.created"
    RELATION_DECIDED = "relation.decided"
    IMPORT_FINISHED = "import.finished"
    # Sent to one webhook on request (POST /webhooks/{id}/ping), never to the feed.
    WEBHOOK_PING = "webhook.ping"


# Events addressed to one webhook: left out of the feed and of the webhooks' fan-out.
ADDRESSED_EVENT_TYPES = frozenset({EventType.WEBHOOK_PING})
# What the feed tells and webhooks subscribe to.
FEED_EVENT_TYPES = tuple(kind.value for kind in EventType if kind not in ADDRESSED_EVENT_TYPES)


class DeliveryStatus(StrEnum):
    """Where one event's delivery to one webhook stands."""

    PENDING = "pending"  # due, being sent, or waiting for its next attempt
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # every attempt of the retry schedule failed


class AnchorState(StrEnum):
    """Where a claim's quote stands after its article's body last changed."""

    ANCHORED = "anchored"  # the same words at the same place
    MOVED = "moved"  # the same words, elsewhere in the new body
    FUZZY = "fuzzy"  # similar words: the quote now points at the best, unique match
    AMBIGUOUS = "ambiguous"  # several places fit equally well: the quote stays on the old version
    ORPHANED = "orphaned"  # the words are gone: the quote stays on the old version


# The states a human must look at: the quote no longer reads as it did.
DOUBTFUL_ANCHOR_STATES = frozenset({AnchorState.FUZZY, AnchorState.AMBIGUOUS, AnchorState.ORPHANED})


class VersionOrigin(StrEnum):
    """How an article's body version came to be."""

    CREATED = "created"
    EDITED = "edited"
    FETCHED = "fetched"
    REFRESHED = "refreshed"
    IMPORTED = "imported"


class Role(StrEnum):
    """What an API key may do; each role may do everything the ones before it may."""

    READER = "reader"
    CONTRIBUTOR = "contributor"
    REVIEWER = "reviewer"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def includes(self, other: Role) -> bool:
        return self.rank >= other.rank


# The default workflow's initial status. A deployment may configure other statuses
# (the status column is a plain string): code checks against workflow.current().
DEFAULT_STATUS = workflow.DEFAULT.initial


class StructuredByKind:
    """The ``quantity`` / ``membership`` / ``statement`` views of a claim-like object's
    ``details``: the one named by its ``kind`` gives them, the others are None."""

    if TYPE_CHECKING:
        # What the class mixed into provides: a claim's columns, a proposal's properties.
        @property
        def kind(self) -> ClaimKind: ...

        @property
        def details(self) -> dict[str, Any] | None: ...

    def structured(self, kind: ClaimKind) -> dict[str, Any] | None:
        return self.details if self.kind == kind else None

    @property
    def quantity(self) -> dict[str, Any] | None:
        return self.structured(ClaimKind.QUANTITY)

    @property
    def membership(self) -> dict[str, Any] | None:
        return self.structured(ClaimKind.MEMBERSHIP)

    @property
    def statement(self) -> dict[str, Any] | None:
        return self.structured(ClaimKind.STATEMENT)


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

"""Review queue schemas: its filters, and reviewers' leases on claims."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from claims_api.models.vocabulary import ClaimKind
from claims_api.schemas.claims import ClaimSchema
from claims_api.schemas.common import Id, PageArgs, SettingMaximum, Timestamp

QUEUE_SORTS = ("created_at", "priority")


class QueueFilters(Schema):
    tag = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)),
        metadata={"description": "Repeat to require several tags."},
    )
    kind = fields.Enum(ClaimKind, by_value=True)
    article_id = Id()
    sort = fields.String(
        load_default="created_at",
        validate=validate.OneOf(QUEUE_SORTS),
        metadata={"description": "created_at: oldest first; priority: most urgent (1) first."},
    )


class QueueListArgs(PageArgs, QueueFilters):
    pass


class LeaseSchema(Schema):
    minutes = SettingMaximum(
        "REVIEW_LEASE_MAX_MINUTES",
        metadata={
            "description": "How long the lease lasts (default CLAIMS_REVIEW_LEASE_MINUTES, 30); "
            "at most CLAIMS_REVIEW_LEASE_MAX_MINUTES."
        },
        validate=validate.Range(min=1),
    )


class TakeSchema(QueueFilters, LeaseSchema):
    """Which claim to take from the queue, and for how long."""


class AssignmentSchema(Schema):
    always_present = True
    claim_id = fields.Integer()
    reviewer = fields.String()
    leased_at = Timestamp()
    expires_at = Timestamp()


class TakenClaimSchema(AssignmentSchema):
    claim = fields.Nested(ClaimSchema)

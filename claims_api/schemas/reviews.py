"""Review schemas: a reviewer's decision, a bulk decision, and reviews as read."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from claims_api.limits import (
    MAX_EVIDENCE,
    MAX_RATING_WORDING_LENGTH,
    MAX_RATIONALE_LENGTH,
    MAX_REASON_LENGTH,
)
from claims_api.schemas.claims import SourceLinkInputSchema, VerdictRatingSchema, WorkflowStatus
from claims_api.schemas.common import Id, JSONBoolean, SerialNumber, Timestamp, page_schema

MAX_BULK_CLAIMS = 200


class DecisionSchema(Schema):
    """What a reviewer decides; a verdict needs a rationale and at least one piece of evidence."""

    status = WorkflowStatus(required=True)
    rationale = fields.String(validate=validate.Length(max=MAX_RATIONALE_LENGTH))
    rating = fields.String(
        validate=validate.Length(min=1, max=MAX_RATING_WORDING_LENGTH),
        metadata={"description": "Your wording of the rating, if not the status's own."},
    )
    evidence = fields.List(
        fields.Nested(SourceLinkInputSchema),
        validate=validate.Length(max=MAX_EVIDENCE),
        metadata={
            "description": "Sources (by source_id or url) linked to the claim with a stance."
        },
    )
    correction = JSONBoolean(
        load_default=False,
        metadata={"description": "Required to change a published verdict."},
    )
    reason = fields.String(
        load_only=True,
        validate=validate.Length(max=MAX_REASON_LENGTH),
        metadata={"description": "Recorded in the revision (or send X-Reason)."},
    )


class BulkClaimSchema(Schema):
    """One claim of a bulk review, with the version it was reviewed at."""

    openapi_rules: ClassVar[dict[str, Any]] = {
        "oneOf": [{"required": ["revision"]}, {"required": ["if_match"]}]
    }

    claim_id = Id(required=True)
    revision = SerialNumber(metadata={"description": "The claim's revision (ETag)."})
    if_match = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": 'An If-Match value, such as "3".'},
    )

    @validates_schema
    def check_version(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("revision" in data) == ("if_match" in data):
            raise ValidationError("give exactly one of revision and if_match", "revision")


class BulkDecisionSchema(DecisionSchema):
    claims = fields.List(
        fields.Nested(BulkClaimSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_BULK_CLAIMS),
    )


class EvidenceSchema(Schema):
    always_present = True
    source_id = fields.Integer()
    url = fields.String()
    stance = fields.String()
    excerpt = fields.String(allow_none=True)


class ReviewSchema(Schema):
    always_present = True
    id = fields.Integer()
    claim_id = fields.Integer()
    reviewer = fields.String()
    from_status = fields.String()
    to_status = fields.String()
    rationale = fields.String(allow_none=True)
    rating = fields.Nested(
        VerdictRatingSchema,
        attribute="verdict_rating",
        allow_none=True,
        metadata={"description": "The verdict's rating (name: the reviewer's wording, if given)."},
    )
    evidence = fields.List(fields.Nested(EvidenceSchema))
    correction = fields.Boolean()
    revision_number = fields.Integer(
        metadata={"description": "The claim revision the review wrote; its new ETag."}
    )
    created_at = Timestamp()
    published_at = Timestamp(allow_none=True)


class BulkReviewResultSchema(Schema):
    items = fields.List(fields.Nested(ReviewSchema), required=True)


ReviewPageSchema = page_schema(ReviewSchema, "ReviewPage")

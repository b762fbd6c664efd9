"""Relation and claim group schemas: a reviewer's decision on a pair, relations as read
from either claim, and groups with their members' verdicts."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from claims_api.limits import MAX_RATIONALE_LENGTH
from claims_api.models.vocabulary import RelationKind, RelationState
from claims_api.schemas.claims import VerdictRatingSchema
from claims_api.schemas.common import Id, Timestamp, page_schema

DECIDABLE_STATES = (RelationState.CONFIRMED.value, RelationState.REJECTED.value)


def newer_claim_error(relation: RelationKind | str | None, names_newer: bool) -> str | None:
    """Why a decision's newer claim is wrong (an updates relation names one, no other
    does), or None: for the API's decisions and an import's relation records alike."""
    updates = relation == RelationKind.UPDATES
    if updates and not names_newer:
        return "an updates relation names the newer claim"
    if not updates and names_newer:
        return "only an updates relation names a newer claim"
    return None


class RelationInputSchema(Schema):
    """A reviewer's decision about how the claim relates to another."""

    claim_id = Id(required=True, metadata={"description": "The other claim of the pair."})
    relation = fields.Enum(RelationKind, by_value=True, required=True)
    decision = fields.Enum(
        RelationState,
        by_value=True,
        load_default=RelationState.CONFIRMED,
        validate=validate.OneOf([RelationState.CONFIRMED, RelationState.REJECTED]),
        metadata={
            "description": "confirmed (the default) or rejected: a rejected pair is never "
            "suggested again. Withdraw a decision with DELETE.",
            "enum": list(DECIDABLE_STATES),
        },
    )
    newer_claim_id = Id(
        metadata={"description": "For updates (and only then): the claim with the later value."}
    )
    note = fields.String(validate=validate.Length(max=MAX_RATIONALE_LENGTH))

    @validates_schema
    def check_newer_claim(self, data: dict[str, Any], **kwargs: Any) -> None:
        error = newer_claim_error(data.get("relation"), "newer_claim_id" in data)
        if error is not None:
            raise ValidationError(error, "newer_claim_id")


class RelationDecisionSchema(Schema):
    always_present = True
    decision = fields.Enum(RelationState, by_value=True)
    relation = fields.Enum(RelationKind, by_value=True)
    newer_claim_id = fields.Integer(allow_none=True)
    actor = fields.String()
    note = fields.String(allow_none=True)
    created_at = Timestamp()


class RelationSchema(Schema):
    """A relation as read from one of its claims (``claim_id`` is the other one)."""

    always_present = True
    id = fields.Integer()
    claim_id = fields.Integer(metadata={"description": "The other claim of the pair."})
    claim_ids = fields.List(
        fields.Integer(), metadata={"description": "Both claims, the lower id first."}
    )
    relation = fields.Enum(RelationKind, by_value=True)
    newer_claim_id = fields.Integer(allow_none=True)
    state = fields.Enum(RelationState, by_value=True)
    revision = fields.Integer(metadata={"description": "The number of decisions; its ETag."})
    created_at = Timestamp()
    updated_at = Timestamp()
    decisions = fields.List(
        fields.Nested(RelationDecisionSchema), metadata={"description": "Oldest first."}
    )


RelationPageSchema = page_schema(RelationSchema, "RelationPage")


class GroupMemberSchema(Schema):
    always_present = True
    claim_id = fields.Integer()
    article_id = fields.Integer()
    text = fields.String()
    status = fields.String()
    revision = fields.Integer()
    rating = fields.Nested(
        VerdictRatingSchema,
        allow_none=True,
        metadata={"description": "The member's published verdict's rating, if any."},
    )


class ClaimGroupSchema(Schema):
    """The claims that confirmed ``same`` relations connect."""

    always_present = True
    id = fields.Integer()
    revision = fields.Integer(
        metadata={"description": "Moves when the members change; the group's ETag."}
    )
    members = fields.List(fields.Nested(GroupMemberSchema), metadata={"description": "By id."})
    conflicting_verdicts = fields.Boolean(
        metadata={"description": "Whether members' published verdicts disagree."}
    )
    created_at = Timestamp()
    updated_at = Timestamp()

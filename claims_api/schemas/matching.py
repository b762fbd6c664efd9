"""Claim matching: what to match, and the ranked matches with the signals behind them."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from claims_api.limits import MAX_TEXT_LENGTH
from claims_api.models.vocabulary import STRUCTURED_KINDS, ClaimKind
from claims_api.schemas.claims import ClaimSchema, MembershipSchema, QuantitySchema, StatementSchema
from claims_api.schemas.common import ISODate, Text, Timestamp

MATCH_LIMIT_MAX = 100
RELATIONS = ("same", "contradicts", "updates", "related")


def MatchLimit(*, strict: bool) -> fields.Integer:
    return fields.Integer(
        load_default=20,
        strict=strict,
        validate=validate.Range(min=1, max=MATCH_LIMIT_MAX),
        metadata={"description": "How many matches at most (default 20)."},
    )


class MatchArgs(Schema):
    limit = MatchLimit(strict=False)


class MatchInputSchema(Schema):
    """A claim not stored (yet): its text, and if known its kind and structured fields.

    Without a kind, the text is read by the extractor for its kind and fields.
    """

    text = Text(MAX_TEXT_LENGTH, required=True)
    kind = fields.Enum(ClaimKind, by_value=True)
    quantity = fields.Nested(QuantitySchema)
    membership = fields.Nested(MembershipSchema)
    statement = fields.Nested(StatementSchema)
    article_published_at = Timestamp(
        metadata={
            "description": "The date of the article making the claim: its time when "
            "the claim gives none (as_of)."
        }
    )
    as_of = ISODate(metadata={"description": "When the claim holds (overrides the fields' own)."})
    limit = MatchLimit(strict=True)

    @validates_schema
    def check_fields_of_kind(self, data: dict[str, Any], **kwargs: Any) -> None:
        for kind in STRUCTURED_KINDS:
            if kind.value in data and data.get("kind") != kind:
                raise ValidationError(f"given only with kind {kind.value!r}", kind.value)


class PropositionComparisonSchema(Schema):
    """Each part of the match's proposition against the claim matched."""

    subject = fields.String(metadata={"enum": ["same", "different", "unknown"]})
    predicate = fields.String(metadata={"enum": ["same", "different"]})
    object = fields.String(metadata={"enum": ["same", "different", "unknown"]})
    value = fields.String(metadata={"enum": ["same", "compatible", "incompatible", "unknown"]})
    time = fields.String(
        metadata={
            "enum": ["same", "later", "earlier", "unknown"],
            "description": "The match's time against the claim's.",
        }
    )
    polarity = fields.String(metadata={"enum": ["same", "opposite"]})
    entities = fields.String(
        metadata={
            "enum": ["compatible", "different"],
            "description": "different: each names an entity of one kind (a country, a "
            "person) the other does not; such claims are at most related.",
        }
    )


class MatchSignalsSchema(Schema):
    text_similarity = fields.Float(metadata={"description": "0..1, words in any order."})
    shared_entities = fields.Float(metadata={"description": "0..1, Jaccard of the entities."})
    time_distance_days = fields.Float(allow_none=True)
    proposition = fields.Nested(PropositionComparisonSchema)


class MatchVerdictSchema(Schema):
    rating = fields.String(allow_none=True)
    by = fields.String(
        metadata={"description": '"ours", or the other fact-checker whose ClaimReview it is.'}
    )


class MatchSchema(Schema):
    claim = fields.Nested(ClaimSchema, metadata={"description": "As GET /claims/{id} shows it."})
    relation = fields.String(metadata={"enum": list(RELATIONS)})
    newer_claim_id = fields.Integer(
        allow_none=True, metadata={"description": "For updates: the claim giving the later value."}
    )
    score = fields.Float(metadata={"description": "0..1"})
    signals = fields.Nested(MatchSignalsSchema)
    verdict = fields.Nested(
        MatchVerdictSchema,
        allow_none=True,
        metadata={"description": "The match's published verdict, if any: ours or another's."},
    )


class MatchListSchema(Schema):
    items = fields.List(fields.Nested(MatchSchema))

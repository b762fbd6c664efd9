"""Extraction schemas: the query of POST /articles/{id}/extract and the candidates it returns."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from claims_api.extraction import DEFAULT_MIN_SCORE
from claims_api.schemas.claims import MembershipSchema, QuantitySchema, QuoteSchema, StatementSchema


class ExtractArgs(Schema):
    save = fields.Boolean(
        load_default=False,
        metadata={"description": "Store the candidates as claims (revision reason 'extracted')."},
    )
    min_score = fields.Float(
        load_default=DEFAULT_MIN_SCORE,
        validate=validate.Range(min=0, max=1),
        metadata={"description": "Leave out candidates less check-worthy than this."},
    )


class CandidateSchema(Schema):
    """A proposed claim: the fields POST /claims takes, its score and the reasons for it."""

    kind = fields.String(attribute="candidate.kind")
    text = fields.String(attribute="candidate.text")
    quote = fields.Nested(QuoteSchema)
    quantity = fields.Nested(QuantitySchema, allow_none=True)
    membership = fields.Nested(MembershipSchema, allow_none=True)
    statement = fields.Nested(StatementSchema, allow_none=True)
    tags = fields.List(fields.String(), attribute="candidate.tags")
    score = fields.Float(
        attribute="candidate.score", metadata={"description": "Check-worthiness, 0 to 1."}
    )
    features = fields.List(
        fields.String(),
        attribute="candidate.features",
        metadata={"description": "The reasons behind the score."},
    )
    outcome = fields.String(
        metadata={
            "description": "proposed; saved (claim_id is the new claim); exists (claim_id is "
            "the live claim of the same kind that already quotes an overlapping span)."
        },
    )
    claim_id = fields.Integer(allow_none=True)
    claim = fields.Dict(
        attribute="claim_fields",
        metadata={
            "description": "To accept the candidate as it is: POST this to /claims, with the "
            "article_id added."
        },
    )


class ExtractionSchema(Schema):
    article_id = fields.Integer(allow_none=True)
    items = fields.List(fields.Nested(CandidateSchema), required=True)
    saved = fields.Integer(metadata={"description": "How many candidates were stored."})

"""Claim schemas: the claim as read, the fields a client writes, and its query arguments."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from claims_api import workflow
from claims_api.limits import MAX_URL_LENGTH
from claims_api.models.vocabulary import (
    ClaimKind,
    MembershipRelation,
    Stance,
)
from claims_api.schemas.common import (
    Id,
    ISODate,
    JSONBoolean,
    JSONNumber,
    PageArgs,
    StrippedString,
    Text,
    Timestamp,
    page_schema,
)
from claims_api.schemas.sources import SourceFieldsSchema

MAX_TAGS = 50
# What describes a source: given with a link by url, they make a new source.
NEW_SOURCE_FIELDS = ("title", "publisher", "kind", "archived_url", "accessed_at")


class QuoteSchema(Schema):
    """Where the claim sits in the article body, as a W3C Web Annotation selector would say.

    ``start``/``end`` are Unicode code point offsets, end exclusive. Given only
    ``exact``, the service finds the one place the body says it.
    """

    exact = fields.String(required=True, validate=validate.Length(min=1, max=10_000))
    start = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0))
    end = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0))
    prefix = fields.String(allow_none=True, validate=validate.Length(max=200))
    suffix = fields.String(allow_none=True, validate=validate.Length(max=200))

    @validates_schema
    def check_offsets(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("start"), data.get("end")
        if (start is None) != (end is None):
            raise ValidationError("give both start and end, or neither", "end")
        if start is not None and end is not None and end <= start:
            raise ValidationError("must be greater than start", "end")


class QuantitySchema(Schema):
    value = JSONNumber(load_default=None, allow_none=True)
    unit = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    approximate = JSONBoolean(load_default=False)
    lower_bound = JSONNumber(load_default=None, allow_none=True)
    upper_bound = JSONNumber(load_default=None, allow_none=True)
    subject = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    location = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    as_of = ISODate(load_default=None, allow_none=True)

    @validates_schema
    def check_bounds(self, data: dict[str, Any], **kwargs: Any) -> None:
        value, lower, upper = data.get("value"), data.get("lower_bound"), data.get("upper_bound")
        if lower is not None and upper is not None and lower > upper:
            raise ValidationError("must not be below lower_bound", "upper_bound")
        if value is not None and lower is not None and value < lower:
            raise ValidationError("must not be below lower_bound", "value")
        if value is not None and upper is not None and value > upper:
            raise ValidationError("must not be above upper_bound", "value")


class MembershipSchema(Schema):
    member = Text(300, required=True)
    organization = Text(300, required=True)
    # A plain string, since the object is stored as JSON and read back as such.
    relation = fields.String(
        required=True, validate=validate.OneOf([relation.value for relation in MembershipRelation])
    )
    as_of = ISODate(load_default=None, allow_none=True)


class StatementSchema(Schema):
    speaker = Text(300, required=True)
    speaker_role = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=300)
    )
    audience = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    attribution = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=500)
    )
    verbatim = JSONBoolean(load_default=False)


class RatingSchema(Schema):
    """A rating given by another fact-checker (schema.org Rating), on its own scale and words."""

    value = JSONNumber(load_default=None, allow_none=True)
    best = JSONNumber(load_default=None, allow_none=True)
    worst = JSONNumber(load_default=None, allow_none=True)
    alternate_name = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=300)
    )
    explanation = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=10_000)
    )
    review_url = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=MAX_URL_LENGTH)
    )
    reviewed_by = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=300)
    )
    reviewed_at = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=40)
    )


class SourceLinkInputSchema(SourceFieldsSchema):
    """A source to link: an existing one by ``source_id``, or any by ``url`` (created if new)."""

    openapi_rules: ClassVar[dict[str, Any]] = {
        "oneOf": [
            {
                "required": ["source_id"],
                "not": {"anyOf": [{"required": [name]} for name in ("url", *NEW_SOURCE_FIELDS)]},
            },
            {"required": ["url"], "not": {"required": ["source_id"]}},
        ]
    }

    source_id = Id(strict=True)
    stance = fields.Enum(Stance, by_value=True, required=True)
    excerpt = fields.String(allow_none=True, validate=validate.Length(max=10_000))
    note = fields.String(allow_none=True, validate=validate.Length(max=10_000))

    @validates_schema
    def check_reference(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("source_id" in data) == ("url" in data):
            raise ValidationError("give exactly one of source_id and url", "source_id")
        if "source_id" in data:
            described = set(NEW_SOURCE_FIELDS) & set(data)
            if described:
                raise ValidationError(
                    "describes a new source; an existing one is edited at /sources/{id}",
                    sorted(described)[0],
                )


class ClaimSourceSchema(Schema):
    """A source linked to a claim, with the link's stance."""

    source_id = fields.Integer()
    url = fields.String(attribute="source.url")
    title = fields.String(attribute="source.title", allow_none=True)
    publisher = fields.String(attribute="source.publisher", allow_none=True)
    kind = fields.String(attribute="source.kind")
    stance = fields.String()
    excerpt = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class WorkflowStatus(fields.String):
    """A status of the running app's workflow (it is configurable, so not a fixed OneOf)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        status = super()._deserialize(value, attr, data, **kwargs)
        statuses = workflow.current().statuses
        if status not in statuses:
            raise ValidationError(f"Must be one of: {', '.join(statuses)}.")
        return status

    def openapi_properties(self) -> dict[str, Any]:
        return {"enum": list(workflow.current().statuses)}


class ClaimFieldsSchema(Schema):
    """The claim fields a client writes; none required, so PATCH sends only what changes.

    ``status`` is not among them: it changes through reviews.
    """

    key = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "A stable name for the claim, unique within its article."},
    )
    text = Text(10_000, metadata={"description": "The claim as one self-contained sentence."})
    kind = fields.Enum(ClaimKind, by_value=True)
    quote = fields.Nested(QuoteSchema, allow_none=True)
    quantity = fields.Nested(QuantitySchema, allow_none=True)
    membership = fields.Nested(MembershipSchema, allow_none=True)
    statement = fields.Nested(StatementSchema, allow_none=True)
    tags = fields.List(
        StrippedString(validate=validate.Length(min=1, max=100)),
        validate=validate.Length(max=MAX_TAGS),
    )
    priority = fields.Integer(
        strict=True,
        attribute="review_priority",
        validate=validate.Range(min=1, max=5),
        metadata={"description": "Review queue priority: 1 most urgent, 5 least (default 3)."},
    )
    reason = fields.String(
        load_only=True,
        validate=validate.Length(max=2000),
        metadata={"description": "Why; recorded in the revision (or send X-Reason)."},
    )


class StatusThroughReviews:
    """Refuses ``status`` and ``rating`` in a client's claim, naming where they change instead."""

    @pre_load
    def refuse_status(self, data: Any, **kwargs: Any) -> Any:
        for name in ("status", "rating"):
            if isinstance(data, dict) and name in data:
                raise ValidationError(
                    f"A claim's {name} changes through reviews: POST /claims/{{claim_id}}/reviews.",
                    name,
                )
        return data


class ClaimPatchSchema(StatusThroughReviews, ClaimFieldsSchema):
    """The fields PATCH /claims/{claim_id} changes."""


class DocumentClaimSchema(ClaimFieldsSchema):
    """A new claim with its source links, as it appears inside an article document.

    Documents are loaded by trusted tools (seed, import), which may set the status.
    """

    text = Text(10_000, required=True)
    kind = fields.Enum(ClaimKind, by_value=True, required=True)
    status = WorkflowStatus()
    rating = fields.Nested(RatingSchema, allow_none=True)
    sources = fields.List(fields.Nested(SourceLinkInputSchema), validate=validate.Length(max=100))


class ClaimCreateSchema(StatusThroughReviews, DocumentClaimSchema):
    article_id = Id(required=True, strict=True)

    class Meta:
        exclude = ("status", "rating")


class ClaimSchema(Schema):
    """A claim as read; also the snapshot stored in each revision."""

    always_present = True

    always_present = True

    id = fields.Integer()
    article_id = fields.Integer()
    key = fields.String(allow_none=True)
    text = fields.String()
    kind = fields.String()
    quote = fields.Nested(QuoteSchema, allow_none=True)
    quantity = fields.Nested(QuantitySchema, allow_none=True)
    membership = fields.Nested(MembershipSchema, allow_none=True)
    statement = fields.Nested(StatementSchema, allow_none=True)
    tags = fields.List(fields.String(), attribute="tag_names")
    status = fields.String()
    rating = fields.Nested(RatingSchema, allow_none=True)
    priority = fields.Integer(attribute="review_priority")
    published_review_id = fields.Integer(
        allow_none=True, metadata={"description": "The review whose verdict is published."}
    )
    sources = fields.List(fields.Nested(ClaimSourceSchema), attribute="source_links")
    revision = fields.Integer(metadata={"description": "The latest revision number; the ETag."})
    created_at = Timestamp()
    updated_at = Timestamp()
    deleted_at = Timestamp(allow_none=True)


CLAIM_SORTS = ("created_at", "-created_at", "updated_at", "-updated_at")


class ClaimListArgs(PageArgs):
    article_id = Id()
    kind = fields.Enum(ClaimKind, by_value=True)
    status = fields.String(validate=validate.Length(max=40))
    tag = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)),
        metadata={"description": "Repeat to require several tags."},
    )
    speaker = fields.String(validate=validate.Length(min=1, max=300))
    source_id = Id()
    q = fields.String(
        validate=validate.Length(min=3, max=200),
        metadata={"description": "Text searched in the claim and its quote (3+ characters)."},
    )
    updated_since = Timestamp()
    sort = fields.String(load_default="created_at", validate=validate.OneOf(CLAIM_SORTS))


class ArticleClaimListArgs(ClaimListArgs):
    class Meta:
        exclude = ("article_id",)


ClaimPageSchema = page_schema(ClaimSchema, "ClaimPage")

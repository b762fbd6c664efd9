"""Claim schemas: the claim as read, the fields a client writes, and its query arguments."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from claims_api import workflow
from claims_api.limits import (
    MAX_ATTRIBUTION_LENGTH,
    MAX_EXTERNAL_REVIEWS,
    MAX_KEY_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PRIORITY,
    MAX_QUOTE_CONTEXT_LENGTH,
    MAX_RATING_TEXT,
    MAX_REASON_LENGTH,
    MAX_REVIEWS_PER_CLAIM,
    MAX_SOURCES_PER_CLAIM,
    MAX_STATUS_LENGTH,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    MAX_TEXT_LENGTH,
    MAX_TIMESTAMP_LENGTH,
    MAX_UNIT_LENGTH,
    MAX_URL_LENGTH,
    MIN_PRIORITY,
)
from claims_api.models.vocabulary import (
    AnchorState,
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
    SerialNumber,
    StrippedString,
    Text,
    Timestamp,
    page_schema,
)
from claims_api.schemas.sources import SourceFieldsSchema

EXTERNAL_REVIEW_IDENTITY = "give the review's url, or its reviewer"
# What changes only through reviews (and is loaded only by an admin into a new claim).
VERDICT_FIELDS = ("status", "rating", "reviews")
# What describes a source: given with a link by url, they make a new source.
NEW_SOURCE_FIELDS = ("title", "publisher", "kind", "archived_url", "accessed_at")


class QuoteSchema(Schema):
    """Where the claim sits in the article body, as a W3C Web Annotation selector would say.

    ``start``/``end`` are Unicode code point offsets, end exclusive. Given only
    ``exact``, the service finds the one place the body says it.
    """

    exact = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TEXT_LENGTH))
    start = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0))
    end = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0))
    prefix = fields.String(allow_none=True, validate=validate.Length(max=MAX_QUOTE_CONTEXT_LENGTH))
    suffix = fields.String(allow_none=True, validate=validate.Length(max=MAX_QUOTE_CONTEXT_LENGTH))

    @validates_schema
    def check_offsets(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("start"), data.get("end")
        if (start is None) != (end is None):
            raise ValidationError("give both start and end, or neither", "end")
        if start is not None and end is not None and end <= start:
            raise ValidationError("must be greater than start", "end")


class AnchorSchema(Schema):
    """Which version of the article body the quote points into, and how it got there."""

    state = fields.String(
        metadata={
            "description": "anchored, moved (same words elsewhere), fuzzy (similar words, "
            "see score and previous_exact), ambiguous or orphaned (the quote stays on "
            "`version`, an earlier body)",
            "enum": [state.value for state in AnchorState],
        }
    )
    version = fields.Integer(metadata={"description": "The body version the quote is in."})
    score = fields.Float(
        allow_none=True, metadata={"description": "Similarity (0-100) of a fuzzy match."}
    )
    previous_exact = fields.String(
        allow_none=True, metadata={"description": "The quote's words before a fuzzy move."}
    )


class AnchorPointSchema(Schema):
    """Where a reviewer anchors a quote: a body version and the quote's place in it."""

    version = SerialNumber(
        strict=True,
        metadata={"description": "The body version; default the article's current one."},
    )
    exact = fields.String(
        validate=validate.Length(min=1, max=10_000),
        metadata={"description": "The quoted words; found if they occur once (else give start)."},
    )
    start = fields.Integer(strict=True, validate=validate.Range(min=0))
    end = fields.Integer(strict=True, validate=validate.Range(min=0))
    reason = fields.String(load_only=True, validate=validate.Length(max=2000))

    @validates_schema
    def check_place(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("start"), data.get("end")
        if (start is None) != (end is None):
            raise ValidationError("give both start and end, or neither", "end")
        if start is None and "exact" not in data:
            raise ValidationError("give exact, or start and end", "exact")
        if start is not None and end is not None and end <= start:
            raise ValidationError("must be greater than start", "end")


class JSONFloat(JSONNumber):
    """A JSON number read as a float (1 reads 1.0), as msgspec reads a float field."""

    def _format_num(self, value: Any) -> float:
        return float(super()._format_num(value))


class DocumentAnchorSchema(Schema):
    """A claim's anchor as an article document (an export) carries it."""

    state = fields.String(
        required=True, validate=validate.OneOf([state.value for state in AnchorState])
    )
    version = SerialNumber(strict=True, required=True)
    score = JSONFloat(load_default=None, allow_none=True, validate=validate.Range(min=0, max=100))
    previous_exact = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=MAX_TEXT_LENGTH)
    )


class DocumentNeedsReviewSchema(Schema):
    """A claim's needs-review flag as an article document (an export) carries it."""

    reason = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TEXT_LENGTH))
    since = Timestamp(required=True)


class NeedsReviewSchema(Schema):
    """Why a reviewer must look at the claim (its status is unchanged by the flag)."""

    reason = fields.String()
    since = Timestamp()


class QuantitySchema(Schema):
    value = JSONNumber(load_default=None, allow_none=True)
    unit = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=MAX_UNIT_LENGTH)
    )
    approximate = JSONBoolean(load_default=False)
    lower_bound = JSONNumber(load_default=None, allow_none=True)
    upper_bound = JSONNumber(load_default=None, allow_none=True)
    subject = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=MAX_NAME_LENGTH)
    )
    location = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=MAX_NAME_LENGTH)
    )
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
    member = Text(MAX_NAME_LENGTH, required=True)
    organization = Text(MAX_NAME_LENGTH, required=True)
    # A plain string, since the object is stored as JSON and read back as such.
    relation = fields.String(
        required=True, validate=validate.OneOf([relation.value for relation in MembershipRelation])
    )
    as_of = ISODate(load_default=None, allow_none=True)


class StatementSchema(Schema):
    speaker = Text(MAX_NAME_LENGTH, required=True)
    speaker_role = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=MAX_NAME_LENGTH)
    )
    audience = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=MAX_NAME_LENGTH)
    )
    attribution = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=MAX_ATTRIBUTION_LENGTH)
    )
    verbatim = JSONBoolean(load_default=False)


class RatingSchema(Schema):
    """The rating field of older import documents: another fact-checker's rating.

    Accepted so that older exports still import, and never written: a claim's
    rating is its published verdict's, and other fact-checkers' ratings are
    ``external_reviews``.
    """

    value = JSONNumber(load_default=None, allow_none=True)
    best = JSONNumber(load_default=None, allow_none=True)
    worst = JSONNumber(load_default=None, allow_none=True)
    alternate_name = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=MAX_NAME_LENGTH)
    )
    explanation = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=MAX_TEXT_LENGTH)
    )
    review_url = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=MAX_URL_LENGTH)
    )
    reviewed_by = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=MAX_NAME_LENGTH)
    )
    reviewed_at = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=MAX_TIMESTAMP_LENGTH)
    )


class VerdictRatingSchema(Schema):
    """Our rating: the workflow's rating of a verdict (ClaimReview's ``reviewRating``)."""

    alternate_name = fields.String(metadata={"description": "The verdict's rating, as published."})
    name = fields.String(metadata={"description": "The reviewer's wording, else alternate_name."})
    value = fields.Integer(allow_none=True, metadata={"description": "None for named-only."})
    best = fields.Integer(allow_none=True)
    worst = fields.Integer(allow_none=True)


class RatingValue(fields.Field[Any]):
    """A rating's number as another fact-checker gave it: a JSON number or a short text."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str) and len(value) <= MAX_RATING_TEXT:
            return value
        return JSONNumber()._deserialize(value, attr, data, **kwargs)


class ExternalRatingSchema(Schema):
    """Another fact-checker's schema.org Rating, exactly as given (their scale, their words)."""

    value = RatingValue(load_default=None, allow_none=True)
    best = RatingValue(load_default=None, allow_none=True)
    worst = RatingValue(load_default=None, allow_none=True)
    alternate_name = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=MAX_NAME_LENGTH)
    )
    name = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=MAX_NAME_LENGTH)
    )


class ExternalReviewSchema(Schema):
    """Another fact-checker's review of the claim (an imported ClaimReview): theirs, not ours.

    Matched on re-import by ``url``, else by ``reviewer`` and ``published_at``.
    """

    reviewer = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=MAX_NAME_LENGTH)
    )
    reviewer_url = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=MAX_URL_LENGTH)
    )
    url = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=MAX_URL_LENGTH),
        metadata={"description": "The review's own page."},
    )
    published_at = Timestamp(load_default=None, allow_none=True)
    rating = fields.Nested(ExternalRatingSchema, load_default=None, allow_none=True)

    @validates_schema
    def check_identity(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data.get("url") and not data.get("reviewer"):
            raise ValidationError(EXTERNAL_REVIEW_IDENTITY, "url")


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
    excerpt = fields.String(allow_none=True, validate=validate.Length(max=MAX_TEXT_LENGTH))
    note = fields.String(allow_none=True, validate=validate.Length(max=MAX_TEXT_LENGTH))

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
        status: str = super()._deserialize(value, attr, data, **kwargs)
        message = workflow.current().unknown_status(status)
        if message is not None:
            raise ValidationError(message)
        return status

    def openapi_properties(self) -> dict[str, Any]:
        return {"enum": list(workflow.current().statuses)}


class ClaimFieldsSchema(Schema):
    """The claim fields a client writes; none required, so PATCH sends only what changes.

    ``status`` is not among them: it changes through reviews.
    """

    key = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=MAX_KEY_LENGTH),
        metadata={"description": "A stable name for the claim, unique within its article."},
    )
    text = Text(
        MAX_TEXT_LENGTH, metadata={"description": "The claim as one self-contained sentence."}
    )
    kind = fields.Enum(ClaimKind, by_value=True)
    quote = fields.Nested(QuoteSchema, allow_none=True)
    quantity = fields.Nested(QuantitySchema, allow_none=True)
    membership = fields.Nested(MembershipSchema, allow_none=True)
    statement = fields.Nested(StatementSchema, allow_none=True)
    tags = fields.List(
        StrippedString(validate=validate.Length(min=1, max=MAX_TAG_LENGTH)),
        validate=validate.Length(max=MAX_TAGS),
    )
    priority = fields.Integer(
        strict=True,
        attribute="review_priority",
        validate=validate.Range(min=MIN_PRIORITY, max=MAX_PRIORITY),
        metadata={"description": "Review queue priority: 1 most urgent, 5 least (default 3)."},
    )
    reason = fields.String(
        load_only=True,
        validate=validate.Length(max=MAX_REASON_LENGTH),
        metadata={"description": "Why; recorded in the revision (or send X-Reason)."},
    )


class StatusThroughReviews:
    """Refuses ``status`` and ``rating`` in a client's claim, naming where they change instead."""

    @pre_load
    def refuse_status(self, data: Any, **kwargs: Any) -> Any:
        for name in VERDICT_FIELDS:
            if isinstance(data, dict) and name in data:
                raise ValidationError(
                    f"A claim's {name} changes through reviews: POST /claims/{{claim_id}}/reviews.",
                    name,
                )
        return data


class ClaimPatchSchema(StatusThroughReviews, ClaimFieldsSchema):
    """The fields PATCH /claims/{claim_id} changes."""


class EvidenceInputSchema(Schema):
    url = fields.String(required=True, validate=validate.Length(min=1, max=MAX_URL_LENGTH))
    stance = fields.Enum(Stance, by_value=True, required=True)
    excerpt = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=10_000)
    )


class DocumentReviewSchema(Schema):
    """One review of a claim's history, as an export carries it; ``public`` marks the
    published verdict. Loaded only by an admin into a new claim (claims.gate_verdict)."""

    reviewer = fields.String(required=True, validate=validate.Length(min=1, max=200))
    from_status = WorkflowStatus(required=True)
    to_status = WorkflowStatus(required=True)
    created_at = Timestamp(required=True)
    rationale = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=20_000)
    )
    rating = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=200)
    )
    evidence = fields.List(
        fields.Nested(EvidenceInputSchema), load_default=list, validate=validate.Length(max=50)
    )
    correction = JSONBoolean(load_default=False)
    published_at = Timestamp(load_default=None, allow_none=True)
    public = JSONBoolean(load_default=False)

    @validates_schema
    def check_public(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("public") and data.get("published_at") is None:
            raise ValidationError("the public review needs published_at", "published_at")


class DocumentClaimSchema(ClaimFieldsSchema):
    """A new claim with its source links, as it appears inside an article document.

    Documents are loaded by trusted tools (seed, import), which may set the status.
    """

    text = Text(MAX_TEXT_LENGTH, required=True)
    kind = fields.Enum(ClaimKind, by_value=True, required=True)
    status = WorkflowStatus()
    rating = fields.Nested(RatingSchema, allow_none=True)
    anchor = fields.Nested(DocumentAnchorSchema, allow_none=True)
    needs_review = fields.Nested(DocumentNeedsReviewSchema, allow_none=True)
    sources = fields.List(
        fields.Nested(SourceLinkInputSchema), validate=validate.Length(max=MAX_SOURCES_PER_CLAIM)
    )
    external_reviews = fields.List(
        fields.Nested(ExternalReviewSchema), validate=validate.Length(max=MAX_EXTERNAL_REVIEWS)
    )
    reviews = fields.List(
        fields.Nested(DocumentReviewSchema), validate=validate.Length(max=MAX_REVIEWS_PER_CLAIM)
    )

    @validates_schema
    def check_one_public_review(self, data: dict[str, Any], **kwargs: Any) -> None:
        if sum(review["public"] for review in data.get("reviews", [])) > 1:
            raise ValidationError("at most one review is the public verdict", "reviews")


class ClaimCreateSchema(StatusThroughReviews, DocumentClaimSchema):
    article_id = Id(required=True, strict=True)

    class Meta:
        exclude = (*VERDICT_FIELDS, "external_reviews", "anchor", "needs_review")


class ClaimSchema(Schema):
    """A claim as read; also the snapshot stored in each revision."""

    always_present = True

    id = fields.Integer()
    article_id = fields.Integer()
    key = fields.String(allow_none=True)
    text = fields.String()
    kind = fields.String()
    quote = fields.Nested(QuoteSchema, allow_none=True)
    anchor = fields.Nested(AnchorSchema, allow_none=True)
    needs_review = fields.Nested(NeedsReviewSchema, allow_none=True)
    verdict_concerns_earlier_version = fields.Boolean(
        dump_only=True,
        metadata={
            "description": "The published verdict concerns an earlier version of the article: "
            "the quoted words changed since (see needs_review). It stays public until a "
            "reviewer confirms the anchor (PUT /claims/{claim_id}/anchor) or reviews the "
            "claim again."
        },
    )
    quantity = fields.Nested(QuantitySchema, allow_none=True)
    membership = fields.Nested(MembershipSchema, allow_none=True)
    statement = fields.Nested(StatementSchema, allow_none=True)
    tags = fields.List(fields.String(), attribute="tag_names")
    status = fields.String()
    rating = fields.Nested(
        VerdictRatingSchema,
        allow_none=True,
        metadata={"description": "Our published verdict's rating; null until one is published."},
    )
    external_reviews = fields.List(
        fields.Nested(ExternalReviewSchema),
        metadata={"description": "Other fact-checkers' reviews of the claim: theirs, not ours."},
    )
    priority = fields.Integer(attribute="review_priority")
    published_review_id = fields.Integer(
        allow_none=True, metadata={"description": "The review whose verdict is published."}
    )
    sources = fields.List(fields.Nested(ClaimSourceSchema), attribute="source_links")
    revision = fields.Integer(metadata={"description": "The latest revision number; the ETag."})
    created_at = Timestamp()
    updated_at = Timestamp()
    deleted_at = Timestamp(allow_none=True)


CLAIM_SORTS = ("id", "-id", "created_at", "-created_at", "updated_at", "-updated_at")
# Claim ids grow with creation: id order is creation order but for claims imported with
# an earlier date, and each filter's index serves it (services/claims.py list_claims).
CLAIM_SORT_DESCRIPTION = (
    "id (the default): creation order, the order every filter is served in at the cost "
    "of the page alone; created_at, updated_at: by that time; '-' for descending."
)


class ClaimListArgs(PageArgs):
    article_id = Id()
    kind = fields.Enum(ClaimKind, by_value=True)
    status = fields.String(validate=validate.Length(max=MAX_STATUS_LENGTH))
    tag = fields.List(
        fields.String(validate=validate.Length(min=1, max=MAX_TAG_LENGTH)),
        metadata={"description": "Repeat to require several tags."},
    )
    speaker = fields.String(validate=validate.Length(min=1, max=MAX_NAME_LENGTH))
    source_id = Id()
    q = fields.String(
        validate=validate.Length(min=3, max=200),
        metadata={"description": "Text searched in the claim and its quote (3+ characters)."},
    )
    updated_since = Timestamp()
    matches_verdict = fields.Boolean(
        metadata={
            "description": "Only claims that are the same as, contradict or update a claim "
            "with a published verdict (ours or another fact-checker's): matched when either "
            "is written on its own or the verdict published (a bulk import is not matched)."
        }
    )
    sort = fields.String(
        load_default="id",
        validate=validate.OneOf(CLAIM_SORTS),
        metadata={"description": CLAIM_SORT_DESCRIPTION},
    )


class ArticleClaimListArgs(ClaimListArgs):
    class Meta:
        exclude = ("article_id",)


ClaimPageSchema = page_schema(ClaimSchema, "ClaimPage")

"""Fast validation of article documents for bulk imports (msgspec).

The API validates the same document format with marshmallow (schemas/); a bulk
import of 100,000 claims cannot afford marshmallow's ~80 µs per claim, so it
decodes with msgspec's compiled types and then applies the cross-field rules
below. Both produce the same data for the same input: tests/imports/
test_decoding.py holds them to it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from claims_api import workflow
from claims_api.errors import InvalidInput
from claims_api.limits import (
    MAX_ACTOR_LENGTH,
    MAX_ALIASES,
    MAX_ATTRIBUTION_LENGTH,
    MAX_AUTHORS,
    MAX_CLAIMS_PER_DOCUMENT,
    MAX_DECISIONS_PER_RELATION,
    MAX_ENTITY_ALIASES,
    MAX_EVIDENCE,
    MAX_EXTERNAL_REVIEWS,
    MAX_KEY_LENGTH,
    MAX_LANGUAGE_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PRIORITY,
    MAX_QUOTE_CONTEXT_LENGTH,
    MAX_RATING_TEXT,
    MAX_RATING_WORDING_LENGTH,
    MAX_RATIONALE_LENGTH,
    MAX_REASON_LENGTH,
    MAX_REVIEWS_PER_CLAIM,
    MAX_SOURCES_PER_CLAIM,
    MAX_STATUS_LENGTH,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    MAX_TEXT_LENGTH,
    MAX_TIMESTAMP_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_UNIT_LENGTH,
    MAX_URL_LENGTH,
    MAX_VERSIONS_PER_ARTICLE,
    MIN_PRIORITY,
)
from claims_api.models.entity import EntityKindValue
from claims_api.models.vocabulary import (
    STRUCTURED_KINDS,
    AnchorState,
    ClaimKind,
    MembershipRelation,
    RelationKind,
    RelationState,
    SourceKind,
    Stance,
    VersionOrigin,
)
from claims_api.schemas.claims import EXTERNAL_REVIEW_IDENTITY
from claims_api.schemas.common import LANGUAGE_TAG, MAX_ID
from claims_api.schemas.relations import newer_claim_error
from claims_api.services.article_versions import history_errors

Number = int | float
Id = Annotated[int, Meta(ge=1, le=MAX_ID)]
Url = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=MAX_URL_LENGTH,
        description=f"An absolute http(s) URL; at most {MAX_URL_LENGTH} characters once "
        "normalised (scheme and host lower-cased, tracking parameters dropped).",
    ),
]


# Strings by what they hold, each bounded by its limit (limits.py).
LongText = Annotated[str, Meta(max_length=MAX_TEXT_LENGTH)]
Name = Annotated[str, Meta(max_length=MAX_NAME_LENGTH)]
Title = Annotated[str, Meta(max_length=MAX_TITLE_LENGTH)]
QuoteContext = Annotated[str, Meta(max_length=MAX_QUOTE_CONTEXT_LENGTH)]
Unit = Annotated[str, Meta(max_length=MAX_UNIT_LENGTH)]
Attribution = Annotated[
    str,
    Meta(max_length=MAX_ATTRIBUTION_LENGTH),
    Meta(description='Such as "according to Chinese sources".'),
]
Tag = Annotated[str, Meta(max_length=MAX_TAG_LENGTH)]
# A workflow status's name; which names are statuses is the running workflow's to say.
Status = Annotated[str, Meta(max_length=MAX_STATUS_LENGTH)]
TimestampText = Annotated[str, Meta(max_length=MAX_TIMESTAMP_LENGTH)]
RatingUrl = Annotated[str, Meta(max_length=MAX_URL_LENGTH)]
Timestamp = Annotated[datetime, Meta(description="RFC 3339; without an offset it is UTC.")]
Day = Annotated[date, Meta(description="An ISO 8601 calendar date (YYYY-MM-DD).")]


class Strict(Struct, forbid_unknown_fields=True, omit_defaults=False):
    pass


class Quote(Strict):
    """Where the claim sits in article.body: body[start:end] == exact.

    start and end are Unicode code point offsets, end exclusive; prefix and suffix
    are the text just before and after (32 characters in seed files), to re-anchor
    the quote if the offsets drift. Given only exact, the one place the body says
    it is found; a body that says it more than once needs the offsets.
    """

    exact: Annotated[
        str,
        Meta(min_length=1, max_length=MAX_TEXT_LENGTH),
        Meta(description="The shortest part of the body that carries the claim."),
    ]
    start: Annotated[int, Meta(ge=0)] | UnsetType | None = UNSET
    end: Annotated[int, Meta(ge=0, description="Greater than start.")] | UnsetType | None = UNSET
    prefix: QuoteContext | UnsetType | None = UNSET
    suffix: QuoteContext | UnsetType | None = UNSET


class Quantity(Strict):
    """The structured fields of a quantity claim: numbers, counts, durations, shares.

    "thousands more" is lower_bound 2000 with no value; "most" is lower_bound 50,
    unit percent. value lies within the bounds given.
    """

    value: Number | None = None
    unit: Unit | None = None
    approximate: Annotated[bool, Meta(description='"around", "thousands".')] = False
    lower_bound: Number | None = None
    upper_bound: Number | None = None
    subject: Name | None = None
    location: Name | None = None
    as_of: Day | None = None


class Membership(Strict):
    """The structured fields of a membership claim: X is (or is not) part of an organisation."""

    member: Name
    organization: Name
    relation: MembershipRelation
    as_of: Day | None = None


class Statement(Strict):
    """The structured fields of a statement claim: a position attributed to a speaker."""

    speaker: Name
    speaker_role: Name | None = None
    audience: Name | None = None
    attribution: Attribution | None = None
    verbatim: Annotated[
        bool,
        Meta(description="true for a direct quotation, false for reported speech or a position."),
    ] = False


class Rating(Strict):
    """A rating another fact-checker gave (schema.org Rating), on its own scale and words."""

    value: Number | None = None
    best: Number | None = None
    worst: Number | None = None
    alternate_name: Name | None = None
    explanation: LongText | None = None
    review_url: RatingUrl | None = None
    reviewed_by: Name | None = None
    reviewed_at: TimestampText | None = None


RatingValue = Annotated[str, Meta(max_length=MAX_RATING_TEXT)] | Number


class ExternalRating(Strict):
    """Another fact-checker's rating exactly as given: numbers or words, on their scale."""

    value: RatingValue | None = None
    best: RatingValue | None = None
    worst: RatingValue | None = None
    alternate_name: Name | None = None
    name: Name | None = None


class ExternalReview(Strict):
    """Another fact-checker's review of the claim: theirs, never our status or rating.

    Matched on re-import by url, else by reviewer and published_at.
    """

    reviewer: Annotated[str, Meta(min_length=1, max_length=MAX_NAME_LENGTH)] | None = None
    reviewer_url: Annotated[str, Meta(max_length=MAX_URL_LENGTH)] | None = None
    url: Annotated[str, Meta(min_length=1, max_length=MAX_URL_LENGTH)] | None = None
    published_at: datetime | None = None
    rating: ExternalRating | None = None


class SourceLink(Strict):
    """A source the claim cites, with the link's stance.

    Give exactly one of source_id (an existing source) and url (found by its
    normalised URL, created if new); title, publisher, kind, archived_url and
    accessed_at describe a new source and come only with url. Stances: supports
    (the source confirms the claim), refutes (it contradicts it), context (relevant
    background, including the article the claim appears in).
    """

    stance: Stance
    source_id: Id | UnsetType = UNSET
    url: Url | UnsetType = UNSET
    title: Title | UnsetType | None = UNSET
    publisher: Name | UnsetType | None = UNSET
    kind: SourceKind | UnsetType = UNSET
    archived_url: Url | UnsetType | None = UNSET
    accessed_at: Timestamp | UnsetType | None = UNSET
    excerpt: LongText | UnsetType | None = UNSET
    note: LongText | UnsetType | None = UNSET


class Evidence(Strict):
    url: Annotated[str, Meta(min_length=1, max_length=MAX_URL_LENGTH)]
    stance: Stance
    excerpt: LongText | None = None


class ReviewEntry(Strict):
    """One review of the claim's history, as an export carries it (loaded only by an
    admin into a new claim: see claims.gate_verdict)."""

    reviewer: Annotated[str, Meta(min_length=1, max_length=MAX_ACTOR_LENGTH)]
    from_status: Status
    to_status: Status
    created_at: datetime
    rationale: Annotated[str, Meta(max_length=MAX_RATIONALE_LENGTH)] | None = None
    rating: Annotated[str, Meta(min_length=1, max_length=MAX_RATING_WORDING_LENGTH)] | None = None
    evidence: Annotated[list[Evidence], Meta(max_length=MAX_EVIDENCE)] = []
    correction: bool = False
    published_at: datetime | None = None
    public: bool = False


class SourceFields(Strict):
    url: Annotated[str, Meta(min_length=1, max_length=MAX_URL_LENGTH)]
    title: Title | UnsetType | None = UNSET
    publisher: Name | UnsetType | None = UNSET
    kind: SourceKind | UnsetType = UNSET
    archived_url: Annotated[str, Meta(max_length=MAX_URL_LENGTH)] | UnsetType | None = UNSET
    accessed_at: datetime | UnsetType | None = UNSET


class SourceRecord(Strict):
    """A source no claim cites, as a whole export carries it."""

    source: SourceFields


class Anchor(Strict):
    """Which body version the quote is in (article.versions), and how it got there when
    the body changed; a new claim keeps it, a claim that exists follows its article."""

    state: AnchorState
    version: Annotated[int, Meta(ge=1, description="The number of the version the quote is in.")]
    score: Annotated[float, Meta(ge=0, le=100)] | None = None
    previous_exact: LongText | None = None


class NeedsReview(Strict):
    """Why a reviewer must look at the claim (the words it quotes changed); kept by a new
    claim, cleared by a review or by confirming the anchor."""

    reason: Annotated[str, Meta(min_length=1, max_length=MAX_TEXT_LENGTH)]
    since: datetime


class ClaimEntry(Strict):
    """One checkable fact the article states.

    A claim carries only the structured object of its kind (quantity, membership or
    statement; none for event and other). Claims that exist (matched by key, else by
    kind and quote) are updated; an import never changes the status or rating of a
    claim that exists, and a new one keeps them only in an admin's load.
    """

    text: Annotated[
        LongText, Meta(description="The claim restated as one self-contained sentence.")
    ]
    kind: ClaimKind
    key: (
        Annotated[
            str,
            Meta(min_length=1, max_length=MAX_KEY_LENGTH),
            Meta(description="A stable name for the claim, unique within its article."),
        ]
        | UnsetType
        | None
    ) = UNSET
    quote: Quote | UnsetType | None = UNSET
    anchor: Anchor | UnsetType | None = UNSET
    needs_review: NeedsReview | UnsetType | None = UNSET
    quantity: Quantity | UnsetType | None = UNSET
    membership: Membership | UnsetType | None = UNSET
    statement: Statement | UnsetType | None = UNSET
    tags: (
        Annotated[
            list[Tag],
            Meta(max_length=MAX_TAGS, description="Names of the entities the claim is about."),
        ]
        | UnsetType
    ) = UNSET
    status: (
        Annotated[
            str,
            Meta(max_length=MAX_STATUS_LENGTH),
            Meta(
                description="A status of the running workflow (by default unverified, "
                "in_review, verified, mostly_true, misleading, false, unverifiable or disputed)."
            ),
        ]
        | UnsetType
    ) = UNSET
    rating: Rating | UnsetType | None = UNSET
    priority: (
        Annotated[
            int,
            Meta(
                ge=MIN_PRIORITY,
                le=MAX_PRIORITY,
                description="Review queue priority: 1 most urgent, 5 least (default 3).",
            ),
        ]
        | UnsetType
    ) = UNSET
    sources: Annotated[list[SourceLink], Meta(max_length=MAX_SOURCES_PER_CLAIM)] | UnsetType = UNSET
    reviews: Annotated[list[ReviewEntry], Meta(max_length=MAX_REVIEWS_PER_CLAIM)] | UnsetType = (
        UNSET
    )
    external_reviews: (
        Annotated[list[ExternalReview], Meta(max_length=MAX_EXTERNAL_REVIEWS)] | UnsetType
    ) = UNSET
    reason: (
        Annotated[
            str,
            Meta(max_length=MAX_REASON_LENGTH),
            Meta(description="Why; recorded in the revision."),
        ]
        | UnsetType
    ) = UNSET


class BodyVersion(Strict):
    """One body the article has had, as GET /articles/{id}/versions/{number} reads it."""

    number: Annotated[int, Meta(ge=1, description="1, 2, 3... in order, without gaps.")]
    body: str
    body_sha256: Annotated[
        str, Meta(pattern="^[0-9a-f]{64}$", description="The SHA-256 of body (UTF-8), in hex.")
    ]
    origin: VersionOrigin
    actor: Annotated[str, Meta(min_length=1, max_length=MAX_ACTOR_LENGTH)]
    created_at: datetime


class ArticleFields(Strict):
    """The news article whose words the claims are anchored in; found by its normalised URL."""

    url: Url
    title: Title
    publisher: Name | UnsetType | None = UNSET
    authors: Annotated[list[Name], Meta(max_length=MAX_AUTHORS)] | (UnsetType) = UNSET
    published_at: Timestamp | UnsetType | None = UNSET
    language: (
        Annotated[
            str,
            Meta(
                max_length=MAX_LANGUAGE_LENGTH,
                pattern=LANGUAGE_TAG,
                description="A BCP 47 language tag, such as en or pt-BR.",
            ),
        ]
        | UnsetType
        | None
    ) = UNSET
    body: (
        Annotated[
            str,
            Meta(
                description="The full article text exactly as read (not normalised); quote "
                "offsets count its characters. Null when no text is available (claims reviewed "
                "elsewhere)."
            ),
        ]
        | UnsetType
        | None
    ) = UNSET
    aliases: (
        Annotated[
            list[Url],
            Meta(
                max_length=MAX_ALIASES,
                description="Other URLs of the same document (its canonical URL, where "
                "fetching it was redirected); each is this article's only.",
            ),
        ]
        | UnsetType
    ) = UNSET
    versions: (
        Annotated[
            list[BodyVersion],
            Meta(
                max_length=MAX_VERSIONS_PER_ARTICLE,
                description="Every body the article has had, oldest first (an export's); "
                "body is the last one's text, or null when the body was taken away.",
            ),
        ]
        | UnsetType
    ) = UNSET


def _kind_rules() -> list[dict[str, Any]]:
    """JSON Schema for "a claim carries only its own kind's structured object"."""
    return [
        {
            "if": {"properties": {"kind": {"const": kind.value}}, "required": ["kind"]},
            "then": {
                "properties": {
                    other.value: {"type": "null"} for other in STRUCTURED_KINDS if other != kind
                }
            },
        }
        for kind in ClaimKind
    ]


class ArticleDocument(Strict):
    """One news article and the discrete, checkable claims it makes (docs/seed-format.md)."""

    article: ArticleFields
    claims: Annotated[
        list[Annotated[ClaimEntry, Meta(extra_json_schema={"allOf": _kind_rules()})]],
        Meta(max_length=MAX_CLAIMS_PER_DOCUMENT),
    ] = []


# The document as decoded and as its JSON Schema describes it (schema.py), with the
# one rule the structs cannot say: in an article with a body, quotes carry offsets.
Document = Annotated[
    ArticleDocument,
    Meta(
        extra_json_schema={
            "if": {
                "properties": {
                    "article": {"properties": {"body": {"type": "string"}}, "required": ["body"]}
                }
            },
            "then": {
                "properties": {
                    "claims": {
                        "items": {"properties": {"quote": {"required": ["exact", "start", "end"]}}}
                    }
                }
            },
        }
    ),
]

_decoder = msgspec.json.Decoder(Document)
_PATH = re.compile(r" - at `\$(.*)`$")
_MISSING = re.compile(r"Object missing required field `([^`]+)`")
DESCRIBING = ("title", "publisher", "kind", "archived_url", "accessed_at")


def _field(message: str) -> tuple[str, str]:
    """msgspec's "Expected `int` - at `$.claims[3].quote`" as ("claims.3.quote", reason);
    a missing field is named in the path itself ("article.title")."""
    match = _PATH.search(message)
    path = re.sub(r"\[(\d+)\]", r".\1", match.group(1)).lstrip(".") if match else ""
    reason = message[: match.start()] if match else message
    missing = _MISSING.match(reason)
    if missing:
        path = f"{path}.{missing.group(1)}" if path else missing.group(1)
        reason = "Missing data for required field."
    return path or "_body", reason


def decode_document(raw: bytes | dict[str, Any]) -> dict[str, Any]:
    """The validated document, shaped as schemas.documents.ArticleDocumentSchema loads it."""
    try:
        if isinstance(raw, bytes | str):
            decoded = _decoder.decode(raw)
        else:
            decoded = msgspec.convert(raw, Document)
    except msgspec.ValidationError as error:  # a subclass of DecodeError: first
        field, reason = _field(str(error))
        raise InvalidInput(
            "The document is not a valid article document.", errors={field: [reason]}
        ) from None
    except (msgspec.DecodeError, RecursionError) as error:
        message = f"invalid JSON: {str(error) or 'nested too deeply'}"
        raise InvalidInput(message, errors={"_body": [message]}) from None
    document: dict[str, Any] = msgspec.to_builtins(decoded)
    errors: dict[str, list[str]] = {}
    _check_article(document["article"], errors)
    for index, claim in enumerate(document["claims"]):
        _check_claim(claim, f"claims.{index}", errors)
    keys: dict[str, int] = {}
    for claim in document["claims"]:
        if claim.get("key"):
            keys[claim["key"]] = keys.get(claim["key"], 0) + 1
    for index, claim in enumerate(document["claims"]):
        if claim.get("key") and keys[claim["key"]] > 1:
            errors[f"claims.{index}.key"] = [
                f"the key {claim['key']!r} is used by another claim too"
            ]
    errors.update(history_errors(document["article"], document["claims"]))
    if errors:
        raise InvalidInput("The document is not a valid article document.", errors=errors)
    return document


def _stripped(
    container: dict[str, Any], name: str, path: str, errors: dict[str, list[str]]
) -> None:
    if isinstance(container.get(name), str):
        container[name] = container[name].strip()
        if not container[name]:
            errors[path] = ["Shorter than minimum length 1."]


def _stripped_items(values: list[str], path: str, errors: dict[str, list[str]]) -> None:
    for index, value in enumerate(values):
        values[index] = value.strip()
        if not values[index]:
            errors[f"{path}.{index}"] = ["Shorter than minimum length 1."]


def _timestamp(value: str | None) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _check_article(article: dict[str, Any], errors: dict[str, list[str]]) -> None:
    _stripped(article, "title", "article.title", errors)
    _stripped_items(article.get("authors", []), "article.authors", errors)
    if "published_at" in article:
        article["published_at"] = _timestamp(article["published_at"])
    for version in article.get("versions", []):
        version["created_at"] = _timestamp(version["created_at"])


def _check_claim(claim: dict[str, Any], path: str, errors: dict[str, list[str]]) -> None:
    if "priority" in claim:
        claim["review_priority"] = claim.pop("priority")
    _stripped(claim, "text", f"{path}.text", errors)
    if "status" in claim:
        unknown = workflow.current().unknown_status(claim["status"])
        if unknown is not None:
            errors[f"{path}.status"] = [unknown]
    _stripped_items(claim.get("tags", []), f"{path}.tags", errors)
    quote = claim.get("quote")
    if quote:
        start, end = quote.get("start"), quote.get("end")
        if (start is None) != (end is None):
            errors[f"{path}.quote.end"] = ["give both start and end, or neither"]
        elif start is not None and end <= start:
            errors[f"{path}.quote.end"] = ["must be greater than start"]
    if claim.get("needs_review"):
        claim["needs_review"]["since"] = _timestamp(claim["needs_review"]["since"])
    quantity = claim.get("quantity")
    if quantity:
        value, lower, upper = quantity["value"], quantity["lower_bound"], quantity["upper_bound"]
        if lower is not None and upper is not None and lower > upper:
            errors[f"{path}.quantity.upper_bound"] = ["must not be below lower_bound"]
        elif value is not None and lower is not None and value < lower:
            errors[f"{path}.quantity.value"] = ["must not be below lower_bound"]
        elif value is not None and upper is not None and value > upper:
            errors[f"{path}.quantity.value"] = ["must not be above upper_bound"]
    for name in ("membership", "statement"):
        for field in ("member", "organization") if name == "membership" else ("speaker",):
            if claim.get(name):
                _stripped(claim[name], field, f"{path}.{name}.{field}", errors)
    for index, link in enumerate(claim.get("sources", [])):
        where = f"{path}.sources.{index}"
        if ("source_id" in link) == ("url" in link):
            errors[f"{where}.source_id"] = ["give exactly one of source_id and url"]
        elif "source_id" in link and any(name in link for name in DESCRIBING):
            first = sorted(name for name in DESCRIBING if name in link)[0]
            errors[f"{where}.{first}"] = [
                "describes a new source; an existing one is edited at /sources/{id}"
            ]
        if "accessed_at" in link:
            link["accessed_at"] = _timestamp(link["accessed_at"])
    for index, review in enumerate(claim.get("external_reviews", [])):
        review["published_at"] = _timestamp(review["published_at"])
        if not review["url"] and not review["reviewer"]:
            errors[f"{path}.external_reviews.{index}.url"] = [EXTERNAL_REVIEW_IDENTITY]
    _check_reviews(claim.get("reviews", []), path, errors)


def _check_reviews(reviews: list[dict[str, Any]], path: str, errors: dict[str, list[str]]) -> None:
    """Statuses of the running workflow; at most one review is the public verdict, and it
    was published."""
    flow = workflow.current()
    for index, review in enumerate(reviews):
        for name in ("from_status", "to_status"):
            unknown = flow.unknown_status(review[name])
            if unknown is not None:
                errors[f"{path}.reviews.{index}.{name}"] = [unknown]
        review["created_at"] = _timestamp(review["created_at"])
        review["published_at"] = _timestamp(review["published_at"])
        if review["public"] and review["published_at"] is None:
            errors[f"{path}.reviews.{index}.published_at"] = [
                "the public review needs published_at"
            ]
    if sum(review["public"] for review in reviews) > 1:
        errors[f"{path}.reviews"] = ["at most one review is the public verdict"]


def decode_reviews(reviews: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Reviews in the document's form (an export's), as ``decode_document`` gives them:
    what the verdict gate compares a document's reviews with."""
    decoded: list[dict[str, Any]] = msgspec.to_builtins(msgspec.convert(reviews, list[ReviewEntry]))
    _check_reviews(decoded, "reviews", {})
    return decoded


def decode_source(raw: dict[str, Any]) -> dict[str, Any]:
    """The fields of a valid source record."""
    fields: dict[str, Any] = msgspec.to_builtins(_record(raw, SourceRecord, "source").source)
    if "accessed_at" in fields:
        fields["accessed_at"] = _timestamp(fields["accessed_at"])
    return fields


# Entity and relation records: what a whole export carries beside its article documents.

EntityName = Annotated[str, Meta(min_length=1, max_length=MAX_NAME_LENGTH)]


class EntityFields(Strict):
    """An entity claims are about, with every name it goes by (users' aliases and the names
    of entities merged into it included). Found by key, else by name; a name another
    entity goes by is a conflict."""

    name: EntityName
    kind: EntityKindValue
    key: (
        Annotated[
            str,
            Meta(min_length=1, max_length=MAX_KEY_LENGTH),
            Meta(
                description="The resolver's key (a Wikidata id, a slug such as org:csto) or "
                "name: and the normalised name; by default the Wikidata id, else the latter."
            ),
        ]
        | UnsetType
    ) = UNSET
    wikidata_id: Annotated[str, Meta(min_length=1, max_length=32)] | None = None
    aliases: Annotated[
        list[EntityName],
        Meta(max_length=MAX_ENTITY_ALIASES, description="Its names other than name."),
    ] = []
    created_at: Timestamp | UnsetType = UNSET


class EntityRecord(Strict):
    """An entity, as a whole export carries it before its article documents."""

    entity: EntityFields


class ClaimRef(Strict):
    """A claim named as an import finds it again, without ids (which a restore changes):
    its article's URL and its key; a keyless claim by its kind, text and quote offsets,
    and its ordinal among the article's live claims alike in all of those (0, the first,
    unless given)."""

    article: Url
    key: Annotated[str, Meta(min_length=1, max_length=MAX_KEY_LENGTH)] | UnsetType = UNSET
    kind: ClaimKind | UnsetType = UNSET
    text: LongText | UnsetType = UNSET
    quote_start: Annotated[int, Meta(ge=0)] | None = None
    quote_end: Annotated[int, Meta(ge=0)] | None = None
    ordinal: Annotated[int, Meta(ge=0)] = 0


class DecisionEntry(Strict):
    """One decision of a relation's history, as GET /claims/{id}/relations reads it;
    ``newer_claim`` is the position in ``claims`` (0 or 1) of the claim with the later
    value, for ``updates`` and only then."""

    decision: RelationState
    relation: RelationKind
    actor: Annotated[str, Meta(min_length=1, max_length=MAX_ACTOR_LENGTH)]
    created_at: datetime
    newer_claim: Annotated[int, Meta(ge=0, le=1)] | None = None
    note: Annotated[str, Meta(max_length=MAX_RATIONALE_LENGTH)] | None = None


class RelationFields(Strict):
    """How two claims relate: where the relation stands (its last decision's) and every
    decision, oldest first; restored (an admin's import only) by replaying them through
    the relations service, which rebuilds the groups confirmed ``same`` relations form."""

    claims: Annotated[list[ClaimRef], Meta(min_length=2, max_length=2)]
    relation: RelationKind
    state: RelationState
    decisions: Annotated[
        list[DecisionEntry], Meta(min_length=1, max_length=MAX_DECISIONS_PER_RELATION)
    ]
    newer_claim: Annotated[int, Meta(ge=0, le=1)] | None = None


class RelationRecord(Strict):
    """A relation between two claims, as a whole export carries it after its articles."""

    relation: RelationFields


def _record(raw: dict[str, Any], struct: type[Struct], what: str) -> Any:
    try:
        return msgspec.convert(raw, struct)
    except msgspec.ValidationError as error:
        field, reason = _field(str(error))
        raise InvalidInput(
            f"The record is not a valid {what} record.", errors={field: [reason]}
        ) from None


def decode_entity(raw: dict[str, Any]) -> dict[str, Any]:
    """The fields of a valid entity record."""
    fields: dict[str, Any] = msgspec.to_builtins(_record(raw, EntityRecord, "entity").entity)
    errors: dict[str, list[str]] = {}
    _stripped(fields, "name", "entity.name", errors)
    _stripped_items(fields["aliases"], "entity.aliases", errors)
    if errors:
        raise InvalidInput("The record is not a valid entity record.", errors=errors)
    if "created_at" in fields:
        fields["created_at"] = _timestamp(fields["created_at"])
    return fields


def _ref_errors(ref: dict[str, Any], path: str) -> dict[str, list[str]]:
    if "key" in ref:
        named = [name for name in ("kind", "text", "quote_start", "quote_end") if ref.get(name)]
        return (
            {f"{path}.{named[0]}": ["a claim with a key is named by its key alone"]}
            if named
            else {}
        )
    missing = [name for name in ("kind", "text") if name not in ref]
    if missing:
        return {f"{path}.{missing[0]}": ["a keyless claim is named by its kind and text"]}
    if (ref["quote_start"] is None) != (ref["quote_end"] is None):
        return {f"{path}.quote_end": ["give both quote_start and quote_end, or neither"]}
    return {}


def decode_relation(raw: dict[str, Any]) -> dict[str, Any]:
    """The fields of a valid relation record: a history a reviewer could have made."""
    fields: dict[str, Any] = msgspec.to_builtins(_record(raw, RelationRecord, "relation").relation)
    errors: dict[str, list[str]] = {}
    for index, ref in enumerate(fields["claims"]):
        errors.update(_ref_errors(ref, f"relation.claims.{index}"))
    if fields["claims"][0] == fields["claims"][1]:
        errors["relation.claims.1"] = ["a claim is not related to itself"]
    previous: dict[str, Any] | None = None
    for index, decision in enumerate(fields["decisions"]):
        where = f"relation.decisions.{index}"
        decision["created_at"] = _timestamp(decision["created_at"])
        wrong_newer = newer_claim_error(decision["relation"], decision["newer_claim"] is not None)
        if wrong_newer is not None:
            errors[f"{where}.newer_claim"] = [wrong_newer]
        if decision["decision"] == RelationState.WITHDRAWN:
            if previous is None or previous["decision"] == RelationState.WITHDRAWN:
                errors[f"{where}.decision"] = ["only a confirmed or rejected decision is withdrawn"]
            elif (previous["relation"], previous["newer_claim"]) != (
                decision["relation"],
                decision["newer_claim"],
            ):
                errors[f"{where}.relation"] = ["a withdrawal keeps the relation it takes back"]
        if previous is not None and decision["created_at"] < previous["created_at"]:
            errors[f"{where}.created_at"] = ["decisions are given oldest first"]
        previous = decision
    assert previous is not None  # at least one decision (min_length)
    for name, last in (
        ("relation", "relation"),
        ("state", "decision"),
        ("newer_claim", "newer_claim"),
    ):
        if fields[name] != previous[last]:
            errors[f"relation.{name}"] = ["must be the last decision's"]
    if errors:
        raise InvalidInput("The record is not a valid relation record.", errors=errors)
    return fields

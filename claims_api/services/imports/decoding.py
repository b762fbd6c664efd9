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
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from claims_api.errors import InvalidInput
from claims_api.limits import MAX_URL_LENGTH
from claims_api.models.vocabulary import STATUSES
from claims_api.schemas.common import MAX_ID

Str = lambda max_length: Annotated[str, Meta(max_length=max_length)]  # noqa: E731
Number = int | float
Kind = Literal["quantity", "membership", "statement", "event", "other"]
SourceKind = Literal[
    "news", "official_statement", "government_record", "dataset", "social_post", "other"
]
Stance = Literal["supports", "refutes", "context"]
Status = Literal[STATUSES]  # type: ignore[valid-type]
Id = Annotated[int, Meta(ge=1, le=MAX_ID)]
LANGUAGE = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"


class Strict(Struct, forbid_unknown_fields=True, omit_defaults=False):
    pass


class Quote(Strict):
    exact: Annotated[str, Meta(min_length=1, max_length=10_000)]
    start: Annotated[int, Meta(ge=0)] | UnsetType | None = UNSET
    end: Annotated[int, Meta(ge=0)] | UnsetType | None = UNSET
    prefix: Str(200) | UnsetType | None = UNSET
    suffix: Str(200) | UnsetType | None = UNSET


class Quantity(Strict):
    value: Number | None = None
    unit: Str(100) | None = None
    approximate: bool = False
    lower_bound: Number | None = None
    upper_bound: Number | None = None
    subject: Str(300) | None = None
    location: Str(300) | None = None
    as_of: date | None = None


class Membership(Strict):
    member: Str(300)
    organization: Str(300)
    relation: Literal["member", "not_member", "candidate", "applicant"]
    as_of: date | None = None


class Statement(Strict):
    speaker: Str(300)
    speaker_role: Str(300) | None = None
    audience: Str(300) | None = None
    attribution: Str(500) | None = None
    verbatim: bool = False


class Rating(Strict):
    value: Number | None = None
    best: Number | None = None
    worst: Number | None = None
    alternate_name: Str(300) | None = None
    explanation: Str(10_000) | None = None
    review_url: Str(MAX_URL_LENGTH) | None = None
    reviewed_by: Str(300) | None = None
    reviewed_at: Str(40) | None = None


class SourceLink(Strict):
    stance: Stance
    source_id: Id | UnsetType = UNSET
    url: Annotated[str, Meta(min_length=1, max_length=MAX_URL_LENGTH)] | UnsetType = UNSET
    title: Str(1000) | UnsetType | None = UNSET
    publisher: Str(300) | UnsetType | None = UNSET
    kind: SourceKind | UnsetType = UNSET
    archived_url: Str(MAX_URL_LENGTH) | UnsetType | None = UNSET
    accessed_at: datetime | UnsetType | None = UNSET
    excerpt: Str(10000) | UnsetType | None = UNSET
    note: Str(10000) | UnsetType | None = UNSET


class Evidence(Strict):
    url: Annotated[str, Meta(min_length=1, max_length=MAX_URL_LENGTH)]
    stance: Stance
    excerpt: Annotated[str, Meta(max_length=10_000)] | None = None


class ReviewEntry(Strict):
    """One review of the claim's history, as an export carries it (loaded only by an
    admin into a new claim: see claims.gate_verdict)."""

    reviewer: Annotated[str, Meta(min_length=1, max_length=200)]
    from_status: Status
    to_status: Status
    created_at: datetime
    rationale: Annotated[str, Meta(max_length=20_000)] | None = None
    rating: Annotated[str, Meta(min_length=1, max_length=200)] | None = None
    evidence: Annotated[list[Evidence], Meta(max_length=50)] = []
    correction: bool = False
    published_at: datetime | None = None
    public: bool = False


class SourceFields(Strict):
    url: Annotated[str, Meta(min_length=1, max_length=MAX_URL_LENGTH)]
    title: Annotated[str, Meta(max_length=1000)] | UnsetType | None = UNSET
    publisher: Annotated[str, Meta(max_length=300)] | UnsetType | None = UNSET
    kind: SourceKind | UnsetType = UNSET
    archived_url: Annotated[str, Meta(max_length=MAX_URL_LENGTH)] | UnsetType | None = UNSET
    accessed_at: datetime | UnsetType | None = UNSET


class SourceRecord(Strict):
    """A source no claim cites, as a whole export carries it."""

    source: SourceFields


class ClaimEntry(Strict):
    text: Str(10_000)
    kind: Kind
    key: Annotated[str, Meta(min_length=1, max_length=200)] | UnsetType | None = UNSET
    quote: Quote | UnsetType | None = UNSET
    quantity: Quantity | UnsetType | None = UNSET
    membership: Membership | UnsetType | None = UNSET
    statement: Statement | UnsetType | None = UNSET
    tags: Annotated[list[Str(100)], Meta(max_length=50)] | UnsetType = UNSET
    status: Status | UnsetType = UNSET
    rating: Rating | UnsetType | None = UNSET
    priority: Annotated[int, Meta(ge=1, le=5)] | UnsetType = UNSET
    sources: Annotated[list[SourceLink], Meta(max_length=100)] | UnsetType = UNSET
    reviews: Annotated[list[ReviewEntry], Meta(max_length=1000)] | UnsetType = UNSET
    reason: Str(2000) | UnsetType = UNSET


class ArticleFields(Strict):
    url: Annotated[str, Meta(min_length=1, max_length=MAX_URL_LENGTH)]
    title: Str(1000)
    publisher: Str(300) | UnsetType | None = UNSET
    authors: Annotated[list[Str(300)], Meta(max_length=100)] | UnsetType = UNSET
    published_at: datetime | UnsetType | None = UNSET
    language: Annotated[str, Meta(pattern=LANGUAGE)] | UnsetType | None = UNSET
    body: str | UnsetType | None = UNSET


class ArticleDocument(Strict):
    article: ArticleFields
    claims: Annotated[list[ClaimEntry], Meta(max_length=10_000)] = []


_decoder = msgspec.json.Decoder(ArticleDocument)
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
            decoded = msgspec.convert(raw, ArticleDocument)
    except msgspec.ValidationError as error:  # a subclass of DecodeError: first
        field, reason = _field(str(error))
        raise InvalidInput(
            "The document is not a valid article document.", errors={field: [reason]}
        ) from None
    except (msgspec.DecodeError, RecursionError) as error:
        message = f"invalid JSON: {error or 'nested too deeply'}"
        raise InvalidInput(message, errors={"_body": [message]}) from None
    document = msgspec.to_builtins(decoded)
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


def _check_claim(claim: dict[str, Any], path: str, errors: dict[str, list[str]]) -> None:
    if "priority" in claim:
        claim["review_priority"] = claim.pop("priority")
    _stripped(claim, "text", f"{path}.text", errors)
    _stripped_items(claim.get("tags", []), f"{path}.tags", errors)
    quote = claim.get("quote")
    if quote:
        start, end = quote.get("start"), quote.get("end")
        if (start is None) != (end is None):
            errors[f"{path}.quote.end"] = ["give both start and end, or neither"]
        elif start is not None and end <= start:
            errors[f"{path}.quote.end"] = ["must be greater than start"]
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
    _check_reviews(claim.get("reviews", []), path, errors)


def _check_reviews(reviews: list[dict[str, Any]], path: str, errors: dict[str, list[str]]) -> None:
    """At most one review is the public verdict, and it was published."""
    for index, review in enumerate(reviews):
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
    try:
        decoded = msgspec.convert(raw, SourceRecord)
    except msgspec.ValidationError as error:
        field, reason = _field(str(error))
        raise InvalidInput(
            "The record is not a valid source record.", errors={field: [reason]}
        ) from None
    fields: dict[str, Any] = msgspec.to_builtins(decoded.source)
    if "accessed_at" in fields:
        fields["accessed_at"] = _timestamp(fields["accessed_at"])
    return fields

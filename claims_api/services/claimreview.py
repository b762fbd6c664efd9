"""schema.org ClaimReview: reading other fact-checkers' reviews and writing ours.

The status ↔ rating table is in docs/claimreview-ratings.md; keep the two in step.
"""

from __future__ import annotations

import hashlib
import math
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from claims_api import workflow
from claims_api.models import Article, Claim
from claims_api.services.urls import InvalidURL, normalize_url

# Rating names fact-checkers use, lower-cased without punctuation, and our status for each.
RATING_NAMES: dict[str, str] = {
    **dict.fromkeys(["true", "correct", "accurate", "verified"], "verified"),
    **dict.fromkeys(["mostly true", "mostly correct", "mostly accurate"], "mostly_true"),
    **dict.fromkeys(
        [
            "half true",
            "misleading",
            "mixture",
            "partly false",
            "partly true",
            "missing context",
            "out of context",
            "exaggerated",
        ],
        "misleading",
    ),
    **dict.fromkeys(
        ["mostly false", "false", "incorrect", "fake", "pants on fire", "fabricated", "wrong"],
        "false",
    ),
    **dict.fromkeys(
        ["unproven", "unverifiable", "unsupported", "no evidence", "not enough evidence"],
        "unverifiable",
    ),
    "disputed": "disputed",
}
# Below this distance (on a 0-1 scale) a rating's number and its name agree.
AGREEMENT = 0.5
WORST, BEST = 1, 5  # schema.org's defaults for worstRating and bestRating
KEY_PREFIX = "claimreview:"
MAX_KEY = 200


class ClaimReviewError(ValueError):
    """A record that cannot be imported as a claim; ``field`` names the JSON-LD property."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


def _types(node: Any) -> set[str]:
    kind = node.get("@type") if isinstance(node, dict) else None
    values = kind if isinstance(kind, list) else [kind]
    return {str(value).removeprefix("schema:").rsplit("/", 1)[-1] for value in values if value}


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _text(value: Any) -> str | None:
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("name") or value.get("headline") or value.get("value")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _url(node: Any) -> str | None:
    node = _first(node)
    if isinstance(node, str):
        return node.strip() or None
    if isinstance(node, dict):
        for name in ("url", "@id", "contentUrl"):
            if isinstance(node.get(name), str) and node[name].strip():
                return str(node[name]).strip()
    return None


def _number(value: Any) -> int | float | None:
    """A finite number from a JSON number or numeric string; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    if isinstance(value, int):
        return value
    try:
        number = float(value)
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    return int(number) if number.is_integer() else number


def _timestamp(value: Any) -> str | None:
    """An ISO date or date-time as an RFC 3339 UTC timestamp, or None if unreadable."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def _position(value: float, best: float, worst: float) -> float | None:
    """Where ``value`` sits between worst (0) and best (1), or None off the scale."""
    if best == worst:
        return None
    position = (value - worst) / (best - worst)
    return position if 0 <= position <= 1 else None


def _verdict_positions() -> dict[str, float]:
    """Each numbered verdict of the workflow and its place on a 0-1 scale."""
    positions = {}
    for status in workflow.current().verdicts:
        rating = workflow.rating_for(status)
        if rating and rating.rating_value is not None:
            place = _position(rating.rating_value, rating.best_rating, rating.worst_rating)
            if place is not None:
                positions[status] = place
    return positions


def _status_by_name(name: str | None) -> str | None:
    if not name:
        return None
    wanted = re.sub(r"[^a-z ]", "", name.lower()).strip()
    current = workflow.current()
    for status in current.verdicts:
        rating = current.rating_for(status)
        if rating and re.sub(r"[^a-z ]", "", rating.alternate_name.lower()).strip() == wanted:
            return status
    synonym = RATING_NAMES.get(wanted)
    return synonym if synonym in current.statuses else None


def status_for_rating(rating: dict[str, Any] | None) -> tuple[str, str | None]:
    """The workflow status for another fact-checker's rating, and a warning when unclear.

    The name decides when it is one the workflow (or a common synonym) knows;
    the number, placed on its own scale, picks the nearest numbered verdict
    otherwise. When both exist and contradict each other (schema.org's own
    example rates a claim 1 of 6 and names it "True") nothing is guessed: the
    claim keeps the workflow's initial status and the rating as given.
    """
    initial = workflow.current().initial
    if not rating:
        return initial, "no reviewRating: status left at its initial value"
    name, value = rating.get("alternate_name"), rating.get("value")
    best = rating["best"] if rating.get("best") is not None else BEST
    worst = rating["worst"] if rating.get("worst") is not None else WORST
    place = _position(value, best, worst) if value is not None else None
    positions = _verdict_positions()
    by_name = _status_by_name(name)
    by_number = (
        min(positions, key=lambda status: abs(positions[status] - place))
        if place is not None and positions
        else None
    )
    if by_name in positions and place is not None and abs(positions[by_name] - place) >= AGREEMENT:
        return initial, (
            f"rating {value} of {best} and its name {name!r} disagree: "
            "status left at its initial value, rating kept as given"
        )
    status = by_name or by_number
    if status is None:
        return initial, f"rating {name or value!r} is not one this service knows: status left as is"
    return status, None


def document_from_claimreview(review: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """An article document (the seeds/ format) for one ClaimReview, with warnings.

    The claim belongs to the page it appeared on (itemReviewed's appearance or
    firstAppearance, or the work it is part of); with none given, to the review's
    own page. That page has no body text here, so the claim keeps no quote.
    """
    types = _types(review)
    if "ClaimReview" not in types:
        found = ", ".join(sorted(types)) or "no @type"
        raise ClaimReviewError(
            "@type", f"{found} is not a ClaimReview; only ClaimReview is imported"
        )
    claim_text = _text(review.get("claimReviewed"))
    if not claim_text:
        raise ClaimReviewError(
            "claimReviewed", "missing: a ClaimReview must say what claim it reviews"
        )
    review_url = _url(review.get("url")) or _url(review)
    identifier = _text(review.get("identifier"))
    if not review_url and not identifier:
        raise ClaimReviewError(
            "url", "missing, and no identifier: the review could not be matched on re-import"
        )
    warnings: list[str] = []
    item = _first(review.get("itemReviewed"))
    item = item if isinstance(item, dict) else {}
    reviewer = _first(review.get("author"))
    reviewed_by = _text(reviewer) or _url(reviewer)
    speaker = _first(item.get("author"))
    appearance = (
        _first(item.get("appearance"))
        or _first(item.get("firstAppearance"))
        or item.get("isPartOf")
    )
    article_url = _url(appearance) or _url(item) or review_url
    if article_url is None:
        raise ClaimReviewError(
            "itemReviewed", "no URL for where the claim appeared, nor for the review"
        )
    if article_url == review_url:
        warnings.append("no appearance URL for the claim: it is filed under the review's own page")
    published = _timestamp(
        (appearance if isinstance(appearance, dict) else {}).get("datePublished")
    ) or (_timestamp(item.get("datePublished")))
    rating_node = _first(review.get("reviewRating"))
    rating = None
    if isinstance(rating_node, dict):
        rating = {
            "value": _number(rating_node.get("ratingValue")),
            "best": _number(rating_node.get("bestRating")),
            "worst": _number(rating_node.get("worstRating")),
            "alternate_name": _text(rating_node.get("alternateName")),
            "explanation": _text(rating_node.get("ratingExplanation"))
            or _text(review.get("reviewBody")),
            "review_url": review_url,
            "reviewed_by": reviewed_by,
            "reviewed_at": _timestamp(review.get("datePublished")),
        }
    status, warning = status_for_rating(rating)
    # A fallback status says nothing: leave it out, so that a claim keeps its own.
    if warning:
        warnings.append(warning)
    claim: dict[str, Any] = {
        "key": claim_key(identifier or review_url or ""),
        "text": claim_text,
        "kind": "statement" if _text(speaker) else "other",
        "rating": rating,
        "sources": [],
    }
    if warning is None:
        claim["status"] = status
    if _text(speaker):
        claim["statement"] = {
            "speaker": _text(speaker),
            "speaker_role": _text(
                (speaker or {}).get("jobTitle") if isinstance(speaker, dict) else None
            ),
            "attribution": f"as reviewed by {reviewed_by}" if reviewed_by else None,
            "verbatim": False,
        }
    if review_url:
        claim["sources"].append(
            {
                "url": review_url,
                "title": _text(review.get("headline"))
                or _text(review.get("name"))
                or f"Fact check: {claim_text[:200]}",
                "publisher": reviewed_by,
                "kind": "news",
                "stance": "context",
                "note": "The ClaimReview this claim was imported from.",
            }
        )
    # No body: the review does not carry the page's text (and an article already
    # held keeps its own; see PendingDocument.describes_article).
    article = {
        "url": article_url,
        "title": _text(appearance) or _text(item) or claim_text[:1000],
        "published_at": published,
    }
    return {"article": article, "claims": [claim]}, warnings


def claim_key(reference: str) -> str:
    """A claim key for a review's identifier or URL, short enough for the key column."""
    try:
        reference = normalize_url(reference)
    except InvalidURL:
        reference = reference.strip()
    key = KEY_PREFIX + reference
    if len(key) > MAX_KEY:
        key = KEY_PREFIX + hashlib.sha256(reference.encode()).hexdigest()
    return key


def claimreview_for(
    claim: Claim, article: Article, *, review_url: str, publisher: str
) -> dict[str, Any] | None:
    """The ClaimReview JSON-LD of a claim: its published verdict, or a rating imported
    from another fact-checker (written back as it was given); None with neither."""
    rating = claim.rating or {}
    ours = workflow.rating_for(claim.status) if claim.published_review_id is not None else None
    if ours is None and not rating:
        return None
    if ours is None:
        review_rating = {
            "@type": "Rating",
            "alternateName": rating.get("alternate_name"),
            "ratingValue": rating.get("value"),
            "bestRating": rating.get("best"),
            "worstRating": rating.get("worst"),
            "ratingExplanation": rating.get("explanation"),
        }
        url = rating.get("review_url") or review_url
        author = rating.get("reviewed_by") or publisher
        reviewed_at = rating.get("reviewed_at")
    else:
        review_rating = ours.as_schema_org()
        url, author, reviewed_at = review_url, publisher, None
    statement = claim.statement or {}
    claim_author = (
        {"@type": "Person", "name": statement["speaker"], "jobTitle": statement.get("speaker_role")}
        if statement.get("speaker")
        else {"@type": "Organization", "name": article.publisher}
        if article.publisher
        else None
    )
    item: dict[str, Any] = {
        "@type": "Claim",
        "author": _compact(claim_author) if claim_author else None,
        "datePublished": _date(article.published_at),
        "appearance": {"@type": "CreativeWork", "url": article.url, "headline": article.title},
    }
    return _compact(
        {
            "@context": "https://schema.org",
            "@type": "ClaimReview",
            "url": url,
            "claimReviewed": claim.text,
            "datePublished": reviewed_at[:10] if reviewed_at else _date(claim.updated_at),
            "author": {
                "@type": "Organization",
                "url" if author.startswith(("http://", "https://")) else "name": author,
            },
            "reviewRating": _compact(review_rating),
            "itemReviewed": _compact(item),
        }
    )


def _date(moment: datetime | date | None) -> str | None:
    return moment.date().isoformat() if isinstance(moment, datetime) else None


def _compact(node: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in node.items() if value is not None}

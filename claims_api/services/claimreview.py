"""schema.org ClaimReview: reading other fact-checkers' reviews and writing ours.

Theirs are kept as external reviews, exactly as given; ours carry the workflow's
rating of the published verdict. docs/claimreview-ratings.md describes both.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from flask import current_app

from claims_api.entities.types import entity_type
from claims_api.limits import MAX_RATING_TEXT
from claims_api.models import Article, Claim
from claims_api.services.urls import InvalidURL, normalize_url

KEY_PREFIX = "claimreview:"
MAX_KEY = 200
# Google recommends a claimReviewed under 75 characters.
SHORT_FORM = 75


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


def _given(value: Any) -> int | float | str | None:
    """A rating's number exactly as given: a finite JSON number or a short text; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        value = int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str) and 0 < len(value.strip()) <= MAX_RATING_TEXT:
        return value.strip()
    return None


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
    external = _external_review(review, review_url, reviewer, warnings)
    claim: dict[str, Any] = {
        "key": claim_key(identifier or review_url or ""),
        "text": claim_text,
        "kind": "statement" if _text(speaker) else "other",
        "sources": [],
        "external_reviews": [external] if external else [],
    }
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


def _external_review(
    review: dict[str, Any], review_url: str | None, reviewer: Any, warnings: list[str]
) -> dict[str, Any] | None:
    """The review as another fact-checker's, kept on the claim: who, when, where, and
    their rating exactly as given (never mapped onto our statuses)."""
    name = _text(reviewer)
    if not review_url and not name:
        warnings.append("neither a url nor an author: the review itself is not kept")
        return None
    node = _first(review.get("reviewRating"))
    rating = None
    if isinstance(node, dict):
        rating = {
            "value": _given(node.get("ratingValue")),
            "best": _given(node.get("bestRating")),
            "worst": _given(node.get("worstRating")),
            "alternate_name": _text(node.get("alternateName")),
            "name": _text(node.get("name")),
        }
    else:
        warnings.append("no reviewRating: the review is kept without a rating")
    return {
        "reviewer": name,
        "reviewer_url": _url(reviewer) if isinstance(reviewer, dict) else None,
        "url": review_url,
        "published_at": _timestamp(review.get("datePublished")),
        "rating": rating,
    }


@dataclass(frozen=True)
class Publisher:
    """Who publishes our ClaimReviews, and where each claim's fact check is read.

    Read from the configuration by the service itself, so that every adapter (the
    API, the CLI) publishes the same document.
    """

    name: str
    url: str
    url_template: str

    @classmethod
    def configured(cls) -> Publisher:
        config = current_app.config
        template = config["FACTCHECK_URL_TEMPLATE"]
        return cls(config["PUBLISHER_NAME"], config["PUBLISHER_URL"] or site_of(template), template)

    def factcheck_url(self, claim_id: int) -> str:
        return self.url_template.format(claim_id=claim_id)


def site_of(url: str) -> str:
    """The site a URL is on (scheme and host), with a trailing slash."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def short_form(text: str) -> str:
    """The claim as ``claimReviewed``: the text itself up to 75 characters, else cut at
    the last word boundary that leaves room for an ellipsis (a word longer than that
    is cut where it must)."""
    text = " ".join(text.split())
    if len(text) <= SHORT_FORM:
        return text
    room = text[: SHORT_FORM - 1]
    cut = room.rsplit(" ", 1)[0] if " " in room else room
    return cut.rstrip(" ,;:.-") + "…"


def claimreview_for(
    claim: Claim, appearances: Sequence[Article], publisher: Publisher
) -> dict[str, Any] | None:
    """The ClaimReview JSON-LD of our published verdict on a claim; None before one is
    published. Other fact-checkers' reviews are theirs to publish, not ours.

    ``appearances``: every article the claim appears in (today, its own article).
    """
    review, rating = claim.published_review, claim.rating
    if review is None or rating is None:
        return None
    # The verdict stays public when the claim's words change under it; the article it
    # quotes says when it changed, a date after the review's.
    changed = claim.needs_review_since if claim.verdict_concerns_earlier_version else None
    works = [_appearance(article, claim, changed) for article in appearances]
    first = min(
        appearances,
        key=lambda article: (article.published_at is None, article.published_at, article.id),
    )
    item: dict[str, Any] = {
        "@type": "Claim",
        "author": _claim_author(claim, first),
        "datePublished": _date(first.published_at),
        "appearance": works,
        "firstAppearance": _appearance(first, claim, changed),
    }
    return _compact(
        {
            "@context": "https://schema.org",
            "@type": "ClaimReview",
            "url": publisher.factcheck_url(claim.id),
            "claimReviewed": short_form(claim.text),
            "datePublished": _date(review.published_at),
            "author": {"@type": "Organization", "name": publisher.name, "url": publisher.url},
            "reviewRating": _compact(
                {
                    "@type": "Rating",
                    "alternateName": rating["alternate_name"],
                    "name": rating["name"],
                    "ratingValue": rating["value"],
                    "bestRating": rating["best"],
                    "worstRating": rating["worst"],
                }
            ),
            "itemReviewed": _compact(item),
        }
    )


def _claim_author(claim: Claim, article: Article) -> dict[str, Any] | None:
    """The speaker of a statement, typed by ``entity_type``; else the article's publisher."""
    statement = claim.statement or {}
    if statement.get("speaker"):
        kind = entity_type(statement["speaker"])
        role = statement.get("speaker_role") if kind == "Person" else None
        return _compact({"@type": kind, "name": statement["speaker"], "jobTitle": role})
    if article.publisher:
        return {"@type": "Organization", "name": article.publisher}
    return None


def _appearance(article: Article, claim: Claim, changed: datetime | None) -> dict[str, Any]:
    """An article the claim appears in; ``dateModified`` when the words the claim quotes
    in it changed after the verdict (``changed``)."""
    return _compact(
        {
            "@type": "CreativeWork",
            "url": article.url,
            "headline": article.title,
            "datePublished": _date(article.published_at),
            "dateModified": changed.isoformat()
            if changed is not None and article.id == claim.article_id
            else None,
        }
    )


def _date(moment: datetime | date | None) -> str | None:
    return moment.date().isoformat() if isinstance(moment, datetime) else None


def _compact(node: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in node.items() if value is not None}

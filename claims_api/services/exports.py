"""Streaming exports: article documents as JSON Lines (the import format) and ClaimReview.

Articles are read in keyset batches with their claims, and the session is
emptied after each batch, so memory stays flat however much is exported.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, select

from claims_api.errors import Conflict
from claims_api.extensions import db
from claims_api.models import Article, Claim
from claims_api.services.claimreview import Publisher, claimreview_for
from claims_api.services.claims import CLAIM_LOAD_OPTIONS, get_claim

ARTICLES_PER_BATCH = 100
FORMATS = ("jsonl", "claimreview")
MEDIA_TYPES = {"jsonl": "application/x-ndjson", "claimreview": "application/ld+json"}


@dataclass(frozen=True)
class ExportFilter:
    since: datetime | None = None
    article_id: int | None = None
    status: str | None = None

    def claim_conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [Claim.deleted_at.is_(None)]
        if self.since is not None:
            conditions.append(Claim.updated_at >= self.since)
        if self.status is not None:
            conditions.append(Claim.status == self.status)
        return conditions

    @property
    def narrows_claims(self) -> bool:
        return self.since is not None or self.status is not None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def article_document(article: Article) -> dict[str, Any]:
    return {
        "url": article.url,
        "title": article.title,
        "publisher": article.publisher,
        "authors": article.authors,
        "published_at": _iso(article.published_at),
        "language": article.language,
        "body": article.body,
    }


def claim_document(claim: Claim) -> dict[str, Any]:
    """A claim in the import format: importing it back gives the same claim."""
    document: dict[str, Any] = {
        "key": claim.key,
        "text": claim.text,
        "kind": str(claim.kind),
        "quote": claim.quote,
        "tags": claim.tag_names,
        "status": claim.status,
        "priority": claim.review_priority,
        "sources": [
            {
                "url": link.source.url,
                "title": link.source.title,
                "publisher": link.source.publisher,
                "kind": str(link.source.kind),
                "archived_url": link.source.archived_url,
                "accessed_at": _iso(link.source.accessed_at),
                "stance": str(link.stance),
                "excerpt": link.excerpt,
                "note": link.note,
            }
            for link in claim.source_links
        ],
    }
    if claim.external_reviews:
        document["external_reviews"] = [review.as_document() for review in claim.external_reviews]
    if claim.details is not None:
        document[str(claim.kind)] = claim.details
    return document


def _batches(selection: ExportFilter) -> Iterator[list[tuple[Article, list[Claim]]]]:
    """Articles (by id) with their matching live claims, a batch at a time."""
    last_id = 0
    while True:
        statement = select(Article).where(Article.id > last_id)
        if selection.article_id is not None:
            statement = statement.where(Article.id == selection.article_id)
        if selection.narrows_claims:
            statement = statement.where(
                exists().where(Claim.article_id == Article.id, *selection.claim_conditions())
            )
        articles = db.session.scalars(
            statement.order_by(Article.id).limit(ARTICLES_PER_BATCH)
        ).all()
        if not articles:
            return
        claims: dict[int, list[Claim]] = defaultdict(list)
        claim_statement = (
            select(Claim)
            .where(Claim.article_id.in_([article.id for article in articles]))
            .where(*selection.claim_conditions())
            .options(*CLAIM_LOAD_OPTIONS)
            .order_by(Claim.article_id, Claim.id)
        )
        for claim in db.session.scalars(claim_statement):
            claims[claim.article_id].append(claim)
        yield [(article, claims[article.id]) for article in articles]
        last_id = articles[-1].id
        db.session.expunge_all()


def iter_documents(selection: ExportFilter) -> Iterator[dict[str, Any]]:
    for batch in _batches(selection):
        for article, claims in batch:
            yield {
                "article": article_document(article),
                "claims": [claim_document(claim) for claim in claims],
            }


def iter_claimreviews(selection: ExportFilter) -> Iterator[dict[str, Any]]:
    """ClaimReview JSON-LD for every matching claim with a published verdict."""
    publisher = Publisher.configured()
    for batch in _batches(selection):
        for article, claims in batch:
            for claim in claims:
                review = claimreview_for(claim, [article], publisher)
                if review is not None:
                    yield review


def claimreview_of_claim(claim_id: int) -> dict[str, Any]:
    """The ClaimReview of one claim; 409 while it has no published verdict."""
    claim = get_claim(claim_id)
    article = db.session.get(Article, claim.article_id)
    assert article is not None
    review = claimreview_for(claim, [article], Publisher.configured())
    if review is None:
        raise Conflict(
            f"Claim {claim_id} has no published verdict (status {claim.status!r}): "
            "there is no review to publish."
        )
    return review


def export_chunks(export_format: str, selection: ExportFilter) -> Iterator[str]:
    """The export as text chunks: JSON Lines, or one schema.org DataFeed of ClaimReviews."""
    if export_format == "jsonl":
        for document in iter_documents(selection):
            yield json.dumps(document, ensure_ascii=False) + "\n"
        return
    yield '{"@context": "https://schema.org", "@type": "DataFeed", "dataFeedElement": ['
    separator = "\n"
    for review in iter_claimreviews(selection):
        review.pop("@context", None)
        yield separator + json.dumps(review, ensure_ascii=False)
        separator = ",\n"
    yield "\n]}\n"

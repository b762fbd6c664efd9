"""Streaming exports: article documents as JSON Lines (the import format) and ClaimReview.

A whole JSON Lines export is a backup: beside the article documents it holds entity,
source and relation records, so that importing it into an empty database restores all.

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
from sqlalchemy.orm import aliased

from claims_api.errors import Conflict
from claims_api.extensions import db
from claims_api.models import (
    Article,
    ArticleVersion,
    Claim,
    ClaimRelation,
    ClaimSource,
    Entity,
    Review,
    Source,
)
from claims_api.services.claimreview import Publisher, claimreview_for
from claims_api.services.claims import CLAIM_LOAD_OPTIONS, get_claim
from claims_api.services.entities import describe
from claims_api.services.relations import decisions_of

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

    @property
    def is_everything(self) -> bool:
        return not self.narrows_claims and self.article_id is None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def article_document(article: Article, versions: list[ArticleVersion]) -> dict[str, Any]:
    """The article with its other URLs and every body it has had (``body`` is the last
    one's, or null once taken away): what a restore needs to re-anchor claims' quotes
    in the version they were taken from."""
    return {
        "url": article.url,
        "title": article.title,
        "publisher": article.publisher,
        "authors": article.authors,
        "published_at": _iso(article.published_at),
        "language": article.language,
        "body": article.body,
        "aliases": [alias.url for alias in article.aliases],
        "versions": [
            {
                "number": version.number,
                "body": version.body,
                "body_sha256": version.body_sha256,
                "origin": str(version.origin),
                "actor": version.actor,
                "created_at": _iso(version.created_at),
            }
            for version in versions
        ],
    }


def versions_by_article(article_ids: list[int]) -> dict[int, list[ArticleVersion]]:
    """The body versions of these articles, each article's numbered in order."""
    versions: dict[int, list[ArticleVersion]] = defaultdict(list)
    statement = (
        select(ArticleVersion)
        .where(ArticleVersion.article_id.in_(article_ids))
        .order_by(ArticleVersion.article_id, ArticleVersion.number)
    )
    for version in db.session.scalars(statement):
        versions[version.article_id].append(version)
    return versions


def source_document(source: Source) -> dict[str, Any]:
    return {
        "url": source.url,
        "title": source.title,
        "publisher": source.publisher,
        "kind": str(source.kind),
        "archived_url": source.archived_url,
        "accessed_at": _iso(source.accessed_at),
    }


def review_document(review: Review, claim: Claim) -> dict[str, Any]:
    """A review as an export carries it: sources by URL (ids differ after a restore), and
    whether it is the claim's public verdict."""
    return {
        "reviewer": review.reviewer,
        "from_status": review.from_status,
        "to_status": review.to_status,
        "created_at": _iso(review.created_at),
        "rationale": review.rationale,
        "rating": review.rating,
        "evidence": [
            {"url": item["url"], "stance": item["stance"], "excerpt": item.get("excerpt")}
            for item in review.evidence
        ],
        "correction": review.correction,
        "published_at": _iso(review.published_at),
        "public": review.id == claim.published_review_id,
    }


def reviews_by_claim(claim_ids: list[int]) -> dict[int, list[Review]]:
    """The reviews of these claims, each claim's in the order they were given."""
    reviews: dict[int, list[Review]] = defaultdict(list)
    statement = (
        select(Review)
        .where(Review.claim_id.in_(claim_ids))
        .order_by(Review.claim_id, Review.created_at, Review.id)
    )
    for review in db.session.scalars(statement):
        reviews[review.claim_id].append(review)
    return reviews


def claim_document(claim: Claim, reviews: list[Review]) -> dict[str, Any]:
    """A claim in the import format: importing it back gives the same claim; an admin's
    import of it into an empty database gives it its reviews and published verdict too."""
    document: dict[str, Any] = {
        "key": claim.key,
        "text": claim.text,
        "kind": str(claim.kind),
        "quote": claim.quote,
        # The quote is in the body version the anchor names (not always the last one).
        "anchor": claim.anchor and {**claim.anchor, "state": str(claim.anchor_state)},
        "needs_review": claim.needs_review
        and {**claim.needs_review, "since": _iso(claim.needs_review_since)},
        "tags": claim.tag_names,
        "status": claim.status,
        "priority": claim.review_priority,
        "sources": [
            {
                **source_document(link.source),
                "stance": str(link.stance),
                "excerpt": link.excerpt,
                "note": link.note,
            }
            # By URL, not by source id: ids differ after a restore, and so would the order.
            for link in sorted(claim.source_links, key=lambda link: link.source.url)
        ],
        "reviews": [review_document(review, claim) for review in reviews],
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


def _uncited_sources() -> Iterator[Source]:
    """Sources no live claim cites (made at /sources, or cited by deleted claims only),
    a batch at a time: no article document carries them."""
    cited = exists().where(
        ClaimSource.source_id == Source.id,
        ClaimSource.claim_id == Claim.id,
        Claim.deleted_at.is_(None),
    )
    last_id = 0
    while True:
        sources = db.session.scalars(
            select(Source)
            .where(Source.id > last_id, ~cited)
            .order_by(Source.id)
            .limit(ARTICLES_PER_BATCH)
        ).all()
        if not sources:
            return
        yield from sources
        last_id = sources[-1].id
        db.session.expunge_all()


def _entities() -> Iterator[dict[str, Any]]:
    """Every entity with all its names (users' aliases and merged entities' included),
    a batch at a time, in id order: a restore creates them in the same order."""
    last_id = 0
    while True:
        entities = db.session.scalars(
            select(Entity).where(Entity.id > last_id).order_by(Entity.id).limit(ARTICLES_PER_BATCH)
        ).all()
        if not entities:
            return
        for entity in describe(list(entities)):
            yield {
                "key": entity["key"],
                "name": entity["name"],
                "kind": str(entity["kind"]),
                "wikidata_id": entity["wikidata_id"],
                "aliases": entity["aliases"],
                "created_at": _iso(entity["created_at"]),
            }
        last_id = entities[-1].id
        db.session.expunge_all()


def claim_references(claim_ids: list[int]) -> dict[int, dict[str, Any]]:
    """How a relation record names each of these claims (decoding.ClaimRef): its article's
    URL and its key; a keyless one by kind, text and quote offsets, with its ordinal among
    the article's live keyless claims alike in those, in id order (an import keeps it)."""
    claims = db.session.execute(
        select(
            Claim.id,
            Claim.article_id,
            Claim.key,
            Claim.kind,
            Claim.text,
            Claim.quote_start,
            Claim.quote_end,
            Article.url,
        )
        .join(Article, Article.id == Claim.article_id)
        .where(Claim.id.in_(claim_ids))
    ).all()
    keyless = [claim for claim in claims if claim.key is None]
    ordinals: dict[int, int] = {}
    if keyless:
        seen: dict[tuple[Any, ...], int] = defaultdict(int)
        alike = db.session.execute(
            select(
                Claim.id,
                Claim.article_id,
                Claim.kind,
                Claim.text,
                Claim.quote_start,
                Claim.quote_end,
            )
            .where(
                Claim.article_id.in_({claim.article_id for claim in keyless}),
                Claim.key.is_(None),
                Claim.deleted_at.is_(None),
            )
            .order_by(Claim.id)
        )
        for row in alike:
            identity = (row.article_id, str(row.kind), row.text, row.quote_start, row.quote_end)
            ordinals[row.id] = seen[identity]
            seen[identity] += 1
    references: dict[int, dict[str, Any]] = {}
    for claim in claims:
        reference: dict[str, Any] = {"article": claim.url}
        if claim.key is not None:
            reference["key"] = claim.key
        else:
            reference.update(
                kind=str(claim.kind),
                text=claim.text,
                quote_start=claim.quote_start,
                quote_end=claim.quote_end,
                ordinal=ordinals[claim.id],
            )
        references[claim.id] = reference
    return references


def _position(pair: list[int], claim_id: int | None) -> int | None:
    """Which of the pair (0 or 1) ``claim_id`` is: how a relation record names its newer claim."""
    return None if claim_id is None else pair.index(claim_id)


def _relations() -> Iterator[dict[str, Any]]:
    """Every relation between two live claims (those an export holds), in id order, with
    its history: the claims named as an import finds them, the newer one by position."""
    low, high = aliased(Claim), aliased(Claim)
    last_id = 0
    while True:
        relations = db.session.scalars(
            select(ClaimRelation)
            .join(low, low.id == ClaimRelation.claim_low_id)
            .join(high, high.id == ClaimRelation.claim_high_id)
            .where(ClaimRelation.id > last_id, low.deleted_at.is_(None), high.deleted_at.is_(None))
            .order_by(ClaimRelation.id)
            .limit(ARTICLES_PER_BATCH)
        ).all()
        if not relations:
            return
        references = claim_references(
            [
                claim_id
                for relation in relations
                for claim_id in (relation.claim_low_id, relation.claim_high_id)
            ]
        )
        histories = decisions_of([relation.id for relation in relations])
        for relation in relations:
            pair = [relation.claim_low_id, relation.claim_high_id]
            yield {
                "claims": [references[claim_id] for claim_id in pair],
                "relation": str(relation.relation),
                "state": str(relation.state),
                "newer_claim": _position(pair, relation.newer_claim_id),
                "decisions": [
                    {
                        "decision": str(decision.decision),
                        "relation": str(decision.relation),
                        "newer_claim": _position(pair, decision.newer_claim_id),
                        "actor": decision.actor,
                        "note": decision.note,
                        "created_at": _iso(decision.created_at),
                    }
                    for decision in histories[relation.id]
                ],
            }
        last_id = relations[-1].id
        db.session.expunge_all()


def iter_documents(selection: ExportFilter) -> Iterator[dict[str, Any]]:
    """Article documents; a whole export (a backup) also holds an entity record for each
    entity, before them (claims link to entities by the names stored), a source record
    for each source no claim cites, and a relation record for each relation between live
    claims, last (it names claims by article and key)."""
    if selection.is_everything:
        for entity in _entities():
            yield {"entity": entity}
    for batch in _batches(selection):
        reviews = reviews_by_claim([claim.id for _, claims in batch for claim in claims])
        versions = versions_by_article([article.id for article, _ in batch])
        for article, claims in batch:
            yield {
                "article": article_document(article, versions[article.id]),
                "claims": [claim_document(claim, reviews[claim.id]) for claim in claims],
            }
    if selection.is_everything:
        for source in _uncited_sources():
            yield {"source": source_document(source)}
        for relation in _relations():
            yield {"relation": relation}


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

"""A canonical dump of a database: everything a restore must reproduce, without ids.

Rows are named by natural keys (article URL, source URL, entity key; a claim by its
article's URL, key, kind, text and quote offsets) and a claim carries its parts (tags,
links, reviews, entity links) nested, so two databases whose ids differ compare equal
when they hold the same data, alike keyless claims included (a sorted list keeps
duplicates). A new table joins the comparison with one entry in TABLES, a new part
of a claim with one entry in CLAIM_PARTS.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import select

from claims_api.extensions import db
from claims_api.models import (
    Article,
    ArticleAlias,
    ArticleVersion,
    Claim,
    ClaimEntity,
    ClaimGroupMember,
    ClaimRelation,
    Entity,
    EntityAlias,
    RelationDecision,
    Review,
    Source,
)
from claims_api.services.claims import CLAIM_LOAD_OPTIONS

Row = tuple[Any, ...]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


class Context:
    """What the row builders share: article URLs by id, reviews by claim id, entity keys
    by id, each live claim's identity (what names it without an id) and entity links."""

    def __init__(self) -> None:
        self.article_urls = {
            article_id: url
            for article_id, url in db.session.execute(select(Article.id, Article.url))
        }
        self.reviews: dict[int, list[Review]] = defaultdict(list)
        for review in db.session.scalars(select(Review).order_by(Review.created_at, Review.id)):
            self.reviews[review.claim_id].append(review)
        self.entity_keys = dict(db.session.execute(select(Entity.id, Entity.key)).all())
        self.claims: dict[int, Row] = {
            row.id: (
                self.article_urls[row.article_id],
                row.key,
                str(row.kind),
                row.text,
                row.quote_start,
                row.quote_end,
            )
            for row in db.session.execute(
                select(
                    Claim.id,
                    Claim.article_id,
                    Claim.key,
                    Claim.kind,
                    Claim.text,
                    Claim.quote_start,
                    Claim.quote_end,
                ).where(Claim.deleted_at.is_(None))
            )
        }
        self.entity_links: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for claim_id, entity_id, role in db.session.execute(
            select(ClaimEntity.claim_id, ClaimEntity.entity_id, ClaimEntity.role)
        ):
            self.entity_links[claim_id].append((self.entity_keys[entity_id], str(role)))


def _articles(context: Context) -> list[Row]:
    return [
        (
            article.url,
            article.title,
            article.publisher,
            tuple(article.authors or []),
            _iso(article.published_at),
            article.language,
            article.body,
            article.body_sha256,
            article.body_version,
        )
        for article in db.session.scalars(select(Article))
    ]


def _versions(context: Context) -> list[Row]:
    """Every body version, named by its article's URL: numbered, timed and signed as made."""
    return [
        (
            context.article_urls[version.article_id],
            version.number,
            version.body,
            version.body_sha256,
            str(version.origin),
            version.actor,
            _iso(version.created_at),
        )
        for version in db.session.scalars(select(ArticleVersion))
    ]


def _aliases(context: Context) -> list[Row]:
    return [
        (alias.url, context.article_urls[alias.article_id])
        for alias in db.session.scalars(select(ArticleAlias))
    ]


def _sources(context: Context) -> list[Row]:
    return [
        (
            source.url,
            source.title,
            source.publisher,
            str(source.kind),
            source.archived_url,
            _iso(source.accessed_at),
        )
        for source in db.session.scalars(select(Source))
    ]


def _tags(claim: Claim, context: Context) -> Row:
    return tuple(claim.tag_names)


def _links(claim: Claim, context: Context) -> Row:
    return tuple(
        sorted(
            (link.source.url, str(link.stance), link.excerpt, link.note)
            for link in claim.source_links
        )
    )


def _reviews(claim: Claim, context: Context) -> Row:
    """The claim's review history in order; which one is the public verdict."""
    return tuple(
        (
            review.reviewer,
            review.from_status,
            review.to_status,
            review.rationale,
            review.rating,
            _json([{**item, "source_id": None} for item in review.evidence]),
            review.correction,
            _iso(review.created_at),
            _iso(review.published_at),
            review.id == claim.published_review_id,
        )
        for review in context.reviews[claim.id]
    )


def _external_reviews(claim: Claim, context: Context) -> Row:
    return tuple(_json(review.as_document()) for review in claim.external_reviews)


def _entity_links(claim: Claim, context: Context) -> Row:
    """The entities the claim is about, by key, each with its role."""
    return tuple(sorted(context.entity_links[claim.id]))


CLAIM_PARTS: dict[str, Callable[[Claim, Context], Row]] = {
    "tags": _tags,
    "links": _links,
    "reviews": _reviews,
    "external_reviews": _external_reviews,
    "entities": _entity_links,
}


def _entities(context: Context) -> list[Row]:
    return [
        (entity.key, entity.name, str(entity.kind), entity.wikidata_id, _iso(entity.created_at))
        for entity in db.session.scalars(select(Entity))
    ]


def _entity_aliases(context: Context) -> list[Row]:
    """Every name of every entity (users' aliases and merged entities' names included)."""
    return [
        (context.entity_keys[alias.entity_id], alias.alias, alias.normalised)
        for alias in db.session.scalars(select(EntityAlias))
    ]


def _relations(context: Context) -> list[Row]:
    """Relations between live claims, the pair by identity (in sorted order, since ids
    decide which is "low"), with the relation's revision, times and whole history."""
    decisions: dict[int, list[RelationDecision]] = defaultdict(list)
    for decision in db.session.scalars(select(RelationDecision).order_by(RelationDecision.id)):
        decisions[decision.relation_id].append(decision)
    claims = context.claims
    rows = []
    for relation in db.session.scalars(select(ClaimRelation)):
        if relation.claim_low_id not in claims or relation.claim_high_id not in claims:
            continue
        rows.append(
            (
                tuple(
                    sorted(
                        (claims[relation.claim_low_id], claims[relation.claim_high_id]), key=repr
                    )
                ),
                str(relation.relation),
                str(relation.state),
                claims.get(relation.newer_claim_id or 0),
                relation.revision,
                _iso(relation.created_at),
                _iso(relation.updated_at),
                tuple(
                    (
                        str(decision.decision),
                        str(decision.relation),
                        claims.get(decision.newer_claim_id or 0),
                        decision.actor,
                        decision.note,
                        _iso(decision.created_at),
                    )
                    for decision in decisions[relation.id]
                ),
            )
        )
    return rows


def _groups(context: Context) -> list[Row]:
    """Each claim group as the set of its live members' identities."""
    members: dict[int, list[Row]] = defaultdict(list)
    for claim_id, group_id in db.session.execute(
        select(ClaimGroupMember.claim_id, ClaimGroupMember.group_id)
    ):
        if claim_id in context.claims:
            members[group_id].append(context.claims[claim_id])
    return [tuple(sorted(claims, key=repr)) for claims in members.values()]


def _claims(context: Context) -> list[Row]:
    statement = select(Claim).where(Claim.deleted_at.is_(None)).options(*CLAIM_LOAD_OPTIONS)
    return [
        (
            context.article_urls[claim.article_id],
            claim.key,
            claim.text,
            str(claim.kind),
            _json(claim.quote),
            _json(claim.anchor),
            _json(claim.needs_review),
            _json(claim.details),
            claim.speaker,
            claim.status,
            _json(claim.rating),
            claim.review_priority,
            claim.published_review_id is not None,
            *(part(claim, context) for part in CLAIM_PARTS.values()),
        )
        for claim in db.session.scalars(statement)
    ]


TABLES: dict[str, Callable[[Context], list[Row]]] = {
    "articles": _articles,
    "versions": _versions,
    "aliases": _aliases,
    "sources": _sources,
    "claims": _claims,
    "entities": _entities,
    "entity_aliases": _entity_aliases,
    "relations": _relations,
    "groups": _groups,
}


def canonical_dump(app: Flask) -> dict[str, list[Row]]:
    """Every table of TABLES as a sorted list of rows without ids."""
    with app.app_context():
        context = Context()
        dump = {name: sorted(rows(context), key=repr) for name, rows in TABLES.items()}
        db.session.remove()
    return dump


def differences(before: dict[str, list[Row]], after: dict[str, list[Row]]) -> str:
    """What a restore lost and gained, table by table: the message of a failed comparison."""
    lines = []
    for name in before.keys() | after.keys():
        lost = [row for row in before.get(name, []) if row not in after.get(name, [])]
        gained = [row for row in after.get(name, []) if row not in before.get(name, [])]
        if lost or gained or len(before.get(name, [])) != len(after.get(name, [])):
            lines.append(
                f"{name}: {len(before.get(name, []))} rows before, {len(after.get(name, []))} "
                f"after; lost {lost[:2]}; gained {gained[:2]}"
            )
    return "\n".join(lines)

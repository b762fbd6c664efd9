"""Claims as read: rows of columns, in a fixed number of statements, no ORM object graph.

A page of 50 claims loaded as ORM objects built about 350 of them (claims, tags,
links, sources, reviews) and their identity map, only to be dumped; that was over
85% of a page's time. Here a page is one Core select of the claims' columns (with
the look-ahead row that tells whether a next page exists, for which nothing more
is loaded), then one statement each for the page's tags, source links and
external reviews, and one for its published reviews when any claim has one. The
rows become ``ClaimRow``s, which ``revisions.snapshot_of`` dumps: the compiled
``ClaimSchema`` dump that every revision snapshot is built with, so the read
shape has one home, the schema that also documents it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import BindParameter, ColumnElement, Row, Select, bindparam, exists, select

from claims_api.errors import Gone, NotFound
from claims_api.extensions import db
from claims_api.models import Claim, ClaimSource, ClaimTag, ExternalReview, Review, Source
from claims_api.services.pagination import Page, PageRequest, SortOrder, walked_keyset_page
from claims_api.services.revisions import ClaimRow, LinkRow

CLAIM_COLUMNS = tuple(Claim.__table__.columns)
CLAIM_KEYS = tuple(column.key for column in CLAIM_COLUMNS)
SOURCE_COLUMNS = (Source.url, Source.title, Source.publisher, Source.kind)
SOURCE_KEYS = tuple(column.key for column in SOURCE_COLUMNS)
# What is read with a page's claims, for all of them at once. The ids are one expanding
# parameter: the statements are built once, and not coerced id by id on each page.
PAGE_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
TAGS_OF = (
    select(ClaimTag.claim_id, ClaimTag.tag)
    .where(ClaimTag.claim_id.in_(PAGE_IDS))
    .order_by(ClaimTag.claim_id, ClaimTag.tag)
)
LINKS_OF = (
    select(ClaimSource.claim_id, ClaimSource.source_id, ClaimSource.stance)
    .add_columns(ClaimSource.excerpt, ClaimSource.note, *SOURCE_COLUMNS)
    .join(Source, Source.id == ClaimSource.source_id)
    .where(ClaimSource.claim_id.in_(PAGE_IDS))
    .order_by(ClaimSource.claim_id, ClaimSource.source_id)
)
EXTERNAL_REVIEWS_OF = (
    select(ExternalReview.__table__)
    .where(ExternalReview.claim_id.in_(PAGE_IDS))
    .order_by(ExternalReview.claim_id, ExternalReview.id)
)
VERDICTS_OF = select(Review.id, Review.to_status, Review.rating).where(Review.id.in_(PAGE_IDS))
# A claim as the ORM loads it (to change it) or as a row of its columns (to read it).
Found = TypeVar("Found", Claim, Row[Any])


def claim_rows_selected(*conditions: ColumnElement[bool]) -> Select[Any]:
    """The claims' own columns, as the page and claim reads select them."""
    return select(*CLAIM_COLUMNS).where(*conditions)


@dataclass(frozen=True)
class IdLink:
    """A filter as an index of claim ids: the rows of ``table`` (tags, entity links,
    source links, an FTS table) under ``conditions``, whose ``claim_id`` column lists
    the claims that pass, in id order, when an index leads with those conditions."""

    table: Any
    claim_id: Any
    conditions: tuple[ColumnElement[bool], ...]

    def probe(self) -> ColumnElement[bool]:
        """The filter as a correlated EXISTS: one probe of the index per claim read.
        Correlated to the claim alone: the page may be read off this same table (two
        tags), whose rows the probe must not take for its own."""
        return exists().where(*self.conditions, self.claim_id == Claim.id).correlate(Claim)

    def walked(
        self, order: SortOrder, *conditions: ColumnElement[bool]
    ) -> tuple[Select[Any], SortOrder]:
        """The claims that pass this filter and ``conditions``, read off this filter's
        index in ``order`` (an id order), each joined to its claim by primary key."""
        statement = (
            claim_rows_selected(*self.conditions, *conditions)
            .select_from(self.table)
            .join(Claim, Claim.id == self.claim_id)
        )
        return statement, order.along(self.claim_id)


def claim_page(parts: list[tuple[Select[Any], SortOrder]], page: PageRequest) -> Page[ClaimRow]:
    """One page of the claims that the statements of ``parts`` (from
    ``claim_rows_selected``) select, each in its order (one order, walked along each
    part's index), merged when there are several, with their tags, links and reviews."""
    found = walked_keyset_page(parts, page, rows=True)
    return Page(claim_rows(found.items), found.next_cursor)


def read_claim(claim_id: int) -> ClaimRow:
    """The live claim ``claim_id`` as GET /claims/{claim_id} shows it; 404, or 410 once
    deleted (``live`` checks both, for ``claims.get_claim`` too)."""
    row = db.session.execute(claim_rows_selected(Claim.id == claim_id)).one_or_none()
    return claim_rows([live(claim_id, row)])[0]


def live(claim_id: int, claim: Found | None) -> Found:
    """``claim`` if it is live: 404 for a claim that never was, 410 for one deleted (its
    history stays readable)."""
    if claim is None:
        raise NotFound(f"There is no claim {claim_id}.")
    if claim.deleted_at is not None:
        raise Gone(
            f"Claim {claim_id} was deleted; its history remains at /claims/{claim_id}/revisions."
        )
    return claim


def claim_rows(rows: Sequence[Row[Any]]) -> list[ClaimRow]:
    """The claims of ``rows`` with their tags, source links, external reviews and rating:
    one statement each, whatever the number of claims (none for reviews nobody has)."""
    if not rows:
        return []
    # Core, on the session's connection: rows, without the ORM's result machinery,
    # fetched all at once (iterating a result fetches row by row).
    connection = db.session.connection()
    ids = {"ids": [row.id for row in rows]}
    tags: defaultdict[int, list[str]] = defaultdict(list)
    for claim_id, tag in connection.execute(TAGS_OF, ids).all():
        tags[claim_id].append(tag)
    links: defaultdict[int, list[LinkRow]] = defaultdict(list)
    # Rows unpacked as tuples: a Row's attributes cost a lookup each, and a page has
    # hundreds of links and thousands of claim columns.
    for claim_id, source_id, stance, excerpt, note, *source in connection.execute(
        LINKS_OF, ids
    ).all():
        described = dict(zip(SOURCE_KEYS, source, strict=True))
        links[claim_id].append(LinkRow(source_id, described, stance, excerpt, note))
    external: defaultdict[int, list[Row[Any]]] = defaultdict(list)
    for review in connection.execute(EXTERNAL_REVIEWS_OF, ids).all():
        external[review.claim_id].append(review)
    ratings = _published_ratings([row.published_review_id for row in rows])
    claims = []
    for row in rows:
        columns = dict(zip(CLAIM_KEYS, row, strict=True))
        claim_id = columns["id"]
        claims.append(
            ClaimRow(
                **columns,
                rating=ratings.get(columns["published_review_id"]),
                tag_names=tags[claim_id],
                source_links=links[claim_id],
                external_reviews=external[claim_id],
            )
        )
    return claims


def _published_ratings(review_ids: list[int | None]) -> dict[int | None, dict[str, Any] | None]:
    """The verdict rating of each published review, by review id."""
    wanted = {review_id for review_id in review_ids if review_id is not None}
    if not wanted:
        return {}
    found = db.session.connection().execute(VERDICTS_OF, {"ids": list(wanted)}).all()
    # A transient Review: its verdict_rating is the one home of a verdict's rating.
    return {
        review.id: Review(to_status=review.to_status, rating=review.rating).verdict_rating
        for review in found
    }

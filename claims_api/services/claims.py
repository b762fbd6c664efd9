"""Claims: creation, edits, soft deletion and source links, each with its revision."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import selectinload

from claims_api import workflow
from claims_api.errors import Conflict, DomainError, InvalidInput, NotFound
from claims_api.extensions import db
from claims_api.models import (
    Article,
    Claim,
    ClaimEntity,
    ClaimSource,
    ClaimTag,
    EntityRole,
    ExternalReview,
    Proposition,
)
from claims_api.models.base import utcnow
from claims_api.models.external_review import EXTERNAL_REVIEW_FIELDS, natural_key
from claims_api.models.vocabulary import (
    STRUCTURED_KINDS,
    AnchorState,
    ClaimKind,
    RevisionAction,
    Role,
)
from claims_api.schemas.claims import VERDICT_FIELDS
from claims_api.services.anchoring import anchor_quote
from claims_api.services.claim_entities import entity_for_name
from claims_api.services.claim_reads import IdLink, claim_page, claim_rows_selected, live
from claims_api.services.pagination import Page, PageRequest, SortOrder
from claims_api.services.revisions import (
    Change,
    ClaimRow,
    Precondition,
    record_revision,
    snapshot_of,
)
from claims_api.services.search import contains_text, planned, planned_id, text_link
from claims_api.services.sources import source_for_link

# What a claim is read with: a fixed number of queries whatever the page size.
CLAIM_LOAD_OPTIONS = (
    selectinload(Claim.tags),
    selectinload(Claim.source_links).joinedload(ClaimSource.source),
    selectinload(Claim.published_review),
    selectinload(Claim.external_reviews),
)
CLAIM_SORT_COLUMNS = {
    "id": Claim.id,
    "created_at": Claim.created_at,
    "updated_at": Claim.updated_at,
}
DEFAULT_CLAIM_SORT = "id"
LINK_FIELDS = ("stance", "excerpt", "note")
QUOTE_COLUMNS = ("quote_exact", "quote_start", "quote_end", "quote_prefix", "quote_suffix")


def get_claim(claim_id: int, *, for_update: bool = False) -> Claim:
    """The live claim ``claim_id``; with ``for_update``, locked until the transaction ends.

    The lock is what serialises writers of one claim on PostgreSQL (SQLite's
    BEGIN IMMEDIATE serialises all writers already).
    """
    statement = select(Claim).where(Claim.id == claim_id).options(*CLAIM_LOAD_OPTIONS)
    if for_update:
        statement = statement.with_for_update(of=Claim).execution_options(populate_existing=True)
    return live(claim_id, db.session.scalars(statement).one_or_none())


def _article(article_id: int) -> Article:
    """The claim's article, share-locked: its body cannot change while a quote is anchored."""
    article = db.session.scalars(
        select(Article)
        .where(Article.id == article_id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if article is None:
        message = f"there is no article {article_id}"
        raise InvalidInput(message, errors={"article_id": [message]})
    return article


def lock_article_and_claim(claim_id: int) -> tuple[Article, Claim]:
    """The claim, locked, and its article, share-locked so its body stays put.

    The article first, then the claim: the order a body change takes them in
    (services/article_versions.py), so the two never deadlock. A claim never
    changes article, so its article id can be read before either lock.
    """
    article_id = db.session.scalar(select(Claim.article_id).where(Claim.id == claim_id))
    if article_id is None:
        raise NotFound(f"There is no claim {claim_id}.")
    article = _article(article_id)
    return article, get_claim(claim_id, for_update=True)


def _check_key_free(claim: Claim, key: str) -> None:
    holder = db.session.scalar(
        select(Claim.id).where(Claim.article_id == claim.article_id, Claim.key == key)
    )
    if holder is not None and holder != claim.id:
        raise Conflict(
            f"Claim {holder} of this article already has the key {key!r}.", claim_id=holder
        )


def _set_tags(claim: Claim, tags: list[str]) -> None:
    wanted = set(tags)
    for tag in [tag for tag in claim.tags if tag.tag not in wanted]:
        claim.tags.remove(tag)
    present = set(claim.tag_names)
    claim.tags.extend(ClaimTag(tag=name) for name in sorted(wanted - present))
    claim.tags.sort(key=lambda tag: tag.tag)


def gate_verdict(
    data: dict[str, Any],
    current: Claim | None,
    role: Role,
    current_reviews: list[dict[str, Any]] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """The part of ``data`` a writer acting as ``role`` may apply, and the verdict
    fields it asked to change but may not.

    A claim's status and reviews change only through reviews: no write of a claim
    that exists sets them, and only an admin's load of a new claim (seeds, a restore
    into an empty database) keeps the ones its document carries (its reviews, the
    published one among them, give it its rating back); any other new claim starts
    in the workflow's initial status with no reviews. Its rating is its published
    verdict's, so no write sets it at all (another fact-checker's rating is an
    external review, which any importer may add). ``current_reviews`` are the
    existing claim's reviews in the document's form.
    """
    # What only an admin's load of a new claim may carry over from its document.
    loaded = ("status", "reviews")
    kept: dict[str, Any]
    if current is None:
        kept = {"status": workflow.current().initial, "rating": None, "reviews": []}
        if role == Role.ADMIN:
            kept.update({name: data[name] for name in loaded if name in data})
    else:
        kept = {
            "status": current.status,
            "rating": current.rating,
            "reviews": current_reviews or [],
        }
    refused = [name for name in VERDICT_FIELDS if name in data and data[name] != kept[name]]
    allowed = {name: value for name, value in data.items() if name not in VERDICT_FIELDS}
    if current is None:
        allowed.update({name: kept[name] for name in loaded if name in data})
    return allowed, refused


def _gated(data: dict[str, Any], current: Claim | None, role: Role) -> dict[str, Any]:
    """``data`` as the verdict gate lets ``role`` write it; a refused field is a 422 naming
    it. (The API's schemas refuse these fields first; an import drops them with a warning.)
    """
    allowed, refused = gate_verdict(data, current, role)
    if refused:
        where = "POST /claims/{claim_id}/reviews"
        raise InvalidInput(
            f"A claim's {' and '.join(refused)} change only through reviews ({where}).",
            errors={
                name: [f"A claim's {name} changes through reviews: {where}."] for name in refused
            },
        )
    return allowed


def claim_values(
    current_kind: ClaimKind | None,
    current_details: dict[str, Any] | None,
    body: str | None,
    data: dict[str, Any],
    *,
    new: bool,
    body_version: int | None = None,
) -> dict[str, Any]:
    """The column values that applying ``data`` gives a claim, checked against the claim's rules.

    Pure (no query, no ORM), so the bulk importer builds new claims' rows with it;
    uniqueness of the key is the caller's to check, tags are set separately.
    """
    if "status" in data and data["status"] not in workflow.current().statuses:
        # Only trusted callers (seed and import documents) set a status directly;
        # the API changes it through reviews, which check the workflow's transitions.
        message = f"{data['status']!r} is not a status of the workflow"
        raise InvalidInput(message, errors={"status": [message]})
    names = ("key", "text", "status", "review_priority")
    values = {name: data[name] for name in names if name in data}
    requested = data.get("kind", current_kind)
    if requested is None:
        raise InvalidInput(
            "A claim needs a kind.", errors={"kind": ["Missing data for required field."]}
        )
    kind = ClaimKind(requested)
    values["kind"] = kind
    misplaced = [
        other.value for other in STRUCTURED_KINDS if other != kind and data.get(other.value)
    ]
    if misplaced:
        message = f"a {kind.value} claim cannot carry {misplaced[0]} fields"
        raise InvalidInput(message, errors={misplaced[0]: [message]})
    details = current_details
    if kind.value in data:
        details = data[kind.value]
    elif new or kind != current_kind:
        details = None
    if kind not in STRUCTURED_KINDS:
        details = None
    values["details"] = details
    # An indexed copy of the statement's speaker, for the speaker filter.
    values["speaker"] = details["speaker"] if kind == ClaimKind.STATEMENT and details else None
    if data.get("quote") is not None:
        anchored = anchor_quote(body, data["quote"])
        values.update({f"quote_{name}": value for name, value in anchored.items()})
        values.update(anchor_columns(body_version if body is not None else None))
    elif "quote" in data or new:
        if body is not None:
            message = "required: the claim must be anchored in its article's body"
            raise InvalidInput(message, errors={"quote": [message]})
        values.update(dict.fromkeys(QUOTE_COLUMNS))
        values.update(anchor_columns(None))
    return values


def anchor_columns(version: int | None) -> dict[str, Any]:
    """A quote given against body version ``version`` (None: no body to anchor in)."""
    return {
        "anchor_state": None if version is None else AnchorState.ANCHORED,
        "anchor_version": version,
        "anchor_score": None,
        "anchor_previous_exact": None,
    }


def apply_claim_fields(claim: Claim, article: Article, data: dict[str, Any], *, new: bool) -> None:
    """Apply the client's fields to ``claim`` and enforce the claim's rules."""
    values = claim_values(
        claim.kind, claim.details, article.body, data, new=new, body_version=article.body_version
    )
    for name, value in values.items():
        setattr(claim, name, value)
    if "tags" in data:
        _set_tags(claim, data["tags"])


def link_to(claim: Claim, link: dict[str, Any], actor: str) -> ClaimSource:
    """Link a source to ``claim``, or update the stance of the existing link."""
    source = source_for_link(link, actor)
    existing = next((item for item in claim.source_links if item.source_id == source.id), None)
    if existing is not None:
        for name in LINK_FIELDS:
            if name in link:
                setattr(existing, name, link[name])
        return existing
    created = ClaimSource(
        source_id=source.id,
        source=source,
        stance=link["stance"],
        excerpt=link.get("excerpt"),
        note=link.get("note"),
        created_at=utcnow(),
    )
    claim.source_links.append(created)
    claim.source_links.sort(key=lambda item: item.source_id)
    return created


def link_each(
    claim: Claim, links: list[dict[str, Any]], field: str, actor: str
) -> list[ClaimSource]:
    """Link every source of ``links``; an error names the item it is about (sources.2.url)."""
    linked = []
    for index, link in enumerate(links):
        try:
            linked.append(link_to(claim, link, actor))
        except DomainError as error:
            raise error.within(f"{field}.{index}") from None
    return linked


def external_reviews_to_add(
    present: list[ExternalReview], entries: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The entries that are neither among ``present`` nor repeated, by natural key:
    importing the same review twice keeps one."""
    seen = {review.natural_key for review in present}
    fresh = []
    for entry in entries:
        key = natural_key(entry.get("url"), entry.get("reviewer"), entry.get("published_at"))
        if key not in seen:
            seen.add(key)
            fresh.append(entry)
    return fresh


def add_external_reviews(claim: Claim, entries: list[dict[str, Any]], now: datetime) -> None:
    """Keep other fact-checkers' reviews on the claim: theirs, touching no status or rating."""
    for entry in external_reviews_to_add(claim.external_reviews, entries):
        claim.external_reviews.append(
            ExternalReview(
                **{name: entry.get(name) for name in EXTERNAL_REVIEW_FIELDS}, created_at=now
            )
        )


def create_claim(data: dict[str, Any], change: Change, *, role: Role) -> Claim:
    """Create a claim, its source links and revision 1, in one flush.

    ``role`` is the writer's: the verdict gate decides by it whether the claim may
    start in a status other than the workflow's initial one.
    """
    data = _gated(data, None, role)
    article = _article(data["article_id"])
    now = utcnow()
    claim = Claim(
        article_id=article.id,
        status=workflow.current().initial,
        revision=0,
        created_at=now,
        updated_at=now,
        tags=[],
        source_links=[],
        external_reviews=[],
        published_review=None,
    )
    if data.get("key") is not None:
        _check_key_free(claim, data["key"])
    apply_claim_fields(claim, article, data, new=True)
    db.session.add(claim)
    db.session.flush()
    link_each(claim, data.get("sources", []), "sources", change.actor)
    add_external_reviews(claim, data.get("external_reviews", []), now)
    record_revision(claim, RevisionAction.CREATE, {}, change, now)
    return claim


def update_claim(
    claim_id: int,
    data: dict[str, Any],
    precondition: Precondition,
    change: Change,
    *,
    role: Role,
) -> Claim:
    """Apply ``data`` to the claim and write one revision if anything changed.

    ``sources`` and ``external_reviews`` in ``data`` (used by document loads, not
    PATCH) add or update links and add reviews not yet held, leaving others alone.
    Whatever ``role``, the verdict gate refuses a change of status or rating: those
    change through reviews.
    """
    article, claim = lock_article_and_claim(claim_id)
    precondition.check(claim.revision, f"Claim {claim_id}")
    data = _gated(data, claim, role)
    before = snapshot_of(claim)
    if data.get("key") is not None:
        _check_key_free(claim, data["key"])
    apply_claim_fields(claim, article, data, new=False)
    link_each(claim, data.get("sources", []), "sources", change.actor)
    now = utcnow()
    add_external_reviews(claim, data.get("external_reviews", []), now)
    record_revision(claim, RevisionAction.UPDATE, before, change, now)
    return claim


def delete_claim(claim_id: int, precondition: Precondition, change: Change) -> None:
    """Soft-delete: the claim leaves every list, its history stays readable."""
    claim = get_claim(claim_id, for_update=True)
    precondition.check(claim.revision, f"Claim {claim_id}")
    before = snapshot_of(claim)
    now = utcnow()
    claim.deleted_at = now
    record_revision(claim, RevisionAction.DELETE, before, change, now)


def link_source(
    claim_id: int, link: dict[str, Any], precondition: Precondition, change: Change
) -> tuple[Claim, ClaimSource, bool]:
    """Link a source (by id, or by URL, created if new); returns whether the link is new."""
    claim = get_claim(claim_id, for_update=True)
    precondition.check(claim.revision, f"Claim {claim_id}")
    before = snapshot_of(claim)
    known = {item.source_id for item in claim.source_links}
    linked = link_to(claim, link, change.actor)
    record_revision(claim, RevisionAction.LINK, before, change, utcnow())
    return claim, linked, linked.source_id not in known


def unlink_source(
    claim_id: int, source_id: int, precondition: Precondition, change: Change
) -> Claim:
    claim = get_claim(claim_id, for_update=True)
    precondition.check(claim.revision, f"Claim {claim_id}")
    link = next((item for item in claim.source_links if item.source_id == source_id), None)
    if link is None:
        raise NotFound(f"Claim {claim_id} does not cite source {source_id}.")
    before = snapshot_of(claim)
    claim.source_links.remove(link)
    record_revision(claim, RevisionAction.UNLINK, before, change, utcnow())
    return claim


def tag_link(name: str) -> IdLink:
    """Claims tagged ``name``, as the index of their links to it: (tag, claim_id), or
    (entity_id, role, claim_id), each holding the claim ids of one tag in order.

    Every write links a claim to the entity of each of its tags (and each name in its
    text), role ``mentioned``: when ``name`` is a name of a stored entity, the links are
    those, so every name of the entity gives one answer (``tag=Nato`` finds claims
    tagged ``NATO``, or naming NATO in their text); else the tags as written.
    """
    entity_id = entity_for_name(name)
    if entity_id is None:
        return IdLink(ClaimTag, ClaimTag.claim_id, (ClaimTag.tag == planned(name),))
    return IdLink(
        ClaimEntity,
        ClaimEntity.claim_id,
        (
            ClaimEntity.entity_id == planned_id(entity_id),
            ClaimEntity.role == EntityRole.MENTIONED,
        ),
    )


def has_tag(name: str) -> ColumnElement[bool]:
    """Claims tagged ``name``: a correlated probe of the tag's links per claim, for lists
    walked along an index of their own order (the review queue, a date order)."""
    return tag_link(name).probe()


def claim_order(sort: str) -> SortOrder:
    """The order a claim list's ``sort`` names. ``id`` (the default; ids grow with
    creation) reads the cursors handed out when the default was ``created_at``."""
    order = SortOrder.parse(sort, CLAIM_SORT_COLUMNS, Claim.id)
    if not order.by_id:
        return order
    return replace(order, continues=SortOrder("created_at", Claim.created_at, Claim.id))


def list_claims(
    page: PageRequest,
    *,
    sort: str = DEFAULT_CLAIM_SORT,
    article_id: int | None = None,
    kind: ClaimKind | None = None,
    status: str | None = None,
    tag: list[str] | None = None,
    speaker: str | None = None,
    source_id: int | None = None,
    q: str | None = None,
    updated_since: datetime | None = None,
    matches_verdict: bool | None = None,
) -> Page[ClaimRow]:
    """Live claims matching every filter given; each filter is served by an index.

    In id order, the page is read off one filter's link index (the text's FTS table
    on SQLite, else a tag's or source's links), which holds its claim ids in order:
    the database stops when the page is full, whatever the filter matches or the
    table holds; every other filter is a probe of its own index per claim read. An
    article's claims are few: read off (article_id, id), each probed for the others.
    """
    conditions: list[ColumnElement[bool]] = [Claim.deleted_at.is_(None)]
    links: list[IdLink] = []
    if article_id is not None:
        conditions.append(Claim.article_id == article_id)
    if kind is not None:
        conditions.append(Claim.kind == kind)
    if status is not None:
        conditions.append(Claim.status == status)
    if speaker is not None:
        conditions.append(Claim.speaker == speaker)
    order = claim_order(sort)
    if q is not None:
        # FTS5 walks its matches in rowid order, so only an id order is read off it.
        searched = text_link(Claim, q) if order.by_id else None
        if searched is None:
            conditions.append(contains_text(Claim, q))
        else:
            links.append(searched)
    links.extend(tag_link(name) for name in tag or ())
    if source_id is not None:
        links.append(
            IdLink(ClaimSource, ClaimSource.claim_id, (ClaimSource.source_id == source_id,))
        )
    if updated_since is not None:
        conditions.append(Claim.updated_at >= updated_since)
    if matches_verdict is not None:
        # A probe of the propositions' primary key per claim, as has_tag probes its index.
        answered = exists().where(
            Proposition.claim_id == Claim.id, Proposition.verdict_claim_id.is_not(None)
        )
        conditions.append(answered if matches_verdict else ~answered)
    if order.by_id and links and article_id is None:
        driver, *probed = links
        conditions.extend(link.probe() for link in probed)
        return claim_page([driver.walked(order, *conditions)], page)
    conditions.extend(link.probe() for link in links)
    return claim_page([(claim_rows_selected(*conditions), order)], page)

"""Sources: documents cited as evidence, one per normalised URL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from claims_api.errors import Conflict, InvalidInput
from claims_api.extensions import db
from claims_api.models import Claim, ClaimSource, Source
from claims_api.models.base import utcnow
from claims_api.models.vocabulary import EventType, SourceKind
from claims_api.services.events import event_row, record_events
from claims_api.services.lookups import get_by_id
from claims_api.services.pagination import Page, PageRequest, SortOrder, keyset_page
from claims_api.services.revisions import Precondition
from claims_api.services.rows import insert_missing_rows
from claims_api.services.urls import InvalidURL, normalize_url

CITATIONS_SHOWN = 100
SOURCE_FIELDS = ("title", "publisher", "kind", "archived_url", "accessed_at")
# Fields of a source that every change moves: not "what changed" in its events.
SOURCE_BOOKKEEPING = frozenset({"version", "updated_at"})


def checked_url(url: str, field: str = "url") -> str:
    """``url`` normalised, or a 422 naming ``field``."""
    try:
        normalized = normalize_url(url)
    except InvalidURL as error:
        raise InvalidInput(f"{field} {error}", errors={field: [str(error)]}) from None
    return normalized


def _source_by_url(url: str) -> Source | None:
    return db.session.scalars(select(Source).where(Source.url == url)).one_or_none()


def _check_url_free(url: str, source: Source | None = None) -> None:
    holder = _source_by_url(url)
    if holder is not None and holder is not source:
        raise Conflict(
            f"A source with this URL exists already (source {holder.id}).", source_id=holder.id
        )


def create_source(data: dict[str, Any], actor: str) -> Source:
    url = checked_url(data["url"])
    _check_url_free(url)
    now = utcnow()
    source = Source(url=url, created_at=now, updated_at=now, **source_fields(data))
    db.session.add(source)
    db.session.flush()
    _record_source_events(EventType.SOURCE_CREATED, [({}, source)], actor, now)
    return source


def _record_source_events(
    type_: EventType, changed: list[tuple[dict[str, Any], Source]], actor: str, now: Any
) -> None:
    """source.created / source.updated: each source as it now reads, and what changed."""
    from claims_api.schemas.sources import SourceSchema

    schema = SourceSchema()
    rows = []
    for before, source in changed:
        reads: dict[str, Any] = schema.dump(source)
        changes = {
            name: {"old": before.get(name), "new": value}
            for name, value in sorted(reads.items())
            if name not in SOURCE_BOOKKEEPING and before.get(name) != value
        }
        if changes or type_ is EventType.SOURCE_CREATED:
            rows.append(event_row(type_, {"source": reads, "changes": changes}, actor, now))
    record_events(rows)


def source_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The descriptive fields present in ``data``, with the archive URL normalised
    (a 422 if it is not a URL)."""
    values = {name: data[name] for name in SOURCE_FIELDS if name in data}
    if values.get("archived_url") is not None:
        values["archived_url"] = checked_url(values["archived_url"], "archived_url")
    return values


def source_for_link(link: dict[str, Any], actor: str) -> Source:
    """The source a claim link names: by id, or by URL, created if new."""
    if "source_id" in link:
        source = db.session.get(Source, link["source_id"])
        if source is None:
            message = f"there is no source {link['source_id']}"
            raise InvalidInput(message, errors={"source_id": [message]})
        return source
    url = checked_url(link["url"])
    return sources_for_urls({url: link}, actor)[url]


def sources_for_urls(
    described: dict[str, dict[str, Any]], actor: str, *, in_given_order: bool = False
) -> dict[str, Source]:
    """The sources at these (normalised) URLs, creating those that are new.

    New ones are written with INSERT ... ON CONFLICT DO NOTHING, set-wise (not one
    statement per source, as an executemany sends them), so that two requests citing
    the same new URL at once both end up with the one row; the description given with
    a URL only applies when the source is created. The new rows go in URL order: two
    imports citing the same new URLs in opposite orders then take the
    unique-index locks in one order and cannot deadlock. ``in_given_order``: in the
    order of ``described`` instead, as an export's source records stand (in id order:
    a restore gives them their ids back in that order). Each source this call created
    (not one a concurrent writer did) raises source.created.
    """
    found = {
        source.url: source
        for source in db.session.scalars(select(Source).where(Source.url.in_(described)))
    }
    missing = [url for url in described if url not in found]
    if not in_given_order:
        missing.sort()
    if missing:
        now = utcnow()
        rows = []
        for url in missing:
            values = source_fields(described[url])
            rows.append(
                {
                    "url": url,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                    **{name: values.get(name) for name in SOURCE_FIELDS},
                    "kind": values.get("kind") or SourceKind.OTHER,
                }
            )
        insert_missing_rows(Source.__table__, rows)
        inserted = db.session.scalars(
            select(Source).where(Source.url.in_(missing)).order_by(Source.id)
        ).all()
        found.update((source.url, source) for source in inserted)
        ours: list[tuple[dict[str, Any], Source]] = [
            ({}, source) for source in inserted if source.created_at == now
        ]
        _record_source_events(EventType.SOURCE_CREATED, ours, actor, now)
    return found


def get_source(source_id: int, *, for_update: bool = False) -> Source:
    return get_by_id(Source, source_id, "source", for_update=for_update)


def describe_source(source: Source) -> dict[str, Any]:
    """The source with the first claims citing it (by claim id) and how many cite it in all."""
    live = (ClaimSource.source_id == source.id, Claim.deleted_at.is_(None))
    citations = db.session.scalars(
        select(ClaimSource)
        .join(ClaimSource.claim)
        .where(*live)
        .options(selectinload(ClaimSource.claim))
        .order_by(ClaimSource.claim_id)
        .limit(CITATIONS_SHOWN)
    ).all()
    count = db.session.scalar(
        select(func.count()).select_from(ClaimSource).join(ClaimSource.claim).where(*live)
    )
    described = {column.key: getattr(source, column.key) for column in Source.__table__.columns}
    return {**described, "citations": list(citations), "citation_count": count or 0}


def update_source(
    source_id: int, data: dict[str, Any], precondition: Precondition, actor: str
) -> Source:
    from claims_api.schemas.sources import SourceSchema

    source = get_source(source_id, for_update=True)
    precondition.check(source.version, f"Source {source_id}")
    before: dict[str, Any] = SourceSchema().dump(source)
    if "url" in data:
        url = checked_url(data["url"])
        _check_url_free(url, source)
        source.url = url
    for name, value in source_fields(data).items():
        setattr(source, name, value)
    if db.session.is_modified(source):
        source.updated_at = utcnow()
        db.session.flush()
        _record_source_events(
            EventType.SOURCE_UPDATED, [(before, source)], actor, source.updated_at
        )
    return source


def list_sources(
    page: PageRequest,
    *,
    url: str | None = None,
    publisher: str | None = None,
    kind: str | None = None,
) -> Page[Source]:
    statement = select(Source)
    if url is not None:
        statement = statement.where(Source.url == checked_url(url))
    if publisher is not None:
        statement = statement.where(Source.publisher == publisher)
    if kind is not None:
        statement = statement.where(Source.kind == kind)
    return keyset_page(statement, SortOrder("created_at", Source.created_at, Source.id), page)

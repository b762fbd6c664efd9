"""Writing a batch of validated article documents with set-based inserts.

New articles, claims, tags, source links and the claims' first revisions are
each written with one multi-row INSERT per batch (SQLAlchemy's insertmanyvalues
/ executemany), not one flush per row. Claims that already exist (matched by
natural key) go through the claim service one by one, so their edits get the
same locked, gapless revisions as API edits; unchanged ones are left alone.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text, tuple_

from claims_api import workflow
from claims_api.errors import DomainError
from claims_api.extensions import db
from claims_api.models import (
    Article,
    ArticleVersion,
    Claim,
    ClaimSource,
    ClaimTag,
    Revision,
    Source,
)
from claims_api.models.base import utcnow
from claims_api.models.claim import DEFAULT_PRIORITY
from claims_api.models.vocabulary import RevisionAction, Role, VersionOrigin
from claims_api.services import articles as article_service
from claims_api.services import claims as claim_service
from claims_api.services.article_versions import body_sha256, version_row
from claims_api.services.imports.copy import insert_rows
from claims_api.services.revisions import ANY_VERSION, Change, creation_changes
from claims_api.services.sources import sources_for_urls
from claims_api.services.urls import InvalidURL, normalize_url

if TYPE_CHECKING:
    from claims_api.services.imports import ImportReport

BATCH_CLAIMS = 5000


@dataclass
class PendingDocument:
    location: str
    document: dict[str, Any]
    # False for documents made from a ClaimReview: their article fields are a
    # guess from the review, good to create an article but not to overwrite one.
    describes_article: bool = True


@dataclass(frozen=True)
class ArticleRef:
    """What claims need of an article written in this batch: its id and body."""

    id: int
    body: str | None
    body_version: int | None


@dataclass
class NewClaim:
    article_id: int
    values: dict[str, Any]
    tags: list[str]
    links: list[dict[str, Any]]


@lru_cache(maxsize=65_536)
def _normalized(url: str) -> str:
    return normalize_url(url)


def write_batch(
    pending: list[PendingDocument], report: ImportReport, change: Change, role: Role
) -> None:
    now = utcnow()
    articles, created = _resolve_articles(pending, report, change, now)
    documents = [item for item in pending if item.location in articles]
    sources = _resolve_sources(documents)
    existing = _existing_claims(
        [item for item in documents if articles[item.location].id not in created], articles
    )
    new_claims: list[NewClaim] = []
    entries = [
        (item, index, entry, articles[item.location], _natural_key(entry))
        for item in documents
        for index, entry in enumerate(item.document["claims"])
    ]
    # Keyless claims of one article sharing a quote (three Baltic states, one
    # phrase), wherever they stand in the batch, are told apart by their text.
    anchors = Counter((article.id, natural) for _, _, _, article, natural in entries)
    seen: set[tuple[Any, ...]] = set()
    matched: set[int] = set()
    for item, index, entry, article, natural in entries:
        identity = (
            (article.id, natural) if natural[0] == "key" else (article.id, natural, entry["text"])
        )
        if identity in seen:
            report.add_error(
                item.location, "the same claim appears twice in this input", f"claims.{index}.key"
            )
            continue
        seen.add(identity)
        links = _links(entry, sources, report, item.location, f"claims.{index}")
        if links is None:
            continue
        candidates = [claim for claim in existing[article.id] if claim.id not in matched]
        found = _match(candidates, entry, natural, anchors[(article.id, natural)] > 1)
        try:
            if found is None:
                entry = _gated(entry, None, role, report, item.location, index)
                values = claim_service.claim_values(
                    None, None, article.body, entry, new=True, body_version=article.body_version
                )
                tags = sorted(set(entry.get("tags", [])))
                new_claims.append(NewClaim(article.id, values, tags, links))
                continue
            matched.add(found.id)
            if found.is_deleted:
                report.counts["claims_deleted_left_alone"] += 1
                continue
            entry = _gated(entry, found, role, report, item.location, index)
            report.counts[_update(found, article, entry, links, change)] += 1
        except DomainError as error:
            report.add_domain_error(item.location, error.within(f"claims.{index}"))
    _insert_claims(new_claims, report, change, now)


def _gated(
    entry: dict[str, Any],
    found: Claim | None,
    role: Role,
    report: ImportReport,
    location: str,
    index: int,
) -> dict[str, Any]:
    """The entry as the verdict gate lets ``role`` write it; a warning per refused field."""
    allowed, refused = claim_service.gate_verdict(entry, found, role)
    for name in refused:
        if found is None:
            reason = (
                f"claims.{index}.{name}: ignored, a new claim imported by a {role.value} "
                "starts in the workflow's initial status with no rating"
            )
        else:
            reason = (
                f"claims.{index}.{name}: ignored, an import never changes the {name} of "
                f"claim {found.id}; it changes through reviews"
            )
        report.add_warning(location, reason)
    return allowed


def _natural_key(entry: dict[str, Any]) -> tuple[Any, ...]:
    """A claim's identity in its article: its key, else its kind and quote offsets,
    else (no offsets given, as for claims reviewed elsewhere) its kind and text."""
    if entry.get("key") is not None:
        return ("key", entry["key"])
    quote = entry.get("quote") or {}
    if quote.get("start") is not None:
        return ("anchor", str(entry["kind"]), quote["start"], quote["end"])
    return ("text", str(entry["kind"]), entry["text"])


def _resolve_articles(
    pending: list[PendingDocument], report: ImportReport, change: Change, now: datetime
) -> tuple[dict[str, Article | ArticleRef], set[int]]:
    """Each document's article (found by normalised URL, updated, or created set-wise),
    and the ids of those created."""
    wanted: dict[str, dict[str, Any]] = {}
    by_location: dict[str, str] = {}
    described: set[str] = set()
    for item in pending:
        fields = item.document["article"]
        try:
            url = _normalized(fields["url"])
        except InvalidURL as error:
            report.add_error(item.location, str(error), "article.url")
            continue
        wanted.setdefault(url, fields)
        by_location[item.location] = url
        if item.describes_article:
            described.add(url)
    _lock_urls(sorted(wanted))
    # By URL or alias: a document linked by its canonical URL is the same article.
    found: dict[str, Article | ArticleRef] = dict(article_service.articles_by_urls(wanted))
    for url, article in list(found.items()):
        if url not in described:
            report.counts["articles_unchanged"] += 1
            continue
        version = article.version
        try:
            with db.session.begin_nested():
                found[url] = article_service.update_article(
                    article.id, wanted[url], ANY_VERSION, change, VersionOrigin.IMPORTED
                )
        except DomainError as error:
            for location in [loc for loc, target in by_location.items() if target == url]:
                report.add_domain_error(location, error.within("article"))
                del by_location[location]
            del found[url]
            continue
        changed = found[url].version != version
        report.counts["articles_updated" if changed else "articles_unchanged"] += 1
    new = [url for url in wanted if url not in found and url in by_location.values()]
    rows = [_article_row(url, wanted[url], now) for url in new]
    ids = insert_rows(Article.__table__, rows, returning_ids=True)
    insert_rows(
        ArticleVersion.__table__,
        [
            version_row(article_id, 1, row["body"], VersionOrigin.IMPORTED, change.actor, now)
            for article_id, row in zip(ids, rows, strict=True)
            if row["body"] is not None
        ],
    )
    found.update(
        (row["url"], ArticleRef(article_id, row["body"], row["body_version"]))
        for article_id, row in zip(ids, rows, strict=True)
    )
    report.counts["articles_created"] += len(ids)
    located = {location: found[url] for location, url in by_location.items() if url in found}
    return located, set(ids)


def _lock_urls(urls: list[str]) -> None:
    """Serialise imports that touch the same articles (PostgreSQL; SQLite's writers are
    serialised already): the second waits, then finds what the first wrote instead of
    inserting it again. Locks are taken in one order, in one statement."""
    if urls and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            text(
                "SELECT pg_advisory_xact_lock(h) FROM "
                "(SELECT hashtext(u) AS h FROM unnest(CAST(:urls AS text[])) AS u ORDER BY h) AS l"
            ),
            {"urls": urls},
        )


def _article_row(url: str, fields: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "url": url,
        "title": fields["title"],
        "publisher": fields.get("publisher"),
        "authors": fields.get("authors") or [],
        "published_at": fields.get("published_at"),
        "language": fields.get("language"),
        "body": fields.get("body"),
        "body_sha256": None if fields.get("body") is None else body_sha256(fields["body"]),
        "body_version": None if fields.get("body") is None else 1,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }


def _resolve_sources(documents: list[PendingDocument]) -> dict[Any, Source]:
    """Every source the batch links, by normalised URL and by id."""
    described: dict[str, dict[str, Any]] = {}
    ids: set[int] = set()
    for item in documents:
        for entry in item.document["claims"]:
            for link in entry.get("sources", []):
                if "source_id" in link:
                    ids.add(link["source_id"])
                    continue
                try:
                    described.setdefault(_normalized(link["url"]), link)
                except InvalidURL:
                    continue  # reported with the claim
    sources: dict[Any, Source] = dict(sources_for_urls(described)) if described else {}
    if ids:
        statement = select(Source).where(Source.id.in_(ids))
        sources.update((source.id, source) for source in db.session.scalars(statement))
    return sources


def _links(
    entry: dict[str, Any],
    sources: dict[Any, Source],
    report: ImportReport,
    where: str,
    field_prefix: str,
) -> list[dict[str, Any]] | None:
    """The entry's source links with their sources resolved, one per source;
    None after reporting a bad one."""
    links: dict[int, dict[str, Any]] = {}
    for position, link in enumerate(entry.get("sources", [])):
        try:
            reference = link["source_id"] if "source_id" in link else _normalized(link["url"])
        except InvalidURL as error:
            report.add_error(where, str(error), f"{field_prefix}.sources.{position}.url")
            return None
        source = sources.get(reference)
        if source is None:
            report.add_error(
                where,
                f"there is no source {reference}",
                f"{field_prefix}.sources.{position}.source_id",
            )
            return None
        links[source.id] = {**link, "source": source}
    return [links[source_id] for source_id in sorted(links)]


def _existing_claims(
    documents: list[PendingDocument], articles: dict[str, Article]
) -> dict[int, list[Claim]]:
    """Claims already stored under the natural keys of the batch, by article id."""
    wanted: dict[str, set[tuple[Any, ...]]] = defaultdict(set)
    for item in documents:
        article_id = articles[item.location].id
        for entry in item.document["claims"]:
            kind, *values = _natural_key(entry)
            wanted[kind].add((article_id, *values))
    found: dict[int, list[Claim]] = defaultdict(list)
    columns = {
        "key": (Claim.article_id, Claim.key),
        "anchor": (Claim.article_id, Claim.kind, Claim.quote_start, Claim.quote_end),
        "text": (Claim.article_id, Claim.kind, Claim.text),
    }
    for kind, keys in wanted.items():
        statement = (
            select(Claim)
            .where(tuple_(*columns[kind]).in_(keys))
            .options(*claim_service.CLAIM_LOAD_OPTIONS)
            .order_by(Claim.id)
        )
        for claim in db.session.scalars(statement):
            found[claim.article_id].append(claim)
    return found


def _match(
    candidates: list[Claim], entry: dict[str, Any], natural: tuple[Any, ...], shared: bool
) -> Claim | None:
    """The stored claim an entry stands for. Keyless ones are matched by quote (or text);
    when the quote is shared, in the input or among stored claims, by text as well."""
    kind, *values = natural
    if kind == "key":
        return next((claim for claim in candidates if claim.key == values[0]), None)
    same = [
        claim
        for claim in candidates
        if claim.key is None
        and (
            (str(claim.kind), claim.quote_start, claim.quote_end)
            if kind == "anchor"
            else (str(claim.kind), claim.text)
        )
        == tuple(values)
    ]
    if len(same) == 1 and not shared:
        return same[0]
    return next((claim for claim in same if claim.text == entry["text"]), None)


def _update(
    claim: Claim,
    article: Article,
    entry: dict[str, Any],
    links: list[dict[str, Any]],
    change: Change,
) -> str:
    """Bring a stored claim in line with the entry: unchanged, or updated with one revision."""
    wanted = claim_service.claim_values(
        claim.kind, claim.details, article.body, entry, new=False, body_version=article.body_version
    )
    fields_differ = any(getattr(claim, name) != value for name, value in wanted.items())
    tags_differ = "tags" in entry and sorted(set(entry["tags"])) != claim.tag_names
    current = {link.source_id: link for link in claim.source_links}
    links_differ = any(
        link["source"].id not in current
        or any(
            name in link and link[name] != getattr(current[link["source"].id], name)
            for name in claim_service.LINK_FIELDS
        )
        for link in links
    )
    if not (fields_differ or tags_differ or links_differ):
        return "claims_unchanged"
    with db.session.begin_nested():
        claim_service.update_claim(claim.id, entry, ANY_VERSION, change)
    return "claims_updated"


def _snapshot(claim_id: int, claim: NewClaim, stamp: str, initial: str) -> dict[str, Any]:
    """Revision 1's snapshot, built directly: what ClaimSchema would dump for the new claim.

    tests/imports check it equals GET /claims/{id} for imported claims.
    """
    values = claim.values
    kind = str(values["kind"])
    details = values["details"]
    quote = None
    if values["quote_exact"] is not None:
        quote = {
            name: values[f"quote_{name}"] for name in ("exact", "start", "end", "prefix", "suffix")
        }
    return {
        "id": claim_id,
        "article_id": claim.article_id,
        "key": values.get("key"),
        "text": values["text"],
        "kind": kind,
        "quote": quote,
        "anchor": None
        if values["anchor_state"] is None
        else {
            "state": str(values["anchor_state"]),
            "version": values["anchor_version"],
            "score": None,
            "previous_exact": None,
        },
        "needs_review": None,
        "quantity": details if kind == "quantity" else None,
        "membership": details if kind == "membership" else None,
        "statement": details if kind == "statement" else None,
        "tags": claim.tags,
        "status": values.get("status", initial),
        "rating": values.get("rating"),
        "priority": values.get("review_priority", DEFAULT_PRIORITY),
        "published_review_id": None,
        "sources": [
            {
                "source_id": link["source"].id,
                "url": link["source"].url,
                "title": link["source"].title,
                "publisher": link["source"].publisher,
                "kind": str(link["source"].kind),
                "stance": str(link["stance"]),
                "excerpt": link.get("excerpt"),
                "note": link.get("note"),
            }
            for link in claim.links
        ],
        "revision": 1,
        "created_at": stamp,
        "updated_at": stamp,
        "deleted_at": None,
    }


def _insert_claims(
    new_claims: list[NewClaim], report: ImportReport, change: Change, now: datetime
) -> None:
    """Insert new claims, then their tags, links and revision 1: one statement (or COPY) each."""
    if not new_claims:
        return
    initial = workflow.current().initial
    claim_rows = [
        {
            "article_id": claim.article_id,
            **dict.fromkeys(("key", "rating", "published_review_id")),
            "review_priority": DEFAULT_PRIORITY,
            **claim.values,
            "kind": str(claim.values["kind"]),
            "anchor_state": claim.values["anchor_state"] and str(claim.values["anchor_state"]),
            "status": claim.values.get("status", initial),
            "revision": 1,
            "created_at": now,
            "updated_at": now,
            "deleted_at": None,
        }
        for claim in new_claims
    ]
    ids = insert_rows(Claim.__table__, claim_rows, returning_ids=True)
    stamp = now.isoformat()
    tag_rows, link_rows, revision_rows = [], [], []
    for claim_id, claim in zip(ids, new_claims, strict=True):
        tag_rows.extend({"claim_id": claim_id, "tag": tag} for tag in claim.tags)
        link_rows.extend(
            {
                "claim_id": claim_id,
                "source_id": link["source"].id,
                "stance": str(link["stance"]),
                "excerpt": link.get("excerpt"),
                "note": link.get("note"),
                "created_at": now,
            }
            for link in claim.links
        )
        snapshot = _snapshot(claim_id, claim, stamp, initial)
        revision_rows.append(
            {
                "claim_id": claim_id,
                "number": 1,
                "action": RevisionAction.CREATE.value,
                "actor": change.actor,
                "reason": change.reason,
                "changes": creation_changes(snapshot),
                "snapshot": snapshot,
                "created_at": now,
            }
        )
    insert_rows(ClaimTag.__table__, tag_rows)
    insert_rows(ClaimSource.__table__, link_rows)
    insert_rows(Revision.__table__, revision_rows)
    report.counts["claims_created"] += len(ids)

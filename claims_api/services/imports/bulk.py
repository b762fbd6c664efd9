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
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, tuple_

from claims_api.errors import DomainError
from claims_api.extensions import db
from claims_api.models import Article, Claim, ClaimSource, ClaimTag, Revision, Source
from claims_api.models.base import utcnow
from claims_api.models.vocabulary import DEFAULT_STATUS, RevisionAction
from claims_api.services import articles as article_service
from claims_api.services import claims as claim_service
from claims_api.services.revisions import ANY_VERSION, Change, changed_fields, snapshot_of
from claims_api.services.sources import sources_for_urls
from claims_api.services.urls import InvalidURL, normalize_url

if TYPE_CHECKING:
    from claims_api.services.imports import ImportReport

BATCH_CLAIMS = 1000
# Fields compared to tell an unchanged claim from an edited one.
COMPARED_FIELDS = (
    "key",
    "text",
    "kind",
    "quote",
    "quantity",
    "membership",
    "statement",
    "tags",
    "status",
    "rating",
)


@dataclass
class PendingDocument:
    location: str
    document: dict[str, Any]


@dataclass
class LinkView:
    """A source link as ClaimSchema reads it, for claims written without the ORM."""

    source_id: int
    source: Source
    stance: str
    excerpt: str | None
    note: str | None


class SnapshotView:
    """A transient claim seen with its source links, for ClaimSchema to dump."""

    def __init__(self, claim: Claim, links: list[LinkView]) -> None:
        self._claim = claim
        self.source_links = links

    def __getattr__(self, name: str) -> Any:
        return getattr(self._claim, name)


@lru_cache(maxsize=65_536)
def _normalized(url: str) -> str:
    return normalize_url(url)


def write_batch(pending: list[PendingDocument], report: ImportReport, change: Change) -> None:
    now = utcnow()
    articles = _resolve_articles(pending, report, now)
    documents = [item for item in pending if item.location in articles]
    sources = _resolve_sources(documents)
    existing = _existing_claims(documents, articles)
    new_claims: list[tuple[Claim, list[dict[str, Any]]]] = []
    seen: set[tuple[int, Any]] = set()
    for item in documents:
        article = articles[item.location]
        anchors = Counter(_natural_key(entry) for entry in item.document["claims"])
        for index, entry in enumerate(item.document["claims"]):
            where = item.location
            natural = _natural_key(entry)
            if (article.id, natural, entry["text"]) in seen:
                report.add_error(
                    where, "the same claim appears twice in this input", f"claims.{index}.key"
                )
                continue
            seen.add((article.id, natural, entry["text"]))
            links = _links(entry, sources, report, where, f"claims.{index}")
            if links is None:
                continue
            found = _match(existing[article.id], entry, natural, anchors[natural] > 1)
            try:
                if found is None:
                    new_claims.append((_new_claim(article, entry, now), links))
                elif found.is_deleted:
                    report.counts["claims_deleted_left_alone"] += 1
                else:
                    report.counts[_update(found, article, entry, links, change)] += 1
            except DomainError as error:
                report.add_domain_error(where, error.within(f"claims.{index}"))
    _insert_claims(new_claims, report, change, now)


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
    pending: list[PendingDocument], report: ImportReport, now: Any
) -> dict[str, Article]:
    """Each document's article: found by normalised URL, created set-wise, or updated."""
    wanted: dict[str, dict[str, Any]] = {}
    by_location: dict[str, str] = {}
    for item in pending:
        fields = item.document["article"]
        try:
            url = _normalized(fields["url"])
        except InvalidURL as error:
            report.add_error(item.location, str(error), "article.url")
            continue
        wanted.setdefault(url, fields)
        by_location[item.location] = url
    found = {
        article.url: article
        for article in db.session.scalars(select(Article).where(Article.url.in_(wanted)))
    }
    for url, article in list(found.items()):
        version = article.version
        try:
            with db.session.begin_nested():
                found[url] = article_service.update_article(article.id, wanted[url], ANY_VERSION)
        except DomainError as error:
            for location in [loc for loc, target in by_location.items() if target == url]:
                report.add_domain_error(location, error.within("article"))
                del by_location[location]
            del found[url]
            continue
        report.counts[
            "articles_updated" if found[url].version != version else "articles_unchanged"
        ] += 1
    new = [url for url in wanted if url not in found and url in by_location.values()]
    if new:
        rows = [_article_row(url, wanted[url], now) for url in new]
        created = db.session.scalars(
            insert(Article).returning(Article, sort_by_parameter_order=True), rows
        ).all()
        found.update((article.url, article) for article in created)
        report.counts["articles_created"] += len(created)
    return {location: found[url] for location, url in by_location.items() if url in found}


def _article_row(url: str, fields: dict[str, Any], now: Any) -> dict[str, Any]:
    return {
        "url": url,
        "title": fields["title"],
        "publisher": fields.get("publisher"),
        "authors": fields.get("authors") or [],
        "published_at": fields.get("published_at"),
        "language": fields.get("language"),
        "body": fields.get("body"),
        "body_sha256": article_service.body_sha256(fields.get("body")),
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
    """The entry's source links with their sources resolved; None after reporting a bad one."""
    links = []
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
        links.append({**link, "source": source})
    return links


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
    conditions = [tuple_(*columns[kind]).in_(keys) for kind, keys in wanted.items()]
    for condition in conditions:
        statement = select(Claim).where(condition).options(*claim_service.CLAIM_LOAD_OPTIONS)
        for claim in db.session.scalars(statement.order_by(Claim.id)):
            found[claim.article_id].append(claim)
    return found


def _match(
    candidates: list[Claim], entry: dict[str, Any], natural: tuple[Any, ...], shared: bool
) -> Claim | None:
    """The stored claim an entry stands for; keyless entries sharing a quote match by text."""
    kind, *values = natural
    for claim in candidates:
        if kind == "key":
            if claim.key == values[0]:
                return claim
            continue
        identity = (
            (str(claim.kind), claim.quote_start, claim.quote_end)
            if kind == "anchor"
            else (str(claim.kind), claim.text)
        )
        if (
            claim.key is None
            and identity == tuple(values)
            and (not shared or claim.text == entry["text"])
        ):
            return claim
    return None


def _new_claim(article: Article, entry: dict[str, Any], now: Any) -> Claim:
    """A transient claim with the entry's fields, checked by the claim service's rules."""
    claim = Claim(
        article_id=article.id,
        status=DEFAULT_STATUS,
        revision=1,
        created_at=now,
        updated_at=now,
        tags=[],
        source_links=[],
    )
    claim_service.apply_claim_fields(claim, article, entry, new=True)
    return claim


def _update(
    claim: Claim,
    article: Article,
    entry: dict[str, Any],
    links: list[dict[str, Any]],
    change: Change,
) -> str:
    """Bring a stored claim in line with the entry: unchanged, or updated with one revision."""
    probe = _new_claim(article, entry, claim.created_at)
    current, wanted = snapshot_of(claim), snapshot_of(SnapshotView(probe, []))  # type: ignore[arg-type]
    fields_differ = any(current[name] != wanted[name] for name in COMPARED_FIELDS if name in entry)
    current_links = {link["source_id"]: link for link in current["sources"]}
    links_differ = any(
        link["source"].id not in current_links
        or any(
            name in link and str(link[name]) != str(current_links[link["source"].id][name])
            for name in ("stance", "excerpt", "note")
        )
        for link in links
    )
    if not fields_differ and not links_differ:
        return "claims_unchanged"
    with db.session.begin_nested():
        claim_service.update_claim(claim.id, entry, ANY_VERSION, change)
    return "claims_updated"


def _insert_claims(
    new_claims: list[tuple[Claim, list[dict[str, Any]]]],
    report: ImportReport,
    change: Change,
    now: Any,
) -> None:
    """Insert new claims, then their tags, links and revision 1, one statement each."""
    if not new_claims:
        return
    columns = [column.key for column in Claim.__table__.columns if column.key != "id"]
    rows = [{name: getattr(claim, name) for name in columns} for claim, _ in new_claims]
    ids = db.session.scalars(
        insert(Claim).returning(Claim.id, sort_by_parameter_order=True), rows
    ).all()
    tag_rows, link_rows, revision_rows = [], [], []
    for claim_id, (claim, links) in zip(ids, new_claims, strict=True):
        claim.id = claim_id
        tag_rows.extend({"claim_id": claim_id, "tag": tag} for tag in claim.tag_names)
        views = []
        for link in sorted(
            {link["source"].id: link for link in links}.values(), key=lambda item: item["source"].id
        ):
            view = LinkView(
                link["source"].id,
                link["source"],
                str(link["stance"]),
                link.get("excerpt"),
                link.get("note"),
            )
            views.append(view)
            link_rows.append(
                {
                    "claim_id": claim_id,
                    "source_id": view.source_id,
                    "stance": view.stance,
                    "excerpt": view.excerpt,
                    "note": view.note,
                    "created_at": now,
                }
            )
        snapshot = snapshot_of(SnapshotView(claim, views))  # type: ignore[arg-type]
        revision_rows.append(
            {
                "claim_id": claim_id,
                "number": 1,
                "action": RevisionAction.CREATE,
                "actor": change.actor,
                "reason": change.reason,
                "changes": changed_fields({}, snapshot),
                "snapshot": snapshot,
                "created_at": now,
            }
        )
    for model, batch in ((ClaimTag, tag_rows), (ClaimSource, link_rows), (Revision, revision_rows)):
        if batch:
            db.session.execute(insert(model), batch)
    report.counts["claims_created"] += len(ids)

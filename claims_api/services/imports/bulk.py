"""Writing a batch of validated article documents with set-based inserts.

New articles, claims, tags, source links and the claims' first revisions are
each written with one multi-row INSERT per batch (SQLAlchemy's insertmanyvalues
/ executemany), not one flush per row. Claims that already exist (matched by
natural key) go through the claim service one by one, so their edits get the
same locked, gapless revisions as API edits; unchanged ones are left alone.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text, tuple_

from claims_api import workflow
from claims_api.errors import Conflict, DomainError, InvalidInput, NotFound
from claims_api.extensions import db
from claims_api.models import (
    Article,
    ArticleAlias,
    ArticleVersion,
    Claim,
    ClaimSource,
    ClaimTag,
    ExternalReview,
    Review,
    Revision,
    Source,
)
from claims_api.models.base import utcnow
from claims_api.models.claim import DEFAULT_PRIORITY
from claims_api.models.external_review import EXTERNAL_REVIEW_FIELDS
from claims_api.models.vocabulary import (
    EventType,
    RelationKind,
    RelationState,
    RevisionAction,
    Role,
    VersionOrigin,
)
from claims_api.services import articles as article_service
from claims_api.services import claims as claim_service
from claims_api.services import entities as entity_service
from claims_api.services import events, pending_matches
from claims_api.services import relations as relation_service
from claims_api.services.article_versions import (
    body_sha256,
    get_version,
    missing_versions,
    recorded_row,
    restored_anchor,
    version_row,
)
from claims_api.services.claim_entities import link_claims
from claims_api.services.events import event_row, record_events
from claims_api.services.exports import review_document, reviews_by_claim
from claims_api.services.imports.decoding import decode_reviews
from claims_api.services.matching import not_matched_on_write
from claims_api.services.propositions import follow_claims
from claims_api.services.revisions import (
    ANY_VERSION,
    Change,
    ClaimRow,
    LinkRow,
    claim_event_rows,
    creation_changes,
    snapshot_of,
)
from claims_api.services.rows import insert_rows, update_rows
from claims_api.services.sources import source_fields, sources_for_urls
from claims_api.services.urls import InvalidURL, normalize_url

if TYPE_CHECKING:
    from claims_api.services.imports import ImportReport

BATCH_CLAIMS = 5000
REVIEW_FIELDS = (
    "reviewer",
    "from_status",
    "to_status",
    "rationale",
    "rating",
    "correction",
    "created_at",
    "published_at",
)


@dataclass
class PendingDocument:
    location: str
    document: dict[str, Any]
    # False for documents made from a ClaimReview: their article fields are a
    # guess from the review, good to create an article but not to overwrite one.
    describes_article: bool = True


@dataclass
class PendingRecord:
    """A record beside the article documents, as a whole export carries them: a source
    no claim cites, an entity, or a relation between claims (``kind``)."""

    location: str
    kind: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class ArticleRef:
    """What claims need of an article written in this batch: its id and body."""

    id: int
    body: str | None
    body_version: int | None
    published_at: datetime | None


def _quoted_body(
    article: Article | ArticleRef, document: dict[str, Any], entry: dict[str, Any]
) -> tuple[str | None, int | None]:
    """The body a claim's quote is read in, and its number: the version its anchor names
    (an export's claim may stay on an earlier one), else the article's current body."""
    anchor = entry.get("anchor")
    if not anchor or article.body is None or anchor["version"] == article.body_version:
        return article.body, article.body_version
    number = anchor["version"]
    versions = document["article"].get("versions")
    if versions:
        # The document's history, which agrees with the stored one (missing_versions).
        return versions[number - 1]["body"], number
    try:
        return get_version(article.id, number).body, number
    except NotFound:
        message = f"article {article.id} has no body version {number}"
        raise InvalidInput(message, errors={"anchor.version": [message]}) from None


@dataclass
class NewClaim:
    article_id: int
    values: dict[str, Any]
    tags: list[str]
    links: list[dict[str, Any]]
    external_reviews: list[dict[str, Any]]
    # The reviews an admin's load carries, their evidence's sources resolved.
    reviews: list[dict[str, Any]]


@lru_cache(maxsize=65_536)
def _normalized(url: str) -> str:
    return normalize_url(url)


def write_batch(
    records: list[PendingDocument | PendingRecord],
    report: ImportReport,
    change: Change,
    role: Role,
) -> None:
    """Write a batch; its events, whichever writer raises them, in one statement."""
    with events.collected():
        _write_batch(records, report, change, role)


def _write_batch(
    records: list[PendingDocument | PendingRecord],
    report: ImportReport,
    change: Change,
    role: Role,
) -> None:
    """Entities first, so that claims link to them as they did where they were exported
    (links are derived from the names stored); relations last, once their claims are."""
    now = utcnow()
    beside: dict[str, list[PendingRecord]] = defaultdict(list)
    for record in records:
        if isinstance(record, PendingRecord):
            beside[record.kind].append(record)
    _write_entities(beside["entity"], report)
    _write_sources(beside["source"], report, change.actor)
    pending = [item for item in records if isinstance(item, PendingDocument)]
    articles, created = _resolve_articles(pending, report, change, now)
    documents = [item for item in pending if item.location in articles]
    sources = _resolve_sources(documents, role, change.actor)
    existing = _existing_claims(
        [item for item in documents if articles[item.location].id not in created], articles
    )
    stored_reviews = _stored_reviews(existing, documents)
    new_claims: list[NewClaim] = []
    entries = [
        (item, index, entry, articles[item.location], _natural_key(entry), ordinal)
        for item in documents
        for index, entry, ordinal in _with_ordinals(item.document["claims"])
    ]
    # Keyless claims of one article sharing a quote (three Baltic states, one
    # phrase), wherever they stand in the batch, are told apart by their text.
    anchors = Counter((article.id, natural) for _, _, _, article, natural, _ in entries)
    seen: set[tuple[Any, ...]] = set()
    matched: set[int] = set()
    for item, index, entry, article, natural, ordinal in entries:
        identity = (article.id, _identity(entry), ordinal)
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
                body, version = _quoted_body(article, item.document, entry)
                values = claim_service.claim_values(
                    None, None, body, entry, new=True, body_version=version
                )
                values.update(restored_anchor(values, entry, article.body_version))
                tags = sorted(set(entry.get("tags", [])))
                external = claim_service.external_reviews_to_add(
                    [], entry.get("external_reviews", [])
                )
                reviews = _reviews(entry.get("reviews", []), sources)
                new_claims.append(NewClaim(article.id, values, tags, links, external, reviews))
                continue
            matched.add(found.id)
            if found.is_deleted:
                report.counts["claims_deleted_left_alone"] += 1
                continue
            entry = _gated(
                entry, found, role, report, item.location, index, stored_reviews.get(found.id)
            )
            entry = _followed(entry, found, report, item.location, index)
            report.counts[_update(found, article, entry, links, change, role)] += 1
        except DomainError as error:
            report.add_domain_error(item.location, error.within(f"claims.{index}"))
    dates = {article.id: article.published_at for article in articles.values()}
    _insert_claims(new_claims, dates, report, change, now)
    _write_relations(beside["relation"], report, role)


def _write_entities(records: list[PendingRecord], report: ImportReport) -> None:
    """Create or complete the entities of entity records, one by one (there are few)."""
    for item in records:
        try:
            outcome = entity_service.upsert_entity(item.fields)
        except DomainError as error:
            report.add_domain_error(item.location, error.within("entity"))
        else:
            report.counts[f"entities_{outcome}"] += 1


def _write_relations(records: list[PendingRecord], report: ImportReport, role: Role) -> None:
    """Replay the history of each relation record through the relations service. Only an
    admin's load does: a history names who decided and when, as reviews do."""
    for item in records:
        if role != Role.ADMIN:
            report.add_warning(
                item.location,
                f"relation: ignored, an import by a {role.value} writes no relations' "
                "decisions (a reviewer decides at POST /claims/{claim_id}/relations)",
            )
            continue
        fields = item.fields
        try:
            claim_ids = [
                _referenced_claim(ref, f"claims.{index}")
                for index, ref in enumerate(fields["claims"])
            ]
            history = [
                relation_service.PastDecision(
                    RelationState(decision["decision"]),
                    RelationKind(decision["relation"]),
                    None if decision["newer_claim"] is None else claim_ids[decision["newer_claim"]],
                    decision["actor"],
                    decision["note"],
                    decision["created_at"],
                )
                for decision in fields["decisions"]
            ]
            with db.session.begin_nested():
                outcome = relation_service.replay_relation(claim_ids[0], claim_ids[1], history)
        except DomainError as error:
            report.add_domain_error(item.location, error.within("relation"))
        else:
            report.counts[f"relations_{outcome}"] += 1


def _referenced_claim(ref: dict[str, Any], field: str) -> int:
    """The live claim a relation record names (``decoding.ClaimRef``): by its article's
    URL and key, else by kind, text and quote offsets, the ``ordinal``-th in id order."""
    try:
        url = _normalized(ref["article"])
    except InvalidURL as error:
        raise InvalidInput(str(error), errors={f"{field}.article": [str(error)]}) from None
    article = article_service.articles_by_urls([url]).get(url)
    if article is None:
        message = f"there is no article {url}"
        raise InvalidInput(message, errors={f"{field}.article": [message]})
    statement = select(Claim.id).where(Claim.article_id == article.id, Claim.deleted_at.is_(None))
    if "key" in ref:
        statement = statement.where(Claim.key == ref["key"])
    else:
        statement = statement.where(
            Claim.key.is_(None),
            Claim.kind == ref["kind"],
            Claim.text == ref["text"],
            Claim.quote_start == ref["quote_start"],
            Claim.quote_end == ref["quote_end"],
        )
    claim_id = db.session.scalar(statement.order_by(Claim.id).offset(ref["ordinal"]).limit(1))
    if claim_id is None:
        named = "key" if "key" in ref else "kind, text and quote"
        message = f"article {article.id} has no live claim of this {named}"
        raise InvalidInput(message, errors={field: [message]})
    return claim_id


def _write_sources(records: list[PendingRecord], report: ImportReport, actor: str) -> None:
    """Create the sources of source records that are new, all in one go; an existing one
    is left as it is (it is edited at /sources/{id}), as when a link names it."""
    valid: list[tuple[PendingRecord, str]] = []
    for item in records:
        try:
            url = _normalized(item.fields["url"])
            source_fields(item.fields)
        except InvalidURL as error:
            report.add_error(item.location, str(error), "source.url")
        except DomainError as error:
            report.add_domain_error(item.location, error.within("source"))
        else:
            valid.append((item, url))
    if not valid:
        return
    urls: dict[str, dict[str, Any]] = {}
    for item, url in valid:
        urls.setdefault(url, item.fields)  # the first record of a URL describes it
    seen = set(db.session.scalars(select(Source.url).where(Source.url.in_(urls))))
    sources_for_urls(urls, actor, in_given_order=True)
    for _, url in valid:
        report.counts["sources_unchanged" if url in seen else "sources_created"] += 1
        seen.add(url)


def _gated(
    entry: dict[str, Any],
    found: Claim | None,
    role: Role,
    report: ImportReport,
    location: str,
    index: int,
    current_reviews: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The entry as the verdict gate lets ``role`` write it; a warning per refused field."""
    allowed, refused = claim_service.gate_verdict(entry, found, role, current_reviews)
    for name in refused:
        if name == "rating":
            reason = (
                f"claims.{index}.rating: ignored, the rating of "
                f"{f'claim {found.id}' if found else 'a new claim'} is its published "
                "verdict's; another fact-checker's rating belongs in external_reviews"
            )
        elif found is None:
            reason = (
                f"claims.{index}.{name}: ignored, a new claim imported by a {role.value} "
                "starts in the workflow's initial status with no reviews"
            )
        else:
            reason = (
                f"claims.{index}.{name}: ignored, an import never changes the {name} of "
                f"claim {found.id}; it changes through reviews"
            )
        report.add_warning(location, reason)
    return allowed


def _followed(
    entry: dict[str, Any], found: Claim, report: ImportReport, location: str, index: int
) -> dict[str, Any]:
    """The entry of a claim that exists, without what follows its article's body: its
    anchor and needs-review flag stay as they are (a warning when the entry says
    otherwise), and a quote that reads as the stored one is left where it is."""
    for name in ("anchor", "needs_review"):
        if name in entry and entry[name] != getattr(found, name):
            report.add_warning(
                location,
                f"claims.{index}.{name}: ignored, the {name} of claim {found.id} follows its "
                "article's body (a reviewer confirms it at PUT /claims/{claim_id}/anchor)",
            )
    kept = {name: value for name, value in entry.items() if name not in ("anchor", "needs_review")}
    quote, stored = entry.get("quote"), found.quote
    if quote and stored and all(quote.get(name, stored[name]) == stored[name] for name in stored):
        del kept["quote"]
    return kept


def _identity(entry: dict[str, Any]) -> tuple[Any, ...]:
    """What tells claims of one article apart: the key, else quote (or kind) and text."""
    natural = _natural_key(entry)
    return natural if natural[0] == "key" else (*natural, entry["text"])


def _with_ordinals(
    entries: list[dict[str, Any]],
) -> list[tuple[int, dict[str, Any], int]]:
    """Each entry with its index and its ordinal among the document's entries of the same
    identity: keyless claims alike in kind, quote and text (an article may hold several)
    are the first, second, ... of their identity, and match stored ones in that order."""
    seen: Counter[tuple[Any, ...]] = Counter()
    numbered = []
    for index, entry in enumerate(entries):
        identity = _identity(entry)
        numbered.append((index, entry, seen[identity]))
        seen[identity] += 1
    return numbered


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
    aliases: dict[str, list[str]] = {}
    for item in pending:
        fields = item.document["article"]
        try:
            url = _normalized(fields["url"])
        except InvalidURL as error:
            report.add_error(item.location, str(error), "article.url")
            continue
        try:
            item_aliases = _aliases(fields, url)
        except InvalidInput as error:
            report.add_domain_error(item.location, error)
            continue
        wanted.setdefault(url, fields)
        aliases.setdefault(url, item_aliases)
        by_location[item.location] = url
        if item.describes_article:
            described.add(url)
    _lock_urls(sorted(wanted))

    def refuse(url: str, error: DomainError) -> None:
        for location in [loc for loc, target in by_location.items() if target == url]:
            report.add_domain_error(location, error.within("article"))
            del by_location[location]

    # By URL or alias: a document linked by its canonical URL is the same article.
    found: dict[str, Article | ArticleRef] = {}
    for url, article in article_service.articles_by_urls(wanted).items():
        if url not in described:
            found[url] = article
            report.counts["articles_unchanged"] += 1
            continue
        version = article.version
        try:
            with db.session.begin_nested():
                fields, history = _history_to_add(article, wanted[url])
                updated = article_service.update_article(
                    article.id,
                    fields,
                    ANY_VERSION,
                    change,
                    VersionOrigin.IMPORTED,
                    fetched={"aliases": aliases[url]},
                    history=history,
                )
        except DomainError as error:
            refuse(url, error)
            continue
        found[url] = updated
        changed = updated.version != version
        report.counts["articles_updated" if changed else "articles_unchanged"] += 1
    new = [url for url in wanted if url not in found and url in by_location.values()]
    for url in _aliases_taken(new, aliases, wanted):
        message = "an alias is already another article's URL or alias: a URL names one article"
        refuse(url, Conflict(message, errors={"aliases": [message]}))
    new = [url for url in new if url in by_location.values()]
    rows = [_article_row(url, wanted[url], now) for url in new]
    ids = insert_rows(Article.__table__, rows, returning_ids=True)
    record_events(
        event_row(
            EventType.ARTICLE_CREATED,
            # The schema reads the inserted row as it reads a model.
            article_service.article_event_data(
                {},
                SimpleNamespace(
                    **row,
                    id=article_id,
                    claim_count=0,
                    aliases=[SimpleNamespace(url=alias) for alias in aliases[row["url"]]],
                ),
            ),
            change.actor,
            now,
            article_id=article_id,
        )
        for article_id, row in zip(ids, rows, strict=True)
    )
    version_rows: list[dict[str, Any]] = []
    alias_rows: list[dict[str, Any]] = []
    for article_id, row in zip(ids, rows, strict=True):
        recorded = wanted[row["url"]].get("versions")
        if recorded:
            version_rows.extend(recorded_row(article_id, version) for version in recorded)
        elif row["body"] is not None:
            version_rows.append(
                version_row(article_id, 1, row["body"], VersionOrigin.IMPORTED, change.actor, now)
            )
        alias_rows.extend(
            {"url": alias, "article_id": article_id, "created_at": now}
            for alias in aliases[row["url"]]
        )
    insert_rows(ArticleVersion.__table__, version_rows)
    insert_rows(ArticleAlias.__table__, alias_rows)
    found.update(
        (
            row["url"],
            ArticleRef(article_id, row["body"], row["body_version"], row["published_at"]),
        )
        for article_id, row in zip(ids, rows, strict=True)
    )
    report.counts["articles_created"] += len(ids)
    located = {location: found[url] for location, url in by_location.items() if url in found}
    return located, set(ids)


def _aliases(fields: dict[str, Any], own: str) -> list[str]:
    """The document's aliases, normalised as URLs are; its own URL among them left out."""
    normalized = []
    for index, alias in enumerate(fields.get("aliases", [])):
        try:
            normalized.append(_normalized(alias))
        except InvalidURL as error:
            raise InvalidInput(
                str(error), errors={f"article.aliases.{index}": [str(error)]}
            ) from None
    return [url for url in dict.fromkeys(normalized) if url != own]


def _aliases_taken(
    new: list[str], aliases: dict[str, list[str]], wanted: dict[str, dict[str, Any]]
) -> list[str]:
    """The new articles whose aliases are already an article's URL or alias, stored or in
    this batch: a URL names one article."""
    stored = article_service.articles_by_urls(alias for url in new for alias in aliases[url])
    claimed: Counter[str] = Counter(alias for url in new for alias in aliases[url])
    return [
        url
        for url in new
        if any(alias in stored or alias in wanted or claimed[alias] > 1 for alias in aliases[url])
    ]


def _history_to_add(
    article: Article, fields: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The fields to update an existing article with, and the versions of the document's
    history it lacks (the body is the last one's). A history that stops at or before the
    stored one leaves the stored body be: an older export never takes a body back."""
    versions = fields.get("versions")
    if not versions:
        return fields, []
    missing = missing_versions(article, versions)
    if not missing:
        return {name: value for name, value in fields.items() if name != "body"}, []
    if fields.get("body") is None:
        message = "a history that adds versions ends in a body, not null"
        raise InvalidInput(message, errors={"body": [message]})
    return fields, missing


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
        # The last version's number (history_errors: the body is the last version's).
        "body_version": None if fields.get("body") is None else len(fields.get("versions", [1])),
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }


def _resolve_sources(documents: list[PendingDocument], role: Role, actor: str) -> dict[Any, Source]:
    """Every source the batch links, by normalised URL and by id; for an admin's load,
    the evidence of the reviews it carries too (after the links, which describe them)."""
    described: dict[str, dict[str, Any]] = {}
    ids: set[int] = set()
    entries = [entry for item in documents for entry in item.document["claims"]]
    for entry in entries:
        for link in entry.get("sources", []):
            if "source_id" in link:
                ids.add(link["source_id"])
                continue
            try:
                described.setdefault(_normalized(link["url"]), link)
            except InvalidURL:
                continue  # reported with the claim
    evidence = [
        item["url"]
        for entry in entries
        if role == Role.ADMIN
        for review in entry.get("reviews", [])
        for item in review["evidence"]
    ]
    for url in evidence:
        try:
            described.setdefault(_normalized(url), {"url": url})
        except InvalidURL:
            continue  # reported with the claim
    sources: dict[Any, Source] = dict(sources_for_urls(described, actor)) if described else {}
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


def _reviews(reviews: list[dict[str, Any]], sources: dict[Any, Source]) -> list[dict[str, Any]]:
    """The reviews of a new claim with their evidence's sources, checked against the
    running workflow (the document's statuses are validated against the default one)."""
    statuses = workflow.current().statuses
    resolved = []
    for index, review in enumerate(reviews):
        for name in ("from_status", "to_status"):
            if review[name] not in statuses:
                message = f"{review[name]!r} is not a status of the workflow"
                raise InvalidInput(message, errors={f"reviews.{index}.{name}": [message]})
        evidence = []
        for position, item in enumerate(review["evidence"]):
            where = f"reviews.{index}.evidence.{position}.url"
            try:
                source = sources[_normalized(item["url"])]
            except InvalidURL as error:
                raise InvalidInput(str(error), errors={where: [str(error)]}) from None
            evidence.append({**item, "source": source})
        resolved.append({**review, "evidence": evidence})
    return resolved


def _stored_reviews(
    existing: dict[int, list[Claim]], documents: list[PendingDocument]
) -> dict[int, list[dict[str, Any]]]:
    """The reviews of the batch's stored claims in the document's form, for the verdict
    gate to compare; read only when the batch carries reviews."""
    if not any("reviews" in entry for item in documents for entry in item.document["claims"]):
        return {}
    claims = {claim.id: claim for found in existing.values() for claim in found}
    stored = reviews_by_claim(list(claims))
    return {
        claim_id: decode_reviews([review_document(review, claims[claim_id]) for review in reviews])
        for claim_id, reviews in stored.items()
    }


def _existing_claims(
    documents: list[PendingDocument], articles: Mapping[str, Article | ArticleRef]
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
    when the quote is shared, in the input or among stored claims, by text as well.
    ``candidates`` are the article's claims not matched yet, so alike entries take alike
    claims one by one: live ones first (those an export holds), in id order."""
    kind, *values = natural
    if kind == "key":
        return next((claim for claim in candidates if claim.key == values[0]), None)
    same = [
        claim
        for claim in sorted(candidates, key=lambda claim: (claim.is_deleted, claim.id))
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
    article: Article | ArticleRef,
    entry: dict[str, Any],
    links: list[dict[str, Any]],
    change: Change,
    role: Role,
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
    reviews_differ = bool(
        claim_service.external_reviews_to_add(
            claim.external_reviews, entry.get("external_reviews", [])
        )
    )
    if not (fields_differ or tags_differ or links_differ or reviews_differ):
        return "claims_unchanged"
    # A bulk import's edits are not matched one by one (a matching each; README).
    with db.session.begin_nested(), not_matched_on_write():
        claim_service.update_claim(claim.id, entry, ANY_VERSION, change, role=role)
    return "claims_updated"


def _claim_row(
    claim_id: int, row: dict[str, Any], claim: NewClaim, published_review_id: int | None
) -> ClaimRow:
    """The inserted row with its tags, links, external reviews and public review, read by
    the revisions' one snapshot builder. Its rating is the public review's verdict's."""
    links = [
        LinkRow(
            link["source"].id, link["source"], link["stance"], link.get("excerpt"), link.get("note")
        )
        for link in claim.links
    ]
    public = next((review for review in claim.reviews if review["public"]), None)
    rating = None
    if public is not None:
        rating = Review(to_status=public["to_status"], rating=public["rating"]).verdict_rating
    return ClaimRow(
        id=claim_id,
        **{**row, "published_review_id": published_review_id},
        rating=rating,
        tag_names=claim.tags,
        source_links=links,
        external_reviews=claim.external_reviews,
    )


def _insert_claims(
    new_claims: list[NewClaim],
    published_dates: dict[int, datetime | None],
    report: ImportReport,
    change: Change,
    now: datetime,
) -> None:
    """Insert new claims, then their tags, links, reviews and revision 1: one statement
    (or COPY) each, and one to point claims at their public review; then their entity
    links, a few statements for the whole batch (``claim_entities.link_claims``)."""
    if not new_claims:
        return
    initial = workflow.current().initial
    claim_rows = [
        {
            "article_id": claim.article_id,
            **dict.fromkeys(("key", "published_review_id")),
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
    published = _insert_reviews(ids, new_claims)
    tag_rows: list[dict[str, Any]] = []
    link_rows: list[dict[str, Any]] = []
    revision_rows: list[dict[str, Any]] = []
    event_rows: list[dict[str, Any]] = []
    review_rows: list[dict[str, Any]] = []
    inserted: list[ClaimRow] = []
    snapshots: list[dict[str, Any]] = []
    for claim_id, claim, row in zip(ids, new_claims, claim_rows, strict=True):
        tag_rows.extend({"claim_id": claim_id, "tag": tag} for tag in claim.tags)
        review_rows.extend(
            {
                "claim_id": claim_id,
                **{name: review.get(name) for name in EXTERNAL_REVIEW_FIELDS},
                "created_at": now,
            }
            for review in claim.external_reviews
        )
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
        claim_row = _claim_row(claim_id, row, claim, published.get(claim_id))
        inserted.append(claim_row)
        snapshot = snapshot_of(claim_row)
        snapshots.append(snapshot)
        changes = creation_changes(snapshot)
        revision_rows.append(
            {
                "claim_id": claim_id,
                "number": 1,
                "action": RevisionAction.CREATE.value,
                "actor": change.actor,
                "reason": change.reason,
                "changes": changes,
                "snapshot": snapshot,
                "created_at": now,
            }
        )
        event_rows.extend(
            claim_event_rows(
                claim_id,
                claim.article_id,
                snapshot,
                changes,
                EventType.CLAIM_CREATED,
                change.actor,
                now,
            )
        )
    insert_rows(ClaimTag.__table__, tag_rows)
    insert_rows(ClaimSource.__table__, link_rows)
    insert_rows(ExternalReview.__table__, review_rows)
    insert_rows(Revision.__table__, revision_rows)
    record_events(event_rows)
    link_claims(snapshots, created=True)
    new_tags = {claim.id: claim.tag_names for claim in inserted}
    follow_claims(inserted, new_tags=new_tags, published=published_dates)
    pending_matches.queue(ids)  # matched by the worker, not in the import's transaction
    report.counts["claims_created"] += len(ids)


def _insert_reviews(claim_ids: list[int], new_claims: list[NewClaim]) -> dict[int, int]:
    """Insert the reviews an admin's load carries, and point each claim with a public one
    at it; the id of each claim's public review, by claim id.

    They count as written by the claim's revision 1, the one revision a load writes.
    """
    rows, public = [], []
    for claim_id, claim in zip(claim_ids, new_claims, strict=True):
        for review in claim.reviews:
            public.append(review["public"])
            rows.append(
                {
                    "claim_id": claim_id,
                    **{name: review[name] for name in REVIEW_FIELDS},
                    "evidence": [
                        {
                            "source_id": item["source"].id,
                            "url": item["source"].url,
                            "stance": str(item["stance"]),
                            "excerpt": item["excerpt"],
                        }
                        for item in review["evidence"]
                    ],
                    "revision_number": 1,
                }
            )
    review_ids = insert_rows(Review.__table__, rows, returning_ids=True)
    published = {
        row["claim_id"]: review_id
        for row, review_id, is_public in zip(rows, review_ids, public, strict=True)
        if is_public
    }
    update_rows(
        Claim.__table__,
        [{"id": claim, "published_review_id": review} for claim, review in published.items()],
    )
    return published

"""Articles: the texts claims are anchored in."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import undefer

from claims_api.errors import Conflict, NotFound
from claims_api.extensions import db
from claims_api.models import Article, ArticleAlias, ArticleVersion, Claim
from claims_api.models.base import utcnow
from claims_api.models.vocabulary import EventType, VersionOrigin
from claims_api.schemas.articles import ArticleSummarySchema
from claims_api.services.article_versions import body_sha256, change_body, version_row
from claims_api.services.events import record_event
from claims_api.services.pagination import (
    Page,
    PageRequest,
    SortOrder,
    keyset_page,
    windowed_keyset_page,
)
from claims_api.services.propositions import follow_article
from claims_api.services.revisions import Change, Precondition
from claims_api.services.search import contains_text, text_matches
from claims_api.services.sources import checked_url

ARTICLE_FIELDS = ("title", "publisher", "authors", "published_at", "language")
# What fetching a page records on its article, beside the body; never written by clients.
FETCH_COLUMNS = ("modified_at", "fetched_at", "fetch_etag", "fetch_last_modified")


def article_by_url(url: str) -> Article | None:
    """The article at ``url`` (normalised): its own URL or one of its aliases."""
    return articles_by_urls([url]).get(url)


def articles_by_urls(urls: Iterable[str]) -> dict[str, Article]:
    """The articles at each of ``urls`` (normalised) found, by their own URL or an alias."""
    wanted = list(dict.fromkeys(urls))
    if not wanted:
        return {}
    found = {
        article.url: article
        for article in db.session.scalars(
            select(Article).where(Article.url.in_(wanted)).options(undefer(Article.claim_count))
        )
    }
    aliased = db.session.execute(
        select(ArticleAlias.url, Article)
        .join(Article, Article.id == ArticleAlias.article_id)
        .where(ArticleAlias.url.in_(wanted))
        .options(undefer(Article.claim_count))
    ).all()
    found.update({url: article for url, article in aliased})
    return found


def check_urls_free(urls: Iterable[str], article: Article | None = None) -> None:
    """409 naming the article when one of ``urls`` is another article's URL or alias."""
    for holder in articles_by_urls(urls).values():
        if holder is not article:
            raise Conflict(
                f"An article with this URL exists already (article {holder.id}).",
                article_id=holder.id,
            )


def add_aliases(article: Article, urls: Iterable[str]) -> None:
    """Make ``urls`` (normalised, free) aliases of ``article``: its own URL and the
    aliases it has already are left out."""
    known = {article.url, *(alias.url for alias in article.aliases)}
    now = utcnow()
    for url in dict.fromkeys(urls):
        if url not in known:
            article.aliases.append(ArticleAlias(url=url, created_at=now))


def create_article(
    data: dict[str, Any],
    change: Change,
    origin: VersionOrigin = VersionOrigin.CREATED,
    fetched: Mapping[str, Any] | None = None,
) -> Article:
    """A new article; its body, if it has one, becomes version 1.

    ``fetched`` holds what a fetch of the page sets (FETCH_COLUMNS) and ``aliases``.
    """
    url = checked_url(data["url"])
    page = dict(fetched or {})
    aliases = page.pop("aliases", [])
    check_urls_free([url, *aliases])
    now = utcnow()
    body = data.get("body")
    article = Article(
        url=url,
        body=body,
        body_sha256=None if body is None else body_sha256(body),
        body_version=None if body is None else 1,
        created_at=now,
        updated_at=now,
        aliases=[],
        **{"authors": [], **{name: data[name] for name in ARTICLE_FIELDS if name in data}},
        **{name: page[name] for name in FETCH_COLUMNS if name in page},
    )
    add_aliases(article, aliases)
    db.session.add(article)
    db.session.flush()
    if body is not None:
        db.session.add(
            ArticleVersion(**version_row(article.id, 1, body, origin, change.actor, now))
        )
        db.session.flush()
    created = get_article(article.id)
    _record_article_event(EventType.ARTICLE_CREATED, {}, created, change, now)
    return created


# What article events carry: the article as a list shows it (the body can be long;
# body_sha256 and body_version say when it changed).
_article_schema = ArticleSummarySchema()
ARTICLE_BOOKKEEPING = frozenset({"version", "updated_at", "claim_count"})


def article_event_data(before: dict[str, Any], article: Any) -> dict[str, Any]:
    """The event data of an article change: how it now reads, and what changed.

    ``article`` is an Article, or a row the bulk importer inserted, read alike.
    """
    now_reads: dict[str, Any] = _article_schema.dump(article)
    changes = {
        name: {"old": before.get(name), "new": value}
        for name, value in sorted(now_reads.items())
        if name not in ARTICLE_BOOKKEEPING and before.get(name) != value
    }
    return {"article": now_reads, "changes": changes}


def _record_article_event(
    type_: EventType, before: dict[str, Any], article: Article, change: Change, now: datetime
) -> None:
    data = article_event_data(before, article)
    if data["changes"] or type_ != EventType.ARTICLE_UPDATED:
        record_event(type_, data, change.actor, now, article_id=article.id)


def get_article(article_id: int, *, for_update: bool = False) -> Article:
    """The article; with ``for_update``, locked so that no claim is anchored in it meanwhile."""
    statement = (
        select(Article)
        .where(Article.id == article_id)
        .options(undefer(Article.claim_count))
        .execution_options(populate_existing=True)
    )
    if for_update:
        statement = statement.with_for_update(of=Article)
    article = db.session.scalars(statement).one_or_none()
    if article is None:
        raise NotFound(f"There is no article {article_id}.")
    return article


def _claims_citing(article: Article, *, include_deleted: bool) -> int:
    conditions = [Claim.article_id == article.id]
    if not include_deleted:
        conditions.append(Claim.deleted_at.is_(None))
    return db.session.scalar(select(func.count()).select_from(Claim).where(*conditions)) or 0


def update_article(
    article_id: int,
    data: dict[str, Any],
    precondition: Precondition,
    change: Change,
    origin: VersionOrigin = VersionOrigin.EDITED,
    fetched: Mapping[str, Any] | None = None,
    history: Sequence[dict[str, Any]] = (),
) -> Article:
    """Change an article's metadata or body; a new body becomes the next version and
    its claims' quotes follow it (services/article_versions.py). ``fetched``: as for
    ``create_article``; ``history``: the versions an imported history adds, the new
    body the last one's (article_versions.missing_versions)."""
    article = get_article(article_id, for_update=True)
    precondition.check(article.version, f"Article {article_id}")
    page = dict(fetched or {})
    aliases = page.pop("aliases", [])
    check_urls_free(aliases, article)
    add_aliases(article, aliases)
    for name in FETCH_COLUMNS:
        if name in page:
            setattr(article, name, page[name])
    now = utcnow()
    before: dict[str, Any] = _article_schema.dump(article)
    if "body" in data and data["body"] != article.body:
        if data["body"] is not None:
            change_body(article, data["body"], origin, change, now, history)
        else:
            _remove_body(article)
    if "url" in data:
        url = checked_url(data["url"])
        check_urls_free([url], article)
        # One of its own aliases names the article already: its URL stays.
        if url not in {alias.url for alias in article.aliases}:
            article.url = url
    dated = article.published_at
    for name in ARTICLE_FIELDS:
        if name in data:
            setattr(article, name, data[name])
    if db.session.is_modified(article):
        article.updated_at = now
        db.session.flush()
    if article.published_at != dated:
        # The article's date is the time of its claims that give none.
        follow_article(article.id)
    updated = get_article(article_id)
    _record_article_event(EventType.ARTICLE_UPDATED, before, updated, change, now)
    return updated


def _remove_body(article: Article) -> None:
    """Take the body away (its versions stay); refused while live claims quote it."""
    anchored = _claims_citing(article, include_deleted=False)
    if anchored:
        raise Conflict(
            f"The body cannot be removed while {anchored} claims quote it; "
            "send a new body instead, and their quotes will follow it.",
            claim_count=anchored,
        )
    article.body = article.body_sha256 = article.body_version = None


def delete_article(article_id: int, precondition: Precondition, change: Change) -> None:
    """Delete an article no claim refers to; one with claims (even deleted ones) stays."""
    article = get_article(article_id, for_update=True)
    precondition.check(article.version, f"Article {article_id}")
    referring = _claims_citing(article, include_deleted=True)
    if referring:
        raise Conflict(
            f"Article {article_id} has {referring} claims (deleted ones keep their history); "
            "it cannot be deleted.",
            claim_count=referring,
        )
    last: dict[str, Any] = _article_schema.dump(article)
    db.session.execute(delete(ArticleVersion).where(ArticleVersion.article_id == article.id))
    db.session.delete(article)
    db.session.flush()
    record_event(
        EventType.ARTICLE_DELETED,
        {"article": last, "changes": {}},
        change.actor,
        utcnow(),
        article_id=article_id,
    )


# Articles are listed in id order (ids grow with creation), which a text search reads off
# its index; cursors given out when the order was created_at keep paging.
ARTICLE_ORDER = SortOrder(
    "id",
    Article.id,
    Article.id,
    continues=SortOrder("created_at", Article.created_at, Article.id),
)
# On PostgreSQL a text search first tests this many pages' worth of the next articles in
# order (see windowed_keyset_page): a word in one article in ten fills its page there.
SEARCH_WINDOW_PAGES = 10


def list_articles(
    page: PageRequest,
    *,
    publisher: str | None = None,
    published_after: datetime | None = None,
    published_before: datetime | None = None,
    q: str | None = None,
) -> Page[Article]:
    conditions: list[ColumnElement[bool]] = []
    if publisher is not None:
        conditions.append(Article.publisher == publisher)
    if published_after is not None:
        conditions.append(Article.published_at >= published_after)
    if published_before is not None:
        conditions.append(Article.published_at < published_before)
    order = ARTICLE_ORDER
    statement = select(Article)
    searched = text_matches(Article, q) if q is not None else None
    if searched is not None:
        # Read off the FTS table's matches in rowid order (see text_matches).
        fts, rowid, matched = searched
        statement = statement.select_from(fts).join(Article, Article.id == rowid)
        conditions.append(matched)
        order = order.along(rowid)
    statement = statement.where(*conditions).options(undefer(Article.claim_count))
    if q is not None and searched is None:
        searched_text = contains_text(Article, q)
        window = SEARCH_WINDOW_PAGES * (page.limit + 1)
        return windowed_keyset_page(statement, searched_text, order, page, window=window)
    return keyset_page(statement, order, page)

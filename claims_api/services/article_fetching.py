"""Articles taken from their pages: fetched once, then refreshed when the page changes.

A fetched body is version 1 (origin ``fetched``); a refresh whose text differs is the
next version (origin ``refreshed``) through ``update_article``, so claims' quotes
follow it as they follow an edit. The page's own URLs for itself (``rel=canonical``,
``og:url``) and the URL redirects ended at become the article's aliases.
No database lock is held while a page downloads.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from claims_api.errors import Conflict, InvalidInput
from claims_api.extensions import db
from claims_api.models import Article
from claims_api.models.base import utcnow
from claims_api.models.vocabulary import VersionOrigin
from claims_api.services.articles import (
    ARTICLE_FIELDS,
    check_urls_free,
    create_article,
    get_article,
    update_article,
)
from claims_api.services.fetching import FetchSettings, Page, fetch_page
from claims_api.services.page_extraction import ExtractedArticle, extract_article
from claims_api.services.revisions import ANY_VERSION, Change, Precondition
from claims_api.services.sources import checked_url
from claims_api.services.urls import InvalidURL, normalize_url


@dataclass(frozen=True)
class Refresh:
    article: Article
    # The text differs from the stored body: it is the article's new version.
    changed: bool
    # The server answered 304 to the validators of the last fetch.
    not_modified: bool


def fetch_article(data: dict[str, Any], change: Change) -> Article:
    """A new article from the page at ``data["url"]``; the fields given in ``data``
    win over those found in the page."""
    if data.get("body") is not None:
        raise InvalidInput(
            "A fetched article's body is the page's text; send either body or fetch.",
            errors={"body": ["Not allowed with fetch."]},
        )
    url = checked_url(data["url"])
    # A known URL is refused before anything is downloaded.
    check_urls_free([url])
    page = fetch_page(url, FetchSettings.from_config())
    extracted = extract_article(page)
    given = {name: data[name] for name in ARTICLE_FIELDS if name in data}
    return create_article(
        {**extracted.fields, **given, "url": url, "body": extracted.body},
        change,
        VersionOrigin.FETCHED,
        fetched=_fetch_record(url, page, extracted),
    )


def refresh_article(article_id: int, precondition: Precondition, change: Change) -> Refresh:
    """Fetch a fetched article's page again, conditionally, and keep its text as the
    next version when it changed.

    Without If-Match, the change is based on the version read before downloading: an
    edit made meanwhile is never overwritten unseen (412).
    """
    article = get_article(article_id)
    if article.fetched_at is None:
        raise Conflict(
            f"Article {article_id} was not fetched from its URL; only fetched articles "
            "are refreshed."
        )
    if precondition is ANY_VERSION:
        precondition = Precondition(frozenset({article.version}))
    precondition.check(article.version, f"Article {article_id}")
    url, body = article.url, article.body
    page = fetch_page(
        url,
        FetchSettings.from_config(),
        etag=article.fetch_etag,
        last_modified=article.fetch_last_modified,
    )
    data: dict[str, Any] = {}
    if page.content is None:
        record: dict[str, Any] = {"fetched_at": utcnow()}
    else:
        extracted = extract_article(page)
        record = _fetch_record(url, page, extracted)
        if extracted.body != body:
            data["body"] = extracted.body
    refreshed = update_article(
        article_id, data, precondition, change, VersionOrigin.REFRESHED, fetched=record
    )
    return Refresh(refreshed, changed="body" in data, not_modified=page.content is None)


def _fetch_record(url: str, page: Page, extracted: ExtractedArticle) -> dict[str, Any]:
    """The article columns and aliases a fetch of ``page`` sets."""
    aliases = list(extracted.canonical_urls)
    # Where redirects ended; a URL the service cannot store leaves the one asked for.
    with suppress(InvalidURL):
        aliases.append(normalize_url(page.url))
    return {
        "modified_at": extracted.modified_at,
        "fetched_at": utcnow(),
        "fetch_etag": page.etag[:1000] if page.etag else None,
        "fetch_last_modified": page.last_modified[:100] if page.last_modified else None,
        "aliases": [alias for alias in dict.fromkeys(aliases) if alias != url],
    }


def articles_due(older_than: datetime | None) -> list[int]:
    """The fetched articles last fetched before ``older_than`` (all when None), the
    longest-waiting first."""
    statement = select(Article.id).where(Article.fetched_at.is_not(None))
    if older_than is not None:
        statement = statement.where(Article.fetched_at < older_than)
    return list(db.session.scalars(statement.order_by(Article.fetched_at, Article.id)))

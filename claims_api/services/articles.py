"""Articles: the texts claims are anchored in."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import undefer

from claims_api.errors import Conflict, NotFound
from claims_api.extensions import db
from claims_api.models import Article, Claim
from claims_api.models.base import utcnow
from claims_api.services.pagination import Page, PageRequest, SortOrder, keyset_page
from claims_api.services.revisions import Precondition
from claims_api.services.search import contains_text
from claims_api.services.sources import checked_url

ARTICLE_FIELDS = ("title", "publisher", "authors", "published_at", "language")


def body_sha256(body: str | None) -> str | None:
    return None if body is None else hashlib.sha256(body.encode("utf-8")).hexdigest()


def article_by_url(url: str) -> Article | None:
    return db.session.scalars(
        select(Article).where(Article.url == url).options(undefer(Article.claim_count))
    ).one_or_none()


def _check_url_free(url: str, article: Article | None = None) -> None:
    holder = article_by_url(url)
    if holder is not None and holder is not article:
        raise Conflict(
            f"An article with this URL exists already (article {holder.id}).",
            article_id=holder.id,
        )


def create_article(data: dict[str, Any]) -> Article:
    url = checked_url(data["url"])
    _check_url_free(url)
    now = utcnow()
    article = Article(
        url=url,
        body=data.get("body"),
        body_sha256=body_sha256(data.get("body")),
        created_at=now,
        updated_at=now,
        **{"authors": [], **{name: data[name] for name in ARTICLE_FIELDS if name in data}},
    )
    db.session.add(article)
    db.session.flush()
    return get_article(article.id)


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


def update_article(article_id: int, data: dict[str, Any], precondition: Precondition) -> Article:
    """Change an article's metadata; its body only while no claim quotes it.

    Claims' offsets point into the body, so changing it under them would leave
    quotes pointing at the wrong words.
    """
    article = get_article(article_id, for_update=True)
    precondition.check(article.version, f"Article {article_id}")
    if "body" in data and data["body"] != article.body:
        anchored = _claims_citing(article, include_deleted=False)
        if anchored:
            raise Conflict(
                f"The body cannot change while {anchored} claims are anchored in it; "
                "delete or move those claims first.",
                claim_count=anchored,
            )
        article.body = data["body"]
        article.body_sha256 = body_sha256(data["body"])
    if "url" in data:
        url = checked_url(data["url"])
        _check_url_free(url, article)
        article.url = url
    for name in ARTICLE_FIELDS:
        if name in data:
            setattr(article, name, data[name])
    if db.session.is_modified(article):
        article.updated_at = utcnow()
        db.session.flush()
    return get_article(article_id)


def delete_article(article_id: int, precondition: Precondition) -> None:
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
    db.session.delete(article)
    db.session.flush()


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
    if q is not None:
        conditions.append(contains_text(Article, q))
    statement = select(Article).where(*conditions).options(undefer(Article.claim_count))
    return keyset_page(statement, SortOrder("created_at", Article.created_at, Article.id), page)

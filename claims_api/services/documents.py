"""Loading article documents (the seeds/ format) idempotently through the claim services."""

from __future__ import annotations

from collections import Counter
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select

from claims_api.errors import DomainError, InvalidInput, flatten_messages
from claims_api.extensions import db
from claims_api.models import Article, Claim
from claims_api.schemas.documents import ArticleDocumentSchema
from claims_api.services import articles as article_service
from claims_api.services import claims as claim_service
from claims_api.services.revisions import ANY_VERSION, Change
from claims_api.services.sources import checked_url

_document_schema = ArticleDocumentSchema()


def parse_document(document: Any) -> dict[str, Any]:
    try:
        return _document_schema.load(document)
    except ValidationError as error:
        raise InvalidInput(
            "The document is not a valid article document.",
            errors=flatten_messages(error.messages),
        ) from None


def _anchor(entry: dict[str, Any]) -> tuple[str, int, int] | None:
    quote = entry.get("quote") or {}
    if entry.get("key") is not None or quote.get("start") is None:
        return None
    return (str(entry["kind"]), quote["start"], quote["end"])


def _existing_claim(article: Article, entry: dict[str, Any], shared: bool) -> Claim | None:
    """The claim a document entry stands for.

    By key when it has one; else by kind and quote offsets, and, when several
    entries of the document share that quote (three Baltic states, one phrase),
    by text as well.
    """
    statement = select(Claim).where(Claim.article_id == article.id)
    anchor = _anchor(entry)
    if entry.get("key") is not None:
        statement = statement.where(Claim.key == entry["key"])
    elif anchor is None:
        return None
    else:
        kind, start, end = anchor
        statement = statement.where(
            Claim.key.is_(None),
            Claim.kind == kind,
            Claim.quote_start == start,
            Claim.quote_end == end,
        )
        if shared:
            statement = statement.where(Claim.text == entry["text"])
    return db.session.scalars(statement.order_by(Claim.id).limit(1)).one_or_none()


def load_document(document: Any, change: Change) -> Counter[str]:
    """Create or update the article and each claim; what is already there stays as it is.

    Returns counts: article_created / article_updated / article_unchanged, and
    created / updated / unchanged / deleted (left deleted) for claims. Nothing
    is ever removed. A rule broken by claim N is reported as ``claims.N.<field>``.
    """
    data = parse_document(document)
    report: Counter[str] = Counter()
    fields = data["article"]
    article = article_service.article_by_url(checked_url(fields["url"]))
    if article is None:
        article = article_service.create_article(fields)
        report["article_created"] += 1
    else:
        version = article.version
        article = article_service.update_article(article.id, fields, ANY_VERSION)
        report["article_updated" if article.version != version else "article_unchanged"] += 1
    anchors = Counter(_anchor(entry) for entry in data["claims"])
    for index, entry in enumerate(data["claims"]):
        try:
            report[_load_claim(article, entry, anchors[_anchor(entry)] > 1, change)] += 1
        except DomainError as error:
            raise error.within(f"claims.{index}") from None
    return report


def _load_claim(article: Article, entry: dict[str, Any], shared: bool, change: Change) -> str:
    existing = _existing_claim(article, entry, shared)
    if existing is None:
        claim_service.create_claim({**entry, "article_id": article.id}, change)
        return "created"
    if existing.is_deleted:
        return "deleted"
    revision = existing.revision
    claim = claim_service.update_claim(existing.id, entry, ANY_VERSION, change)
    return "updated" if claim.revision != revision else "unchanged"

"""Loading article documents (the seeds/ format) idempotently through the claim services."""

from __future__ import annotations

from collections import Counter
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select

from claims_api.errors import InvalidInput, flatten_messages
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


def _existing_claim(article: Article, claim: dict[str, Any]) -> Claim | None:
    """The claim a document entry stands for: by key, else by kind and quote offsets."""
    statement = select(Claim).where(Claim.article_id == article.id)
    if claim.get("key") is not None:
        statement = statement.where(Claim.key == claim["key"])
    else:
        quote = claim.get("quote") or {}
        if quote.get("start") is None:
            return None
        statement = statement.where(
            Claim.kind == claim["kind"],
            Claim.quote_start == quote["start"],
            Claim.quote_end == quote["end"],
        )
    return db.session.scalars(statement.limit(1)).one_or_none()


def load_document(document: Any, change: Change) -> Counter[str]:
    """Create or update the article and each claim; what is already there stays as it is.

    Returns counts: article_created / article_updated / article_unchanged, and
    created / updated / unchanged for claims. Nothing is ever removed.
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
    for entry in data["claims"]:
        existing = _existing_claim(article, entry)
        if existing is None:
            claim_service.create_claim({**entry, "article_id": article.id}, change)
            report["created"] += 1
            continue
        if existing.is_deleted:
            report["deleted"] += 1
            continue
        revision = existing.revision
        claim = claim_service.update_claim(existing.id, entry, ANY_VERSION, change)
        report["updated" if claim.revision != revision else "unchanged"] += 1
    return report

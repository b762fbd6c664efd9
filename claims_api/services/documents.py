"""Validating article documents (the seeds/ format, docs/seed-format.md)."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError

from claims_api.errors import InvalidInput, flatten_messages
from claims_api.schemas.documents import ArticleDocumentSchema

_document_schema = ArticleDocumentSchema()


def parse_document(document: Any) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = _document_schema.load(document)
        return loaded
    except ValidationError as error:
        raise InvalidInput(
            "The document is not a valid article document.",
            errors=flatten_messages(error.messages),
        ) from None

"""The article document: an article with its claims, their sources and stances inline.

The format of seeds/ (docs/seed-format.md); bulk import builds on it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from claims_api.limits import MAX_CLAIMS_PER_DOCUMENT
from claims_api.schemas.articles import DocumentArticleSchema
from claims_api.schemas.claims import DocumentClaimSchema
from claims_api.services.article_versions import history_errors


class ArticleDocumentSchema(Schema):
    article = fields.Nested(DocumentArticleSchema, required=True)
    claims = fields.List(
        fields.Nested(DocumentClaimSchema),
        load_default=list,
        validate=validate.Length(max=MAX_CLAIMS_PER_DOCUMENT),
    )

    @validates_schema
    def check_keys_unique(self, data: dict[str, Any], **kwargs: Any) -> None:
        """A key names one claim of the article: two entries with one key would merge."""
        keys = Counter(claim["key"] for claim in data.get("claims", []) if claim.get("key"))
        errors = {
            f"claims.{index}.key": [f"the key {claim['key']!r} is used by another claim too"]
            for index, claim in enumerate(data.get("claims", []))
            if claim.get("key") and keys[claim["key"]] > 1
        }
        if errors:
            raise ValidationError(errors)

    @validates_schema
    def check_history(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors = history_errors(data["article"], data.get("claims", []))
        if errors:
            raise ValidationError(errors)

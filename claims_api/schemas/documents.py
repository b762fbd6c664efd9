"""The article document: an article with its claims, their sources and stances inline.

The format of seeds/ (docs/seed-format.md); bulk import builds on it.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from claims_api.schemas.articles import ArticleCreateSchema
from claims_api.schemas.claims import DocumentClaimSchema


class ArticleDocumentSchema(Schema):
    article = fields.Nested(ArticleCreateSchema, required=True)
    claims = fields.List(
        fields.Nested(DocumentClaimSchema), load_default=list, validate=validate.Length(max=10_000)
    )

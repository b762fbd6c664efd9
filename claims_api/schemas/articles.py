from __future__ import annotations

from marshmallow import Schema, fields, validate

from claims_api.schemas.common import (
    PageArgs,
    StrippedString,
    Text,
    Timestamp,
    WebURL,
    page_schema,
)


class ArticleFieldsSchema(Schema):
    """The article fields a client writes; none required, so PATCH sends only what changes."""

    url = WebURL()
    title = Text(1000)
    publisher = fields.String(allow_none=True, validate=validate.Length(max=300))
    authors = fields.List(
        StrippedString(validate=validate.Length(min=1, max=300)), validate=validate.Length(max=100)
    )
    published_at = Timestamp(allow_none=True)
    language = fields.String(
        allow_none=True,
        validate=validate.Regexp(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$", error="Not a BCP 47 tag."),
        metadata={"description": "BCP 47 language tag, such as en or pt-BR."},
    )
    body = fields.String(
        allow_none=True,
        metadata={
            "description": "The article text that claims quote; offsets count its characters."
        },
    )


class ArticleCreateSchema(ArticleFieldsSchema):
    url = WebURL(required=True)
    title = Text(1000, required=True)


class ArticleSchema(Schema):
    always_present = True
    id = fields.Integer()
    url = fields.String()
    title = fields.String()
    publisher = fields.String(allow_none=True)
    authors = fields.List(fields.String())
    published_at = Timestamp(allow_none=True)
    language = fields.String(allow_none=True)
    body = fields.String(allow_none=True)
    body_sha256 = fields.String(allow_none=True)
    claim_count = fields.Integer(metadata={"description": "Claims anchored in this article."})
    version = fields.Integer(metadata={"description": "Bumped by every change; the ETag."})
    created_at = Timestamp()
    updated_at = Timestamp()


class ArticleSummarySchema(ArticleSchema):
    """An article in a list: everything but the body, which can be long."""

    class Meta:
        exclude = ("body",)


class ArticleListArgs(PageArgs):
    publisher = fields.String(validate=validate.Length(min=1, max=300))
    published_after = Timestamp()
    published_before = Timestamp()
    q = fields.String(
        validate=validate.Length(min=3, max=200),
        metadata={"description": "Text searched in the title and body (3+ characters)."},
    )


ArticlePageSchema = page_schema(ArticleSummarySchema, "ArticlePage")

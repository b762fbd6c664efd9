from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from claims_api.limits import (
    MAX_ACTOR_LENGTH,
    MAX_ALIASES,
    MAX_AUTHORS,
    MAX_LANGUAGE_LENGTH,
    MAX_NAME_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_VERSIONS_PER_ARTICLE,
)
from claims_api.models.vocabulary import VersionOrigin
from claims_api.schemas.common import (
    LANGUAGE_TAG,
    JSONBoolean,
    PageArgs,
    SerialNumber,
    StrippedString,
    Text,
    Timestamp,
    WebURL,
    page_schema,
)


class ArticleFieldsSchema(Schema):
    """The article fields a client writes; none required, so PATCH sends only what changes."""

    url = WebURL()
    title = Text(MAX_TITLE_LENGTH)
    publisher = fields.String(allow_none=True, validate=validate.Length(max=MAX_NAME_LENGTH))
    authors = fields.List(
        StrippedString(validate=validate.Length(min=1, max=MAX_NAME_LENGTH)),
        validate=validate.Length(max=MAX_AUTHORS),
    )
    published_at = Timestamp(allow_none=True)
    language = fields.String(
        allow_none=True,
        validate=[
            validate.Length(max=MAX_LANGUAGE_LENGTH),
            validate.Regexp(LANGUAGE_TAG, error="Not a BCP 47 tag."),
        ],
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
    title = Text(MAX_TITLE_LENGTH, required=True)


class DocumentVersionSchema(Schema):
    """One body the article has had, as an article document (an export) carries it."""

    number = SerialNumber(strict=True, required=True)
    body = fields.String(required=True)
    body_sha256 = fields.String(required=True, validate=validate.Regexp("^[0-9a-f]{64}$"))
    origin = fields.String(
        required=True, validate=validate.OneOf([origin.value for origin in VersionOrigin])
    )
    actor = fields.String(required=True, validate=validate.Length(min=1, max=MAX_ACTOR_LENGTH))
    created_at = Timestamp(required=True)


class DocumentArticleSchema(ArticleCreateSchema):
    """The article of an article document: with an export's aliases and body history
    (services/article_versions.history_errors checks the history)."""

    aliases = fields.List(WebURL(), validate=validate.Length(max=MAX_ALIASES))
    versions = fields.List(
        fields.Nested(DocumentVersionSchema), validate=validate.Length(max=MAX_VERSIONS_PER_ARTICLE)
    )


class ArticlePostSchema(ArticleCreateSchema):
    """POST /articles: an article as in a document, or just a URL to fetch."""

    title = Text(MAX_TITLE_LENGTH, metadata={"description": "Required unless fetch is true."})
    fetch = JSONBoolean(
        load_default=False,
        metadata={
            "description": "Download the page at url and take its text as the body, and "
            "its title, authors, publisher and dates where not given (502 when it fails)."
        },
    )

    # Run with the field errors too, so that a body missing both names both.
    @validates_schema(skip_on_field_errors=False)
    def _title_unless_fetched(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data.get("fetch") and "title" not in data:
            raise ValidationError(["Missing data for required field."], "title")


class ArticleAliasSchema(Schema):
    url = fields.String()


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
    body_version = fields.Integer(
        allow_none=True,
        metadata={"description": "The body's version number (see /articles/{id}/versions)."},
    )
    aliases = fields.Pluck(
        ArticleAliasSchema,
        "url",
        many=True,
        metadata={
            "description": "Other URLs of the same document (its canonical URL, where "
            "fetching it was redirected): looked up, and refused for new articles, as url is."
        },
    )
    modified_at = Timestamp(
        allow_none=True, metadata={"description": "When the page says it was last changed."}
    )
    fetched_at = Timestamp(
        allow_none=True,
        metadata={"description": "When the page was last fetched; null if never."},
    )
    claim_count = fields.Integer(metadata={"description": "Claims anchored in this article."})
    version = fields.Integer(metadata={"description": "Bumped by every change; the ETag."})
    created_at = Timestamp()
    updated_at = Timestamp()


class ArticleRefreshSchema(Schema):
    """What a refresh found: whether the text changed, and the article after it."""

    changed = fields.Boolean(
        metadata={"description": "The text differed: it is the article's new body version."}
    )
    not_modified = fields.Boolean(
        metadata={"description": "The server answered 304 Not Modified to the last validators."}
    )
    article = fields.Nested(ArticleSchema)


class ArticleSummarySchema(ArticleSchema):
    """An article in a list: everything but the body, which can be long."""

    class Meta:
        exclude = ("body",)


class ArticleListArgs(PageArgs):
    publisher = fields.String(validate=validate.Length(min=1, max=MAX_NAME_LENGTH))
    published_after = Timestamp()
    published_before = Timestamp()
    q = fields.String(
        validate=validate.Length(min=3, max=200),
        metadata={"description": "Text searched in the title and body (3+ characters)."},
    )


ArticlePageSchema = page_schema(ArticleSummarySchema, "ArticlePage")


class ArticleVersionSummarySchema(Schema):
    """One body an article has had: number, digest, when, who, and how it came."""

    number = fields.Integer()
    body_sha256 = fields.String()
    origin = fields.String(metadata={"enum": [origin.value for origin in VersionOrigin]})
    actor = fields.String()
    created_at = Timestamp()


class ArticleVersionSchema(ArticleVersionSummarySchema):
    article_id = fields.Integer()
    body = fields.String()


class VersionDiffArgs(Schema):
    against = SerialNumber(
        minimum=0,
        metadata={
            "description": "The version to compare with; default the previous one, 0 an empty body."
        },
    )


class BodyChangeSchema(Schema):
    """A run of words that changed between two versions, with its offsets in each."""

    op = fields.String(metadata={"enum": ["replace", "delete", "insert"]})
    old_start = fields.Integer()
    old_end = fields.Integer()
    new_start = fields.Integer()
    new_end = fields.Integer()
    old_text = fields.String()
    new_text = fields.String()


class ArticleVersionDiffSchema(Schema):
    article_id = fields.Integer()
    number = fields.Integer()
    against = fields.Integer()
    changes = fields.List(fields.Nested(BodyChangeSchema))

from __future__ import annotations

from marshmallow import Schema, fields, validate

from claims_api.limits import MAX_NAME_LENGTH, MAX_TITLE_LENGTH
from claims_api.models.vocabulary import SourceKind
from claims_api.schemas.common import PageArgs, Timestamp, WebURL, page_schema


class SourceFieldsSchema(Schema):
    url = WebURL()
    title = fields.String(allow_none=True, validate=validate.Length(max=MAX_TITLE_LENGTH))
    publisher = fields.String(allow_none=True, validate=validate.Length(max=MAX_NAME_LENGTH))
    kind = fields.Enum(SourceKind, by_value=True)
    archived_url = WebURL(allow_none=True)
    accessed_at = Timestamp(allow_none=True)


class SourceCreateSchema(SourceFieldsSchema):
    url = WebURL(required=True)


class SourceSchema(Schema):
    always_present = True
    id = fields.Integer()
    url = fields.String()
    title = fields.String(allow_none=True)
    publisher = fields.String(allow_none=True)
    kind = fields.String()
    archived_url = fields.String(allow_none=True)
    accessed_at = Timestamp(allow_none=True)
    version = fields.Integer(metadata={"description": "Bumped by every change; the ETag."})
    created_at = Timestamp()
    updated_at = Timestamp()


class CitationSchema(Schema):
    """A claim citing the source, with the stance of the link."""

    always_present = True

    claim_id = fields.Integer()
    text = fields.String(attribute="claim.text")
    stance = fields.String()
    excerpt = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class SourceDetailSchema(SourceSchema):
    citations = fields.List(
        fields.Nested(CitationSchema),
        metadata={
            "description": "The first claims citing the source; /claims?source_id= lists all."
        },
    )
    citation_count = fields.Integer()


class SourceListArgs(PageArgs):
    url = WebURL()
    publisher = fields.String(validate=validate.Length(min=1, max=MAX_NAME_LENGTH))
    kind = fields.Enum(SourceKind, by_value=True)


SourcePageSchema = page_schema(SourceSchema, "SourcePage")

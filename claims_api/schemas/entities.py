from __future__ import annotations

from marshmallow import Schema, fields, validate

from claims_api.limits import MAX_ALIASES, MAX_NAME_LENGTH
from claims_api.models.entity import EntityKindValue, EntityRole
from claims_api.schemas.claims import CLAIM_SORT_DESCRIPTION, CLAIM_SORTS, ClaimSchema
from claims_api.schemas.common import Id, PageArgs, Timestamp, page_schema

NAME = validate.Length(min=1, max=MAX_NAME_LENGTH)
MAX_TIMELINE = 1000


class EntitySchema(Schema):
    always_present = True

    id = fields.Integer()
    key = fields.String(
        metadata={
            "description": "The Wikidata id of a reference entity where known, else a slug "
            '("org:csto") or "name:" and the normalised name it was first used by.'
        }
    )
    name = fields.String()
    kind = fields.String(metadata={"enum": [kind.value for kind in EntityKindValue]})
    wikidata_id = fields.String(allow_none=True)
    aliases = fields.List(
        fields.String(), metadata={"description": "Its other names, spellings and demonyms."}
    )
    created_at = Timestamp()


class EntityCreateSchema(Schema):
    name = fields.String(required=True, validate=NAME)
    kind = fields.Enum(EntityKindValue, by_value=True, load_default=EntityKindValue.OTHER)
    wikidata_id = fields.String(
        allow_none=True, validate=validate.Regexp(r"^Q[1-9][0-9]{0,11}$", error="A Wikidata id.")
    )
    aliases = fields.List(
        fields.String(validate=NAME), load_default=list, validate=validate.Length(max=MAX_ALIASES)
    )


class EntityAliasCreateSchema(Schema):
    alias = fields.String(required=True, validate=NAME)


class EntityMergeSchema(Schema):
    into = Id(required=True, metadata={"description": "The entity that takes over this one."})


class EntityListArgs(PageArgs):
    q = fields.String(
        validate=NAME,
        metadata={
            "description": "Entities with a name or alias starting with it (case, accents, "
            'punctuation and a leading "the" ignored).'
        },
    )
    kind = fields.Enum(EntityKindValue, by_value=True)


class EntityClaimListArgs(PageArgs):
    role = fields.Enum(EntityRole, by_value=True)
    sort = fields.String(
        load_default="id",
        validate=validate.OneOf(CLAIM_SORTS),
        metadata={"description": CLAIM_SORT_DESCRIPTION},
    )


EntityPageSchema = page_schema(EntitySchema, "EntityPage")


class TimelineArgs(Schema):
    limit = fields.Integer(
        load_default=200,
        validate=validate.Range(min=1, max=MAX_TIMELINE),
        metadata={"description": f"The most recently written facts ordered (1-{MAX_TIMELINE})."},
    )


class TimelineArticleSchema(Schema):
    always_present = True

    id = fields.Integer()
    title = fields.String()
    url = fields.String()
    published_at = Timestamp(allow_none=True)


class TimelineItemSchema(Schema):
    always_present = True

    time = fields.String(
        allow_none=True,
        metadata={"format": "date", "description": "The fact's as_of, else its article's date."},
    )
    time_source = fields.String(allow_none=True, metadata={"enum": ["as_of", "published_at", None]})
    claim = fields.Nested(ClaimSchema)
    article = fields.Nested(TimelineArticleSchema)


class TimelineSchema(Schema):
    items = fields.List(fields.Nested(TimelineItemSchema), required=True)
    truncated = fields.Boolean(
        required=True, metadata={"description": "Whether older facts were left out (limit)."}
    )

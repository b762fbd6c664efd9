"""The change feed as read: events and the arguments of /events."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from claims_api.models.vocabulary import EventType
from claims_api.schemas.common import PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX, Timestamp


class EventSchema(Schema):
    id = fields.Integer(required=True)
    type = fields.String(required=True, metadata={"enum": [kind.value for kind in EventType]})
    occurred_at = Timestamp(required=True, metadata={"description": "When the change was written."})
    actor = fields.String(required=True)
    claim_id = fields.Integer(allow_none=True)
    article_id = fields.Integer(allow_none=True)
    data = fields.Dict(
        required=True,
        metadata={"description": "The resource as it read after the change, and `changes`."},
    )


class EventFeedArgs(Schema):
    after = fields.String(
        validate=validate.Length(max=500),
        metadata={
            "description": "The `next_cursor` of the last read; omit to start at the oldest."
        },
    )
    type = fields.List(
        fields.Enum(EventType, by_value=True),
        metadata={"description": "Repeat to take several types; default all."},
    )
    limit = fields.Integer(
        load_default=PAGE_SIZE_DEFAULT, validate=validate.Range(min=1, max=PAGE_SIZE_MAX)
    )


class EventFeedSchema(Schema):
    items = fields.List(fields.Nested(EventSchema), required=True)
    next_cursor = fields.String(
        required=True,
        metadata={
            "description": "Pass as `after` for what comes next; never null, so a consumer "
            "keeps polling with it."
        },
    )

"""Webhook schemas: registration and edits, webhooks as read (never a secret, except
once, when issued), and their deliveries."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from claims_api.models.vocabulary import FEED_EVENT_TYPES, DeliveryStatus
from claims_api.schemas.common import JSONBoolean, Text, Timestamp, WebURL, page_schema

EVENTS_DESCRIPTION = (
    "Event types to receive (as in /events); empty or absent: all of them. An unknown type is 422."
)


class WebhookCreateSchema(Schema):
    url = WebURL(required=True, metadata={"description": "Where events are POSTed."})
    events = fields.List(
        fields.String(validate=validate.Length(max=64), metadata={"enum": list(FEED_EVENT_TYPES)}),
        validate=validate.Length(max=100),
        metadata={"description": EVENTS_DESCRIPTION},
    )
    description = Text(2000, allow_none=True)


class WebhookFieldsSchema(WebhookCreateSchema):
    """A PATCH: any of the fields; ``enabled`` turns deliveries off and on again."""

    url = WebURL()
    enabled = JSONBoolean()


class WebhookSchema(Schema):
    always_present = True
    id = fields.Integer()
    url = fields.String()
    events = fields.List(fields.String(), metadata={"description": EVENTS_DESCRIPTION})
    description = fields.String(allow_none=True)
    enabled = fields.Boolean()
    disabled_reason = fields.String(
        allow_none=True, metadata={"description": "Why deliveries are off (null when enabled)."}
    )
    failing_since = Timestamp(
        allow_none=True,
        metadata={
            "description": "Since when every delivery has failed; after "
            "CLAIMS_WEBHOOK_DISABLE_AFTER_DAYS (3) the webhook is disabled."
        },
    )
    previous_secret_expires_at = Timestamp(
        allow_none=True,
        metadata={"description": "Until when the secret replaced by a rotation still signs."},
    )
    created_by = fields.String()
    created_at = Timestamp()
    updated_at = Timestamp()


class IssuedWebhookSchema(WebhookSchema):
    secret = fields.String(
        metadata={
            "description": "The signing secret (whsec_...): shown this once, stored encrypted."
        }
    )


class DeliverySchema(Schema):
    always_present = True
    id = fields.Integer()
    webhook_id = fields.Integer()
    event_id = fields.Integer(
        metadata={"description": "The event's id, sent as the webhook-id header."}
    )
    event_type = fields.String()
    claim_id = fields.Integer(allow_none=True)
    status = fields.Enum(DeliveryStatus, by_value=True)
    attempts = fields.Integer()
    last_response_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    next_attempt_at = Timestamp(allow_none=True)
    delivered_at = Timestamp(allow_none=True)
    created_at = Timestamp()


WebhookPageSchema = page_schema(WebhookSchema, "WebhookPage")
DeliveryPageSchema = page_schema(DeliverySchema, "DeliveryPage")

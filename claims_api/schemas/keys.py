"""API key schemas: what an admin sends to issue a key, and keys as listed (never the token)."""

from __future__ import annotations

from marshmallow import Schema, fields

from claims_api.models.vocabulary import Role
from claims_api.schemas.common import Text, Timestamp, page_schema


class KeyCreateSchema(Schema):
    name = Text(200, required=True, metadata={"description": "Recorded as the actor of changes."})
    role = fields.Enum(Role, by_value=True, required=True)
    expires_at = Timestamp(allow_none=True)


class KeySchema(Schema):
    always_present = True
    id = fields.Integer()
    name = fields.String()
    role = fields.String()
    prefix = fields.String(
        metadata={"description": "The token's public start, for telling keys apart."}
    )
    created_at = Timestamp()
    expires_at = Timestamp(allow_none=True)
    revoked_at = Timestamp(allow_none=True)
    issued_by = fields.String(
        allow_none=True,
        metadata={"description": "Who issued it: a key's name, or cli:<OS user>."},
    )
    revoked_by = fields.String(
        allow_none=True,
        metadata={"description": "Who revoked it: a key's name, or cli:<OS user>."},
    )


class IssuedKeySchema(KeySchema):
    token = fields.String(metadata={"description": "Shown this once; only its hash is kept."})


KeyPageSchema = page_schema(KeySchema, "KeyPage")

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from claims_api.schemas.common import PageArgs, SerialNumber, Timestamp, page_schema


class RevisionSchema(Schema):
    always_present = True
    claim_id = fields.Integer()
    number = fields.Integer()
    action = fields.String()
    actor = fields.String()
    reason = fields.String(allow_none=True)
    created_at = Timestamp()
    changes = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(),
        metadata={"description": 'Each changed field: {"old": ..., "new": ...}.'},
    )
    snapshot = fields.Dict(metadata={"description": "The claim as it read after the change."})


class RevisionListArgs(PageArgs):
    actor = fields.String(validate=validate.Length(min=1, max=200))
    since = Timestamp()
    until = Timestamp()

    @validates_schema
    def check_window(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "since" in data and "until" in data and data["since"] > data["until"]:
            raise ValidationError("must not be before since", "until")


class DiffArgs(Schema):
    against = SerialNumber(
        metadata={"description": "The revision to compare with; the previous one by default."},
    )


class RevisionDiffSchema(Schema):
    claim_id = fields.Integer()
    number = fields.Integer()
    against = fields.Integer()
    changes = fields.Dict(keys=fields.String(), values=fields.Dict())


RevisionPageSchema = page_schema(RevisionSchema, "RevisionPage")

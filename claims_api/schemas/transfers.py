"""Schemas of bulk imports and exports."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from claims_api.schemas.common import Id, Timestamp
from claims_api.services.exports import FORMATS
from claims_api.services.imports import MAX_REPORTED


class ImportArgs(Schema):
    dry_run = fields.Boolean(
        load_default=False, metadata={"description": "Report what would change; write nothing."}
    )
    # Not named `partial`: that is the Schema's own option (partial loading).
    partial_ = fields.Boolean(
        data_key="partial",
        attribute="partial",
        load_default=False,
        metadata={"description": "Keep the valid records when some are invalid."},
    )
    name = fields.String(
        load_default="upload",
        validate=validate.Length(min=1, max=300),
        metadata={"description": "A name for the input, used in the report and revisions."},
    )


class ImportHeaders(Schema):
    idempotency_key = fields.String(
        data_key="Idempotency-Key",
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Retrying with the same key and body replays the result."},
    )


class ImportProblemSchema(Schema):
    file = fields.String()
    location = fields.String(metadata={"description": "A line (JSON Lines) or JSON pointer."})
    field = fields.String()
    reason = fields.String()


class ImportRunSchema(Schema):
    always_present = True
    id = fields.Integer()
    status = fields.String(
        metadata={
            "description": "running, succeeded, failed, or interrupted "
            "(stopped by a transient database error: a retry with the key runs it again)"
        }
    )
    source_name = fields.String()
    dry_run = fields.Boolean()
    partial_ = fields.Boolean(data_key="partial", attribute="partial")  # as in ImportArgs
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    error_count = fields.Integer(metadata={"description": "Every error, listed or not."})
    errors = fields.List(
        fields.Nested(ImportProblemSchema),
        metadata={"description": f"The first {MAX_REPORTED:,} errors."},
    )
    warning_count = fields.Integer(metadata={"description": "Every warning, listed or not."})
    warnings = fields.List(
        fields.Nested(ImportProblemSchema),
        metadata={
            "description": f"The first {MAX_REPORTED:,} warnings: what was read but not "
            "applied as given (a verdict an import may not change, a rating read loosely)."
        },
    )
    created_at = Timestamp()
    finished_at = Timestamp(allow_none=True)


class ExportArgs(Schema):
    format = fields.String(load_default="jsonl", validate=validate.OneOf(FORMATS))
    since = Timestamp(metadata={"description": "Only claims changed since then."})
    article_id = Id()
    status = fields.String(validate=validate.Length(min=1, max=40))

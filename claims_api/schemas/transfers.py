"""Schemas of bulk imports and exports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import INCLUDE, Schema, fields, validate

from claims_api.errors import IMPORT_FAILED, problem_body
from claims_api.models import ImportRun
from claims_api.schemas.common import Id, Timestamp
from claims_api.services.exports import FORMATS
from claims_api.services.imports import MAX_REPORTED, jobs
from claims_api.services.imports.runs import FAILED


class ImportDocumentSchema(Schema):
    """A JSON import body as a client sends it: an article document (docs/seed-format.md)
    or ClaimReview JSON-LD, read by the import itself, not by this schema (a JSON array
    of either is read too). Only the OpenAPI document uses it."""

    class Meta:
        unknown = INCLUDE


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
    prefer = fields.String(
        data_key="Prefer",
        metadata={
            "description": "`respond-async`: answer 202 at once with a Location to poll, and "
            "let the worker run the import (RFC 7240). Other preferences are ignored."
        },
    )


class ImportProblemSchema(Schema):
    file = fields.String()
    location = fields.String(metadata={"description": "A line (JSON Lines) or JSON pointer."})
    field = fields.String()
    reason = fields.String()


class Computed:
    """A field whose value is computed from the whole object rather than read from it."""

    def __init__(self, compute: Callable[[Any], Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.compute = compute

    def get_value(self, obj: Any, attr: str, accessor: Any = None, default: Any = None) -> Any:
        return self.compute(obj)


class ComputedNested(Computed, fields.Nested):
    pass


class ComputedDict(Computed, fields.Dict):
    pass


class ImportProgressSchema(Schema):
    always_present = True
    bytes_read = fields.Integer(metadata={"description": "How much of the upload was read."})
    bytes_total = fields.Integer(allow_none=True, metadata={"description": "The upload's size."})
    records = fields.Integer(metadata={"description": "Records read so far."})


def import_problem(run: ImportRun) -> dict[str, Any] | None:
    """The problem document of a failed import: the answer of a synchronous POST, and
    the ``problem`` of an asynchronous one, so both say the same."""
    if run.status != FAILED:
        return None
    problems = ImportProblemSchema(many=True)
    return problem_body(
        IMPORT_FAILED,
        f"The import found {run.error_count} errors; nothing was written."
        if not run.partial
        else f"The import found {run.error_count} errors and no valid record.",
        import_id=run.id,
        import_errors=problems.dump(run.errors),
        import_error_count=run.error_count,
        import_warnings=problems.dump(run.warnings),
        import_warning_count=run.warning_count,
    )


class ImportRunSchema(Schema):
    always_present = True
    id = fields.Integer()
    status = fields.String(
        metadata={
            "description": "queued (waiting for a worker), running, succeeded, failed, "
            "cancelled, or interrupted (stopped by a transient database error: a retry "
            "with the key runs it again)"
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
    started_at = Timestamp(allow_none=True, metadata={"description": "When a worker took it."})
    finished_at = Timestamp(allow_none=True)
    progress = ComputedNested(
        jobs.progress,
        ImportProgressSchema,
        allow_none=True,
        metadata={"description": "How far an asynchronous import has gone (null otherwise)."},
    )
    problem = ComputedDict(
        import_problem,
        allow_none=True,
        metadata={
            "description": "A failed import's problem document: what POST /imports without "
            "Prefer answers with (422, `import-failed`). Null unless failed."
        },
    )


class ExportArgs(Schema):
    format = fields.String(load_default="jsonl", validate=validate.OneOf(FORMATS))
    since = Timestamp(metadata={"description": "Only claims changed since then."})
    article_id = Id()
    status = fields.String(validate=validate.Length(min=1, max=40))

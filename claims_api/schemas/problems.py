"""The problem document (RFC 9457) every error answers with, as the OpenAPI document shows it."""

from __future__ import annotations

from typing import Any

from marshmallow import INCLUDE, Schema, fields

from claims_api.errors import PROBLEM_TYPES


class ProblemTypeURI(fields.String):
    """A problem type; the document lists them all as the app runs (every module that
    defines one is loaded by then)."""

    def openapi_properties(self) -> dict[str, Any]:
        problems = sorted(PROBLEM_TYPES.values(), key=lambda problem: problem.slug)
        listed = "".join(
            f"\n- `{problem.uri}` ({problem.status}): {problem.about}" for problem in problems
        )
        return {
            "enum": [problem.uri for problem in problems],
            "description": f"What kind of error (docs/problems.md):{listed}",
        }


class ProblemSchema(Schema):
    """An error. Members beyond those listed may appear; clients ignore what they do not know."""

    class Meta:
        unknown = INCLUDE

    type = ProblemTypeURI(required=True)
    title = fields.String(required=True, metadata={"description": "The same for every type."})
    status = fields.Integer(required=True, metadata={"description": "The HTTP status."})
    detail = fields.String(metadata={"description": "What went wrong this time, for a person."})
    instance = fields.String(metadata={"format": "uri-reference"})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={
            "description": "For validation errors: each field (a dotted path such as "
            "`quote.exact`, or `_body`) with the reasons it was refused."
        },
    )
    required_role = fields.String(metadata={"description": "403: the least role needed."})
    current_version = fields.Integer(metadata={"description": "412: the version now current."})
    current_status = fields.String(metadata={"description": "409: the claim's status now."})
    allowed = fields.List(
        fields.String(), metadata={"description": "409: the statuses the workflow allows next."}
    )
    published_review_id = fields.Integer(allow_none=True)
    article_id = fields.Integer(metadata={"description": "409: the article holding the URL."})
    claim_count = fields.Integer(metadata={"description": "409: claims that stop the change."})
    assigned_to = fields.String(metadata={"description": "409: who holds the lease."})
    limit = fields.Integer(metadata={"description": "413: the most bytes accepted."})
    setting = fields.String(
        metadata={"description": "503 extraction-unavailable: the setting to change."}
    )
    check = fields.String(
        metadata={
            "description": "503 extraction-unavailable: the check the NLP pipeline failed "
            "(installed, meta, digest or load)."
        }
    )
    import_id = fields.Integer(metadata={"description": "The import run, at /imports/{id}."})
    import_errors = fields.List(
        fields.Dict(), metadata={"description": "422 import-failed: the run's errors."}
    )

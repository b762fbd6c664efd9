"""/imports: bulk loads over HTTP, streamed to disk, with Idempotency-Key retries."""

from __future__ import annotations

import hashlib
import tempfile
from datetime import timedelta
from typing import IO, Any

from flask import Response, current_app, request, url_for
from flask.views import MethodView
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

from claims_api.auth import current_actor, current_role, requires
from claims_api.errors import IMPORT_FAILED, PayloadTooLarge, problem_response
from claims_api.models import ImportRun
from claims_api.models.vocabulary import Role
from claims_api.resources.common import LOCATION_HEADER_DOC, Blueprint, Reply
from claims_api.schemas.transfers import ImportArgs, ImportHeaders, ImportRunSchema
from claims_api.services.imports import runs as run_service
from claims_api.services.imports.readers import MEDIA_TYPES
from claims_api.services.imports.runs import ImportRequest

blp = Blueprint("imports", __name__, url_prefix="/imports", description="Bulk imports.")

CHUNK = 1024 * 1024
BODY_DOC = {
    "required": True,
    "description": "Article documents (JSON, JSON Lines) or ClaimReview (JSON-LD, HTML).",
    # JSON formats are any JSON value to a client (an article document, a list of
    # them, ClaimReview JSON-LD); the others are text it sends as it is.
    "content": {
        media_type: {
            "schema": {} if media_type.endswith("json") else {"type": "string", "format": "binary"}
        }
        for media_type in MEDIA_TYPES
    },
}


def _spool_body(limit: int) -> tuple[IO[bytes], str]:
    """The request body in a temporary file, and its SHA-256; 413 past ``limit`` bytes."""
    request.max_content_length = limit
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - returned to the caller, who closes it
    digest = hashlib.sha256()
    try:
        while chunk := request.stream.read(CHUNK):
            digest.update(chunk)
            spool.write(chunk)
    except RequestEntityTooLarge:
        spool.close()
        raise PayloadTooLarge(f"An import may hold at most {limit} bytes.", limit=limit) from None
    spool.seek(0)
    return spool, digest.hexdigest()


def _run_reply(run: ImportRun) -> Reply | Response:
    """The run as created (201), or the problem of a run that failed (422)."""
    location = {"Location": url_for("imports.ImportById", import_id=run.id)}
    if run.status == run_service.FAILED:
        dumped = ImportRunSchema().dump(run)
        return problem_response(
            IMPORT_FAILED,
            f"The import found {run.error_count} errors; nothing was written."
            if not run.partial
            else f"The import found {run.error_count} errors and no valid record.",
            import_id=run.id,
            import_errors=dumped["errors"],
            import_error_count=run.error_count,
            import_warnings=dumped["warnings"],
            import_warning_count=run.warning_count,
            headers=location,
        )
    return run, 201, location


@blp.route("")
class Imports(MethodView):
    @requires(Role.CONTRIBUTOR)
    @blp.arguments(ImportArgs, location="query", as_kwargs=False)
    @blp.arguments(ImportHeaders, location="headers", as_kwargs=False)
    @blp.doc(requestBody=BODY_DOC)
    @blp.response(201, ImportRunSchema, headers=LOCATION_HEADER_DOC)
    @blp.problems(413)
    @blp.doc(operationId="createImport")
    def post(self, args: dict[str, Any], headers: dict[str, Any]) -> Reply | Response:
        """Import a file sent as the body: its format comes from the Content-Type."""
        input_format = MEDIA_TYPES.get(request.mimetype)
        if input_format is None:
            raise UnsupportedMediaType(f"Send one of: {', '.join(MEDIA_TYPES)}.")
        config = current_app.config
        spool, digest = _spool_body(config["IMPORT_MAX_BYTES"])
        import_request = ImportRequest(
            source_name=args["name"],
            input_format=input_format,
            actor=current_actor(),
            role=current_role(),
            partial=args["partial"],
            dry_run=args["dry_run"],
            idempotency_key=headers.get("idempotency_key"),
            request_sha256=digest,
        )
        with spool:
            outcome = run_service.run_import(
                spool,
                import_request,
                stale_after=timedelta(seconds=config["IMPORT_STALE_SECONDS"]),
            )
        interrupted = run_service.interruption(outcome)
        if interrupted is not None:
            raise interrupted
        return _run_reply(outcome.run)


@blp.route("/<int:import_id>")
class ImportById(MethodView):
    @blp.response(200, ImportRunSchema)
    @blp.doc(operationId="getImport")
    def get(self, import_id: int) -> Any:
        """An import's status, counts, errors and warnings."""
        return run_service.get_run(import_id)

"""/imports: bulk loads over HTTP, streamed to disk, with Idempotency-Key retries; with
``Prefer: respond-async``, queued for the worker and polled."""

from __future__ import annotations

import hashlib
import io
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from flask import Response, current_app, json, request, url_for
from flask.views import MethodView
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

from claims_api.auth import current_actor, current_role, requires
from claims_api.errors import PROBLEM_MIMETYPE, PayloadTooLarge
from claims_api.extensions import READS_FIRST_ENDPOINTS
from claims_api.models import ImportRun
from claims_api.models.vocabulary import Role
from claims_api.resources.common import LOCATION_HEADER_DOC, Blueprint, Reply
from claims_api.schemas.transfers import (
    ImportArgs,
    ImportDocumentSchema,
    ImportHeaders,
    ImportRunSchema,
    import_problem,
)
from claims_api.services.imports import jobs
from claims_api.services.imports import runs as run_service
from claims_api.services.imports.readers import MEDIA_TYPES
from claims_api.services.imports.runs import ImportRequest

blp = Blueprint("imports", __name__, url_prefix="/imports", description="Bulk imports.")

CHUNK = 1024 * 1024
# To a client, a JSON body is one object (ImportDocumentSchema); the other formats are
# text it sends as it is. Generated clients choose a body's media type by its type, the
# last listed winning, so JSON Lines, the format for many documents, comes last.
BODY_ORDER = ("text/html", "application/json", "application/ld+json")
BODY_DOC = {
    "required": True,
    "description": "Article documents (JSON, JSON Lines) or ClaimReview (JSON-LD, HTML).",
    "content": {
        media_type: {
            "schema": ImportDocumentSchema
            if MEDIA_TYPES[media_type] == "json"
            else {"type": "string", "format": "binary"}
        }
        for media_type in sorted(
            MEDIA_TYPES, key=lambda name: BODY_ORDER.index(name) if name in BODY_ORDER else 9
        )
    },
}


RESPOND_ASYNC = "respond-async"
ASYNC_HEADERS_DOC = {
    **LOCATION_HEADER_DOC,
    "Preference-Applied": {
        "description": "`respond-async`: the import was queued for the worker.",
        "schema": {"type": "string"},
    },
}


def _spool_file(asynchronous: bool) -> IO[bytes]:
    """Where the body goes: a file of the spool folder that the worker reads later, or
    a temporary one, gone once closed."""
    if asynchronous:
        return tempfile.NamedTemporaryFile(
            dir=jobs.spool_dir(), prefix="upload-", suffix=".import", delete=False
        )
    return tempfile.TemporaryFile()


def _spool_body(limit: int, spool: IO[bytes], *, kept: bool) -> str:
    """The request body written to ``spool``, and its SHA-256; 413 past ``limit`` bytes.
    A ``kept`` spool (a named file) is deleted when the body cannot be had whole."""
    request.max_content_length = limit
    digest = hashlib.sha256()
    try:
        while chunk := request.stream.read(CHUNK):
            digest.update(chunk)
            spool.write(chunk)
    except BaseException as error:
        if kept:
            Path(spool.name).unlink(missing_ok=True)
        if isinstance(error, RequestEntityTooLarge):
            message = f"An import may hold at most {limit} bytes."
            raise PayloadTooLarge(message, limit=limit) from None
        raise
    spool.flush()
    spool.seek(0)
    return digest.hexdigest()


def _queued(spool: IO[bytes], import_request: ImportRequest) -> Reply:
    """Queue the spooled upload for the worker: 202, and where to poll."""
    size = spool.seek(0, io.SEEK_END)
    spool.close()
    run, _ = jobs.queue_import(Path(spool.name), size, import_request)
    return run, 202, {**_location(run), "Preference-Applied": RESPOND_ASYNC}


def prefers_async(prefer: str | None) -> bool:
    """Whether a Prefer header (RFC 7240) holds ``respond-async``; other preferences,
    and values that are no preference at all, are ignored."""
    tokens = (preference.split(";")[0].split("=")[0] for preference in (prefer or "").split(","))
    return any(token.strip().lower() == RESPOND_ASYNC for token in tokens)


def _location(run: ImportRun) -> dict[str, str]:
    return {"Location": url_for("imports.ImportById", import_id=run.id)}


def _run_reply(run: ImportRun) -> Reply | Response:
    """The run as created (201), or the problem of a run that failed (422)."""
    problem = import_problem(run)
    if problem is not None:
        return Response(json.dumps(problem), 422, headers=_location(run), mimetype=PROBLEM_MIMETYPE)
    return run, 201, _location(run)


@blp.route("")
class Imports(MethodView):
    @requires(Role.CONTRIBUTOR)
    @blp.arguments(ImportArgs, location="query", as_kwargs=False)
    @blp.arguments(ImportHeaders, location="headers", as_kwargs=False)
    @blp.doc(requestBody=BODY_DOC)
    @blp.response(201, ImportRunSchema, headers=LOCATION_HEADER_DOC)
    @blp.alt_response(
        202,
        schema=ImportRunSchema,
        headers=ASYNC_HEADERS_DOC,
        description="With `Prefer: respond-async`: queued for the worker; poll Location.",
    )
    @blp.problems(413)
    @blp.doc(operationId="createImport")
    def post(self, args: dict[str, Any], headers: dict[str, Any]) -> Reply | Response:
        """Import a file sent as the body: its format comes from the Content-Type.

        The import runs inside the request and answers with its outcome (201, or 422
        when it failed). With `Prefer: respond-async` it answers 202 at once with the
        queued run and its Location; the worker runs it, and GET on the Location shows
        its status, progress and, at the end, the same report (or problem).
        """
        input_format = MEDIA_TYPES.get(request.mimetype)
        if input_format is None:
            raise UnsupportedMediaType(f"Send one of: {', '.join(MEDIA_TYPES)}.")
        config = current_app.config
        asynchronous = prefers_async(headers.get("prefer"))
        with _spool_file(asynchronous) as spool:
            digest = _spool_body(config["IMPORT_MAX_BYTES"], spool, kept=asynchronous)
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
            if asynchronous:
                return _queued(spool, import_request)
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
        """An import's status, progress, counts, errors and warnings."""
        return run_service.get_run(import_id)

    @requires(Role.CONTRIBUTOR)
    @blp.response(200, ImportRunSchema, description="A queued import, cancelled.")
    @blp.alt_response(
        202,
        schema=ImportRunSchema,
        description="A running import, asked to stop: it is rolled back at its next batch "
        "boundary and then reads `cancelled` (unless it had already finished writing).",
    )
    @blp.doc(operationId="cancelImport")
    def delete(self, import_id: int) -> Reply:
        """Cancel an asynchronous import that is queued or running: nothing of it is
        written. Cancelling one that has finished is a 409."""
        run = jobs.cancel_job(import_id)
        return run, 200 if run.status == run_service.CANCELLED else 202, {}


# DELETE only writes when the import is queued (see jobs.cancel_job).
READS_FIRST_ENDPOINTS.add("imports.ImportById")

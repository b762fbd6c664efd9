"""/export: everything (or a filtered part) as JSON Lines or ClaimReview, streamed."""

from __future__ import annotations

from typing import Any

from flask import Response, stream_with_context
from flask.views import MethodView

from claims_api.resources.common import Blueprint
from claims_api.schemas.transfers import ExportArgs
from claims_api.services.exports import MEDIA_TYPES, ExportFilter, export_chunks

blp = Blueprint("export", __name__, url_prefix="/export", description="Bulk export.")


@blp.route("")
class Export(MethodView):
    @blp.arguments(ExportArgs, location="query", as_kwargs=False)
    @blp.response(
        200,
        {"type": "string", "description": "JSON Lines: one article document per line"},
        content_type="application/x-ndjson",
        description="format=jsonl: a stream of JSON Lines; format=claimreview: one DataFeed",
    )
    @blp.alt_response(
        200,
        schema={"type": "object", "description": "A schema.org DataFeed of ClaimReviews"},
        content_type="application/ld+json",
        description="format=jsonl: a stream of JSON Lines; format=claimreview: one DataFeed",
        success=True,
    )
    @blp.doc(operationId="exportClaims")
    def get(self, args: dict[str, Any]) -> Response:
        """Stream articles with their claims (format=jsonl) or ClaimReviews (format=claimreview)."""
        export_format = args.pop("format")
        chunks = export_chunks(export_format, ExportFilter(**args))
        extension = "jsonl" if export_format == "jsonl" else "jsonld"
        return Response(
            stream_with_context(chunks),
            mimetype=MEDIA_TYPES[export_format],
            headers={"Content-Disposition": f'attachment; filename="claims.{extension}"'},
        )

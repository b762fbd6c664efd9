"""/revisions: what changed across all claims, by whom, since when."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from claims_api.resources.common import LINK_HEADER_DOC, Blueprint, page_request, page_response
from claims_api.schemas.revisions import RevisionListArgs, RevisionPageSchema
from claims_api.services import revisions as revision_service

blp = Blueprint("revisions", __name__, url_prefix="/revisions", description="History feed.")


@blp.route("")
class Revisions(MethodView):
    @blp.arguments(RevisionListArgs, location="query", as_kwargs=False)
    @blp.response(200, RevisionPageSchema, headers=LINK_HEADER_DOC)
    @blp.doc(operationId="listRevisions")
    def get(self, args: dict[str, Any]) -> tuple[Any, int, dict[str, str]]:
        """Revisions of every claim, newest first; ``since`` inclusive, ``until`` exclusive."""
        page = page_request(args)
        return page_response(revision_service.list_revisions(page, **args))

"""/articles/{id}/extract: the article's claims as proposed by the extractor."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from claims_api.auth import current_role, requires
from claims_api.extensions import db
from claims_api.models.vocabulary import Role
from claims_api.resources.common import Blueprint, change_from
from claims_api.schemas.common import ReasonHeaders
from claims_api.schemas.extraction import ExtractArgs, ExtractionSchema
from claims_api.services import extraction as extraction_service

blp = Blueprint(
    "extraction",
    __name__,
    url_prefix="/articles",
    description="Candidate claims proposed from an article's text.",
)


@blp.route("/<int:article_id>/extract")
class ArticleExtraction(MethodView):
    @requires(Role.CONTRIBUTOR)
    @blp.arguments(ExtractArgs, location="query", as_kwargs=False)
    @blp.arguments(ReasonHeaders, location="headers")
    @blp.response(200, ExtractionSchema)
    @blp.problems(503)
    @blp.doc(operationId="extractArticleClaims")
    def post(self, args: dict[str, Any], headers: dict[str, Any], article_id: int) -> Any:
        """Propose the article's checkable claims; `save=true` stores the new ones.

        Saved candidates become claims with revision reason "extracted". A candidate
        that overlaps a live claim of the same kind is not stored again (outcome
        "exists"), so extracting twice never duplicates a claim. When no NLP pipeline can
        be loaded, it answers 503 `extraction-unavailable`, naming the setting to change.
        """
        proposals = extraction_service.extract_article(
            article_id,
            change_from(headers),
            role=current_role(),
            min_score=args["min_score"],
            save=args["save"],
        )
        if args["save"]:
            db.session.commit()
        saved = sum(proposal.outcome == "saved" for proposal in proposals)
        return {"article_id": article_id, "items": proposals, "saved": saved}

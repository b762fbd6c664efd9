"""Reviews: /claims/{id}/reviews, /claims/{id}/publish and /reviews/bulk."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView

from claims_api.auth import requires
from claims_api.extensions import db
from claims_api.models.vocabulary import Role
from claims_api.resources.common import (
    ETAG_HEADER_DOC,
    LINK_HEADER_DOC,
    Blueprint,
    change_from,
    etag,
    page_request,
    page_response,
    parse_if_match,
    precondition,
)
from claims_api.schemas.claims import ClaimSchema
from claims_api.schemas.common import PageArgs, ReasonHeaders, WriteHeaders
from claims_api.schemas.reviews import (
    BulkDecisionSchema,
    BulkReviewResultSchema,
    DecisionSchema,
    ReviewPageSchema,
    ReviewSchema,
)
from claims_api.services import reviews as review_service
from claims_api.services.revisions import Precondition

blp = Blueprint(
    "reviews", __name__, description="Reviewers' decisions on claims, and publishing verdicts."
)

Reply = tuple[Any, int, dict[str, str]]


@blp.route("/claims/<int:claim_id>/reviews")
class ClaimReviews(MethodView):
    @blp.arguments(PageArgs, location="query", as_kwargs=False)
    @blp.response(200, ReviewPageSchema, headers=LINK_HEADER_DOC)
    @blp.doc(operationId="listClaimReviews")
    def get(self, args: dict[str, Any], claim_id: int) -> Reply:
        """The claim's reviews, newest first."""
        return page_response(review_service.list_reviews(claim_id, page_request(args)))

    @requires(Role.REVIEWER)
    @blp.arguments(DecisionSchema)
    @blp.arguments(WriteHeaders, location="headers")
    @blp.response(201, ReviewSchema, headers=ETAG_HEADER_DOC)
    @blp.problems(410)
    @blp.doc(operationId="reviewClaim")
    def post(self, decision: dict[str, Any], headers: dict[str, Any], claim_id: int) -> Reply:
        """Review the claim: a status change the workflow allows (409 lists the allowed
        ones), with rationale and evidence for a verdict; needs If-Match."""
        review = review_service.review_claim(
            claim_id,
            decision,
            precondition(headers),
            change_from(headers, decision.pop("reason", None)),
            four_eyes=current_app.config["FOUR_EYES"],
        )
        db.session.commit()
        return review, 201, etag(review.revision_number)


@blp.route("/claims/<int:claim_id>/publish")
class ClaimPublication(MethodView):
    @requires(Role.REVIEWER)
    @blp.arguments(WriteHeaders, location="headers")
    @blp.response(200, ClaimSchema, headers=ETAG_HEADER_DOC)
    @blp.problems(410)
    @blp.doc(operationId="publishVerdict")
    def post(self, headers: dict[str, Any], claim_id: int) -> Reply:
        """Publish the claim's current verdict; needs If-Match."""
        claim = review_service.publish_verdict(
            claim_id, precondition(headers), change_from(headers)
        )
        db.session.commit()
        return claim, 200, etag(claim.revision)


def bulk_version(item: dict[str, Any]) -> review_service.ClaimVersion:
    if "revision" in item:
        return review_service.ClaimVersion(
            item["claim_id"], Precondition(frozenset({item["revision"]}))
        )
    return review_service.ClaimVersion(item["claim_id"], parse_if_match(item["if_match"]))


@blp.route("/reviews/bulk")
class BulkReviews(MethodView):
    @requires(Role.REVIEWER)
    @blp.arguments(BulkDecisionSchema)
    @blp.arguments(ReasonHeaders, location="headers")
    @blp.response(201, BulkReviewResultSchema)
    @blp.problems(404, 410, 412)
    @blp.doc(operationId="reviewClaimsInBulk")
    def post(self, decision: dict[str, Any], headers: dict[str, Any]) -> dict[str, Any]:
        """One decision on many claims, each at the version given; all or nothing."""
        claims = [bulk_version(item) for item in decision.pop("claims")]
        reviews = review_service.review_claims(
            claims,
            decision,
            change_from(headers, decision.pop("reason", None)),
            four_eyes=current_app.config["FOUR_EYES"],
        )
        db.session.commit()
        return {"items": reviews}

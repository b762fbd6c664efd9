"""The review queue (/review-queue) and reviewers' leases (/claims/{id}/assignment)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView

from claims_api.auth import current_actor, current_key, requires
from claims_api.extensions import db
from claims_api.models.vocabulary import Role
from claims_api.resources.common import (
    LINK_HEADER_DOC,
    Blueprint,
    etag,
    page_request,
    page_response,
)
from claims_api.schemas.claims import ClaimPageSchema
from claims_api.schemas.review_queue import (
    AssignmentSchema,
    LeaseSchema,
    QueueListArgs,
    TakenClaimSchema,
    TakeSchema,
)
from claims_api.services import review_queue as queue_service
from claims_api.services.revisions import snapshot_of

blp = Blueprint("review_queue", __name__, description="Claims awaiting review, and leases on them.")

Reply = tuple[Any, int, dict[str, str]]


def lease_minutes(args: dict[str, Any]) -> int:
    """The lease asked for (LeaseSchema refuses one over the maximum), or the default."""
    minutes: int = args.pop("minutes", current_app.config["REVIEW_LEASE_MINUTES"])
    return minutes


@blp.route("/review-queue")
class ReviewQueue(MethodView):
    @blp.arguments(QueueListArgs, location="query", as_kwargs=False)
    @blp.response(200, ClaimPageSchema, headers=LINK_HEADER_DOC)
    @blp.doc(operationId="listReviewQueue")
    def get(self, args: dict[str, Any]) -> Reply:
        """Claims awaiting review, oldest (or most urgent) first, without those another
        reviewer holds a lease on."""
        key = current_key()
        page = page_request(args)
        queue = queue_service.list_queue(page, key.name if key else None, **args)
        return page_response(queue, snapshot_of)


@blp.route("/review-queue/claims")
class ReviewQueueClaims(MethodView):
    @requires(Role.REVIEWER)
    @blp.arguments(TakeSchema, required=False)
    @blp.response(201, TakenClaimSchema)
    @blp.alt_response(204, description="The queue has nothing for you")
    @blp.doc(operationId="takeNextClaim")
    def post(self, args: dict[str, Any]) -> Reply:
        """Take the next claim from the queue: it is leased to you (30 minutes by default)."""
        taken = queue_service.take_next(current_actor(), lease_minutes(args), **args)
        db.session.commit()
        if taken is None:
            return "", 204, {}
        assignment, claim = taken
        body = {name: getattr(assignment, name) for name in AssignmentSchema().fields}
        body["claim"] = claim
        return body, 201, etag(claim.revision)


@blp.route("/claims/<int:claim_id>/assignment")
class ClaimLease(MethodView):
    @requires(Role.REVIEWER)
    @blp.arguments(LeaseSchema, required=False)
    @blp.response(201, AssignmentSchema)
    @blp.alt_response(200, schema=AssignmentSchema, description="Your lease was renewed")
    @blp.problems(410)
    @blp.doc(operationId="leaseClaim")
    def post(self, args: dict[str, Any], claim_id: int) -> Reply:
        """Take the claim for review, or renew your lease; 409 if another reviewer holds it."""
        assignment, created = queue_service.assign_claim(
            claim_id, current_actor(), lease_minutes(args)
        )
        db.session.commit()
        return assignment, 201 if created else 200, {}

    @requires(Role.REVIEWER)
    @blp.response(204)
    @blp.problems(410)
    @blp.doc(operationId="releaseClaim")
    def delete(self, claim_id: int) -> None:
        """Release your lease (an admin may release anyone's)."""
        key = current_key()
        queue_service.release_claim(
            claim_id,
            current_actor(),
            may_release_any=key is not None and key.role.includes(Role.ADMIN),
        )
        db.session.commit()

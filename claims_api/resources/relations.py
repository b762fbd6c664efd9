"""Relations between claims (/claims/{id}/relations) and claim groups (/claim-groups)."""

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
    Reply,
    change_from,
    page_request,
    page_response,
    precondition,
    versioned,
)
from claims_api.schemas.common import OptionalIfMatchHeaders, PageArgs, WriteHeaders
from claims_api.schemas.relations import (
    ClaimGroupSchema,
    RelationInputSchema,
    RelationPageSchema,
    RelationSchema,
)
from claims_api.schemas.reviews import BulkReviewResultSchema, DecisionSchema
from claims_api.services import relations as relation_service

blp = Blueprint(
    "relations",
    __name__,
    description="Relations between claims that reviewers decide, and groups of the same claim.",
)


@blp.route("/claims/<int:claim_id>/relations")
class ClaimRelations(MethodView):
    @blp.arguments(PageArgs, location="query", as_kwargs=False)
    @blp.response(200, RelationPageSchema, headers=LINK_HEADER_DOC)
    @blp.doc(operationId="listClaimRelations")
    def get(self, args: dict[str, Any], claim_id: int) -> Reply:
        """The claim's relations, whichever claim of the pair it is, with their history."""
        return page_response(relation_service.list_relations(claim_id, page_request(args)))

    @requires(Role.REVIEWER)
    @blp.arguments(RelationInputSchema)
    @blp.arguments(OptionalIfMatchHeaders, location="headers")
    @blp.response(200, RelationSchema, headers=ETAG_HEADER_DOC)
    @blp.alt_response(201, schema=RelationSchema, description="A new relation.")
    @blp.problems(410)
    @blp.doc(operationId="decideClaimRelation")
    def post(self, data: dict[str, Any], headers: dict[str, Any], claim_id: int) -> Reply:
        """Confirm (the default) or reject how the claim relates to another: 201 for a new
        pair, 200 for a decided one. A rejected pair is never suggested again. Writes no
        revision of either claim. If-Match (the relation's ETag) is optional."""
        decision = relation_service.Decision(
            other_claim_id=data["claim_id"],
            relation=data["relation"],
            state=data["decision"],
            newer_claim_id=data.get("newer_claim_id"),
            note=data.get("note"),
        )
        view, created = relation_service.decide_relation(
            claim_id, decision, precondition(headers, required=False), change_from(headers)
        )
        db.session.commit()
        return versioned(view, view.revision, 201 if created else 200)


@blp.route("/claims/<int:claim_id>/relations/<int:relation_id>")
class ClaimRelationById(MethodView):
    @blp.response(200, RelationSchema, headers=ETAG_HEADER_DOC)
    @blp.doc(operationId="getClaimRelation")
    def get(self, claim_id: int, relation_id: int) -> Reply:
        """One relation of the claim, with its history."""
        view = relation_service.get_relation(claim_id, relation_id)
        return versioned(view, view.revision)

    @requires(Role.REVIEWER)
    @blp.arguments(WriteHeaders, location="headers")
    @blp.response(200, RelationSchema, headers=ETAG_HEADER_DOC)
    @blp.doc(operationId="withdrawClaimRelation")
    def delete(self, headers: dict[str, Any], claim_id: int, relation_id: int) -> Reply:
        """Withdraw the decision (confirmed or rejected): the relation stays, with its
        history, as withdrawn; X-Reason is the note. Needs If-Match."""
        view = relation_service.withdraw_relation(
            claim_id, relation_id, precondition(headers), change_from(headers)
        )
        db.session.commit()
        return versioned(view, view.revision)


@blp.route("/claims/<int:claim_id>/group")
class ClaimGroupOfClaim(MethodView):
    @blp.response(200, ClaimGroupSchema, headers=ETAG_HEADER_DOC)
    @blp.problems(410)
    @blp.doc(operationId="getClaimGroupOfClaim")
    def get(self, claim_id: int) -> Reply:
        """The group of claims the claim's confirmed same relations join it to; 404 if none."""
        view = relation_service.group_of_claim(claim_id)
        return versioned(view, view.revision)


@blp.route("/claim-groups/<int:group_id>")
class ClaimGroupById(MethodView):
    @blp.response(200, ClaimGroupSchema, headers=ETAG_HEADER_DOC)
    @blp.doc(operationId="getClaimGroup")
    def get(self, group_id: int) -> Reply:
        """The group's members with their published verdicts, and whether those disagree."""
        view = relation_service.read_group(group_id)
        return versioned(view, view.revision)


@blp.route("/claim-groups/<int:group_id>/reviews")
class ClaimGroupReviews(MethodView):
    @requires(Role.REVIEWER)
    @blp.arguments(DecisionSchema)
    @blp.arguments(WriteHeaders, location="headers")
    @blp.response(201, BulkReviewResultSchema, headers=ETAG_HEADER_DOC)
    @blp.problems(410, 422)
    @blp.doc(operationId="reviewClaimGroup")
    def post(self, decision: dict[str, Any], headers: dict[str, Any], group_id: int) -> Reply:
        """One decision on every member, all or nothing, by the rules of one claim's review;
        a member those rules refuse fails it all, the problem naming the claim
        (``claim_id``). Needs If-Match: the group's ETag."""
        group, reviews = relation_service.review_group(
            group_id,
            decision,
            precondition(headers),
            change_from(headers, decision.pop("reason", None)),
            four_eyes=current_app.config["FOUR_EYES"],
        )
        db.session.commit()
        return versioned({"items": reviews}, group.revision, 201)

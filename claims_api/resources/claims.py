"""/claims: claims, their source links and their history."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, url_for
from flask.views import MethodView

from claims_api.auth import current_role, requires
from claims_api.extensions import db
from claims_api.models.vocabulary import Role
from claims_api.resources.common import (
    ETAG_HEADER_DOC,
    LINK_HEADER_DOC,
    LOCATION_HEADER_DOC,
    Blueprint,
    Reply,
    change_from,
    dumped,
    page_request,
    page_response,
    precondition,
    versioned,
)
from claims_api.schemas.claims import (
    AnchorPointSchema,
    ClaimCreateSchema,
    ClaimListArgs,
    ClaimPageSchema,
    ClaimPatchSchema,
    ClaimSchema,
    SourceLinkInputSchema,
)
from claims_api.schemas.common import (
    OptionalIfMatchHeaders,
    PageArgs,
    ReasonHeaders,
    WriteHeaders,
)
from claims_api.schemas.revisions import (
    DiffArgs,
    RevisionDiffSchema,
    RevisionPageSchema,
    RevisionSchema,
)
from claims_api.services import article_versions as version_service
from claims_api.services import claim_reads
from claims_api.services import claims as claim_service
from claims_api.services import revisions as revision_service
from claims_api.services.exports import claimreview_of_claim
from claims_api.services.revisions import snapshot_of

blp = Blueprint(
    "claims", __name__, url_prefix="/claims", description="Claims, their sources and history."
)


@blp.route("")
class Claims(MethodView):
    @blp.arguments(ClaimListArgs, location="query", as_kwargs=False)
    @blp.response(200, ClaimPageSchema, headers=LINK_HEADER_DOC)
    @blp.doc(operationId="listClaims")
    def get(self, args: dict[str, Any]) -> Reply:
        """List live claims, filtered; newest last unless sorted otherwise."""
        page = page_request(args)
        return page_response(claim_service.list_claims(page, **args), snapshot_of)

    @requires(Role.CONTRIBUTOR)
    @blp.arguments(ClaimCreateSchema)
    @blp.arguments(ReasonHeaders, location="headers")
    @blp.response(201, ClaimSchema, headers={**ETAG_HEADER_DOC, **LOCATION_HEADER_DOC})
    @blp.doc(operationId="createClaim")
    def post(self, data: dict[str, Any], headers: dict[str, Any]) -> Reply:
        """Create a claim (revision 1), optionally with its source links."""
        change = change_from(headers, data.pop("reason", None))
        claim = claim_service.create_claim(data, change, role=current_role())
        db.session.commit()
        location = url_for("claims.ClaimById", claim_id=claim.id)
        return versioned(claim, claim.revision, 201, Location=location)


@blp.route("/<int:claim_id>")
class ClaimById(MethodView):
    @blp.response(200, ClaimSchema, headers=ETAG_HEADER_DOC)
    @blp.problems(410)
    @blp.doc(operationId="getClaim")
    def get(self, claim_id: int) -> Reply:
        """Read a claim with its sources; 410 once deleted."""
        claim = claim_reads.read_claim(claim_id)
        return versioned(dumped(snapshot_of(claim)), claim.revision)

    @requires(Role.CONTRIBUTOR)
    @blp.arguments(ClaimPatchSchema, required=False)
    @blp.arguments(WriteHeaders, location="headers")
    @blp.response(200, ClaimSchema, headers=ETAG_HEADER_DOC)
    @blp.problems(410)
    @blp.doc(operationId="updateClaim")
    def patch(self, data: dict[str, Any], headers: dict[str, Any], claim_id: int) -> Reply:
        """Change some fields; needs If-Match (428 without it, 412 when stale)."""
        claim = claim_service.update_claim(
            claim_id,
            data,
            precondition(headers),
            change_from(headers, data.pop("reason", None)),
            role=current_role(),
        )
        db.session.commit()
        return versioned(claim, claim.revision)

    @requires(Role.CONTRIBUTOR)
    @blp.arguments(WriteHeaders, location="headers")
    @blp.response(204)
    @blp.problems(410)
    @blp.doc(operationId="deleteClaim")
    def delete(self, headers: dict[str, Any], claim_id: int) -> None:
        """Soft-delete a claim; needs If-Match. Its history stays readable."""
        claim_service.delete_claim(claim_id, precondition(headers), change_from(headers))
        db.session.commit()


@blp.route("/<int:claim_id>/sources")
class ClaimSources(MethodView):
    @requires(Role.CONTRIBUTOR)
    @blp.arguments(SourceLinkInputSchema)
    @blp.arguments(OptionalIfMatchHeaders, location="headers")
    @blp.response(201, ClaimSchema, headers=ETAG_HEADER_DOC)
    @blp.alt_response(200, schema=ClaimSchema, description="An existing link was updated")
    @blp.problems(410)
    @blp.doc(operationId="linkClaimSource")
    def post(self, link: dict[str, Any], headers: dict[str, Any], claim_id: int) -> Reply:
        """Link a source by id or URL (created if new) with a stance; If-Match is optional."""
        claim, _, created = claim_service.link_source(
            claim_id, link, precondition(headers, required=False), change_from(headers)
        )
        db.session.commit()
        return versioned(claim, claim.revision, 201 if created else 200)


@blp.route("/<int:claim_id>/sources/<int:source_id>")
class ClaimSourceById(MethodView):
    @requires(Role.CONTRIBUTOR)
    @blp.arguments(OptionalIfMatchHeaders, location="headers")
    @blp.response(200, ClaimSchema, headers=ETAG_HEADER_DOC)
    @blp.problems(410)
    @blp.doc(operationId="unlinkClaimSource")
    def delete(self, headers: dict[str, Any], claim_id: int, source_id: int) -> Reply:
        """Unlink a source from the claim; If-Match is optional."""
        claim = claim_service.unlink_source(
            claim_id, source_id, precondition(headers, required=False), change_from(headers)
        )
        db.session.commit()
        return versioned(claim, claim.revision)


@blp.route("/<int:claim_id>/anchor")
class ClaimAnchor(MethodView):
    @requires(Role.REVIEWER)
    @blp.arguments(AnchorPointSchema)
    @blp.arguments(WriteHeaders, location="headers")
    @blp.response(200, ClaimSchema, headers=ETAG_HEADER_DOC)
    @blp.problems(410)
    @blp.doc(operationId="setClaimAnchor")
    def put(self, data: dict[str, Any], headers: dict[str, Any], claim_id: int) -> Reply:
        """Confirm or re-point the claim's quote in a body version; needs If-Match.

        Clears the claim's `needs_review` flag; the status does not change.
        """
        claim = version_service.point_anchor(
            claim_id, data, precondition(headers), change_from(headers, data.pop("reason", None))
        )
        db.session.commit()
        return versioned(claim, claim.revision)


@blp.route("/<int:claim_id>/claimreview")
class ClaimReviewOfClaim(MethodView):
    @blp.response(
        200,
        {"type": "object", "description": "A schema.org ClaimReview (JSON-LD)"},
        content_type="application/ld+json",
        description="schema.org ClaimReview",
    )
    @blp.problems(409, 410)
    @blp.doc(operationId="getClaimReview")
    def get(self, claim_id: int) -> Response:
        """The published verdict as schema.org ClaimReview JSON-LD; 409 while there is none."""
        review = claimreview_of_claim(claim_id)
        return Response(json.dumps(review, ensure_ascii=False), mimetype="application/ld+json")


@blp.route("/<int:claim_id>/revisions")
class ClaimRevisions(MethodView):
    @blp.arguments(PageArgs, location="query", as_kwargs=False)
    @blp.response(200, RevisionPageSchema, headers=LINK_HEADER_DOC)
    @blp.doc(operationId="listClaimRevisions")
    def get(self, args: dict[str, Any], claim_id: int) -> Reply:
        """The claim's history, newest first; readable after deletion too."""
        return page_response(revision_service.list_claim_revisions(claim_id, page_request(args)))


@blp.route("/<int:claim_id>/revisions/<int:number>")
class ClaimRevisionByNumber(MethodView):
    @blp.response(200, RevisionSchema)
    @blp.doc(operationId="getClaimRevision")
    def get(self, claim_id: int, number: int) -> Any:
        """One revision, with the claim's snapshot as it was then."""
        return revision_service.get_revision(claim_id, number)


@blp.route("/<int:claim_id>/revisions/<int:number>/diff")
class ClaimRevisionDiff(MethodView):
    @blp.arguments(DiffArgs, location="query", as_kwargs=False)
    @blp.response(200, RevisionDiffSchema)
    @blp.doc(operationId="diffClaimRevision")
    def get(self, args: dict[str, Any], claim_id: int, number: int) -> Any:
        """Field-level changes from revision ``against`` (default: the previous) to this one."""
        return revision_service.diff_revisions(claim_id, number, args.get("against"))

"""/claims/{claim_id}/matches and /claims/match: has this claim been made, or checked?"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from claims_api.auth import requires
from claims_api.models.vocabulary import Role
from claims_api.resources.common import Blueprint, dumped
from claims_api.schemas.matching import MatchArgs, MatchInputSchema, MatchListSchema
from claims_api.services import matching as matching_service

blp = Blueprint(
    "matching",
    __name__,
    url_prefix="/claims",
    description="Claim matching: the same claim, its contradictions and updates.",
)


@blp.route("/<int:claim_id>/matches")
class ClaimMatches(MethodView):
    @blp.arguments(MatchArgs, location="query", as_kwargs=True)
    @blp.response(200, MatchListSchema)
    @blp.problems(410)
    @blp.doc(operationId="listClaimMatches")
    def get(self, claim_id: int, limit: int) -> Any:
        """Claims across all articles that say the same, contradict or update this one.

        Ranked: published verdicts (ours and other fact-checkers') first, then by score;
        each with the signals that led to it.
        """
        probe = matching_service.claim_probe(claim_id)
        return dumped({"items": matching_service.matches(probe, limit)})


@blp.route("/match")
class ClaimMatch(MethodView):
    @requires(Role.READER)
    @blp.arguments(MatchInputSchema)
    @blp.response(200, MatchListSchema)
    @blp.problems(422)
    @blp.doc(operationId="matchClaim")
    def post(self, data: dict[str, Any]) -> Any:
        """Has this been checked? The stored claims matching a text not stored.

        Give the claim's kind and structured fields when known; otherwise the text is
        read for them. Reading only: nothing is stored.
        """
        limit = data.pop("limit")
        return dumped({"items": matching_service.matches(matching_service.text_probe(data), limit)})

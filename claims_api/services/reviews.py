"""Reviews: status changes that follow the workflow, verdicts with their evidence, and
publishing them. Each review writes the claim's new status, its evidence links, the
review row and one revision, in the caller's transaction."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select

from claims_api import workflow
from claims_api.errors import Conflict, DomainError, Forbidden, InvalidInput
from claims_api.extensions import db
from claims_api.models import Claim, ClaimAssignment, ClaimSource, Review, Revision
from claims_api.models.base import utcnow
from claims_api.models.vocabulary import EventType, RevisionAction
from claims_api.schemas.reviews import ReviewSchema
from claims_api.services.article_versions import clear_flag
from claims_api.services.claims import get_claim, link_each
from claims_api.services.events import record_event
from claims_api.services.pagination import Page, PageRequest, SortOrder, keyset_page
from claims_api.services.review_queue import current_assignment
from claims_api.services.revisions import (
    Change,
    Precondition,
    record_revision,
    require_claim,
    snapshot_of,
)

_review_schema = ReviewSchema()

# The revisions that count as editing a claim, for the four-eyes rule.
EDITING_ACTIONS = (RevisionAction.CREATE, RevisionAction.UPDATE)


@dataclass(frozen=True)
class ClaimVersion:
    """One claim of a bulk review, with the version the reviewer saw."""

    claim_id: int
    precondition: Precondition


def review_claim(
    claim_id: int,
    decision: dict[str, Any],
    precondition: Precondition,
    change: Change,
    *,
    four_eyes: bool = False,
    correction_where_published: bool = False,
) -> Review:
    """Record a reviewer's decision on one claim.

    ``decision``: status, and rationale, rating, evidence (source links to add)
    and correction. ``change.actor`` is the reviewer. With
    ``correction_where_published`` (a group's review: one decision for claims with and
    without a published verdict), ``"correction": true`` corrects the claim if it has a
    published verdict and is dropped if it has none, to correct; the rules are the same.
    """
    claim = get_claim(claim_id, for_update=True)
    precondition.check(claim.revision, f"Claim {claim_id}")
    if correction_where_published and claim.published_review_id is None:
        decision = {**decision, "correction": False}
    return _review(claim, decision, change, four_eyes)


def review_claims(
    claims: list[ClaimVersion],
    decision: dict[str, Any],
    change: Change,
    *,
    four_eyes: bool,
    correction_where_published: bool = False,
) -> list[Review]:
    """The same decision on every claim, all or nothing; errors name the item (claims.N)
    and the claim (``claim_id``).

    Claims are locked in id order, so two bulk reviews of overlapping claims
    wait for each other instead of deadlocking.
    """
    repeated = sorted(
        claim_id
        for claim_id, count in Counter(item.claim_id for item in claims).items()
        if count > 1
    )
    if repeated:
        message = f"claims listed more than once: {repeated}"
        raise InvalidInput(message, errors={"claims": [message]})
    reviews: dict[int, Review] = {}
    for index, item in sorted(enumerate(claims), key=lambda pair: pair[1].claim_id):
        try:
            reviews[index] = review_claim(
                item.claim_id,
                decision,
                item.precondition,
                change,
                four_eyes=four_eyes,
                correction_where_published=correction_where_published,
            )
        except DomainError as error:
            raise error.within(f"claims.{index}", claim_id=item.claim_id) from None
    return [reviews[index] for index in range(len(claims))]


def _review(claim: Claim, decision: dict[str, Any], change: Change, four_eyes: bool) -> Review:
    flow = workflow.current()
    target, now = decision["status"], utcnow()
    allowed = flow.allowed_from(claim.status)
    if target not in allowed:
        raise Conflict(
            f"Claim {claim.id} is {claim.status}; it can move to "
            f"{', '.join(allowed) or 'no other status'}, not {target}.",
            current_status=claim.status,
            allowed=list(allowed),
        )
    is_verdict = flow.is_verdict(target)
    if is_verdict:
        _check_justified(decision)
    _check_publication(claim, decision)
    current_assignment(claim, change.actor, now)
    if is_verdict and four_eyes and change.actor in _creator_and_last_editor(claim.id):
        raise Forbidden(
            f"Four eyes: you created or last edited claim {claim.id}, so another reviewer "
            "gives its verdict."
        )
    before, from_status = snapshot_of(claim), claim.status
    claim.status = target
    # A reviewer has now decided on the claim as it reads: its flag has been answered.
    clear_flag(claim)
    links = link_each(claim, decision.get("evidence", []), "evidence", change.actor)
    record_revision(claim, RevisionAction.REVIEW, before, change, now)
    review = Review(
        claim_id=claim.id,
        reviewer=change.actor,
        from_status=from_status,
        to_status=target,
        rationale=decision.get("rationale"),
        rating=decision.get("rating"),
        evidence=[_evidence(link) for link in links],
        correction=decision.get("correction", False),
        revision_number=claim.revision,
        created_at=now,
    )
    db.session.add(review)
    if target not in flow.awaiting_review:
        db.session.execute(delete(ClaimAssignment).where(ClaimAssignment.claim_id == claim.id))
    db.session.flush()
    record_event(
        EventType.REVIEW_CREATED,
        {"review": _review_schema.dump(review)},
        change.actor,
        now,
        claim_id=claim.id,
        article_id=claim.article_id,
    )
    return review


def _check_justified(decision: dict[str, Any]) -> None:
    errors = {}
    if not (decision.get("rationale") or "").strip():
        errors["rationale"] = ["A verdict needs a rationale."]
    if not decision.get("evidence"):
        errors["evidence"] = ["A verdict needs at least one piece of evidence."]
    if errors:
        raise InvalidInput("A verdict needs a rationale and evidence.", errors=errors)


def _check_publication(claim: Claim, decision: dict[str, Any]) -> None:
    if claim.published_review_id is not None and not decision.get("correction"):
        raise Conflict(
            f"Claim {claim.id} has a published verdict: change it with a review marked "
            '"correction": true.',
            published_review_id=claim.published_review_id,
        )
    if claim.published_review_id is None and decision.get("correction"):
        message = "only a published verdict can be corrected"
        raise InvalidInput(message, errors={"correction": [message]})


def _creator_and_last_editor(claim_id: int) -> set[str]:
    by_claim = select(Revision.actor).where(Revision.claim_id == claim_id)
    creator = db.session.scalar(by_claim.where(Revision.number == 1))
    last_editor = db.session.scalar(
        by_claim.where(Revision.action.in_(EDITING_ACTIONS))
        .order_by(Revision.number.desc())
        .limit(1)
    )
    return {actor for actor in (creator, last_editor) if actor is not None}


def _evidence(link: ClaimSource) -> dict[str, Any]:
    return {
        "source_id": link.source_id,
        "url": link.source.url,
        "stance": link.stance.value,
        "excerpt": link.excerpt,
    }


def publish_verdict(claim_id: int, precondition: Precondition, change: Change) -> Claim:
    """Publish the claim's current verdict: the review that gave it becomes the public one.

    The previously published review keeps its ``published_at``: both stay in the history.
    """
    claim = get_claim(claim_id, for_update=True)
    precondition.check(claim.revision, f"Claim {claim_id}")
    if not workflow.current().is_verdict(claim.status):
        raise Conflict(f"Claim {claim_id} is {claim.status}: there is no verdict to publish.")
    latest = db.session.scalars(
        select(Review)
        .where(Review.claim_id == claim_id)
        .order_by(Review.created_at.desc(), Review.id.desc())
        .limit(1)
    ).one_or_none()
    if latest is None or latest.to_status != claim.status:
        raise Conflict(
            f"No review gave claim {claim_id} its status {claim.status}; review it first."
        )
    if claim.published_review_id == latest.id:
        raise Conflict(f"Claim {claim_id}'s verdict is already published.")
    now = utcnow()
    before = snapshot_of(claim)
    latest.published_at = now
    # Both sides: the id for the snapshot now, the object for the rating it derives.
    claim.published_review_id, claim.published_review = latest.id, latest
    record_revision(
        claim,
        RevisionAction.PUBLISH,
        before,
        change,
        now,
        event=EventType.CLAIM_CORRECTED if latest.correction else EventType.CLAIM_PUBLISHED,
    )
    return claim


def list_reviews(claim_id: int, page: PageRequest) -> Page[Review]:
    """A claim's reviews, newest first; readable after the claim's deletion too."""
    require_claim(claim_id)
    order = SortOrder("-created_at", Review.created_at, Review.id, descending=True)
    return keyset_page(select(Review).where(Review.claim_id == claim_id), order, page)

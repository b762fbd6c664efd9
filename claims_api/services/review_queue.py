"""The review queue: claims awaiting review, and reviewers' leases on them.

A lease (a ClaimAssignment row) is written only under the claim's row lock, so
two reviewers asking for the same claim at once never both get it; an expired
lease simply stops counting, and the claim is back in the queue.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select

from claims_api import workflow
from claims_api.errors import Conflict, Forbidden, NotFound
from claims_api.extensions import db
from claims_api.models import Claim, ClaimAssignment
from claims_api.models.base import utcnow
from claims_api.models.vocabulary import ClaimKind
from claims_api.services.claim_reads import claim_page, claim_rows_selected
from claims_api.services.claims import CLAIM_LOAD_OPTIONS, get_claim, has_tag
from claims_api.services.pagination import Page, PageRequest, SortOrder
from claims_api.services.revisions import ClaimRow

QUEUE_ORDERS = {
    # Claim ids grow with creation, so id order within a priority is oldest first.
    "created_at": SortOrder("created_at", Claim.created_at, Claim.id),
    "priority": SortOrder("priority", Claim.review_priority, Claim.id),
}
# Under PostgreSQL's READ COMMITTED, a claim skipped as locked may be leased by the
# time it is read again; each retry sees the leases committed meanwhile.
TAKE_ATTEMPTS = 20


def _waiting(
    reviewer: str | None,
    now: datetime,
    *,
    tag: list[str] | None = None,
    kind: ClaimKind | None = None,
    article_id: int | None = None,
) -> list[ColumnElement[bool]]:
    """Conditions for claims awaiting review that nobody else holds a live lease on."""
    leased_to_others = select(ClaimAssignment.claim_id).where(
        ClaimAssignment.claim_id == Claim.id, ClaimAssignment.expires_at > now
    )
    if reviewer is not None:
        leased_to_others = leased_to_others.where(ClaimAssignment.reviewer != reviewer)
    conditions = [Claim.deleted_at.is_(None), ~exists(leased_to_others)]
    if kind is not None:
        conditions.append(Claim.kind == kind)
    if article_id is not None:
        conditions.append(Claim.article_id == article_id)
    conditions.extend(has_tag(name) for name in tag or ())
    return conditions


def _queue_parts() -> list[ColumnElement[bool]]:
    """Who is in the queue, as disjoint parts each served by an index of its own: the
    claims of each status awaiting review, and claims whose quoted words changed
    (flagged), which wait for a reviewer whatever their status. One part per status:
    an index (status, created_at, id) yields one status's claims in order, several
    statuses' only once all of them are collected and sorted."""
    flagged = Claim.needs_review_since.is_not(None)
    awaiting = [
        and_(Claim.status == status, ~flagged) for status in workflow.current().awaiting_review
    ]
    return [*awaiting, flagged]


def list_queue(
    page: PageRequest, reviewer: str | None, *, sort: str = "created_at", **filters: Any
) -> Page[ClaimRow]:
    """Claims awaiting review, oldest or most urgent first, without those leased to others."""
    waiting = _waiting(reviewer, utcnow(), **filters)
    order = QUEUE_ORDERS[sort]
    parts = [(claim_rows_selected(*waiting, part), order) for part in _queue_parts()]
    return claim_page(parts, page)


def take_next(
    reviewer: str, minutes: int, *, sort: str = "created_at", **filters: Any
) -> tuple[ClaimAssignment, Claim] | None:
    """Lease the first claim of the queue to ``reviewer``; None when the queue is empty.

    PostgreSQL skips claims another transaction has locked (someone is taking
    them); SQLite runs one writer at a time.
    """
    order = QUEUE_ORDERS[sort]
    for _ in range(TAKE_ATTEMPTS):
        now = utcnow()
        claim = db.session.scalars(
            select(Claim)
            .where(*_waiting(reviewer, now, **filters), or_(*_queue_parts()))
            .order_by(order.column, order.tiebreak)
            .limit(1)
            .options(*CLAIM_LOAD_OPTIONS)
            .with_for_update(of=Claim, skip_locked=True)
            .execution_options(populate_existing=True)
        ).one_or_none()
        if claim is None:
            return None
        assignment = db.session.get(ClaimAssignment, claim.id, populate_existing=True)
        if assignment is None or not assignment.is_held_by_another(reviewer, now):
            return _lease(claim, assignment, reviewer, minutes, now), claim
    return None


def current_assignment(claim: Claim, reviewer: str, now: datetime) -> ClaimAssignment | None:
    """The claim's lease, if any; 409 when it is held by someone other than ``reviewer``."""
    assignment = db.session.get(ClaimAssignment, claim.id, populate_existing=True)
    if assignment is not None and assignment.is_held_by_another(reviewer, now):
        raise Conflict(
            f"Claim {claim.id} is assigned to {assignment.reviewer} until "
            f"{assignment.expires_at.isoformat()}.",
            assigned_to=assignment.reviewer,
        )
    return assignment


def assign_claim(claim_id: int, reviewer: str, minutes: int) -> tuple[ClaimAssignment, bool]:
    """Lease one claim to ``reviewer``, or renew their lease; returns whether it is new."""
    claim = get_claim(claim_id, for_update=True)
    now = utcnow()
    assignment = current_assignment(claim, reviewer, now)
    renewed = (
        assignment is not None and assignment.reviewer == reviewer and assignment.expires_at > now
    )
    return _lease(claim, assignment, reviewer, minutes, now), not renewed


def _lease(
    claim: Claim,
    assignment: ClaimAssignment | None,
    reviewer: str,
    minutes: int,
    now: datetime,
) -> ClaimAssignment:
    if assignment is None:
        assignment = ClaimAssignment(claim_id=claim.id, reviewer=reviewer, leased_at=now)
        db.session.add(assignment)
    elif assignment.reviewer != reviewer or assignment.expires_at <= now:
        assignment.reviewer, assignment.leased_at = reviewer, now
    assignment.expires_at = now + timedelta(minutes=minutes)
    db.session.flush()
    return assignment


def release_claim(claim_id: int, reviewer: str, *, may_release_any: bool) -> None:
    """End a lease: the holder's own, or anyone's for an admin."""
    get_claim(claim_id, for_update=True)
    assignment = db.session.get(ClaimAssignment, claim_id, populate_existing=True)
    if assignment is None or assignment.expires_at <= utcnow():
        raise NotFound(f"Claim {claim_id} is not assigned to anyone.")
    if assignment.reviewer != reviewer and not may_release_any:
        raise Forbidden(f"Claim {claim_id} is assigned to {assignment.reviewer}, not to you.")
    db.session.delete(assignment)
    db.session.flush()

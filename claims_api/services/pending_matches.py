"""Verdict matches left to the worker: the queue of claims whose match is not computed.

A single write matches its claims in its own transaction (``revisions``); a bulk
import, or a batch too large for that, queues them here instead (``queue``), and
the worker's ``matching`` task (``match_pending``) takes a bounded batch per pass in
claim id order: it derives the propositions a claim lacks (a database upgraded in
place, whose claims predate them), points each live claim at the published verdict
it answers (``matching.flag_verdict_matches``) and, for a claim carrying a verdict,
the claims that verdict answers. Redoing a claim changes nothing, so a claim queued
twice, or by two writers, is harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import delete, exists, select
from sqlalchemy.exc import OperationalError

from claims_api.extensions import db
from claims_api.models import Claim, ExternalReview, PendingMatch, Proposition
from claims_api.models.base import utcnow
from claims_api.services import matching
from claims_api.services.propositions import CLAIM_FIELDS, follow_claims
from claims_api.services.rows import insert_missing_rows

log = logging.getLogger(__name__)

# Claims matched per pass: a pass is one transaction, and each claim costs a few
# index lookups and its candidates' scoring.
MATCH_BATCH = 200


def queue(claim_ids: Iterable[int]) -> None:
    """Leave the matching of these claims to the worker (a claim queued already stays)."""
    now = utcnow()
    insert_missing_rows(
        PendingMatch.__table__,
        [{"claim_id": claim_id, "queued_at": now} for claim_id in sorted(set(claim_ids))],
    )


def match_pending(batch: int = MATCH_BATCH) -> int:
    """Match the first ``batch`` queued claims and take them off the queue; how many.

    Several workers take different batches (SKIP LOCKED on PostgreSQL; SQLite has one
    writer at a time). The batch is matched as one; should that fail, claim by claim,
    each in a savepoint, so that one claim the matcher cannot handle is logged and
    dropped rather than stopping the queue behind it. The caller commits.
    """
    claim_ids = list(
        db.session.scalars(
            select(PendingMatch.claim_id)
            .order_by(PendingMatch.claim_id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
    )
    if not claim_ids:
        return 0
    try:
        with db.session.begin_nested():
            _match(claim_ids)
    except OperationalError:
        raise  # the database's trouble (busy, gone), not a claim's: the next pass retries
    except Exception:
        for claim_id in claim_ids:
            try:
                with db.session.begin_nested():
                    _match([claim_id])
            except OperationalError:
                raise
            except Exception:
                log.exception("claim %s: its verdict match could not be computed", claim_id)
    db.session.execute(delete(PendingMatch).where(PendingMatch.claim_id.in_(claim_ids)))
    return len(claim_ids)


def _match(claim_ids: list[int]) -> None:
    rows = db.session.execute(
        select(
            *CLAIM_FIELDS,
            Claim.published_review_id,
            exists().where(ExternalReview.claim_id == Claim.id).label("reviewed_elsewhere"),
            exists().where(Proposition.claim_id == Claim.id).label("derived"),
        )
        .where(Claim.id.in_(claim_ids), Claim.deleted_at.is_(None))
        .order_by(Claim.id)
    ).all()
    follow_claims([row for row in rows if not row.derived])
    verdicts = [
        row.id for row in rows if row.published_review_id is not None or row.reviewed_elsewhere
    ]
    matching.flag_verdict_matches([row.id for row in rows], verdicts=verdicts)

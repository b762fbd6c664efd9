"""A claim's history: every change writes one revision, in the change's own transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Row, insert, select

from claims_api.errors import NotFound, PreconditionFailed
from claims_api.extensions import db
from claims_api.models import Claim, Revision, Source
from claims_api.models.claim import QuotedByColumns
from claims_api.models.vocabulary import ClaimKind, EventType, RevisionAction, StructuredByKind
from claims_api.schemas.claims import ClaimSchema
from claims_api.schemas.common import compiled_dump
from claims_api.services.claim_entities import LINKED_FIELDS, link_claims
from claims_api.services.events import event_row, record_events
from claims_api.services.pagination import Page, PageRequest, SortOrder, keyset_page
from claims_api.services.propositions import follow_claims

# Fields every change moves; a revision lists what the change itself did.
BOOKKEEPING_FIELDS = frozenset({"revision", "updated_at"})
# The snapshot fields a claim's proposition is derived from (services/propositions.py).
PROPOSITION_FIELDS = frozenset({"text", "kind", "quantity", "membership", "statement"})

# ClaimSchema().dump, compiled: the bulk import builds a snapshot per claim it inserts.
_dump_claim = compiled_dump(ClaimSchema())


@dataclass(frozen=True)
class Change:
    """Who makes a change and why: recorded in the revision it writes."""

    actor: str
    reason: str | None = None


@dataclass(frozen=True)
class Precondition:
    """The versions a client based its change on (HTTP If-Match); ``None`` means any."""

    versions: frozenset[int] | None

    def check(self, current: int, what: str) -> None:
        if self.versions is not None and current not in self.versions:
            raise PreconditionFailed(
                f"{what} has changed since you read it (it is now at version {current}); "
                "fetch it again and reapply your change.",
                current_version=current,
            )


ANY_VERSION = Precondition(None)


# Not frozen, nor ClaimRow: a frozen dataclass takes four times as long to make, and
# a page read makes up to 200 of each.
@dataclass
class LinkRow:
    """A source link as a snapshot reads it, for a claim inserted or read without the ORM."""

    source_id: int
    # The source, or its url, title, publisher and kind as read with the link.
    source: Source | dict[str, Any]
    stance: str
    excerpt: str | None
    note: str | None


@dataclass
class ClaimRow(StructuredByKind, QuotedByColumns):
    """A claim's row as the bulk import inserts it and the read path reads it (without
    the ORM), with its tags and links: everything ``snapshot_of`` reads of a Claim,
    under the same names, so that an imported claim's snapshot, and a claim read, are
    dumped by the same code as any other."""

    id: int
    article_id: int
    key: str | None
    text: str
    kind: ClaimKind
    details: dict[str, Any] | None
    speaker: str | None
    quote_exact: str | None
    quote_start: int | None
    quote_end: int | None
    quote_prefix: str | None
    quote_suffix: str | None
    anchor_state: str | None
    anchor_version: int | None
    anchor_score: float | None
    anchor_previous_exact: str | None
    status: str
    rating: dict[str, Any] | None
    review_priority: int
    published_review_id: int | None
    revision: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    tag_names: list[str]
    source_links: list[LinkRow]
    # As the import document gives them (dicts), or rows of their table when read:
    # read alike by the snapshot's schema.
    external_reviews: list[dict[str, Any]] | list[Row[Any]]
    # A claim an import creates is not flagged.
    needs_review_reason: str | None = None
    needs_review_since: datetime | None = None


def snapshot_of(claim: Claim | ClaimRow) -> dict[str, Any]:
    """The claim exactly as GET /claims/{id} shows it: the one builder of every
    revision's snapshot, whichever writer (API, review, import, extraction) made it."""
    return _dump_claim(claim)


@cache
def _partial_dump(fields: frozenset[str]) -> Callable[[Any], dict[str, Any]]:
    return compiled_dump(ClaimSchema(only=sorted(fields)))


def _dump(claim: Claim, fields: frozenset[str]) -> dict[str, Any]:
    """Some fields of the claim's snapshot, dumped exactly as the full one has them."""
    return _partial_dump(fields)(claim)


def changed_fields(old: dict[str, Any], new: dict[str, Any]) -> dict[str, dict[str, Any]]:
    if not old:
        return creation_changes(new)
    return {
        name: {"old": old.get(name), "new": new.get(name)}
        for name in sorted(old.keys() | new.keys())
        if name not in BOOKKEEPING_FIELDS and old.get(name) != new.get(name)
    }


def creation_changes(snapshot: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The changes of a claim's creation: every field it was created with."""
    return {
        name: {"old": None, "new": value}
        for name, value in sorted(snapshot.items())
        if value is not None and name not in BOOKKEEPING_FIELDS
    }


def record_revision(
    claim: Claim,
    action: RevisionAction,
    before: dict[str, Any],
    change: Change,
    now: datetime,
    *,
    event: EventType | None = None,
) -> bool:
    """Write the next revision of ``claim`` if the change changed anything (and say so)."""
    return record_revisions([(claim, before)], action, change, now, event=event) == 1


def record_revisions(
    changed: Sequence[tuple[Claim, dict[str, Any]]],
    action: RevisionAction,
    change: Change,
    now: datetime,
    *,
    touching: frozenset[str] | None = None,
    event: EventType | None = None,
) -> int:
    """Write the next revision of each claim (paired with its snapshot from before the
    change) that the change changed, and say how many: one flush and one INSERT for
    all, so a change of many claims (an article's body moving every quote) costs a few
    statements, not a few per claim.

    The caller holds each claim's row lock (or, for a new claim, created it), so
    ``claim.revision + 1`` is free: numbers stay gapless and unique. The unique
    constraint on (claim_id, number) backs this up. An update that turns out to
    change the status alone is recorded as a status change. ``touching`` names the
    snapshot fields the change can move, when the caller knows: only those are dumped
    again.

    The claims' entity links follow what each now names (``claim_entities``), in the
    same statements-per-batch way. Each revision comes with its events for the change
    feed (``event``, else the one the action stands for; plus ``claim.needs_review``
    when the change flagged the claim), written in the same statement-per-table way.
    """
    if any(claim.id is None for claim, _ in changed):
        db.session.flush()  # a new claim's snapshot names its id
    revisions, events, relinked = [], [], []
    moved: list[Claim] = []
    verdicts: list[int] = []
    for claim, before in changed:
        snapshot = snapshot_of(claim) if touching is None else {**before, **_dump(claim, touching)}
        changes = changed_fields(before, snapshot)
        if not changes:
            continue
        claim.revision += 1
        claim.updated_at = now
        if action in (RevisionAction.CREATE, RevisionAction.DELETE) or (
            PROPOSITION_FIELDS & changes.keys()
        ):
            moved.append(claim)
        if action == RevisionAction.PUBLISH or (changes.get("external_reviews") or {}).get("new"):
            verdicts.append(claim.id)
        snapshot.update(_dump(claim, BOOKKEEPING_FIELDS))
        if not before or LINKED_FIELDS & changes.keys():
            relinked.append(snapshot)
        is_status = action == RevisionAction.UPDATE and set(changes) == {"status"}
        events.extend(
            _claim_events(
                claim,
                snapshot,
                changes,
                event or ACTION_EVENTS[RevisionAction.STATUS if is_status else action],
                change,
                now,
            )
        )
        revisions.append(
            {
                "claim_id": claim.id,
                "number": claim.revision,
                "action": RevisionAction.STATUS if is_status else action,
                "actor": change.actor,
                "reason": change.reason,
                "changes": changes,
                "snapshot": snapshot,
                "created_at": now,
            }
        )
    db.session.flush()
    if revisions:
        db.session.execute(insert(Revision), revisions)
        record_events(events)
        link_claims(relinked)
    # What the claims assert follows them in the same transaction, and so, for single
    # writes, which published verdicts answer them; larger writes leave that to the
    # worker (services/pending_matches.py).
    follow_claims(moved)
    if moved or verdicts:
        from claims_api.services import matching, pending_matches  # they read claims

        written = [claim.id for claim in moved if claim.deleted_at is None]
        few = max(len(moved), len(verdicts)) <= matching.MATCHED_ON_WRITE
        if few and matching.matched_on_write():
            matching.flag_verdict_matches(written, verdicts=verdicts)
        else:
            pending_matches.queue([*written, *verdicts])
    return len(revisions)


# The event each kind of revision stands for.
ACTION_EVENTS = {
    RevisionAction.CREATE: EventType.CLAIM_CREATED,
    RevisionAction.UPDATE: EventType.CLAIM_UPDATED,
    RevisionAction.STATUS: EventType.CLAIM_STATUS_CHANGED,
    RevisionAction.REVIEW: EventType.CLAIM_STATUS_CHANGED,
    RevisionAction.DELETE: EventType.CLAIM_DELETED,
    RevisionAction.LINK: EventType.CLAIM_SOURCE_LINKED,
    RevisionAction.UNLINK: EventType.CLAIM_SOURCE_UNLINKED,
    RevisionAction.PUBLISH: EventType.CLAIM_PUBLISHED,
    RevisionAction.REANCHOR: EventType.CLAIM_UPDATED,
    RevisionAction.ANCHOR: EventType.CLAIM_UPDATED,
}


def claim_event_rows(
    claim_id: int,
    article_id: int,
    snapshot: dict[str, Any],
    changes: dict[str, Any],
    type_: EventType,
    actor: str,
    now: datetime,
) -> list[dict[str, Any]]:
    """A claim change's events: the claim as it now reads and what changed."""
    data = {"claim": snapshot, "changes": changes}
    ids = {"claim_id": claim_id, "article_id": article_id}
    rows = [event_row(type_, data, actor, now, **ids)]
    if (changes.get("needs_review") or {}).get("new") is not None:
        rows.append(event_row(EventType.CLAIM_NEEDS_REVIEW, data, actor, now, **ids))
    return rows


def _claim_events(
    claim: Claim,
    snapshot: dict[str, Any],
    changes: dict[str, Any],
    type_: EventType,
    change: Change,
    now: datetime,
) -> list[dict[str, Any]]:
    return claim_event_rows(claim.id, claim.article_id, snapshot, changes, type_, change.actor, now)


def require_claim(claim_id: int) -> None:
    if db.session.get(Claim, claim_id) is None:
        raise NotFound(f"There is no claim {claim_id}.")


def list_claim_revisions(claim_id: int, page: PageRequest) -> Page[Revision]:
    require_claim(claim_id)
    order = SortOrder("-number", Revision.number, Revision.id, descending=True)
    return keyset_page(select(Revision).where(Revision.claim_id == claim_id), order, page)


def get_revision(claim_id: int, number: int) -> Revision:
    revision = db.session.scalars(
        select(Revision).where(Revision.claim_id == claim_id, Revision.number == number)
    ).one_or_none()
    if revision is None:
        require_claim(claim_id)
        raise NotFound(f"Claim {claim_id} has no revision {number}.")
    return revision


def diff_revisions(claim_id: int, number: int, against: int | None) -> dict[str, Any]:
    """Field-level changes from revision ``against`` (the previous one by default) to ``number``."""
    target = get_revision(claim_id, number)
    against = number - 1 if against is None else against
    base = get_revision(claim_id, against).snapshot if against >= 1 else {}
    return {
        "claim_id": claim_id,
        "number": number,
        "against": against,
        "changes": changed_fields(base, target.snapshot),
    }


def list_revisions(
    page: PageRequest,
    *,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[Revision]:
    """Revisions across all claims, newest first."""
    statement = select(Revision)
    if actor is not None:
        statement = statement.where(Revision.actor == actor)
    if since is not None:
        statement = statement.where(Revision.created_at >= since)
    if until is not None:
        statement = statement.where(Revision.created_at < until)
    order = SortOrder("-created_at", Revision.created_at, Revision.id, descending=True)
    return keyset_page(statement, order, page)

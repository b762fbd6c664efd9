"""A claim's history: every change writes one revision, in the change's own transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from claims_api.errors import NotFound, PreconditionFailed
from claims_api.extensions import db
from claims_api.models import Claim, Revision, Source
from claims_api.models.claim import QuotedByColumns
from claims_api.models.vocabulary import ClaimKind, RevisionAction, StructuredByKind
from claims_api.schemas.claims import ClaimSchema
from claims_api.schemas.common import compiled_dump
from claims_api.services.pagination import Page, PageRequest, SortOrder, keyset_page

# Fields every change moves; a revision lists what the change itself did.
BOOKKEEPING_FIELDS = frozenset({"revision", "updated_at"})

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


@dataclass(frozen=True)
class LinkRow:
    """A source link as a snapshot reads it, for a claim inserted without the ORM."""

    source_id: int
    source: Source
    stance: str
    excerpt: str | None
    note: str | None


@dataclass(frozen=True)
class ClaimRow(StructuredByKind, QuotedByColumns):
    """A claim's row as the bulk import inserts it (set-based, without the ORM), with its
    tags and links: everything ``snapshot_of`` reads of a Claim, under the same names,
    so that an imported claim's snapshot is built by the same code as any other."""

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
    # As the import document gives them (dicts), read alike by the snapshot's schema.
    external_reviews: list[dict[str, Any]]


def snapshot_of(claim: Claim | ClaimRow) -> dict[str, Any]:
    """The claim exactly as GET /claims/{id} shows it: the one builder of every
    revision's snapshot, whichever writer (API, review, import, extraction) made it."""
    return _dump_claim(claim)


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
) -> Revision | None:
    """Write the next revision of ``claim`` if the change changed anything.

    The caller holds the claim's row lock (or, for a new claim, created it), so
    ``claim.revision + 1`` is free: numbers stay gapless and unique. The unique
    constraint on (claim_id, number) backs this up. An update that turns out to
    change the status alone is recorded as a status change.
    """
    db.session.flush()
    changes = changed_fields(before, snapshot_of(claim))
    if not changes:
        return None
    if action == RevisionAction.UPDATE and set(changes) == {"status"}:
        action = RevisionAction.STATUS
    claim.revision += 1
    claim.updated_at = now
    db.session.flush()
    revision = Revision(
        claim_id=claim.id,
        number=claim.revision,
        action=action,
        actor=change.actor,
        reason=change.reason,
        changes=changes,
        snapshot=snapshot_of(claim),
        created_at=now,
    )
    db.session.add(revision)
    db.session.flush()
    return revision


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

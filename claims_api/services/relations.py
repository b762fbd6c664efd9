"""Relations between claims that reviewers decide, the groups confirmed ``same``
relations form, and one verdict for a whole group.

A decision changes the relation (one row per pair), appends to its own history and
keeps the groups in step, all in the caller's transaction; it writes no revision of
either claim, so an editor's ETag stays valid.

Concurrency. The pair's row is inserted with ON CONFLICT DO NOTHING and then locked:
two reviewers deciding on a new pair at once both land, one after the other, on the
one row (no IntegrityError), and both decisions are kept. Group upkeep reads and
rewrites connected components, which a lock on one pair cannot protect: decisions that
change a confirmed ``same`` relation take one transaction-scoped advisory lock on
PostgreSQL (SQLite serialises writers already). They are rare human acts, so one at
a time costs nothing. Lock order: the relation's row, then the groups' lock, then group
rows; a group review locks its group row, then its claims (in id order), and never the
relations' locks, so the two never wait on each other in a cycle.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, literal, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from claims_api.errors import Conflict, DomainError, InvalidInput, NotFound
from claims_api.extensions import db
from claims_api.models import (
    Claim,
    ClaimGroup,
    ClaimGroupMember,
    ClaimRelation,
    RelationDecision,
    Review,
)
from claims_api.models.base import utcnow
from claims_api.models.vocabulary import EventType, RelationKind, RelationState
from claims_api.schemas.relations import RelationSchema
from claims_api.services import reviews as review_service
from claims_api.services.claim_reads import live
from claims_api.services.events import record_event
from claims_api.services.lookups import get_by_id
from claims_api.services.pagination import Page, PageRequest, SortOrder, merged_keyset_page
from claims_api.services.revisions import ANY_VERSION, Change, Precondition, require_claim

_relation_schema = RelationSchema()
# The two keys of the advisory lock that serialises group upkeep ("claim groups").
GROUPS_LOCK = (0x636C6169, 0x67727073)


@dataclass
class RelationView:
    """A relation as read from one of its claims, with its history."""

    row: ClaimRelation
    seen_from: int
    decisions: list[RelationDecision] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.row, name)

    @property
    def relation(self) -> RelationKind:
        return self.row.relation

    @property
    def claim_id(self) -> int:
        return self.row.other_claim_id(self.seen_from)

    @property
    def claim_ids(self) -> list[int]:
        return [self.row.claim_low_id, self.row.claim_high_id]


@dataclass
class GroupMember:
    claim_id: int
    article_id: int
    text: str
    status: str
    revision: int
    published_status: str | None
    rating: dict[str, Any] | None


@dataclass
class GroupView:
    group: ClaimGroup
    members: list[GroupMember]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.group, name)

    @property
    def conflicting_verdicts(self) -> bool:
        published = {m.published_status for m in self.members if m.published_status is not None}
        return len(published) > 1


@dataclass(frozen=True)
class Decision:
    """What a reviewer decides about a pair."""

    other_claim_id: int
    relation: RelationKind
    state: RelationState = RelationState.CONFIRMED
    newer_claim_id: int | None = None
    note: str | None = None


def decide_relation(
    claim_id: int,
    decision: Decision,
    precondition: Precondition,
    change: Change,
    *,
    at: datetime | None = None,
) -> tuple[RelationView, bool]:
    """Record a reviewer's decision on the pair (claim, other claim); whether the
    relation is new. ``precondition`` is on the relation's revision (0 before any).
    ``at`` is when it was decided, if not now: a restore replays a history as it was."""
    live(claim_id, db.session.get(Claim, claim_id))
    _check_decision(claim_id, decision)
    low, high = sorted((claim_id, decision.other_claim_id))
    now = at or utcnow()
    relation = _pair(low, high, decision, now)
    created = relation.revision == 0
    precondition.check(relation.revision, f"The relation of claims {low} and {high}")
    _apply(relation, decision.state, decision.relation, decision.newer_claim_id, change, now)
    return _recorded(relation, claim_id, decision.note, change, now), created


def withdraw_relation(
    claim_id: int,
    relation_id: int,
    precondition: Precondition,
    change: Change,
    *,
    at: datetime | None = None,
) -> RelationView:
    """Take a decision back: the pair is undecided again (and may be suggested again)."""
    relation = _relation_of(claim_id, relation_id, for_update=True)
    precondition.check(relation.revision, f"Relation {relation_id}")
    if relation.state == RelationState.WITHDRAWN:
        raise Conflict(f"Relation {relation_id} is withdrawn already.")
    now = at or utcnow()
    _apply(
        relation, RelationState.WITHDRAWN, relation.relation, relation.newer_claim_id, change, now
    )
    return _recorded(relation, claim_id, change.reason, change, now)


@dataclass(frozen=True)
class PastDecision:
    """A decision of a relation's history as it was made: what, by whom, when, why."""

    decision: RelationState
    relation: RelationKind
    newer_claim_id: int | None
    actor: str
    note: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: RelationDecision) -> PastDecision:
        return cls(
            row.decision, row.relation, row.newer_claim_id, row.actor, row.note, row.created_at
        )


def replay_relation(claim_id: int, other_claim_id: int, history: list[PastDecision]) -> str:
    """Bring a relation's history (an export's) into the database by making its decisions
    again, each as it was made, through ``decide_relation`` and ``withdraw_relation``: the
    same rules, the same history rows, and the groups kept in step. The decisions the
    stored history lacks after its own are made; a stored history that is this one or
    goes on from it is left as it is (``unchanged``), one that went another way is a
    conflict. Whether the relation was ``created``, ``updated`` or ``unchanged``."""
    low, high = sorted((claim_id, other_claim_id))
    relation = db.session.scalars(
        select(ClaimRelation)
        .where(ClaimRelation.claim_low_id == low, ClaimRelation.claim_high_id == high)
        .with_for_update()
    ).one_or_none()
    stored = (
        []
        if relation is None
        else list(map(PastDecision.of, decisions_of([relation.id])[relation.id]))
    )
    if history[: len(stored)] != stored:
        if stored[: len(history)] == history:
            return "unchanged"
        message = "the stored history of the relation differs from this one"
        raise Conflict(
            f"The relation of claims {low} and {high}: {message}; it is left as it is.",
            errors={"decisions": [message]},
        )
    for past in history[len(stored) :]:
        change = Change(past.actor, past.note)
        if past.decision == RelationState.WITHDRAWN:
            assert relation is not None  # a withdrawal follows a decision (decode_relation)
            withdraw_relation(claim_id, relation.id, ANY_VERSION, change, at=past.created_at)
            continue
        decision = Decision(
            other_claim_id, past.relation, past.decision, past.newer_claim_id, past.note
        )
        view, _ = decide_relation(claim_id, decision, ANY_VERSION, change, at=past.created_at)
        relation = view.row
    if len(history) == len(stored):
        return "unchanged"
    return "updated" if stored else "created"


def _check_decision(claim_id: int, decision: Decision) -> None:
    other = decision.other_claim_id
    if other == claim_id:
        message = "a claim is not related to itself"
        raise InvalidInput(message, errors={"claim_id": [message]})
    found = db.session.get(Claim, other)
    if found is None or found.deleted_at is not None:
        message = f"there is no claim {other}" if found is None else f"claim {other} was deleted"
        raise InvalidInput(message, errors={"claim_id": [message]})
    if decision.newer_claim_id is not None and decision.newer_claim_id not in (claim_id, other):
        message = "the newer claim is one of the pair"
        raise InvalidInput(message, errors={"newer_claim_id": [message]})


def _pair(low: int, high: int, decision: Decision, now: datetime) -> ClaimRelation:
    """The pair's relation row, locked; inserted at revision 0 (no decision yet) if new.

    ON CONFLICT DO NOTHING: a concurrent insert of the same pair waits for the first
    to commit, then inserts nothing; the lock that follows reads the committed row.
    """
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(
        insert(ClaimRelation)
        .values(
            claim_low_id=low,
            claim_high_id=high,
            relation=decision.relation,
            newer_claim_id=decision.newer_claim_id,
            state=decision.state,
            revision=0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["claim_low_id", "claim_high_id"])
    )
    return db.session.scalars(
        select(ClaimRelation)
        .where(ClaimRelation.claim_low_id == low, ClaimRelation.claim_high_id == high)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _apply(
    relation: ClaimRelation,
    state: RelationState,
    kind: RelationKind,
    newer_claim_id: int | None,
    change: Change,
    now: datetime,
) -> None:
    was_same = _joins(relation) and relation.revision > 0
    relation.state, relation.relation, relation.newer_claim_id = state, kind, newer_claim_id
    relation.revision += 1
    relation.updated_at = now
    db.session.flush()
    is_same = _joins(relation)
    if was_same != is_same:
        _lock_groups()
        if is_same:
            _connect(relation.claim_low_id, relation.claim_high_id, now)
        else:
            _disconnect(relation.claim_low_id, relation.claim_high_id, now)


def _recorded(
    relation: ClaimRelation, claim_id: int, note: str | None, change: Change, now: datetime
) -> RelationView:
    decision = RelationDecision(
        relation_id=relation.id,
        decision=relation.state,
        relation=relation.relation,
        newer_claim_id=relation.newer_claim_id,
        actor=change.actor,
        note=note,
        created_at=now,
    )
    db.session.add(decision)
    db.session.flush()
    view = RelationView(relation, claim_id, decisions_of([relation.id])[relation.id])
    record_event(
        EventType.RELATION_DECIDED,
        {"relation": _relation_schema.dump(view)},
        change.actor,
        now,
        claim_id=claim_id,
    )
    return view


def _joins(relation: ClaimRelation) -> bool:
    """Whether the relation joins its claims into one group: a confirmed ``same``."""
    return relation.state == RelationState.CONFIRMED and relation.relation == RelationKind.SAME


def _lock_groups() -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        first, second = GROUPS_LOCK
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(:first, :second)"),
            {"first": first, "second": second},
        )


def _group_id(claim_id: int) -> int | None:
    return db.session.scalar(
        select(ClaimGroupMember.group_id).where(ClaimGroupMember.claim_id == claim_id)
    )


def _members(group_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(ClaimGroupMember.claim_id).where(ClaimGroupMember.group_id == group_id)
        )
    )


def _touch(group_id: int, now: datetime) -> None:
    db.session.execute(
        update(ClaimGroup)
        .where(ClaimGroup.id == group_id)
        .values(revision=ClaimGroup.revision + 1, updated_at=now)
    )


def _new_group(claim_ids: set[int], now: datetime) -> int:
    group = ClaimGroup(revision=1, created_at=now, updated_at=now)
    db.session.add(group)
    db.session.flush()
    _move(claim_ids, group.id)
    return group.id


def _move(claim_ids: set[int], group_id: int) -> None:
    """Make ``claim_ids`` members of ``group_id``, wherever they were."""
    db.session.execute(delete(ClaimGroupMember).where(ClaimGroupMember.claim_id.in_(claim_ids)))
    db.session.add_all(
        ClaimGroupMember(claim_id=claim_id, group_id=group_id) for claim_id in sorted(claim_ids)
    )
    db.session.flush()


def _drop_group(group_id: int) -> None:
    db.session.execute(delete(ClaimGroupMember).where(ClaimGroupMember.group_id == group_id))
    db.session.execute(delete(ClaimGroup).where(ClaimGroup.id == group_id))


def _connect(low: int, high: int, now: datetime) -> None:
    """A confirmed ``same`` joined two claims: their groups become one."""
    groups = {_group_id(low), _group_id(high)} - {None}
    if not groups:
        _new_group({low, high}, now)
        return
    sizes = {group_id: _members(group_id) for group_id in groups if group_id is not None}
    # The larger group absorbs the other (fewer rows move); on a tie, the older one.
    keep = min(sizes, key=lambda group_id: (-len(sizes[group_id]), group_id))
    joining = {low, high} - sizes[keep]
    for group_id, members in sizes.items():
        if group_id != keep:
            joining |= members
            _drop_group(group_id)
    if joining:
        _move(joining, keep)
        _touch(keep, now)


def _disconnect(low: int, high: int, now: datetime) -> None:
    """A confirmed ``same`` between two claims of a group went: the group splits in two
    if nothing else connects them (taking one edge from a connected graph leaves at
    most two parts). The larger part keeps the group; a part of one claim leaves."""
    group_id = _group_id(low)
    if group_id is None:
        return
    members = _members(group_id)
    part = _component(low)
    if high in part:
        return
    parts = sorted((part, members - part), key=lambda claims: (-len(claims), min(claims)))
    kept, other = parts
    if len(other) > 1:
        _new_group(other, now)
    else:
        db.session.execute(delete(ClaimGroupMember).where(ClaimGroupMember.claim_id.in_(other)))
    if len(kept) > 1:
        _touch(group_id, now)
    else:
        _drop_group(group_id)


def _component(claim_id: int) -> set[int]:
    """The claims confirmed ``same`` relations connect to ``claim_id``: one recursive
    statement, however far the group reaches (UNION, not UNION ALL, stops at claims
    already found, so cycles end)."""
    found = select(literal(claim_id).label("claim_id")).cte("component", recursive=True)
    touches_low = ClaimRelation.claim_low_id == found.c.claim_id
    step = (
        select(case((touches_low, ClaimRelation.claim_high_id), else_=ClaimRelation.claim_low_id))
        .select_from(ClaimRelation)
        .join(found, or_(touches_low, ClaimRelation.claim_high_id == found.c.claim_id))
        .where(
            ClaimRelation.state == RelationState.CONFIRMED,
            ClaimRelation.relation == RelationKind.SAME,
        )
    )
    found = found.union(step)
    return set(db.session.scalars(select(found.c.claim_id)))


def decisions_of(relation_ids: list[int]) -> dict[int, list[RelationDecision]]:
    """The history of each relation, oldest first."""
    decisions: dict[int, list[RelationDecision]] = defaultdict(list)
    if relation_ids:
        for decision in db.session.scalars(
            select(RelationDecision)
            .where(RelationDecision.relation_id.in_(relation_ids))
            .order_by(RelationDecision.relation_id, RelationDecision.id)
        ):
            decisions[decision.relation_id].append(decision)
    return decisions


def _relation_of(claim_id: int, relation_id: int, *, for_update: bool = False) -> ClaimRelation:
    require_claim(claim_id)
    relation = get_by_id(ClaimRelation, relation_id, "relation", for_update=for_update)
    if claim_id not in (relation.claim_low_id, relation.claim_high_id):
        raise NotFound(f"Claim {claim_id} has no relation {relation_id}.")
    return relation


def get_relation(claim_id: int, relation_id: int) -> RelationView:
    relation = _relation_of(claim_id, relation_id)
    return RelationView(relation, claim_id, decisions_of([relation_id])[relation_id])


def list_relations(claim_id: int, page: PageRequest) -> Page[RelationView]:
    """The claim's relations, whichever side of the pair it is, oldest first, each with
    its history; readable after the claim's deletion too."""
    require_claim(claim_id)
    order = SortOrder("id", ClaimRelation.id, ClaimRelation.id)
    found = merged_keyset_page(
        [
            select(ClaimRelation).where(ClaimRelation.claim_low_id == claim_id),
            select(ClaimRelation).where(ClaimRelation.claim_high_id == claim_id),
        ],
        order,
        page,
    )
    decisions = decisions_of([relation.id for relation in found.items])
    return Page(
        [RelationView(relation, claim_id, decisions[relation.id]) for relation in found.items],
        found.next_cursor,
    )


def decided_pairs(claim_id: int) -> dict[int, RelationState]:
    """The claims a reviewer decided a relation with ``claim_id`` about, and where each
    stands: two index lookups, one per side of the pair."""
    other_of = (
        (ClaimRelation.claim_low_id, ClaimRelation.claim_high_id),
        (ClaimRelation.claim_high_id, ClaimRelation.claim_low_id),
    )
    decided: dict[int, RelationState] = {}
    for side, other in other_of:
        statement = select(other, ClaimRelation.state).where(side == claim_id)
        decided.update((row[0], row[1]) for row in db.session.execute(statement))
    return decided


def rejected_pairs(claim_id: int) -> set[int]:
    """The claims a reviewer rejected a relation with ``claim_id`` to: matching leaves
    them out of its suggestions (a rejected pair is never suggested again)."""
    return {
        other for other, state in decided_pairs(claim_id).items() if state == RelationState.REJECTED
    }


def read_group(group_id: int) -> GroupView:
    """The group, its live members (by id) with their published verdicts."""
    group = get_by_id(ClaimGroup, group_id, "claim group")
    return GroupView(group, _group_members(group_id))


def group_of_claim(claim_id: int) -> GroupView:
    live(claim_id, db.session.get(Claim, claim_id))
    group_id = _group_id(claim_id)
    if group_id is None:
        raise NotFound(f"Claim {claim_id} is in no group: no confirmed same relation joins it.")
    return read_group(group_id)


def _group_members(group_id: int) -> list[GroupMember]:
    rows = db.session.execute(
        select(
            Claim.id,
            Claim.article_id,
            Claim.text,
            Claim.status,
            Claim.revision,
            Review.to_status,
            Review.rating,
        )
        .join(ClaimGroupMember, ClaimGroupMember.claim_id == Claim.id)
        .outerjoin(Review, Review.id == Claim.published_review_id)
        .where(ClaimGroupMember.group_id == group_id, Claim.deleted_at.is_(None))
        .order_by(Claim.id)
    ).all()
    return [
        GroupMember(
            claim_id=row.id,
            article_id=row.article_id,
            text=row.text,
            status=row.status,
            revision=row.revision,
            published_status=row.to_status,
            # A transient Review: its verdict_rating is the one home of a verdict's rating.
            rating=(
                Review(to_status=row.to_status, rating=row.rating).verdict_rating
                if row.to_status is not None
                else None
            ),
        )
        for row in rows
    ]


def review_group(
    group_id: int,
    decision: dict[str, Any],
    precondition: Precondition,
    change: Change,
    *,
    four_eyes: bool,
) -> tuple[ClaimGroup, list[Review]]:
    """One decision on every live member of the group, all or nothing, through the same
    rules as one claim's review (``reviews.review_claims``); ``"correction": true``
    corrects the members with a published verdict (the others have none to correct), so
    a group mixing both takes one verdict. ``precondition`` is on the
    group's revision: the members the reviewer saw. The group row stays locked, so its
    members cannot change meanwhile; each member is locked as it is reviewed."""
    group = get_by_id(ClaimGroup, group_id, "claim group", for_update=True)
    precondition.check(group.revision, f"Claim group {group_id}")
    members = [member.claim_id for member in _group_members(group_id)]
    versions = [review_service.ClaimVersion(claim_id, ANY_VERSION) for claim_id in members]
    try:
        reviews = review_service.review_claims(
            versions, decision, change, four_eyes=four_eyes, correction_where_published=True
        )
    except DomainError as error:
        raise _naming_member(error, members) from None
    return group, reviews


def _naming_member(error: DomainError, members: list[int]) -> DomainError:
    """The error of a member's review, as about the claim (``claim_id``, which
    ``review_claims`` names) rather than its place in a list the client never sent."""
    claim_id = error.extensions.get("claim_id")
    if claim_id not in members:
        return error
    prefix = f"claims.{members.index(claim_id)}"
    errors = {
        name.removeprefix(f"{prefix}."): texts for name, texts in (error.errors or {}).items()
    }
    return type(error)(
        f"The group review stopped at claim {claim_id}: {error.detail.removeprefix(prefix + ': ')}",
        errors=errors or None,
        headers=error.headers,
        **error.extensions,
    )

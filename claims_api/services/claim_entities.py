"""Claims' links to entities, derived from what each claim says, kept in step with every edit.

A claim's entities come from its kind and structured fields (a statement's speaker, a
quantity's subject and location, a membership's member and organisation) and from its
tags and the names its text gives (``mentioned``). A name is looked up by its normalised
form among the aliases stored (users' aliases and merges included), else resolved by the
reference list (``claims_api.entities``), else (for a subject, location, member or
organisation) as the reference entities named inside it ("Russian troops" → Russia), else
taken as a new named entity: both created on first use. A generic description ("the
alliance") stands for an entity only where the claim names it too, and is never an entity
of its own.

Set-based: for a batch of claims, one SELECT of aliases, at most one INSERT and one SELECT
of entities and one INSERT of aliases, then one SELECT, DELETE and INSERT of links, however
many claims (``record_revisions`` and the bulk import pass their whole batch).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import delete, select, tuple_

from claims_api.entities import (
    EntityKind,
    KnownEntity,
    find_mentions,
    is_description,
    normalise,
    resolve,
)
from claims_api.entities.reference import reference
from claims_api.entities.types import entity_type
from claims_api.extensions import db
from claims_api.limits import MAX_KEY_LENGTH, MAX_NAME_LENGTH
from claims_api.models import Claim, ClaimEntity, Entity, EntityAlias, EntityRole
from claims_api.models.base import utcnow
from claims_api.services.rows import insert_missing_rows, insert_rows

# The snapshot fields links are derived from: a change that moves none of them keeps them.
LINKED_FIELDS = frozenset({"text", "kind", "quantity", "membership", "statement", "tags"})
# Structured fields that name an entity, by the claim's kind, with the role they give.
NAMING_FIELDS: dict[str, tuple[tuple[str, EntityRole], ...]] = {
    "statement": (("speaker", EntityRole.SPEAKER),),
    "quantity": (("subject", EntityRole.SUBJECT), ("location", EntityRole.LOCATION)),
    "membership": (("member", EntityRole.MEMBER), ("organization", EntityRole.ORGANIZATION)),
}
# The kind of an entity first named in a role, when the reference list does not know it.
ROLE_KINDS: dict[EntityRole, EntityKind] = {
    EntityRole.ORGANIZATION: "organization",
    EntityRole.LOCATION: "place",
}
# Roles whose value is one name, never read for the names inside it.
OWN_NAME_ROLES = frozenset({EntityRole.SPEAKER, EntityRole.MENTIONED})
NAMED_PREFIX = "name:"
# Longer "names" are phrases, not entities ("Ministers in the south of the country ...").
MAX_NAME_FORM = MAX_KEY_LENGTH - len(NAMED_PREFIX) - 50


@dataclass(frozen=True)
class EntitySpec:
    """An entity to find or create: its key, name, kind, Wikidata id and names."""

    key: str
    name: str
    kind: EntityKind
    wikidata_id: str | None
    # (alias as written, normalised), the name's first: the form an entity is found by.
    aliases: tuple[tuple[str, str], ...]

    @staticmethod
    @lru_cache(maxsize=4096)
    def known(entity: KnownEntity) -> EntitySpec:
        """A reference entity, with every name that names it alone (its name first)."""
        by_form = reference().by_form
        aliases = {normalise(entity.name): entity.name}
        for name in (*entity.aliases, *entity.demonyms):
            form = normalise(name)
            if by_form.get(form) == entity and len(form) <= MAX_NAME_LENGTH:
                aliases.setdefault(form, name[:MAX_NAME_LENGTH])
        pairs = tuple((alias, form) for form, alias in aliases.items())
        return EntitySpec(entity.key, entity.name, entity.kind, entity.wikidata_id, pairs)

    @classmethod
    def named(cls, name: str, form: str, kind: EntityKind) -> EntitySpec:
        written = " ".join(name.split())[:MAX_NAME_LENGTH]
        return cls(f"{NAMED_PREFIX}{form}", written, kind, None, ((written, form),))


def _named_kind(name: str, role: EntityRole) -> EntityKind:
    if role is EntityRole.SPEAKER:
        return "organization" if entity_type(name) == "Organization" else "person"
    return ROLE_KINDS.get(role, "other")


def _wanted(snapshot: Mapping[str, Any]) -> list[tuple[EntitySpec, EntityRole]]:
    """The entities a claim (as its snapshot shows it) names, each with its role."""
    mentioned = [mention.entity for mention in find_mentions(snapshot.get("text") or "")]
    tags = [str(tag) for tag in snapshot.get("tags") or ()]
    context = mentioned + [known for tag in tags if (known := resolve(tag)) is not None]
    named: list[tuple[str, EntityRole]] = []
    for field, roles in NAMING_FIELDS.items():
        structured = snapshot.get(field) or {}
        named.extend(
            (value, role) for name, role in roles if isinstance(value := structured.get(name), str)
        )
    named.extend((tag, EntityRole.MENTIONED) for tag in tags)
    wanted = [(EntitySpec.known(entity), EntityRole.MENTIONED) for entity in mentioned]
    for name, role in named:
        known = resolve(name, context=context)
        if known is not None:
            wanted.append((EntitySpec.known(known), role))
            continue
        # "Russian troops" is about Russia, "the three Baltic states" the Baltic states;
        # a speaker's description ("Chinese foreign ministry spokesperson Zhao Lijian")
        # is not about the countries it names, so it is an entity of its own.
        inner = [] if role in OWN_NAME_ROLES else find_mentions(name)
        wanted.extend((EntitySpec.known(mention.entity), role) for mention in inner)
        if inner or is_description(name):
            continue
        if 0 < len(form := normalise(name)) <= MAX_NAME_FORM:
            wanted.append((EntitySpec.named(name, form, _named_kind(name, role)), role))
    return wanted


def _key(spec: EntitySpec) -> str:
    return spec.key


def ensure_entities(specs: Iterable[EntitySpec]) -> dict[str, int]:
    """The entity id of each spec (by its key), found by an alias or the key, else created
    with its aliases (one statement per table for all of them)."""
    wanted = {spec.key: spec for spec in specs}
    if not wanted:
        return {}
    forms = {spec.aliases[0][1]: spec.key for spec in wanted.values()}
    ids: dict[str, int] = {}
    for form, entity_id in db.session.execute(
        select(EntityAlias.normalised, EntityAlias.entity_id).where(
            EntityAlias.normalised.in_(forms)
        )
    ):
        ids[forms[form]] = entity_id
    # In key order (and aliases in their order), so that two writers creating the same
    # entities wait for each other in one order and never deadlock.
    missing = sorted((spec for key, spec in wanted.items() if key not in ids), key=_key)
    if missing:
        now = utcnow()
        created = dict(
            insert_missing_rows(
                Entity.__table__,
                [
                    {
                        "key": spec.key,
                        "name": spec.name,
                        "kind": spec.kind,
                        "wikidata_id": spec.wikidata_id,
                        "created_at": now,
                    }
                    for spec in missing
                ],
                returning=("key", "id"),
            )
        )
        taken = [spec.key for spec in missing if spec.key not in created]
        if taken:  # by a concurrent writer, between our look-up and our insert
            created.update(
                db.session.execute(select(Entity.key, Entity.id).where(Entity.key.in_(taken))).all()
            )
        insert_missing_rows(
            EntityAlias.__table__,
            [
                {"entity_id": created[spec.key], "alias": alias, "normalised": form}
                for spec in missing
                for alias, form in sorted(spec.aliases, key=lambda pair: pair[1])
            ],
        )
        ids.update(created)
    return ids


def link_claims(snapshots: Sequence[Mapping[str, Any]], *, created: bool = False) -> None:
    """Make the entity links of each claim (by its snapshot, with its ``id``) what the
    claim now names: the links it no longer names go, new ones come. ``created``: the
    claims are new, so there are no links to read or remove."""
    if not snapshots:
        return
    wanted = {int(snapshot["id"]): _wanted(snapshot) for snapshot in snapshots}
    ids = ensure_entities(spec for pairs in wanted.values() for spec, _ in pairs)
    target = {
        (claim_id, ids[spec.key], role.value)
        for claim_id, pairs in wanted.items()
        for spec, role in pairs
    }
    current: set[tuple[int, int, str]] = set()
    if not created:
        rows = db.session.execute(
            select(ClaimEntity.claim_id, ClaimEntity.entity_id, ClaimEntity.role).where(
                ClaimEntity.claim_id.in_(wanted)
            )
        )
        current = {(claim_id, entity_id, str(role)) for claim_id, entity_id, role in rows}
    stale = current - target
    if stale:
        link = tuple_(ClaimEntity.claim_id, ClaimEntity.entity_id, ClaimEntity.role)
        db.session.execute(delete(ClaimEntity).where(link.in_(sorted(stale))))
    insert_rows(
        ClaimEntity.__table__,
        [
            {"claim_id": claim_id, "entity_id": entity_id, "role": role}
            for claim_id, entity_id, role in sorted(target - current)
        ],
    )


def entity_for_name(name: str) -> int | None:
    """The stored entity ``name`` (a tag, say) is a name of, by its normalised form."""
    form = normalise(name)
    if not form:
        return None
    return db.session.scalar(select(EntityAlias.entity_id).where(EntityAlias.normalised == form))


def link_all_claims(batch: int = 1000) -> Iterator[int]:
    """Link every stored claim (deleted ones too), ``batch`` claims per transaction, in id
    order: for claims written before links existed. Yields the claims linked so far; the
    caller commits after each batch."""
    from claims_api.services.claim_reads import claim_rows, claim_rows_selected
    from claims_api.services.revisions import snapshot_of

    last, done = 0, 0
    while True:
        statement = claim_rows_selected(Claim.id > last).order_by(Claim.id).limit(batch)
        rows = db.session.connection().execute(statement).all()
        if not rows:
            return
        link_claims([snapshot_of(claim) for claim in claim_rows(rows)])
        last, done = rows[-1].id, done + len(rows)
        yield done

"""Entities as users read and curate them: lists, names, aliases, merges, an entity's claims.

A name is found by its normalised form (``claims_api.entities.normalise``), which names
one entity only: adding a name another entity goes by is a conflict, and a merge moves
the merged entity's names and claim links to the one it is merged into.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, insert, literal, select, update
from sqlalchemy.orm import aliased

from claims_api.entities import EntityKind, normalise, resolve
from claims_api.errors import Conflict, InvalidInput
from claims_api.extensions import db
from claims_api.models import Article, Claim, ClaimEntity, Entity, EntityAlias, EntityRole
from claims_api.models.base import utcnow
from claims_api.models.vocabulary import ClaimKind
from claims_api.services.claim_entities import NAMED_PREFIX
from claims_api.services.claim_reads import IdLink, claim_page, claim_rows, claim_rows_selected
from claims_api.services.claims import DEFAULT_CLAIM_SORT, claim_order
from claims_api.services.lookups import get_by_id
from claims_api.services.pagination import Page, PageRequest, SortOrder, keyset_page
from claims_api.services.revisions import ClaimRow, snapshot_of

ENTITY_ORDER = SortOrder("id", Entity.id, Entity.id)


def get_entity(entity_id: int, *, for_update: bool = False) -> Entity:
    return get_by_id(Entity, entity_id, "entity", for_update=for_update)


def _form(name: str, field: str) -> str:
    form = normalise(name)
    if not form:
        raise InvalidInput(
            "A name needs a letter or a digit.", errors={field: ["Not a name: nothing is left."]}
        )
    return form


def _prefix_of(form: str) -> ColumnElement[bool]:
    """Normalised aliases starting with ``form``: a range of the unique index, on both
    databases (LIKE would not use it on SQLite, nor on PostgreSQL without a C collation)."""
    return EntityAlias.normalised.between(form, form + "\U0010ffff")


def list_entities(
    page: PageRequest, *, q: str | None = None, kind: EntityKind | None = None
) -> Page[Entity]:
    """Entities in id order; ``q`` keeps those with a name or alias starting with it."""
    statement = select(Entity)
    if q is not None:
        aliases = select(EntityAlias.entity_id).where(_prefix_of(_form(q, "q")))
        statement = statement.where(Entity.id.in_(aliases))
    if kind is not None:
        statement = statement.where(Entity.kind == kind)
    return keyset_page(statement, ENTITY_ORDER, page)


def describe(entities: list[Entity]) -> list[dict[str, Any]]:
    """The entities with their aliases (the names other than their own), in one SELECT."""
    names: defaultdict[int, list[str]] = defaultdict(list)
    if entities:
        rows = db.session.execute(
            select(EntityAlias.entity_id, EntityAlias.alias)
            .where(EntityAlias.entity_id.in_([entity.id for entity in entities]))
            .order_by(EntityAlias.entity_id, EntityAlias.normalised)
        )
        for entity_id, alias in rows:
            names[entity_id].append(alias)
    return [
        {
            "id": entity.id,
            "key": entity.key,
            "name": entity.name,
            "kind": entity.kind,
            "wikidata_id": entity.wikidata_id,
            "aliases": [alias for alias in names[entity.id] if alias != entity.name],
            "created_at": entity.created_at,
        }
        for entity in entities
    ]


def describe_entity(entity: Entity) -> dict[str, Any]:
    return describe([entity])[0]


def _check_free(forms: dict[str, str]) -> None:
    """409 when any of ``forms`` (normalised → as written) is already a name of an entity."""
    taken = db.session.execute(
        select(EntityAlias.normalised, EntityAlias.entity_id).where(
            EntityAlias.normalised.in_(forms)
        )
    ).first()
    if taken is not None:
        raise Conflict(
            f"{forms[taken.normalised]!r} is already a name of entity {taken.entity_id}.",
            entity_id=taken.entity_id,
        )


def create_entity(data: dict[str, Any]) -> Entity:
    """A new entity with its aliases. A name of the reference list (countries,
    organisations, places) is not created again: 409, naming the entity it is."""
    name = " ".join(data["name"].split())
    forms = {_form(name, "name"): name}
    for alias in data.get("aliases", []):
        forms.setdefault(_form(alias, "aliases"), " ".join(alias.split()))
    for written in forms.values():
        known = resolve(written)
        if known is not None:
            raise Conflict(
                f"{written!r} is {known.name} (key {known.key}) of the reference list: "
                "claims naming it link to it; add aliases to it instead.",
                key=known.key,
            )
    _check_free(forms)
    wikidata_id = data.get("wikidata_id")
    key = wikidata_id or f"{NAMED_PREFIX}{next(iter(forms))}"
    if db.session.scalar(select(Entity.id).where(Entity.key == key)) is not None:
        raise Conflict(f"An entity with key {key!r} exists already.")
    entity = Entity(
        key=key,
        name=name,
        kind=data.get("kind", "other"),
        wikidata_id=wikidata_id,
        created_at=utcnow(),
    )
    db.session.add(entity)
    db.session.flush()
    db.session.execute(
        insert(EntityAlias),
        [
            {"entity_id": entity.id, "alias": written, "normalised": form}
            for form, written in forms.items()
        ],
    )
    return entity


def upsert_entity(data: dict[str, Any]) -> str:
    """An entity record of an import (an export's entity, with every name it goes by):
    found by its key, else by its name; created if new, else given the names it lacks.
    Unlike ``create_entity``, a reference entity is created too (with its key), since a
    restore brings back the names users added to one. A name another entity goes by is
    a conflict, as for ``add_alias``. Whether it was ``created``, ``updated`` (names
    added) or ``unchanged``; its kind and Wikidata id stay as stored."""
    name = " ".join(data["name"].split())
    name_form = _form(name, "name")
    forms, fields = {name_form: name}, {name_form: "name"}
    for index, alias in enumerate(data.get("aliases", [])):
        form = _form(alias, f"aliases.{index}")
        if form not in forms:
            forms[form], fields[form] = " ".join(alias.split()), f"aliases.{index}"
    key = data.get("key") or data.get("wikidata_id") or f"{NAMED_PREFIX}{name_form}"
    entity = db.session.scalars(select(Entity).where(Entity.key == key)).one_or_none()
    owners = dict(
        db.session.execute(
            select(EntityAlias.normalised, EntityAlias.entity_id).where(
                EntityAlias.normalised.in_(forms)
            )
        ).all()
    )
    if entity is None and name_form in owners:
        entity = db.session.get(Entity, owners[name_form])
    for form in forms:
        if form in owners and (entity is None or owners[form] != entity.id):
            message = f"{forms[form]!r} is already a name of entity {owners[form]}"
            raise Conflict(f"{message}.", errors={fields[form]: [message]}, entity_id=owners[form])
    outcome = "updated"
    if entity is None:
        entity = Entity(
            key=key,
            name=name,
            kind=data["kind"],
            wikidata_id=data.get("wikidata_id"),
            created_at=data.get("created_at") or utcnow(),
        )
        db.session.add(entity)
        db.session.flush()
        outcome = "created"
    missing = [form for form in forms if form not in owners]
    if not missing:
        return "unchanged"
    db.session.execute(
        insert(EntityAlias),
        [{"entity_id": entity.id, "alias": forms[form], "normalised": form} for form in missing],
    )
    return outcome


def add_alias(entity_id: int, alias: str) -> Entity:
    """Another name of the entity; 409 when an entity goes by it already."""
    entity = get_entity(entity_id, for_update=True)
    written = " ".join(alias.split())
    form = _form(written, "alias")
    _check_free({form: written})
    db.session.execute(
        insert(EntityAlias), [{"entity_id": entity.id, "alias": written, "normalised": form}]
    )
    return entity


def merge_entities(entity_id: int, into: int) -> Entity:
    """Merge ``entity_id`` into ``into``: its names and claim links move, then it goes."""
    if entity_id == into:
        raise InvalidInput(
            "An entity cannot be merged into itself.", errors={"into": ["Another entity's id."]}
        )
    # Locked in id order, so two merges of the same pair cannot deadlock.
    first, second = sorted((entity_id, into))
    locked = {
        first: get_entity(first, for_update=True),
        second: get_entity(second, for_update=True),
    }
    source, target = locked[entity_id], locked[into]
    db.session.execute(
        update(EntityAlias).where(EntityAlias.entity_id == source.id).values(entity_id=target.id)
    )
    kept = aliased(ClaimEntity)
    already = exists().where(
        kept.claim_id == ClaimEntity.claim_id,
        kept.entity_id == target.id,
        kept.role == ClaimEntity.role,
    )
    db.session.execute(
        insert(ClaimEntity).from_select(
            ["claim_id", "entity_id", "role"],
            select(ClaimEntity.claim_id, literal(target.id), ClaimEntity.role).where(
                ClaimEntity.entity_id == source.id, ~already
            ),
        )
    )
    db.session.execute(delete(ClaimEntity).where(ClaimEntity.entity_id == source.id))
    db.session.delete(source)
    db.session.flush()
    return target


def list_entity_claims(
    entity_id: int,
    page: PageRequest,
    *,
    role: EntityRole | None = None,
    sort: str = DEFAULT_CLAIM_SORT,
) -> Page[ClaimRow]:
    """The live claims linked to the entity (in ``role``, if given), as /claims lists them.

    In one role, in id order, the page is read off the links' index (entity_id, role,
    claim_id); in any role a claim may have several links, so each claim read probes
    for one."""
    get_entity(entity_id)
    order = claim_order(sort)
    live = Claim.deleted_at.is_(None)
    if role is None:
        link = exists().where(ClaimEntity.entity_id == entity_id, ClaimEntity.claim_id == Claim.id)
        return claim_page([(claim_rows_selected(live, link), order)], page)
    in_role = IdLink(
        ClaimEntity,
        ClaimEntity.claim_id,
        (ClaimEntity.entity_id == entity_id, ClaimEntity.role == role),
    )
    if order.by_id:
        return claim_page([in_role.walked(order, live)], page)
    return claim_page([(claim_rows_selected(live, in_role.probe()), order)], page)


# The roles a quantity or membership fact is about its entity in ("mentioned" is not).
TIMELINE_ROLES = (
    EntityRole.SUBJECT,
    EntityRole.LOCATION,
    EntityRole.MEMBER,
    EntityRole.ORGANIZATION,
)
TIMELINE_KINDS = (ClaimKind.QUANTITY, ClaimKind.MEMBERSHIP)


def _fact_time(claim: ClaimRow, published: datetime | None) -> tuple[str | None, str | None]:
    """A fact's date and where it comes from: its ``as_of``, else its article's date."""
    as_of = (claim.details or {}).get("as_of")
    if as_of:
        return str(as_of), "as_of"
    if published is not None:
        return published.astimezone(UTC).date().isoformat(), "published_at"
    return None, None


def entity_timeline(entity_id: int, *, limit: int) -> dict[str, Any]:
    """The quantity and membership facts about the entity (as subject, location, member
    or organisation) in time order, those without a time last: each with its time, its
    claim as GET /claims/{id} shows it (value, bounds, sources, status, rating) and its
    article. The ``limit`` most recently written facts are ordered; ``truncated`` says
    whether there were more."""
    get_entity(entity_id)
    about = exists().where(
        ClaimEntity.entity_id == entity_id,
        ClaimEntity.claim_id == Claim.id,
        ClaimEntity.role.in_(TIMELINE_ROLES),
    )
    statement = (
        claim_rows_selected(Claim.deleted_at.is_(None), Claim.kind.in_(TIMELINE_KINDS), about)
        .order_by(Claim.created_at.desc(), Claim.id.desc())
        .limit(limit + 1)
    )
    rows = db.session.connection().execute(statement).all()
    claims = claim_rows(rows[:limit])
    articles = {
        article.id: article
        for article in db.session.execute(
            select(Article.id, Article.title, Article.url, Article.published_at).where(
                Article.id.in_({claim.article_id for claim in claims})
            )
        )
    }
    items: list[dict[str, Any]] = []
    for claim in claims:
        article = articles[claim.article_id]
        time, source = _fact_time(claim, article.published_at)
        items.append(
            {
                "time": time,
                "time_source": source,
                "claim": snapshot_of(claim),
                "article": {
                    "id": article.id,
                    "title": article.title,
                    "url": article.url,
                    "published_at": article.published_at,
                },
            }
        )
    items.sort(key=lambda item: (item["time"] is None, item["time"] or "", item["claim"]["id"]))
    return {"items": items, "truncated": len(rows) > limit}

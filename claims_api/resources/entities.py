"""/entities: what claims are about, their names, and their claims."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.views import MethodView

from claims_api.auth import requires
from claims_api.extensions import db
from claims_api.models.vocabulary import Role
from claims_api.resources.common import (
    LINK_HEADER_DOC,
    LOCATION_HEADER_DOC,
    Blueprint,
    Reply,
    page_request,
    page_response,
)
from claims_api.schemas.claims import ClaimPageSchema
from claims_api.schemas.entities import (
    EntityAliasCreateSchema,
    EntityClaimListArgs,
    EntityCreateSchema,
    EntityListArgs,
    EntityMergeSchema,
    EntityPageSchema,
    EntitySchema,
)
from claims_api.services import entities as entity_service
from claims_api.services.pagination import Page
from claims_api.services.revisions import snapshot_of

blp = Blueprint(
    "entities",
    __name__,
    url_prefix="/entities",
    description="People, organisations, countries and places that claims are about.",
)


@blp.route("")
class Entities(MethodView):
    @blp.arguments(EntityListArgs, location="query", as_kwargs=False)
    @blp.response(200, EntityPageSchema, headers=LINK_HEADER_DOC)
    @blp.doc(operationId="listEntities")
    def get(self, args: dict[str, Any]) -> Reply:
        """List entities in id order; `q` finds them by the start of any of their names."""
        found = entity_service.list_entities(page_request(args), **args)
        return page_response(Page(entity_service.describe(found.items), found.next_cursor))

    @requires(Role.CONTRIBUTOR)
    @blp.arguments(EntityCreateSchema)
    @blp.response(201, EntitySchema, headers=LOCATION_HEADER_DOC)
    @blp.problems(409)
    @blp.doc(operationId="createEntity")
    def post(self, data: dict[str, Any]) -> Reply:
        """Add an entity with its aliases; 409 for a name an entity goes by already."""
        entity = entity_service.create_entity(data)
        detail = entity_service.describe_entity(entity)
        db.session.commit()
        return detail, 201, {"Location": url_for("entities.EntityById", entity_id=entity.id)}


@blp.route("/<int:entity_id>")
class EntityById(MethodView):
    @blp.response(200, EntitySchema)
    @blp.doc(operationId="getEntity")
    def get(self, entity_id: int) -> Reply:
        """Read an entity: its name, kind, aliases and Wikidata id."""
        return entity_service.describe_entity(entity_service.get_entity(entity_id)), 200, {}


@blp.route("/<int:entity_id>/aliases")
class EntityAliases(MethodView):
    @requires(Role.CONTRIBUTOR)
    @blp.arguments(EntityAliasCreateSchema)
    @blp.response(201, EntitySchema)
    @blp.problems(409)
    @blp.doc(operationId="addEntityAlias")
    def post(self, data: dict[str, Any], entity_id: int) -> Reply:
        """Add another name of the entity; 409 when an entity goes by it already."""
        entity = entity_service.add_alias(entity_id, data["alias"])
        detail = entity_service.describe_entity(entity)
        db.session.commit()
        return detail, 201, {}


@blp.route("/<int:entity_id>/merge")
class EntityMerge(MethodView):
    @requires(Role.CONTRIBUTOR)
    @blp.arguments(EntityMergeSchema)
    @blp.response(200, EntitySchema)
    @blp.doc(operationId="mergeEntity")
    def post(self, data: dict[str, Any], entity_id: int) -> Reply:
        """Merge this entity into another (`into`): its names and claim links move there,
        and this one is gone; the answer is the entity merged into."""
        target = entity_service.merge_entities(entity_id, data["into"])
        detail = entity_service.describe_entity(target)
        db.session.commit()
        return detail, 200, {}


@blp.route("/<int:entity_id>/claims")
class EntityClaims(MethodView):
    @blp.arguments(EntityClaimListArgs, location="query", as_kwargs=False)
    @blp.response(200, ClaimPageSchema, headers=LINK_HEADER_DOC)
    @blp.doc(operationId="listEntityClaims")
    def get(self, args: dict[str, Any], entity_id: int) -> Reply:
        """The live claims linked to the entity, in any role or the one given, as
        /claims lists them."""
        page = page_request(args)
        return page_response(
            entity_service.list_entity_claims(entity_id, page, **args), snapshot_of
        )

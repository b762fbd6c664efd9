"""/sources: documents cited as evidence."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.views import MethodView

from claims_api.auth import current_actor, requires
from claims_api.extensions import db
from claims_api.models.vocabulary import Role
from claims_api.resources.common import (
    ETAG_HEADER_DOC,
    LINK_HEADER_DOC,
    LOCATION_HEADER_DOC,
    Blueprint,
    Reply,
    page_request,
    page_response,
    precondition,
    versioned,
)
from claims_api.schemas.common import WriteHeaders
from claims_api.schemas.sources import (
    SourceCreateSchema,
    SourceDetailSchema,
    SourceFieldsSchema,
    SourceListArgs,
    SourcePageSchema,
)
from claims_api.services import sources as source_service

blp = Blueprint("sources", __name__, url_prefix="/sources", description="Evidence sources.")


@blp.route("")
class Sources(MethodView):
    @blp.arguments(SourceListArgs, location="query", as_kwargs=False)
    @blp.response(200, SourcePageSchema, headers=LINK_HEADER_DOC)
    @blp.doc(operationId="listSources")
    def get(self, args: dict[str, Any]) -> Reply:
        """List sources, oldest first."""
        page = page_request(args)
        return page_response(source_service.list_sources(page, **args))

    @requires(Role.CONTRIBUTOR)
    @blp.arguments(SourceCreateSchema)
    @blp.response(201, SourceDetailSchema, headers={**ETAG_HEADER_DOC, **LOCATION_HEADER_DOC})
    @blp.doc(operationId="createSource")
    def post(self, data: dict[str, Any]) -> Reply:
        """Add a source; its URL is normalised and must be new (409 otherwise)."""
        source = source_service.create_source(data, current_actor())
        detail = source_service.describe_source(source)
        db.session.commit()
        location = url_for("sources.SourceById", source_id=source.id)
        return versioned(detail, source.version, 201, Location=location)


@blp.route("/<int:source_id>")
class SourceById(MethodView):
    @blp.response(200, SourceDetailSchema, headers=ETAG_HEADER_DOC)
    @blp.doc(operationId="getSource")
    def get(self, source_id: int) -> Reply:
        """Read a source with the claims citing it and their stance."""
        source = source_service.get_source(source_id)
        return versioned(source_service.describe_source(source), source.version)

    @requires(Role.CONTRIBUTOR)
    @blp.arguments(SourceFieldsSchema, required=False)
    @blp.arguments(WriteHeaders, location="headers")
    @blp.response(200, SourceDetailSchema, headers=ETAG_HEADER_DOC)
    @blp.doc(operationId="updateSource")
    def patch(self, data: dict[str, Any], headers: dict[str, Any], source_id: int) -> Reply:
        """Change a source's description or URL; needs If-Match."""
        source = source_service.update_source(
            source_id, data, precondition(headers), current_actor()
        )
        detail = source_service.describe_source(source)
        db.session.commit()
        return versioned(detail, source.version)

"""/health: is the database reachable and at the latest migration?"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields
from sqlalchemy.exc import SQLAlchemyError

from claims_api.auth import PUBLIC, requires
from claims_api.extensions import db
from claims_api.migrations import current_revision, head_revision
from claims_api.resources.common import Blueprint

blp = Blueprint("health", __name__, url_prefix="/health", description="Service health.")


class HealthSchema(Schema):
    status = fields.String(metadata={"description": "ok or unavailable"})
    database = fields.String(metadata={"description": "reachable or unreachable"})
    migration = fields.String(allow_none=True)
    expected_migration = fields.String(allow_none=True)


@blp.route("")
class Health(MethodView):
    @requires(PUBLIC)
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="Unreachable or not migrated")
    def get(self) -> tuple[dict[str, Any], int]:
        """200 when the database answers and is at the latest migration, else 503."""
        head = head_revision()
        try:
            current = current_revision(db.engine)
        except SQLAlchemyError:
            body = {"status": "unavailable", "database": "unreachable", "migration": None}
            return {**body, "expected_migration": head}, 503
        healthy = current == head
        body = {
            "status": "ok" if healthy else "unavailable",
            "database": "reachable",
            "migration": current,
            "expected_migration": head,
        }
        return body, 200 if healthy else 503

"""/health/live (the process answers) and /health/ready, also /health (it can serve)."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from flask.views import MethodView
from marshmallow import Schema, fields
from sqlalchemy import Engine

from claims_api.auth import PUBLIC, requires
from claims_api.errors import NOT_READY, problem_response
from claims_api.extensions import db
from claims_api.resources.common import Blueprint
from claims_api.services.health import probe_engine, readiness

blp = Blueprint("health", __name__, url_prefix="/health", description="Service health.")


class LivenessSchema(Schema):
    status = fields.String(metadata={"description": "always ok"})


class ReadinessSchema(Schema):
    status = fields.String(metadata={"description": "ok (a 503 is a problem saying why)"})
    database = fields.String(metadata={"description": "reachable or unreachable"})
    writable = fields.Boolean(metadata={"description": "whether a write could be made now"})
    migration = fields.String(allow_none=True)
    expected_migration = fields.String(allow_none=True)


def _probe_engine() -> Engine:
    engine: Engine | None = current_app.extensions.get("claims_probe_engine")
    if engine is None:
        engine = current_app.extensions["claims_probe_engine"] = probe_engine(db.engine)
    return engine


def ready() -> tuple[dict[str, Any], int] | Response:
    """200 when the database is reachable, migrated and writable; else a 503 problem saying why."""
    found = readiness(_probe_engine(), min_free_bytes=current_app.config["READY_MIN_FREE_BYTES"])
    body: dict[str, Any] = {
        "database": "reachable" if found.reachable else "unreachable",
        "writable": found.writable,
        "migration": found.migration,
        "expected_migration": found.expected_migration,
    }
    if found.ready:
        return {"status": "ok", **body}, 200
    # A problem's own "status" is the HTTP status; the rest say what was found.
    return problem_response(
        NOT_READY,
        found.problem,
        headers={"Retry-After": "5"},
        **body,
    )


@blp.route("/live")
class Live(MethodView):
    @requires(PUBLIC)
    @blp.response(200, LivenessSchema)
    @blp.doc(operationId="getLiveness")
    def get(self) -> dict[str, str]:
        """200 while the process answers requests; touches no database."""
        return {"status": "ok"}


@blp.route("/ready")
class Ready(MethodView):
    @requires(PUBLIC)
    @blp.response(200, ReadinessSchema)
    @blp.problems(503)
    @blp.doc(operationId="getReadiness")
    def get(self) -> tuple[dict[str, Any], int] | Response:
        """200 when the database answers, is at the latest migration and can take a write.

        Answers within about 2 s whatever the database does.
        """
        return ready()


@blp.route("")
class Health(MethodView):
    @requires(PUBLIC)
    @blp.response(200, ReadinessSchema)
    @blp.problems(503)
    @blp.doc(operationId="getHealth")
    def get(self) -> tuple[dict[str, Any], int] | Response:
        """Readiness, as /health/ready: kept for the probes that already use it."""
        return ready()

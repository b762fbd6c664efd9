"""claims-api: checkable factual claims, anchored in their articles, with full history."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, Request, request, send_from_directory
from swagger_ui_bundle import swagger_ui_path
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response

from claims_api import migrations
from claims_api.auth import PUBLIC, init_auth, requires
from claims_api.config import load_config
from claims_api.encryption import init_encryption
from claims_api.errors import register_error_handlers
from claims_api.extensions import ProblemApi, RulesPlugin, init_cors, init_database
from claims_api.schemas.common import MAX_ID
from claims_api.workflow import load_workflow

API_DESCRIPTION = (
    "Checkable factual claims, anchored in the articles that make them, with their sources, "
    "reviews and full revision history. Errors are application/problem+json (RFC 9457) with "
    "a `type` of the form urn:claims-api:problem:<slug> (docs/problems.md). Edits need "
    "If-Match with the ETag last read. Send API keys as `Authorization: Bearer <token>`; "
    "each operation names its least role in `x-required-role`."
)
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Views that read their body themselves, in formats of their own.
RAW_BODY_ENDPOINTS = frozenset({"imports.Imports"})


class IdConverter(IntegerConverter):
    """Path ids within the database's integer range: a larger one is a 404, not an overflow.

    ASCII digits only: Werkzeug's default pattern also matches other scripts' digits, so
    ``/claims/١٢`` was taken as claim 12 under a path no link can repeat.
    """

    regex = r"[0-9]+"

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, min=1, max=MAX_ID)


class BoundedRequest(Request):
    """A request whose body past MAX_CONTENT_LENGTH is a 413, however it is sent.

    For a body without Content-Length (chunked), Werkzeug's stream stops at the
    limit without telling whether more followed, so a 10 MB body read as its first
    4 MiB and failed as invalid JSON. One more byte from the server's stream tells.
    """

    def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> Any:
        data = super().get_data(cache=cache, as_text=False, parse_form_data=parse_form_data)
        limit = self.max_content_length
        if (
            self.content_length is None
            and limit is not None
            and len(data) >= limit
            and self.environ["wsgi.input"].read(1)
        ):
            raise RequestEntityTooLarge()
        return data.decode(errors="replace") if as_text else data


def id_parameter_schema(converter: IdConverter) -> dict[str, Any]:
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """The app; raises WorkflowError if the configured workflow is not usable."""
    app = Flask(__name__, instance_relative_config=True)
    app.request_class = BoundedRequest
    load_config(app, test_config)
    app.extensions["claims_workflow"] = load_workflow(app.config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///" + app.instance_path):
        os.makedirs(app.instance_path, exist_ok=True)

    init_database(app)
    init_encryption(app)
    init_cors(app)
    # Before authentication, which reads the keys table.
    migrations.init_app(app)
    app.url_map.converters["int"] = IdConverter
    # Every module that defines a problem type is loaded before the document lists them.
    from claims_api.resources import (
        articles,
        claims,
        entities,
        events,
        exports,
        extraction,
        health,
        imports,
        keys,
        matching,
        relations,
        review_queue,
        reviews,
        revisions,
        sources,
        webhooks,
    )

    # One Api per app: its document follows that app's configuration (roles, workflow).
    api = ProblemApi(
        app,
        # Built afresh for each app: apispec merges the document into these options
        # when it renders it, so options shared between apps would mix their documents.
        spec_kwargs={
            "marshmallow_plugin": RulesPlugin(),
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            # Relative: the document is right wherever the service is served from.
            "servers": [{"url": "/", "description": "This service"}],
            "info": {
                "description": API_DESCRIPTION,
                "contact": {"name": app.config["PUBLISHER_NAME"]},
            },
        },
    )
    api.register_converter(IdConverter, id_parameter_schema)
    register_error_handlers(app)
    init_auth(app)

    for module in (
        articles,
        extraction,
        claims,
        matching,
        reviews,
        relations,
        review_queue,
        sources,
        entities,
        revisions,
        events,
        imports,
        exports,
        keys,
        webhooks,
        health,
    ):
        # In the app's context: the document reads its workflow and settings.
        with app.app_context():
            api.register_blueprint(module.blp)

    @app.before_request
    def require_json_body() -> None:
        if request.routing_exception is not None:
            return  # no route or no such method there: that answer (404, 405) comes first
        has_body = bool(request.content_length) or "chunked" in request.headers.get(
            "Transfer-Encoding", ""
        )
        raw_body = request.endpoint in RAW_BODY_ENDPOINTS
        if request.method in BODY_METHODS and has_body and not request.is_json and not raw_body:
            raise UnsupportedMediaType("Send the request body as application/json.")

    @app.get("/docs/assets/<path:filename>")
    @requires(PUBLIC)
    def swagger_ui_assets(filename: str) -> Response:
        """Swagger UI's files, shipped by swagger-ui-bundle: /docs needs no internet."""
        return send_from_directory(swagger_ui_path, filename)

    return app

"""Extension instances, bound to the app in ``create_app`` with ``init_app``."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from http import HTTPStatus
from typing import Any

from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.openapi import OpenAPIConverter
from flask import Flask, Response, request
from flask_cors import CORS
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Engine, event
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from claims_api.config import setting_list
from claims_api.errors import PROBLEM_MIMETYPE, http_problem, problem_body, problem_for_status
from claims_api.models import Base
from claims_api.schemas.problems import ProblemSchema

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Endpoints whose writes are rare and say so with ``writing()``: their requests begin
# reading, so on SQLite they are not held up behind a long write (an import) when
# they end up writing nothing (DELETE of a running import only leaves a marker).
READS_FIRST_ENDPOINTS: set[str] = set()
# What a browser app on another origin may send, and read of the answers (CORS).
CORS_REQUEST_HEADERS = (
    "Authorization",
    "Content-Type",
    "If-Match",
    "Idempotency-Key",
    "X-Reason",
    "Prefer",
)
CORS_EXPOSED_HEADERS = ("ETag", "Link", "Location", "Retry-After", "Preference-Applied")
# How long a browser may reuse a preflight's answer.
CORS_MAX_AGE_SECONDS = 600
# Whether the transactions begun now only read. Writing is the default, so work
# that forgets to say what it does is safe; readers say so with ``read_only()``.
_reading: ContextVar[bool] = ContextVar("claims_reading", default=False)

log = logging.getLogger(__name__)


STRING = {"type": "string"}
RETRY_AFTER = {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}
EXAMPLE_DETAILS = {
    400: "The JSON body could not be parsed.",
    401: "This request needs an API key: send Authorization: Bearer <token>.",
    403: "A reader key may not do this; it needs a contributor key or above.",
    404: "There is no claim 12.",
    409: "An article with this URL exists already.",
    410: "Claim 12 was deleted; its history is at /claims/12/revisions.",
    412: "Claim 12 has changed since you read it (it is now at version 4).",
    413: "The request body is larger than the service accepts.",
    414: "The request line is too long.",
    415: "Send the request body as application/json.",
    422: "The request failed validation; see errors.",
    428: "This change needs an If-Match header with the ETag you last read.",
    429: "Too many failed authentications from your address; wait before trying again.",
    503: "The database is busy; try again.",
}
ERROR_HEADERS = {
    401: {"WWW-Authenticate": {"description": "The Bearer challenge.", "schema": STRING}},
    405: {"Allow": {"description": "The methods the path takes.", "schema": STRING}},
    429: {"Retry-After": RETRY_AFTER},
    503: {"Retry-After": RETRY_AFTER},
}


class RulesConverter(OpenAPIConverter):
    """apispec's converter, adding what fields and schemas say of themselves: a
    field's ``openapi_properties()`` (values the running app sets, such as the
    workflow's statuses or a configured maximum), a schema's ``openapi_rules``
    (such as "exactly one of"), a response schema's ``always_present`` (every
    field required), and parameters the service requires with an answer
    of its own (``documented_required``: If-Match, 428 without it)."""

    def init_attribute_functions(self) -> None:
        super().init_attribute_functions()  # type: ignore[no-untyped-call]
        self.attribute_functions.append(self.live_properties)

    def init_parameter_attribute_functions(self) -> None:
        super().init_parameter_attribute_functions()
        self.parameter_attribute_functions.append(self.documented_required)

    def live_properties(self, field: Any, **kwargs: Any) -> dict[str, Any]:
        properties = getattr(field, "openapi_properties", None)
        return properties() if properties else {}

    def documented_required(self, field: Any, **kwargs: Any) -> dict[str, Any]:
        return {"required": True} if field.metadata.get("documented_required") else {}

    def schema2jsonschema(self, schema: Any) -> dict[str, Any]:
        jsonschema: dict[str, Any] = super().schema2jsonschema(schema)  # type: ignore[no-untyped-call]
        jsonschema.update(getattr(schema, "openapi_rules", {}))
        if getattr(schema, "always_present", False):
            # A response schema whose dump holds every field (null where empty): each is
            # required, so generated clients type them as present.
            jsonschema["required"] = list(jsonschema["properties"])
        return jsonschema


class RulesPlugin(MarshmallowPlugin):
    Converter = RulesConverter


class ProblemApi(Api):
    """flask-smorest's Api answering every HTTP error with problem+json, and documenting
    each error status as a problem+json response (``NOT_FOUND``, ``CONFLICT``...) that
    operations name with ``alt_response``; there is no catch-all ``default``."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def handle_http_exception(self, error: HTTPException) -> Response:
        return http_problem(error)

    def _register_pagination_header(self) -> None:
        """Not used: lists page by cursor, with a Link header (resources.common)."""

    def _register_responses(self) -> None:
        for status in HTTPStatus:
            if status < 400:
                continue
            problem = problem_for_status(status)
            response: dict[str, Any] = {
                "description": f"{status.phrase}: {problem.about}",
                "schema": self.ERROR_SCHEMA,
                "example": problem_body(problem, EXAMPLE_DETAILS.get(status), status=status),
            }
            if status in ERROR_HEADERS:
                response["headers"] = ERROR_HEADERS[status]
            prepare_response(response, self.spec, PROBLEM_MIMETYPE)
            self.spec.components.response(status.name, response, lazy=True)


class SessionSQLAlchemy(SQLAlchemy):
    """Flask-SQLAlchemy whose end-of-request clean-up cannot fail the request.

    The session is removed after the response is made, outside every error
    handler; when the connection died meanwhile, its rollback raised there and the
    server answered its own 500 in place of the finished response. SQLAlchemy
    has already invalidated such a connection: log it and drop the session.
    """

    def _teardown_session(self, exc: BaseException | None) -> None:
        try:
            self.session.remove()
        except SQLAlchemyError:
            log.warning("the database connection failed while a request ended", exc_info=True)
            self.session.registry.clear()


db = SessionSQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})


@contextmanager
def read_only() -> Iterator[None]:
    """Declare that the transactions begun inside only read.

    On SQLite they begin deferred and take no write lock, so a long read (an
    export) never holds up writers; elsewhere it changes nothing. The unit of
    work says what it does: CLI commands that read wrap themselves in it, and
    every GET, HEAD or OPTIONS request runs in it (``init_database``).
    """
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


@contextmanager
def writing() -> Iterator[None]:
    """Declare that the transactions begun inside write, within ``read_only()`` or a
    request of ``READS_FIRST_ENDPOINTS``: on SQLite they take the write lock up front."""
    token = _reading.set(False)
    try:
        yield
    finally:
        _reading.reset(token)


def configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """Make SQLite safe for several concurrent writers.

    WAL lets readers go on while one writer writes; the busy timeout makes a
    second writer wait instead of failing; and every transaction that may write
    starts with BEGIN IMMEDIATE, so it takes the write lock up front and can never
    fail half-way when it upgrades from reading to writing. Work declared
    ``read_only()`` begins deferred and never waits for writers. pysqlite's own
    implicit BEGIN is turned off so ours is the one that runs.
    """

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN" if _reading.get() else "BEGIN IMMEDIATE")


def init_database(app: Flask) -> None:
    db.init_app(app)

    @app.before_request
    def declare_transaction_mode() -> None:
        # Each request sets the mode afresh: a thread serves many requests.
        _reading.set(
            request.method in READ_ONLY_METHODS or request.endpoint in READS_FIRST_ENDPOINTS
        )

    @app.teardown_request
    def forget_transaction_mode(error: BaseException | None) -> None:
        _reading.set(False)

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])


def init_cors(app: Flask) -> None:
    """Let browser apps on ``CORS_ORIGINS`` call the API; without origins, no CORS at all.

    Keys travel as bearer tokens, never cookies, so credentials mode stays off. Errors
    carry the headers too, so a browser app can read the problem it got.
    """
    origins = setting_list(app.config.get("CORS_ORIGINS"))
    if not origins:
        return
    CORS(
        app,
        origins=origins,
        allow_headers=list(CORS_REQUEST_HEADERS),
        expose_headers=list(CORS_EXPOSED_HEADERS),
        supports_credentials=False,
        max_age=CORS_MAX_AGE_SECONDS,
    )

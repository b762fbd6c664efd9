"""Extension instances, bound to the app in ``create_app`` with ``init_app``."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, has_request_context, request
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Engine, event
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from claims_api.errors import http_problem
from claims_api.models import Base

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
log = logging.getLogger(__name__)


class ProblemApi(Api):
    """flask-smorest's Api answering every HTTP error with problem+json."""

    def handle_http_exception(self, error: HTTPException) -> Response:  # type: ignore[override]
        return http_problem(error)


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
api = ProblemApi()


def configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """Make SQLite safe for several concurrent writers.

    WAL lets readers go on while one writer writes; the busy timeout makes a
    second writer wait instead of failing; and every transaction that may write
    starts with BEGIN IMMEDIATE, so it takes the write lock up front and can never
    fail half-way when it upgrades from reading to writing. Requests that only
    read (GET, HEAD) begin deferred and never wait for writers. pysqlite's own
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
        reading = has_request_context() and request.method in READ_ONLY_METHODS
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def init_database(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])

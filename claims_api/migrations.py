"""Running the Alembic migrations from the app: the only way tables are created."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from flask import Flask, request
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from claims_api.errors import DomainError
from claims_api.extensions import db, read_only

_PACKAGE = Path(__file__).resolve().parent
# A wheel carries the migrations inside the package; a source checkout beside it.
MIGRATIONS_DIR = next(
    path for path in (_PACKAGE / "migrations", _PACKAGE.parent / "migrations") if path.is_dir()
)


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


@cache
def script_directory() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS_DIR))


def head_revision() -> str | None:
    return script_directory().get_current_head()


def is_known(revision: str) -> bool:
    """Whether ``revision`` is one of this code's migrations (not one from a newer version)."""
    try:
        return script_directory().get_revision(revision) is not None
    except CommandError:
        return False


def revision_of(connection: Connection) -> str | None:
    """The migration the database on ``connection`` is at; None if never migrated."""
    return MigrationContext.configure(connection).get_current_revision()


def current_revision(engine: Engine) -> str | None:
    with read_only(), engine.connect() as connection:
        return revision_of(connection)


class SchemaNotCurrent(DomainError):
    """The database's schema is not the one this code was written for."""

    status, title, slug = 503, "Service unavailable", "not-migrated"
    about = "The database's schema is not the one this code runs on: run `claims-api db upgrade`."


def schema_problem(current: str | None) -> str | None:
    """What is wrong with a database at migration ``current``, and what to do; None if nothing."""
    head = head_revision()
    if current == head:
        return None
    if current is None:
        return "The database is not migrated: run `claims-api db upgrade`."
    if is_known(current):
        return (
            f"The database is at migration {current}, not the latest ({head}): "
            "run `claims-api db upgrade`."
        )
    return (
        f"The database is at migration {current}, which this version of claims-api does not "
        f"know (its latest is {head}): run the claims-api that migrated it."
    )


def require_current(engine: Engine) -> None:
    """Raise SchemaNotCurrent unless the database is at the latest migration.

    The one check the CLI and the API make before they use the tables, so a
    database that was never migrated says "run `claims-api db upgrade`" instead
    of failing on the first missing table.
    """
    try:
        current = current_revision(engine)
    except SQLAlchemyError as error:
        raise SchemaNotCurrent(
            f"The database cannot be read: {getattr(error, 'orig', None) or error}"
        ) from error
    problem = schema_problem(current)
    if problem:
        raise SchemaNotCurrent(problem, migration=current, expected_migration=head_revision())


# Routes that work, or report, whatever the schema: health and the documentation.
SCHEMA_FREE_BLUEPRINTS = frozenset({"health", "api-docs"})
SCHEMA_FREE_ENDPOINTS = frozenset({"static", "swagger_ui_assets"})


def init_app(app: Flask) -> None:
    """Refuse requests with 503 until the database is migrated.

    Checked on each request until the database is found current, then no more:
    a process's code does not change under it, and a migrated database stays
    migrated.
    """

    @app.before_request
    def require_migrated_schema() -> None:
        # OPTIONS (a CORS preflight among them) is answered by Flask, from no table.
        if app.extensions.get("claims_schema_current") or request.endpoint is None:
            return
        if request.method == "OPTIONS":
            return
        if request.endpoint in SCHEMA_FREE_ENDPOINTS or request.blueprint in SCHEMA_FREE_BLUEPRINTS:
            return
        require_current(db.engine)
        app.extensions["claims_schema_current"] = True


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def check(engine: Engine) -> None:
    """Raise if the models and the migrations disagree (``alembic check``)."""
    command.check(alembic_config(engine))

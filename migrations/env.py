"""Alembic environment: the app's metadata, and the app's engine unless one is handed in."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Engine

from claims_api.models import Base

config = context.config
target_metadata = Base.metadata


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Leave out what the models do not describe on purpose.

    SQLite's FTS5 search tables (and their shadow tables) are made by the
    migration, and the pg_trgm indexes exist on PostgreSQL only.
    """
    dialect = context.get_context().dialect.name
    if type_ == "table" and name and "_fts" in name:
        return False
    return not (type_ == "index" and name and name.endswith("_trgm") and dialect != "postgresql")


def app_engine() -> Engine:
    from claims_api import create_app
    from claims_api.extensions import db

    with create_app().app_context():
        return db.engine


def run_migrations() -> None:
    engine: Engine = config.attributes.get("engine") or app_engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            include_object=include_object,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported: run against a database.")
run_migrations()

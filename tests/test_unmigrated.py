"""A database that was never migrated, or is behind: every entry point says to run the upgrade.

The CLI exits 1 with a one-line message (no traceback); the API answers 503
problem+json whose detail says what to run; liveness stays up.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import create_engine, make_url

from claims_api import cli, create_app, migrations
from claims_api.errors import PROBLEM_MIMETYPE
from claims_api.extensions import db
from tests.conftest import POSTGRES_URL, fresh_postgres_database
from tests.factories import SEED_FILE

UPGRADE = "run `claims-api db upgrade`"

COMMANDS = [
    pytest.param(("keys", "list"), id="keys-list"),
    pytest.param(("keys", "create", "--name", "a", "--role", "admin"), id="keys-create"),
    pytest.param(("keys", "revoke", "1"), id="keys-revoke"),
    pytest.param(("export",), id="export"),
    pytest.param(("export", "--format", "claimreview"), id="export-claimreview"),
    pytest.param(("import", str(SEED_FILE)), id="import"),
    pytest.param(("seed",), id="seed"),
    pytest.param(("extract", "1"), id="extract"),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def never_migrated(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'never-migrated.sqlite3'}"
    url = make_url(POSTGRES_URL)
    unmigrated = url.set(database=f"{url.database}_unmigrated")
    return fresh_postgres_database(unmigrated.render_as_string(hide_password=False))


@pytest.fixture
def behind(never_migrated: str) -> str:
    """The database one migration short of the latest."""
    head = migrations.script_directory().get_revision(migrations.head_revision())
    assert head is not None and isinstance(head.down_revision, str)
    engine = create_engine(never_migrated)
    try:
        migrations.upgrade(engine, head.down_revision)
    finally:
        engine.dispose()
    return never_migrated


def served(url: str) -> Iterator[Flask]:
    app = create_app({"TESTING": True, "DATABASE_URL": url})
    yield app
    with app.app_context():
        db.engine.dispose()


def assert_says_upgrade(url: str, command: tuple[str, ...], phrase: str) -> None:
    result = CliRunner().invoke(
        cli.main, list(command), env={"DATABASE_URL": url}, catch_exceptions=False
    )
    name = "claims-api " + " ".join(command)
    assert result.exit_code == 1, f"`{name}` exited {result.exit_code}: {result.output}"
    assert UPGRADE in result.output and phrase in result.output, f"`{name}`: {result.output}"
    assert "Traceback" not in result.output and len(result.output.splitlines()) <= 2, (
        f"`{name}` said more than the one thing to do: {result.output}"
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_cli_on_a_never_migrated_database_says_to_upgrade(
    never_migrated: str, command: tuple[str, ...]
) -> None:
    assert_says_upgrade(never_migrated, command, "not migrated")


@pytest.mark.parametrize("command", COMMANDS[:4])
def test_cli_on_a_database_behind_the_code_says_to_upgrade(
    behind: str, command: tuple[str, ...]
) -> None:
    assert_says_upgrade(behind, command, "not the latest")


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/claims"), ("GET", "/claims/1"), ("POST", "/claims"), ("GET", "/keys")],
)
def test_the_api_on_a_never_migrated_database_answers_503_saying_to_upgrade(
    never_migrated: str, method: str, path: str
) -> None:
    for app in served(never_migrated):
        client = app.test_client()
        response = client.open(
            path, method=method, json={}, headers={"Authorization": "Bearer ck_unknown"}
        )
        assert response.status_code == 503, response.get_data(as_text=True)
        assert response.mimetype == PROBLEM_MIMETYPE
        problem = response.get_json()
        assert problem["type"] == "urn:claims-api:problem:not-migrated", problem
        assert UPGRADE in problem["detail"], problem
        assert problem["migration"] is None
        assert problem["expected_migration"] == migrations.head_revision()
        assert client.get("/health/live").status_code == 200

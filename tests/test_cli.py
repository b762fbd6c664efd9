"""The ``claims-api`` command: its help, and the migration state it reports."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient

from claims_api import cli, migrations
from claims_api.extensions import db
from tests.factories import check, create_article

# A writer held up by a write lock waits SQLite's busy timeout, then gets 503.
BUSY_TIMEOUT_SECONDS = 5
GENEROUS_SECONDS = 60


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli.main, list(args), env=env, catch_exceptions=False)


@pytest.mark.parametrize(
    ("command", "phrases"),
    [
        pytest.param(
            (),
            ["claims-api", "db upgrade", "seed", "serve", "keys create", "DATABASE_URL"],
            id="main",
        ),
        pytest.param(
            ("db",), ["Alembic", "upgrade", "downgrade", "current", "backup", "restore"], id="db"
        ),
        pytest.param(("db", "upgrade"), ["REVISION", "latest"], id="db-upgrade"),
        pytest.param(("db", "downgrade"), ["REVISION", "base", "data is lost"], id="db-downgrade"),
        pytest.param(("db", "current"), ["migration", "latest"], id="db-current"),
        pytest.param(("db", "backup"), ["PATH", "online backup", "pg_dump"], id="db-backup"),
        pytest.param(("db", "restore"), ["PATH", "--force", "pg_restore"], id="db-restore"),
        pytest.param(("seed",), ["seed", "PATHS", "--actor", "seeds/"], id="seed"),
        pytest.param(("keys",), ["create", "list", "revoke", "Bearer"], id="keys"),
        pytest.param(
            ("keys", "create"),
            ["--name", "--role", "--expires", "standard output", "reviewer"],
            id="keys-create",
        ),
        pytest.param(("keys", "list"), ["prefix", "revoked"], id="keys-list"),
        pytest.param(("keys", "revoke"), ["KEY", "prefix"], id="keys-revoke"),
        pytest.param(
            ("extract",),
            ["ARTICLE_ID", "--file", "--save", "--min-score", "JSON", "extracted"],
            id="extract",
        ),
        pytest.param(("fetch",), ["URLS", "--actor", "fetch", "exit status"], id="fetch"),
        pytest.param(
            ("refresh",),
            ["ARTICLE_IDS", "--older-than", "1d", "cron", "version"],
            id="refresh",
        ),
        pytest.param(
            ("serve",),
            ["gunicorn", "--host", "--port", "--workers", "--threads", "--dev"],
            id="serve",
        ),
    ],
)
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_every_command_describes_itself_in_its_help(
    command: tuple[str, ...], phrases: list[str], flag: str
) -> None:
    result = invoke(*command, flag)
    name = " ".join(("claims-api", *command, flag))
    assert result.exit_code == 0, f"`{name}` exited {result.exit_code}: {result.output}"
    assert "Usage:" in result.stdout, f"`{name}` printed no usage line: {result.stdout!r}"
    missing = [phrase for phrase in phrases if phrase not in result.stdout]
    assert not missing, f"`{name}` does not mention {missing}: {result.stdout!r}"


def test_installed_claims_api_script_prints_its_help() -> None:
    script = Path(sys.executable).with_name("claims-api")
    if not script.exists():
        pytest.skip(f"the claims-api console script is not installed beside {sys.executable}")
    completed = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert completed.returncode == 0, f"claims-api --help failed: {completed.stderr}"
    assert "Usage: claims-api" in completed.stdout, completed.stdout


def test_db_current_reports_the_migrated_test_database_at_the_latest_migration(
    app: Flask, database_url: str
) -> None:
    result = invoke("db", "current", env={"DATABASE_URL": database_url})
    assert result.exit_code == 0, f"db current failed: {result.output}"
    lines = dict(line.split(":", 1) for line in result.stdout.splitlines() if ":" in line)
    current, latest = lines.get("current", "").strip(), lines.get("latest", "").strip()
    assert latest == migrations.head_revision(), f"latest is not the head: {result.stdout!r}"
    assert current == latest, f"the migrated database is not at the latest: {result.stdout!r}"


def test_db_upgrade_of_an_up_to_date_database_leaves_it_at_the_latest_migration(
    app: Flask, database_url: str
) -> None:
    result = invoke("db", "upgrade", env={"DATABASE_URL": database_url})
    assert result.exit_code == 0, f"db upgrade failed: {result.output}"
    assert f"database at {migrations.head_revision()}" in result.stderr, result.stderr
    with app.app_context():
        assert migrations.current_revision(db.engine) == migrations.head_revision()


# ------------------------------------------------------------ claims-api extract


def test_extract_file_prints_anchored_candidates_as_json(tmp_path: Path) -> None:
    body = "Ukraine is not a member of NATO. Around 130,000 Russian troops are on the border."
    text_file = tmp_path / "article.txt"
    text_file.write_text(body, encoding="utf-8")
    result = invoke("extract", "--file", str(text_file))
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)["items"]
    assert [item["kind"] for item in items] == ["membership", "quantity"], items
    for item in items:
        assert body[item["quote"]["start"] : item["quote"]["end"]] == item["quote"]["exact"]
    assert items[1]["quantity"]["value"] == 130000


def test_extract_article_id_saves_once_and_reports_existing_claims_after(
    client: FlaskClient, database_url: str
) -> None:
    article = create_article(client)
    env = {"DATABASE_URL": database_url}
    first = invoke("extract", str(article["id"]), "--save", env=env)
    assert first.exit_code == 0, first.output
    saved = json.loads(first.stdout)
    assert saved["saved"] == len(saved["items"]) > 0
    again = json.loads(invoke("extract", str(article["id"]), "--save", env=env).stdout)
    assert again["saved"] == 0 and {item["outcome"] for item in again["items"]} == {"exists"}
    revisions = check(client.get(f"/claims/{saved['items'][0]['claim_id']}/revisions"), 200)
    assert revisions["items"][0]["reason"] == "extracted"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "either ARTICLE_ID or --file"),
        (("1", "--file", "-"), "either ARTICLE_ID or --file"),
        (("--file", "-", "--save"), "needs ARTICLE_ID"),
    ],
)
def test_extract_refuses_ambiguous_arguments(args: tuple[str, ...], message: str) -> None:
    result = CliRunner().invoke(cli.main, ["extract", *args], input="text")
    assert result.exit_code == 2 and message in result.output, result.output


def test_extract_of_an_unknown_article_fails_with_a_message(app: Flask, database_url: str) -> None:
    result = invoke("extract", "999", env={"DATABASE_URL": database_url})
    assert result.exit_code == 1 and "no article 999" in result.output, result.output


def test_extract_of_an_article_in_another_language_says_so(
    client: FlaskClient, database_url: str
) -> None:
    article = create_article(client, url="https://example.org/fr", language="fr")
    result = invoke("extract", str(article["id"]), "--save", env={"DATABASE_URL": database_url})
    assert result.exit_code == 1 and "reads only en" in result.output, result.output


def test_extract_without_an_nlp_pipeline_says_so_and_fails(
    client: FlaskClient, database_url: str, no_nlp_pipeline: str, tmp_path: Path
) -> None:
    article = create_article(client)
    text_file = tmp_path / "article.txt"
    text_file.write_text("Around 130,000 Russian troops are on the border.", encoding="utf-8")
    env = {"DATABASE_URL": database_url}
    for args in ((str(article["id"]), "--save"), ("--file", str(text_file))):
        result = CliRunner().invoke(cli.main, ["extract", *args], env=env)
        assert result.exit_code == 1, result.output
        assert result.output == f"Error: {no_nlp_pipeline}\n", result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
    assert check(client.get(f"/articles/{article['id']}/claims"), 200)["items"] == []


# ------------------------------------------------------------ reads take no write lock


def test_an_export_in_progress_does_not_hold_up_an_api_writer(
    client: FlaskClient, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from claims_api.services import exports

    article = create_article(client)
    reading, release = threading.Event(), threading.Event()
    real_chunks = exports.export_chunks

    def paused_chunks(*args: Any, **kwargs: Any) -> Iterator[str]:
        """The real export, stopped inside its read transaction after the first line."""
        chunks = real_chunks(*args, **kwargs)
        yield next(chunks)
        reading.set()
        release.wait(GENEROUS_SECONDS)
        yield from chunks

    monkeypatch.setattr(exports, "export_chunks", paused_chunks)
    output = tmp_path / "export.jsonl"
    results: list[Result] = []
    exporter = threading.Thread(
        target=lambda: results.append(
            invoke("export", "-o", str(output), env={"DATABASE_URL": database_url})
        )
    )
    exporter.start()
    try:
        assert reading.wait(GENEROUS_SECONDS), "the export never began"
        started = time.monotonic()
        response = client.post(
            "/articles", json={"url": "https://example.org/during", "title": "T"}
        )
        elapsed = time.monotonic() - started
    finally:
        release.set()
        exporter.join(GENEROUS_SECONDS)
    assert response.status_code == 201, f"the writer waited for the export: {response.get_json()}"
    assert elapsed < BUSY_TIMEOUT_SECONDS, f"the write waited {elapsed:.1f} s for the export"
    assert results and results[0].exit_code == 0, results
    exported = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    urls = [record["article"]["url"] for record in exported if "article" in record]
    assert article["url"] in urls, exported

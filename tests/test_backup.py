"""`claims-api db backup` / `db restore`: a backup taken while writers write restores whole.

On PostgreSQL the commands run pg_dump and pg_restore: those runs are skipped
where the client tools are not installed (CI included), since the feature then
only says to install them.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from sqlalchemy import create_engine, make_url

from claims_api import cli, create_app, migrations
from claims_api.extensions import db
from tests.api.test_revisions import history
from tests.conftest import POSTGRES_URL, fresh_postgres_database
from tests.factories import check, client_for, create_article, create_claim, patch_claim
from tests.imports.helpers import pages
from tests.imports.test_round_trip import edited_article

GENEROUS_SECONDS = 60


def invoke(database_url: str, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(
        cli.main, ["db", *args], env={"DATABASE_URL": database_url, **(env or {})}
    )


@pytest.fixture
def pg_tools(dialect: str) -> None:
    if dialect == "postgresql" and not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not on PATH: the PostgreSQL backup commands cannot run")


@pytest.fixture
def other_database(dialect: str, tmp_path: Path) -> str:
    """An empty database of the test's kind, never migrated, to restore into."""
    if dialect == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    url = make_url(POSTGRES_URL)
    restored = url.set(database=f"{url.database}_restored")
    return fresh_postgres_database(restored.render_as_string(hide_password=False))


def app_on(url: str) -> Iterator[Flask]:
    restored = create_app({"TESTING": True, "DATABASE_URL": url})
    yield restored
    with restored.app_context():
        db.session.remove()
        db.engine.dispose()


class Writer(threading.Thread):
    """Creates claims and edits each once, over HTTP, until stopped; records what committed."""

    def __init__(self, app: Flask) -> None:
        super().__init__(daemon=True)
        self.client = client_for(app, "writer")
        self.article_id = create_article(self.client)["id"]
        self.stop = threading.Event()
        # (claim id, revision number, when its response came back: after the commit).
        self.committed: list[tuple[int, int, float]] = []
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                index = len(self.committed)
                claim = create_claim(self.client, self.article_id, text=f"Claim {index}.")
                self.committed.append((claim["id"], 1, time.monotonic()))
                edited = check(patch_claim(self.client, claim, text=f"Claim {index}, edited."), 200)
                self.committed.append((edited["id"], edited["revision"], time.monotonic()))
        except BaseException as error:  # the test reports it
            self.failure = error

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + GENEROUS_SECONDS
        while len(self.committed) < count and self.failure is None:
            assert time.monotonic() < deadline, f"the writer committed {len(self.committed)}"
            time.sleep(0.05)
        assert self.failure is None, f"the writer failed: {self.failure!r}"


def assert_consistent(restored: Flask) -> dict[int, dict[str, Any]]:
    """Every claim's revisions numbered 1..n, the latest snapshot equal to the claim; the claims."""
    reader = restored.test_client()
    claims = {claim["id"]: claim for claim in pages(reader, "/claims")}
    for claim_id, claim in claims.items():
        revisions = history(reader, claim_id)
        numbers = [revision["number"] for revision in revisions]
        assert numbers == list(range(1, len(numbers) + 1)), f"claim {claim_id}: {numbers}"
        assert revisions[-1]["snapshot"] == claim, f"claim {claim_id}: latest snapshot differs"
    return claims


def test_a_backup_taken_under_write_load_restores_every_row_committed_before_it(
    app: Flask, database_url: str, other_database: str, tmp_path: Path, pg_tools: None
) -> None:
    writer = Writer(app)
    writer.start()
    try:
        writer.wait_for(10)
        began = time.monotonic()
        result = invoke(database_url, "backup", str(tmp_path / "claims.backup"))
        ended = time.monotonic()
        assert result.exit_code == 0, result.output
        writer.wait_for(len(writer.committed) + 4)
    finally:
        writer.stop.set()
        writer.join(GENEROUS_SECONDS)
    during = [commit for commit in writer.committed if began < commit[2] < ended]
    assert during, "no write committed while the backup ran: it was not taken under load"

    result = invoke(other_database, "restore", str(tmp_path / "claims.backup"))
    assert result.exit_code == 0, result.output
    assert f"database at {migrations.head_revision()}" in result.output, result.output

    for restored in app_on(other_database):
        claims = assert_consistent(restored)
        before = [(claim_id, number) for claim_id, number, at in writer.committed if at < began]
        missing = [
            (claim_id, number)
            for claim_id, number in before
            if claims.get(claim_id, {}).get("revision", 0) < number
        ]
        assert not missing, f"committed before the backup began, not restored: {missing}"


def test_restore_refuses_a_database_that_holds_data_unless_forced(
    client: Any, database_url: str, other_database: str, tmp_path: Path, pg_tools: None
) -> None:
    article = create_article(client)
    backup = tmp_path / "claims.backup"
    assert invoke(database_url, "backup", str(backup)).exit_code == 0
    assert invoke(other_database, "restore", str(backup)).exit_code == 0

    refused = invoke(other_database, "restore", str(backup))
    assert refused.exit_code == 1, refused.output
    assert "already holds data" in refused.output and "--force" in refused.output, refused.output
    assert "Traceback" not in refused.output

    forced = invoke(other_database, "restore", "--force", str(backup))
    assert forced.exit_code == 0, forced.output
    for restored in app_on(other_database):
        articles = pages(restored.test_client(), "/articles")
        assert [item["id"] for item in articles] == [article["id"]], articles


def test_restore_refuses_a_file_that_is_not_a_backup(
    app: Flask, other_database: str, tmp_path: Path, pg_tools: None
) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database\n" * 100, encoding="utf-8")
    result = invoke(other_database, "restore", str(junk))
    assert result.exit_code == 1, result.output
    assert "not" in result.output and "backup" in result.output, result.output
    assert "Traceback" not in result.output


def test_a_backup_of_an_older_migration_is_upgraded_when_restored(tmp_path: Path) -> None:
    head = migrations.script_directory().get_revision(migrations.head_revision())
    assert head is not None and isinstance(head.down_revision, str)
    old = create_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    migrations.upgrade(old, head.down_revision)
    old.dispose()
    backup = tmp_path / "old.backup"
    assert invoke(f"sqlite:///{tmp_path / 'old.sqlite3'}", "backup", str(backup)).exit_code == 0

    restored_url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    result = invoke(restored_url, "restore", str(backup))
    assert result.exit_code == 0, result.output
    restored = create_engine(restored_url)
    try:
        assert migrations.current_revision(restored) == migrations.head_revision()
    finally:
        restored.dispose()


def test_backup_of_postgresql_without_pg_dump_says_what_to_install(
    app: Flask, database_url: str, dialect: str, tmp_path: Path
) -> None:
    if dialect != "postgresql":
        pytest.skip("SQLite backups need no tool")
    result = invoke(database_url, "backup", str(tmp_path / "b"), env={"PATH": str(tmp_path)})
    assert result.exit_code == 1, result.output
    assert "pg_dump is not on PATH" in result.output and "pg_dump -Fc" in result.output
    assert not (tmp_path / "b").exists()


def test_a_backup_into_a_missing_folder_fails_with_a_message(
    app: Flask, database_url: str, tmp_path: Path, pg_tools: None
) -> None:
    result = invoke(database_url, "backup", str(tmp_path / "missing" / "claims.backup"))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and len(result.output.splitlines()) == 1, result.output


def test_a_restore_gives_up_on_an_sqlite_database_another_connection_keeps_locked(
    client: Any, database_url: str, dialect: str, tmp_path: Path
) -> None:
    if dialect != "sqlite":
        pytest.skip("pg_restore waits on PostgreSQL's locks as any client does")
    create_article(client)
    backup = tmp_path / "claims.backup"
    assert invoke(database_url, "backup", str(backup)).exit_code == 0
    target = tmp_path / "busy.sqlite3"
    assert invoke(f"sqlite:///{target}", "restore", str(backup)).exit_code == 0
    holder = sqlite3.connect(target, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        result = invoke(f"sqlite:///{target}", "restore", "--force", str(backup))
        elapsed = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1, result.output
    assert "stop the server" in result.output, result.output
    assert elapsed < GENEROUS_SECONDS, f"the restore waited {elapsed:.0f} s"


def test_a_restored_backup_keeps_body_versions_aliases_and_anchors(
    app: Flask, database_url: str, other_database: str, tmp_path: Path, pg_tools: None
) -> None:
    edited_article(app)
    exported = client_for(app).get("/export").get_data(as_text=True)
    backup = tmp_path / "claims.backup"
    assert invoke(database_url, "backup", str(backup)).exit_code == 0

    result = invoke(other_database, "restore", str(backup))

    assert result.exit_code == 0, result.output
    for restored in app_on(other_database):
        again = client_for(restored).get("/export").get_data(as_text=True)
        assert again == exported, "the restored database exports differently"
        assert '"versions": [{"number": 1' in again and '"state": "orphaned"' in again, again


def test_a_restored_backup_keeps_relations_their_history_groups_and_entities(
    app: Flask, database_url: str, other_database: str, tmp_path: Path, pg_tools: None
) -> None:
    client = client_for(app)
    article = create_article(client)
    first, second, third = (
        create_claim(client, article["id"], key=f"c{index}", tags=[f"Tag {index}"])
        for index in range(3)
    )
    acme = check(client.post("/entities", json={"name": "Acme Corp", "kind": "organization"}), 201)
    check(client.post(f"/entities/{acme['id']}/aliases", json={"alias": "ACME"}), 201)
    (tagged,) = [item for item in pages(client, "/entities") if item["name"] == "Tag 0"]
    check(client.post(f"/entities/{tagged['id']}/merge", json={"into": acme["id"]}), 200)
    entities = pages(client, "/entities")
    linked = pages(client, f"/entities/{acme['id']}/claims")
    for other in (second, third):
        check(
            client.post(
                f"/claims/{first['id']}/relations",
                json={"claim_id": other["id"], "relation": "same", "note": "paraphrase"},
            ),
            201,
        )
    check(
        client.post(
            f"/claims/{first['id']}/relations",
            json={"claim_id": third["id"], "relation": "same", "decision": "rejected"},
        ),
        200,
    )
    relations = check(client.get(f"/claims/{first['id']}/relations"), 200)
    group = check(client.get(f"/claims/{second['id']}/group"), 200)
    backup = tmp_path / "claims.backup"
    assert invoke(database_url, "backup", str(backup)).exit_code == 0

    result = invoke(other_database, "restore", str(backup))

    assert result.exit_code == 0, result.output
    for restored in app_on(other_database):
        reader = client_for(restored)
        assert check(reader.get(f"/claims/{first['id']}/relations"), 200) == relations
        assert check(reader.get(f"/claims/{second['id']}/group"), 200) == group
        assert pages(reader, "/entities") == entities, "entities, aliases or merges were lost"
        assert pages(reader, f"/entities/{acme['id']}/claims") == linked

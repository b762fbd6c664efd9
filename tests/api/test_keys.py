"""API keys: issued by the CLI and by admins over /keys, stored only as a hash, refused once
expired or revoked, never shown again, never logged; who issued and revoked each is kept,
and the last usable admin key cannot be revoked. Rate limits: tests/api/test_auth_limits.py."""

from __future__ import annotations

import getpass
import hashlib
import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from claims_api import cli, create_app
from claims_api.errors import Conflict
from claims_api.extensions import db
from claims_api.models import ApiKey
from claims_api.services.keys import revoke_key
from tests.factories import bearer, check, client_for, create_article, issue_token


@pytest.fixture
def run(app: Flask, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``claims-api`` against the test database; the apps it builds are closed afterwards."""
    apps: list[Flask] = []

    def recording_create_app(*args: Any, **kwargs: Any) -> Flask:
        apps.append(create_app(*args, **kwargs))
        return apps[-1]

    monkeypatch.setattr(cli, "create_app", recording_create_app)

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli.main, list(args), env={"DATABASE_URL": database_url})

    yield invoke
    for built in apps:
        with built.app_context():
            db.engine.dispose()


def test_cli_prints_the_token_alone_on_stdout_and_it_works(app: Flask, run: Any) -> None:
    result = run("keys", "create", "--name", "alice", "--role", "contributor", "--expires", "30d")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert result.stdout == f"{token}\n" and token.startswith("ck_")
    assert "alice" in result.stderr and token not in result.stderr
    client = app.test_client()
    response = client.post(
        "/sources", json={"url": "https://example.org/cli"}, headers=bearer(token)
    )
    check(response, 201)
    with app.app_context():
        key = db.session.scalars(select(ApiKey)).one()
        assert key.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
        assert key.expires_at is not None and key.expires_at > datetime.now(UTC) + timedelta(
            days=29
        )


def test_cli_lists_and_revokes_keys_and_a_revoked_key_is_401(app: Flask, run: Any) -> None:
    token = run("keys", "create", "--name", "bob", "--role", "reviewer").stdout.strip()
    listed = run("keys", "list")
    assert listed.exit_code == 0, listed.output
    key_id, prefix, name, role, *_ = listed.stdout.splitlines()[0].split("\t")
    assert (key_id.isdigit(), name, role) == (True, "bob", "reviewer")
    assert token.startswith(prefix)
    assert token not in listed.stdout
    check(app.test_client().get("/claims", headers=bearer(token)), 200)
    assert run("keys", "revoke", prefix).exit_code == 0
    assert run("keys", "list").stdout.splitlines()[0].split("\t")[6] != "-"
    problem = check(app.test_client().get("/claims", headers=bearer(token)), 401)
    assert "revoked" in problem["detail"]
    assert run("keys", "revoke", "ck_nothing1").exit_code != 0
    assert run("keys", "create", "--name", "x", "--role", "boss").exit_code != 0
    assert (
        run("keys", "create", "--name", "x", "--role", "admin", "--expires", "soon").exit_code != 0
    )


def test_an_expired_key_is_401(app: Flask) -> None:
    token = issue_token(app, "old", "reader")
    with app.app_context():
        db.session.scalars(select(ApiKey)).one().expires_at = datetime.now(UTC) - timedelta(
            seconds=1
        )
        db.session.commit()
    response = app.test_client().get("/claims", headers=bearer(token))
    assert check(response, 401)["detail"] == "The API key has expired."
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    ["Bearer ck_AAAAAAAA_" + "A" * 43, "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer "],
)
def test_a_wrong_credential_is_401_with_a_challenge(app: Flask, header: str) -> None:
    response = app.test_client().get("/claims", headers={"Authorization": header})
    check(response, 401)
    assert (
        response.headers["WWW-Authenticate"] == 'Bearer realm="claims-api", error="invalid_token"'
    )


def test_a_token_with_a_real_prefix_but_wrong_secret_is_401(app: Flask) -> None:
    token = issue_token(app, "eve", "admin")
    forged = token[: token.rindex("_") + 1] + ("B" if token[-1] != "B" else "C") * 43
    check(app.test_client().get("/claims", headers=bearer(forged)), 401)


def test_admins_manage_keys_over_the_api(app: Flask, client: FlaskClient) -> None:
    response = client.post("/keys", json={"name": "carol", "role": "reviewer"})
    issued = check(response, 201)
    token = issued.pop("token")
    assert response.headers["Location"].endswith(f"/keys/{issued['id']}")
    assert token.startswith(issued["prefix"]) and issued["role"] == "reviewer"
    assert check(client.get(f"/keys/{issued['id']}"), 200) == issued
    assert issued in check(client.get("/keys"), 200)["items"]
    check(
        client.post(
            "/keys", json={"name": "x", "role": "reader", "expires_at": "2000-01-01T00:00:00Z"}
        ),
        422,
    )
    check(client_for(app, "rev", "reviewer").get("/keys"), 403)
    check(app.test_client().get("/claims", headers=bearer(token)), 200)
    assert client.delete(f"/keys/{issued['id']}").status_code == 204
    assert check(client.get(f"/keys/{issued['id']}"), 200)["revoked_at"] is not None
    check(app.test_client().get("/claims", headers=bearer(token)), 401)
    check(client.delete("/keys/999"), 404)


def test_the_key_name_is_the_actor_of_changes(app: Flask) -> None:
    client = client_for(app, "Dana Desk", "contributor")
    source = check(client.post("/sources", json={"url": "https://example.org/dana"}), 201)
    assert source["id"]
    article = create_article(client)
    claim = check(
        client.post(
            "/claims",
            json={
                "article_id": article["id"],
                "text": "A claim.",
                "kind": "other",
                "quote": {"exact": "Ukraine has not joined NATO"},
            },
            headers={"X-Actor": "someone-else"},
        ),
        201,
    )
    revision = check(client.get(f"/claims/{claim['id']}/revisions/1"), 200)
    assert revision["actor"] == "Dana Desk"


def test_no_token_or_hash_appears_in_responses_or_logs(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    response = client.post("/keys", json={"name": "secret-keeper", "role": "admin"})
    issued = check(response, 201)
    token = issued["token"]
    digest = hashlib.sha256(token.encode()).hexdigest()
    other = client_for(app, "other", "admin")
    bodies = [
        other.get("/keys").get_data(as_text=True),
        other.get(f"/keys/{issued['id']}").get_data(as_text=True),
        app.test_client().post("/sources", json={}, headers=bearer(token)).get_data(as_text=True),
        app.test_client().get("/claims", headers=bearer(token + "x")).get_data(as_text=True),
        app.test_client().get("/claims", headers=bearer(token[:-1])).get_data(as_text=True),
        other.get("/openapi.json").get_data(as_text=True),
    ]
    for body in bodies:
        assert token not in body and token[:-1] not in body and digest not in body
    assert token not in caplog.text and digest not in caplog.text and token[:-1] not in caplog.text
    assert "failed authentication" in caplog.text


def key_id(client: FlaskClient, name: str) -> int:
    keys = check(client.get("/keys"), 200)["items"]
    return next(key["id"] for key in keys if key["name"] == name)


def test_keys_record_who_issued_and_revoked_them(client: FlaskClient) -> None:
    issued = check(client.post("/keys", json={"name": "erin", "role": "reader"}), 201)
    assert (issued["issued_by"], issued["revoked_by"]) == ("tester", None)
    assert client.delete(f"/keys/{issued['id']}").status_code == 204
    shown = check(client.get(f"/keys/{issued['id']}"), 200)
    assert (shown["issued_by"], shown["revoked_by"]) == ("tester", "tester")
    listed = check(client.get("/keys"), 200)["items"]
    assert {"issued_by", "revoked_by"} <= set(listed[0])


def test_the_last_usable_admin_key_cannot_be_revoked_over_the_api(
    app: Flask, client: FlaskClient
) -> None:
    own = key_id(client, "tester")
    response = client.delete(f"/keys/{own}")
    problem = check(response, 409)
    assert response.mimetype == "application/problem+json"
    assert "last usable admin key" in problem["detail"]
    # An expired admin key is no way back into key management: it does not count.
    expired = check(client.post("/keys", json={"name": "old admin", "role": "admin"}), 201)
    with app.app_context():
        db.session.get(ApiKey, expired["id"]).expires_at = datetime.now(UTC) - timedelta(hours=1)
        db.session.commit()
    check(client.delete(f"/keys/{own}"), 409)
    assert client.delete(f"/keys/{expired['id']}").status_code == 204
    # With a second live admin, either may go.
    spare = check(client.post("/keys", json={"name": "spare", "role": "admin"}), 201)
    assert client.delete(f"/keys/{own}").status_code == 204
    spare_client = app.test_client()
    spare_client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {spare['token']}"
    check(spare_client.delete(f"/keys/{spare['id']}"), 409)
    assert check(spare_client.get(f"/keys/{own}"), 200)["revoked_by"] == "tester"


def test_the_cli_records_its_user_refuses_the_last_admin_key_and_can_issue_another(
    app: Flask, run: Any
) -> None:
    actor = f"cli:{getpass.getuser()}"
    token = run("keys", "create", "--name", "root admin", "--role", "admin").stdout.strip()
    refused = run("keys", "revoke", token[:11])
    assert refused.exit_code != 0 and "last usable admin key" in refused.output
    assert run("keys", "create", "--name", "new admin", "--role", "admin").exit_code == 0
    assert run("keys", "revoke", token[:11]).exit_code == 0
    rows = [line.split("\t") for line in run("keys", "list").stdout.splitlines()]
    assert [row[2] for row in rows] == ["root admin", "new admin"]
    assert rows[0][7:] == [actor, actor] and rows[1][7:] == [actor, "-"]
    check(app.test_client().get("/keys", headers=bearer(token)), 401)


def test_two_admins_revoking_each_other_at_once_cannot_both_succeed(
    app: Flask, dialect: str
) -> None:
    """The first revocation holds the admin keys' row locks; the second waits for them and
    then sees one usable admin key left. Without the lock it would read both as usable."""
    if dialect != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE: there is no overlap")
    issue_token(app, "ann", "admin")
    issue_token(app, "ben", "admin")
    with app.app_context():
        ann, ben = (
            db.session.scalars(select(ApiKey.id).where(ApiKey.name == name)).one()
            for name in ("ann", "ben")
        )
    outcome: dict[str, Any] = {}

    def ben_revokes_ann() -> None:
        with app.app_context():
            try:
                revoke_key(ann, revoked_by="ben")
                db.session.commit()
                outcome["ben"] = "revoked"
            except Conflict:
                db.session.rollback()
                outcome["ben"] = "conflict"

    with app.app_context():
        revoke_key(ben, revoked_by="ann")  # holds the locks until the commit below
        second = threading.Thread(target=ben_revokes_ann)
        second.start()
        deadline = time.monotonic() + 60
        while not outcome and not waiting_for_a_lock(app) and time.monotonic() < deadline:
            time.sleep(0.05)
        db.session.commit()
    second.join(timeout=120)
    assert outcome == {"ben": "conflict"}
    with app.app_context():
        revoked = db.session.scalars(select(ApiKey.name).where(ApiKey.revoked_at.is_not(None)))
        assert list(revoked) == ["ben"]


def waiting_for_a_lock(app: Flask) -> bool:
    """Whether a session of this database is waiting for a row lock."""
    with app.app_context(), db.engine.connect() as connection:
        waiting = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar_one()
    return bool(waiting)

"""The real server: `claims-api serve` in its own process, driven over HTTP."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask

from tests.e2e.helpers import CLAIMS_API, running_server
from tests.factories import seed_document


@pytest.fixture
def server(app: Flask, database_url: str, tmp_path: Path) -> Iterator[str]:
    """A gunicorn server on a free port, on the test database (migrated by ``app``)."""
    with running_server(database_url, tmp_path / "server.log") as base:
        yield base


def create_key(database_url: str, name: str, role: str) -> str:
    """`claims-api keys create`, as the README runs it: the token is all it prints."""
    completed = subprocess.run(
        [CLAIMS_API, "keys", "create", "--name", name, "--role", role],
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    token = completed.stdout.strip()
    assert completed.stdout == f"{token}\n" and token.startswith("ck_"), completed.stdout
    return token


def test_readme_walkthrough_over_http(server: str, database_url: str) -> None:
    session = requests.Session()
    alice = {"Authorization": f"Bearer {create_key(database_url, 'alice', 'contributor')}"}
    bob = {"Authorization": f"Bearer {create_key(database_url, 'bob', 'reviewer')}"}
    article_fields = {
        key: value for key, value in seed_document()["article"].items() if value is not None
    }
    refused = session.post(f"{server}/articles", json=article_fields)
    assert refused.status_code == 401, refused.text
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    article = session.post(f"{server}/articles", json=article_fields, headers=alice)
    assert article.status_code == 201, article.text
    article_id = article.json()["id"]

    created = session.post(
        f"{server}/claims",
        json={
            "article_id": article_id,
            "text": "Ukraine is not a member of NATO.",
            "kind": "membership",
            "quote": {"exact": "Ukraine has not joined NATO"},
            "membership": {"member": "Ukraine", "organization": "NATO", "relation": "not_member"},
            "tags": ["NATO", "Ukraine"],
        },
        headers=alice,
    )
    assert created.status_code == 201, created.text
    claim_url = f"{server}/claims/{created.json()['id']}"

    listed = session.get(f"{server}/articles/{article_id}/claims")
    assert [item["id"] for item in listed.json()["items"]] == [created.json()["id"]]

    stale = session.patch(claim_url, json={"priority": 1}, headers={"If-Match": '"0"', **alice})
    assert stale.status_code == 412
    assert stale.headers["Content-Type"] == "application/problem+json"

    edited = session.patch(
        claim_url,
        json={"priority": 1, "reason": "front-page claim"},
        headers={"If-Match": created.headers["ETag"], **alice},
    )
    assert edited.status_code == 200, edited.text
    assert edited.headers["ETag"] == '"2"'

    queue = session.get(f"{server}/review-queue?sort=priority", headers=bob).json()["items"]
    assert [item["id"] for item in queue] == [created.json()["id"]]
    reviewed = session.post(
        f"{claim_url}/reviews",
        json={"status": "in_review", "reason": "picked up for review"},
        headers={"If-Match": edited.headers["ETag"], **bob},
    )
    assert reviewed.status_code == 201, reviewed.text
    assert reviewed.headers["ETag"] == '"3"'

    history = session.get(f"{claim_url}/revisions").json()["items"]
    assert [(item["number"], item["actor"], item["reason"]) for item in history] == [
        (3, "bob", "picked up for review"),
        (2, "alice", "front-page claim"),
        (1, "alice", None),
    ]

    assert session.get(f"{server}/openapi.json").json()["openapi"].startswith("3.")
    broken = session.post(
        f"{server}/claims",
        data="{not json",
        headers={"Content-Type": "application/json", **alice},
    )
    assert broken.status_code == 400
    assert "Traceback" not in broken.text


def test_a_server_without_an_nlp_pipeline_starts_and_extract_says_why(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    with running_server(database_url, log, env={"CLAIMS_NLP_MODEL": "no_such_pipeline"}) as base:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {create_key(database_url, 'eve', 'admin')}"
        article_fields = {
            key: value for key, value in seed_document()["article"].items() if value is not None
        }
        article = session.post(f"{base}/articles", json=article_fields, timeout=60)
        assert article.status_code == 201, article.text
        refused = session.post(f"{base}/articles/{article.json()['id']}/extract", timeout=60)
    assert refused.status_code == 503, refused.text
    assert refused.headers["Content-Type"] == "application/problem+json"
    problem = refused.json()
    assert problem["type"] == "urn:claims-api:problem:extraction-unavailable", problem
    assert "no_such_pipeline" in problem["detail"] and "CLAIMS_NLP_MODEL" in problem["detail"]
    assert "claim extraction is unavailable" in log.read_text(), log.read_text()[-2000:]
    assert "Traceback" not in log.read_text(), log.read_text()[-2000:]

"""The real server: `claims-api serve` in its own process, driven over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask

from tests.factories import seed_document


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(app: Flask, database_url: str, tmp_path: Path) -> Iterator[str]:
    """A gunicorn server on a free port, on the test database (migrated by ``app``)."""
    port = free_port()
    log = tmp_path / "server.log"
    # The console script installed beside this interpreter, as a user runs it.
    command = str(Path(sys.executable).with_name("claims-api"))
    with log.open("wb") as stderr:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [command, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
            env={**os.environ, "DATABASE_URL": database_url},
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                if requests.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not come up: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def test_readme_walkthrough_over_http(server: str) -> None:
    session = requests.Session()
    article_fields = {
        key: value for key, value in seed_document()["article"].items() if value is not None
    }
    article = session.post(f"{server}/articles", json=article_fields)
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
        headers={"X-Actor": "alice"},
    )
    assert created.status_code == 201, created.text
    claim_url = f"{server}/claims/{created.json()['id']}"

    listed = session.get(f"{server}/articles/{article_id}/claims")
    assert [item["id"] for item in listed.json()["items"]] == [created.json()["id"]]

    stale = session.patch(claim_url, json={"status": "in_review"}, headers={"If-Match": '"0"'})
    assert stale.status_code == 412
    assert stale.headers["Content-Type"] == "application/problem+json"

    edited = session.patch(
        claim_url,
        json={"status": "in_review", "reason": "picked up for review"},
        headers={"If-Match": created.headers["ETag"], "X-Actor": "bob"},
    )
    assert edited.status_code == 200, edited.text
    assert edited.headers["ETag"] == '"2"'

    history = session.get(f"{claim_url}/revisions").json()["items"]
    assert [(item["number"], item["actor"], item["reason"]) for item in history] == [
        (2, "bob", "picked up for review"),
        (1, "alice", None),
    ]

    assert session.get(f"{server}/openapi.json").json()["openapi"].startswith("3.")
    broken = session.post(
        f"{server}/claims", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    assert "Traceback" not in broken.text

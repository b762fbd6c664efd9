"""CORS from a real browser: a page on one loopback origin calls the API on another.

Debian's headless Chromium loads a page served here; the page's script calls the
real server (``claims-api serve``) with a bearer key, and posts what it could read
back to the page's own origin, where the test waits for it. Skipped where Chromium
is not installed (``.ci/run`` installs it). The CORS headers do not depend on the
database, so this runs on SQLite only.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import CLAIMS_API, running_server

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")

RESULT_DEADLINE_SECONDS = 90
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# The page's script: create an article, read it back, and make a stale edit, reading
# what a browser app needs of each answer (Location, ETag, the problem's members).
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>claims-api CORS test</title></head><body>
<script>
const api = %(api)s;
const auth = {"Authorization": "Bearer " + %(token)s};
const json = {...auth, "Content-Type": "application/json"};
async function run() {
  const created = await fetch(api + "/articles", {method: "POST", headers: json,
    body: JSON.stringify({url: "https://example.org/from-a-browser", title: "From a browser"})});
  const article = await created.json();
  const read = await fetch(api + "/articles/" + article.id, {headers: auth});
  const stale = await fetch(api + "/articles/" + article.id, {method: "PATCH",
    headers: {...json, "If-Match": '"999"', "X-Reason": "a stale edit"},
    body: JSON.stringify({title: "Changed"})});
  const problem = await stale.json();
  return {created: created.status, location: created.headers.get("Location"),
          read: read.status, etag: read.headers.get("ETag"),
          stale: stale.status, problem_type: problem.type};
}
function report(result) {
  fetch("/result", {method: "POST", body: JSON.stringify(result)});
}
run().then(report, (error) => report({error: String(error)}));
</script></body></html>
"""


class PageServer(ThreadingHTTPServer):
    """The test page on a loopback origin of its own; what the page reports goes to ``results``.

    The API's address is set once the API runs (it needs the page's origin first).
    """

    def __init__(self, token: str) -> None:
        super().__init__(("127.0.0.1", 0), PageHandler)
        self.token = token
        self.api = ""
        self.results: queue.Queue[dict[str, Any]] = queue.Queue()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class PageHandler(BaseHTTPRequestHandler):
    server: PageServer

    def do_GET(self) -> None:
        page = PAGE % {"api": json.dumps(self.server.api), "token": json.dumps(self.server.token)}
        body = page.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.results.put(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reports what matters."""


@contextmanager
def page_server(token: str) -> Iterator[PageServer]:
    server = PageServer(token)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def browse(url: str, results: queue.Queue[dict[str, Any]], tmp_path: Path) -> dict[str, Any]:
    """Open ``url`` in headless Chromium and wait for the page's result."""
    assert CHROMIUM is not None
    log = tmp_path / "chromium.log"
    with log.open("wb") as output:
        browser = subprocess.Popen(
            [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", url],
            stdout=output,
            stderr=output,
            start_new_session=True,
        )
    try:
        return results.get(timeout=RESULT_DEADLINE_SECONDS)
    except queue.Empty:
        pytest.fail(f"the page reported nothing: {log.read_text(errors='replace')[-2000:]}")
    finally:
        os.killpg(browser.pid, signal.SIGTERM)
        browser.wait(timeout=RESULT_DEADLINE_SECONDS)


def key_on(database_url: str) -> str:
    """Migrate a fresh database and issue a contributor key, as the README does."""
    env = {**os.environ, "DATABASE_URL": database_url}
    subprocess.run([CLAIMS_API, "db", "upgrade"], env=env, check=True, capture_output=True)
    created = subprocess.run(
        [CLAIMS_API, "keys", "create", "--name", "browser", "--role", "contributor"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return created.stdout.strip()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'claims.sqlite3'}"


def page_result(
    cors_origins: str | None, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """What the page could do against a server with ``cors_origins`` (None: the page's own)."""
    token = key_on(database_url)
    with page_server(token) as page:
        monkeypatch.setenv(
            "CLAIMS_CORS_ORIGINS", page.origin if cors_origins is None else cors_origins
        )
        with running_server(database_url, tmp_path / "server.log") as api:
            page.api = api
            return browse(page.origin, page.results, tmp_path)


def test_a_page_on_another_origin_uses_the_api_with_a_key(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = page_result(None, database_url, tmp_path, monkeypatch)
    assert "error" not in result, f"the browser refused the API's answers: {result}"
    assert result["created"] == 201 and result["location"], result
    assert result["read"] == 200 and result["etag"] == '"1"', result
    assert result["stale"] == 412, result
    assert result["problem_type"] == "urn:claims-api:problem:precondition-failed", result


def test_without_cors_origins_the_browser_refuses_the_answers(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = page_result("", database_url, tmp_path, monkeypatch)
    assert result.get("error", "").startswith("TypeError"), result

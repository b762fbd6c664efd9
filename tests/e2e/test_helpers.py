"""The wait for the real server tolerates a machine too busy to answer within a second."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.e2e.helpers import wait_until_healthy

SLOW_ANSWER_SECONDS = 1.5


class SlowHealth(BaseHTTPRequestHandler):
    """/health that answers 200 only after a pause, as a loaded machine does."""

    def do_GET(self) -> None:
        time.sleep(SLOW_ANSWER_SECONDS)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test's output quiet."""


@pytest.fixture
def slow_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowHealth)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_wait_until_healthy_waits_for_a_slow_answer(slow_server: str, tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text("", encoding="utf-8")
    # Stands for the server process: alive for as long as the wait lasts.
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        wait_until_healthy(slow_server, alive, log)
    finally:
        alive.kill()
        alive.wait()

"""Running the real server for end-to-end tests, patiently enough for a slow, busy machine."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

# A loaded CI machine can take tens of seconds to start gunicorn and its workers, and
# seconds to answer one request: wait long, and fail only when the server is really down.
STARTUP_DEADLINE_SECONDS = 60.0
REQUEST_TIMEOUT_SECONDS = 10.0
POLL_INTERVAL_SECONDS = 0.2

# The console script installed beside this interpreter, as a user runs it.
CLAIMS_API = str(Path(sys.executable).with_name("claims-api"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_server(
    database_url: str, log: Path, *, workers: int = 2, env: Mapping[str, str] | None = None
) -> Iterator[str]:
    """``claims-api serve`` on a free port and ``database_url`` (and settings ``env``);
    yields its base URL once ``/health`` answers 200, and stops the whole process group
    afterwards. Its standard error (gunicorn's and the access log) goes to ``log``."""
    port = free_port()
    command = [CLAIMS_API, "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as stderr:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [*command, "--workers", str(workers)],
            env={
                **os.environ,
                # Asynchronous uploads beside the log, not in the repository's instance folder.
                "CLAIMS_IMPORT_SPOOL_DIR": str(log.parent / "import-spool"),
                **(env or {}),
                "DATABASE_URL": database_url,
            },
            stdout=stderr,  # the access log too: tests grep it for credentials
            stderr=stderr,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, process, log)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=STARTUP_DEADLINE_SECONDS)


def wait_until_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll ``/health`` until it answers 200; fail with the server's log if the process
    exits or the deadline passes (a slow answer is a retry, not a failure)."""
    deadline = time.monotonic() + STARTUP_DEADLINE_SECONDS
    while True:
        try:
            health = requests.get(f"{base}/health", timeout=REQUEST_TIMEOUT_SECONDS)
            if health.status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        if process.poll() is not None:
            pytest.fail(f"the server exited ({process.returncode}): {log.read_text()[-2000:]}")
        if time.monotonic() > deadline:
            pytest.fail(
                f"the server did not answer /health within {STARTUP_DEADLINE_SECONDS:.0f} s: "
                f"{log.read_text()[-2000:]}"
            )
        time.sleep(POLL_INTERVAL_SECONDS)

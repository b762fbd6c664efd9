"""The OpenAPI document is the API the server runs: schemathesis, every check on.

schemathesis (its CLI, as client authors run it) drives the real server with
requests generated from /openapi.json, valid and invalid, in all its phases
(examples, coverage, fuzzing, and the stateful one that chains calls through
links), once with a key of each role, and finds no failure: every status,
content type, header and body is one the document lists for the operation.
``schemathesis.toml`` beside this file says which statuses are allowed where a
rule cannot be written in JSON Schema, and why.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from flask import Flask

from tests.e2e.helpers import running_server
from tests.factories import client_for, create_article, create_claim, issue_token

SCHEMATHESIS = str(Path(sys.executable).with_name("st"))
CONFIG = Path(__file__).with_name("schemathesis.toml")
ROLES = ("reader", "contributor", "reviewer", "admin")
# Cases per operation and phase: about two minutes per role on a busy CI machine.
MAX_EXAMPLES = os.environ.get("CLAIMS_CONTRACT_MAX_EXAMPLES", "5")
# Fixed, so that CI is reproducible; set CLAIMS_SCHEMATHESIS_SEED to explore others.
SEED = os.environ.get("CLAIMS_SCHEMATHESIS_SEED", "20261203")
RUN_TIMEOUT_SECONDS = 600
# One requester: schemathesis's workers are threads, and hypothesis parses lambdas'
# source while it draws, which on Python 3.11 can fail at random when two threads
# parse at once ("AST constructor recursion depth mismatch", CPython gh-106905).
WORKERS = os.environ.get("CLAIMS_CONTRACT_WORKERS", "1")
# Generated requests carry broken keys by design; the brake on guessing must not
# lock the fuzzer's own keys out of the API it is testing.
SERVER_SETTINGS = {"CLAIMS_AUTH_FAILURE_LIMIT": "1000000"}


def config_for(app: Flask, tmp_path: Path) -> Path:
    """The checked-in settings, with DELETE /keys/{key_id} pointed at a spare key: the
    admin's run would otherwise revoke the keys the other runs (and itself) use."""
    spare = issue_token(app, "spare", "reader")
    client = client_for(app)
    spare_id = next(
        key["id"]
        for key in client.get("/keys").get_json()["items"]
        if spare.startswith(key["prefix"])
    )
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        CONFIG.read_text()
        + '\n[[operations]]\ninclude-name = "DELETE /keys/{key_id}"\n'
        + f"parameters = {{ key_id = {spare_id} }}\n"
    )
    return config


def test_schemathesis_finds_no_failure_with_a_key_of_each_role(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    client = client_for(app)
    article = create_article(client)
    create_claim(
        client, article["id"], sources=[{"url": "https://example.org/a", "stance": "supports"}]
    )
    config = config_for(app, tmp_path)
    tokens = {role: issue_token(app, f"schemathesis-{role}", role) for role in ROLES}
    failed = {}
    with running_server(database_url, tmp_path / "server.log", env=SERVER_SETTINGS) as base:
        for role, token in tokens.items():
            completed = subprocess.run(
                [
                    SCHEMATHESIS,
                    "--config-file",
                    str(config),
                    "run",
                    f"{base}/openapi.json",
                    "--checks",
                    "all",
                    "--phases",
                    "examples,coverage,fuzzing,stateful",
                    "--max-examples",
                    MAX_EXAMPLES,
                    "--seed",
                    SEED,
                    "--header",
                    f"Authorization: Bearer {token}",
                    "--no-color",
                    "--workers",
                    WORKERS,
                ],
                capture_output=True,
                text=True,
                cwd=tmp_path,  # its cache of crashes stays out of the repository
                timeout=RUN_TIMEOUT_SECONDS,
                check=False,
            )
            selected = re.search(r"Selected: (\d+)/(\d+)", completed.stdout)
            assert selected, completed.stdout[-3000:] + completed.stderr[-2000:]
            assert selected[1] == selected[2], f"operations left out: {selected[0]}"
            if completed.returncode != 0:
                failed[role] = completed.stdout[-6000:] + completed.stderr[-2000:]
    assert not failed, "\n\n".join(f"--- {role} ---\n{out}" for role, out in failed.items())

"""The README's shell examples, run as written against the real server on a fresh database.

Every ```sh block of README.md runs with bash, in the README's order, in one working
directory, on a fresh database: the quick start's `claims-api db upgrade && claims-api
seed`, then the walkthrough, the bulk import and export, the extraction. `curl` fails
on any 4xx or 5xx answer (`--fail-with-body`), and each block must exit 0. Shell
variables carry from one block to the next (the keys the walkthrough issues), as they
do in the reader's shell.

The only changes to what the README says are these: `localhost:8000` becomes the test
server's port, and the commands in ``DONE_BY_THE_TEST`` are left out because the test
does them itself. The files the examples name are put in the working directory first
(``example_files``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import make_url

from tests.conftest import POSTGRES_URL, fresh_postgres_database
from tests.e2e.helpers import CLAIMS_API, running_server
from tests.factories import seed_document
from tests.imports.helpers import REVIEWS, border_document, embassy_document, html_page, jsonl

README = Path(__file__).resolve().parents[2] / "README.md"
README_PORT = "localhost:8000"
SERVE = "claims-api serve --port 8000"

# Commands of the README's blocks that the test does not run, and why.
DONE_BY_THE_TEST = {
    "python3 -m venv .venv": "the test runs in the virtualenv the suite was installed in",
    ". .venv/bin/activate": "the same",
    "pip install -e .": "the same",
    "pip install -e '.[test]'": "the same",
    "pytest": "the suite is what runs this test",
    SERVE: "the test serves on a free port (running_server) and waits for /health",
}

# A block for the reader's own Docker engine: none runs here.
NEEDS_DOCKER = re.compile(r"^\s*docker\b", re.MULTILINE)

# Each block runs in its own bash, after the variables of the blocks before it;
# `set -a` exports what the block assigns so that `export -p` hands it to the next.
PREAMBLE = """\
set -euo pipefail
curl() { command curl --fail-with-body --show-error --max-time 60 "$@"; }
. "$README_STATE"
set -a
"""
EPILOGUE = """
set +a
export -p > "$README_STATE"
"""

TIMEOUT_SECONDS = 300


def sh_blocks(markdown: str) -> list[str]:
    """The bodies of the ```sh fenced blocks, in order."""
    return re.findall(r"^```sh\n(.*?)^```$", markdown, flags=re.MULTILINE | re.DOTALL)


def without_commands_done_by_the_test(block: str) -> str:
    """The block less the commands of ``DONE_BY_THE_TEST`` (steps of an `&&` chain
    included); what is left of a chain stays chained."""
    lines = []
    for line in block.splitlines():
        steps = [step.strip() for step in line.split(" && ")]
        kept = [step for step in steps if step not in DONE_BY_THE_TEST]
        if kept:
            lines.append(" && ".join(kept) if len(steps) > 1 else line)
    return "\n".join(lines)


def example_files(directory: Path) -> None:
    """The inputs the README's examples name, in the working directory where they run."""
    (directory / "reviews.html").write_text(
        html_page(*(review for review, _ in REVIEWS)), encoding="utf-8"
    )
    (directory / "feed.jsonld").write_text(
        json.dumps(
            {
                "@context": "https://schema.org",
                "@type": "DataFeed",
                "dataFeedElement": [review for review, _ in REVIEWS],
            }
        ),
        encoding="utf-8",
    )
    (directory / "more").mkdir()
    (directory / "more" / "border.jsonl").write_text(jsonl([border_document()]), "utf-8")
    (directory / "batch-7.jsonl").write_text(jsonl([embassy_document()]), encoding="utf-8")
    (directory / "article.txt").write_text(seed_document()["article"]["body"], "utf-8")


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database nobody has migrated yet, as on a fresh install."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'claims.sqlite3'}"
    url = make_url(POSTGRES_URL)
    return fresh_postgres_database(
        url.set(database=f"{url.database}_readme").render_as_string(hide_password=False)
    )


def test_readme_blocks_are_what_the_test_runs() -> None:
    blocks = sh_blocks(README.read_text(encoding="utf-8"))
    assert blocks, "README.md has no ```sh block"
    assert any(SERVE in block for block in blocks), f"the quick start no longer runs {SERVE!r}"
    assert "claims-api db upgrade && claims-api seed" in without_commands_done_by_the_test(
        blocks[0]
    ), "the quick start's first block should migrate and seed"


def test_every_readme_example_works_as_written(empty_database_url: str, tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    example_files(workdir)
    state = tmp_path / "state.sh"
    state.write_text("", encoding="utf-8")
    env = {
        **os.environ,
        "DATABASE_URL": empty_database_url,
        "PATH": f"{Path(CLAIMS_API).parent}{os.pathsep}{os.environ['PATH']}",
        "README_STATE": str(state),
    }
    ran = 0
    with ExitStack() as stack:
        base: str | None = None
        for number, block in enumerate(sh_blocks(README.read_text(encoding="utf-8")), 1):
            if NEEDS_DOCKER.search(block):
                continue
            script = without_commands_done_by_the_test(block)
            if README_PORT in script:
                assert base, f"block {number} talks to the server before the README starts it"
                script = script.replace(README_PORT, urlsplit(base).netloc)
            if script.strip():
                completed = subprocess.run(
                    ["bash", "-c", PREAMBLE + script + EPILOGUE],
                    cwd=workdir,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=TIMEOUT_SECONDS,
                    check=False,
                )
                assert completed.returncode == 0, (
                    f"README block {number} failed ({completed.returncode}):\n{block}\n"
                    f"--- stdout\n{completed.stdout[-3000:]}\n"
                    f"--- stderr\n{completed.stderr[-3000:]}"
                )
                ran += 1
            if SERVE in block:
                base = stack.enter_context(running_server(empty_database_url, tmp_path / "log"))
    assert base, "no README block started the server"
    assert ran >= 8, f"only {ran} README blocks ran"

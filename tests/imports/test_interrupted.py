"""An import killed mid-way leaves the database as before; running it again completes it.

`claims-api import` runs as a real process on a generated corpus and is killed with
SIGKILL (no cleanup, no rollback by the process itself) while it is reading the file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from benchmarks.corpus import write_jsonl
from claims_api.extensions import db
from claims_api.models import Claim, Revision
from tests.imports.helpers import row_counts

ARTICLES, CLAIMS_PER_ARTICLE = 300, 20
TOTAL = ARTICLES * CLAIMS_PER_ARTICLE
# Kill once this share of the file has been read: past the first batch of 5,000 claims
# (83 % of the file), so rows have been sent but not committed.
KILL_AT = 0.88
TIMEOUT = 60.0


def console_script() -> Path:
    script = Path(sys.executable).parent / "claims-api"
    if not script.is_file():
        pytest.fail(f"the claims-api console script is not installed next to {sys.executable}")
    return script


def read_position(pid: int, path: Path) -> int | None:
    """How far process ``pid`` has read the file at ``path`` (None until it has it open)."""
    folder = Path(f"/proc/{pid}")
    try:
        for descriptor in (folder / "fd").iterdir():
            if os.readlink(descriptor) == str(path):
                fdinfo = (folder / "fdinfo" / descriptor.name).read_text()
                return int(fdinfo.split("pos:", 1)[1].split()[0])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return None


def start_import(path: Path, database_url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.Popen(
        [str(console_script()), "import", str(path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def kill_while_reading(process: subprocess.Popen[bytes], path: Path) -> int:
    """SIGKILL ``process`` once it has read KILL_AT of ``path``; how far it had read."""
    size = path.stat().st_size
    deadline = time.monotonic() + TIMEOUT
    position = None
    while time.monotonic() < deadline:
        assert process.poll() is None, (
            f"the import finished (exit {process.returncode}) before it could be interrupted: "
            f"read {position} of {size} bytes; make the corpus larger"
        )
        position = read_position(process.pid, path)
        if position is not None and position >= KILL_AT * size:
            break
        time.sleep(0.005)
    else:
        process.kill()
        pytest.fail(f"the import did not read {KILL_AT:.0%} of the file within {TIMEOUT} s")
    process.send_signal(signal.SIGKILL)
    process.wait(TIMEOUT)
    assert process.returncode == -signal.SIGKILL, (
        f"the import was not killed while running (exit {process.returncode})"
    )
    return position or 0


def revision_numbers(app: Flask) -> tuple[int, int, int, int]:
    """(claims, revisions, claims whose only revision is number 1, distinct (article, key))."""
    with app.app_context():
        claims = db.session.scalar(select(func.count()).select_from(Claim)) or 0
        revisions = db.session.scalar(select(func.count()).select_from(Revision)) or 0
        first_only = (
            db.session.scalar(
                select(func.count())
                .select_from(Claim)
                .join(Revision, Revision.claim_id == Claim.id)
                .where(Claim.revision == 1, Revision.number == 1)
            )
            or 0
        )
        keys = (
            db.session.scalar(
                select(func.count()).select_from(
                    select(Claim.article_id, Claim.key).distinct().subquery()
                )
            )
            or 0
        )
        db.session.remove()
    return claims, revisions, first_only, keys


def test_killed_import_leaves_nothing_and_a_rerun_completes_it(
    app: Flask, database_url: str, dialect: str, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "corpus.jsonl", ARTICLES, CLAIMS_PER_ARTICLE)

    process = start_import(path, database_url)
    try:
        read = kill_while_reading(process, path)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(TIMEOUT)
        if process.stderr is not None:
            process.stderr.close()

    if dialect == "postgresql":
        # Ids are drawn from the sequence outside the transaction: proof that the killed
        # process had sent its first batch of rows, which then vanished with it.
        with app.app_context():
            taken = db.session.scalar(text("SELECT last_value FROM claims_id_seq"))
            db.session.remove()
        assert taken >= 5000, f"the kill came before any rows were sent ({taken} ids taken)"

    after_kill = row_counts(app)
    assert after_kill == dict.fromkeys(after_kill, 0), (
        f"the killed import (after reading {read} of {path.stat().st_size} bytes) "
        f"left rows behind: {after_kill}"
    )

    rerun = subprocess.run(
        [str(console_script()), "import", str(path)],
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        timeout=TIMEOUT * 2,
        check=False,
    )

    assert rerun.returncode == 0, rerun.stderr.decode()[-2000:]
    assert f"claims {TOTAL} created" in rerun.stderr.decode(), rerun.stderr.decode()[-2000:]
    claims, revisions, first_only, keys = revision_numbers(app)
    assert claims == keys == TOTAL, f"expected each of {TOTAL} claims once: {claims} ({keys} keys)"
    assert revisions == first_only == TOTAL, (
        f"expected exactly revision 1 of each claim: {revisions} revisions, {first_only} first"
    )
    assert row_counts(app)["articles"] == ARTICLES

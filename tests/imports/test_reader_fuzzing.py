"""Every import reader on adversarial files and generated inputs, in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_no_input_crashes_or_breaks_a_reader(repo_root: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "tests.imports.fuzz_readers"],
        cwd=repo_root,
        env={**os.environ, "PYTHONFAULTHANDLER": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, (
        f"the readers failed (exit {completed.returncode}): {completed.stderr[-4000:]}"
    )

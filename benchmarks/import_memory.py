"""Peak memory of `claims-api import` on large files of every shape.

    python -m benchmarks.import_memory [--size-mib 256] [--folder DIR]

Generates files of about ``--size-mib`` each: many records (JSON Lines and a
JSON array of article documents) and one giant record (a JSON object, the item
of a JSON array, a JSON Lines line and an HTML script block, each holding one
article whose body is the whole size). Runs `claims-api import --dry-run` on
each, and a real import of the many-records JSON Lines file into a fresh SQLite
database, each in a child process, and prints its peak RSS (ru_maxrss of that
child alone). Giant records are over IMPORT_MAX_RECORD_BYTES and must be
reported, not read. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from benchmarks.corpus import article_documents

# Measures one command in a child of its own, so each figure is that command's peak.
MEASURE = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def write_many(path: Path, size: int, array: bool) -> None:
    with path.open("w", encoding="utf-8") as output:
        output.write("[" if array else "")
        for index, document in enumerate(article_documents(10**7, 20)):
            if output.tell() >= size:
                break
            text = json.dumps(document, ensure_ascii=False)
            output.write(("," if index else "") + text if array else text + "\n")
        output.write("]" if array else "")


def write_giant(output: IO[str], size: int) -> None:
    """One article document whose body is ``size`` characters, written in pieces."""
    output.write('{"article": {"url": "https://example.org/giant", "title": "Giant", "body": "')
    piece = "All work and no play. " * 4096
    written = 0
    while written < size:
        output.write(piece)
        written += len(piece)
    output.write('"}, "claims": []}')


def giant_file(prefix: str, suffix: str) -> Callable[[Path, int], None]:
    def write(path: Path, size: int) -> None:
        with path.open("w", encoding="utf-8") as output:
            output.write(prefix)
            write_giant(output, size)
            output.write(suffix)

    return write


SHAPES: dict[str, Callable[[Path, int], None]] = {
    "many-records.jsonl": lambda path, size: write_many(path, size, array=False),
    "many-records.json": lambda path, size: write_many(path, size, array=True),
    "giant-record.json": giant_file("", ""),
    "giant-item.json": giant_file("[", "]"),
    "giant-line.jsonl": giant_file("", "\n"),
    "giant-script.html": giant_file(
        '<html><body><script type="application/ld+json">', "</script></body></html>"
    ),
}


def peak_rss(command: list[str], env: dict[str, str]) -> tuple[int, float, str]:
    """The exit status, peak RSS in MB and seconds of ``command``."""
    started = time.monotonic()
    measured = subprocess.run(
        [sys.executable, "-c", MEASURE, *command],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    seconds = time.monotonic() - started
    return int(measured[0]), int(measured[1]) / 1024, f"{seconds:.0f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--folder", type=Path, default=None, help="Keep the files here.")
    options = parser.parse_args()
    size = options.size_mib * 1024 * 1024
    folder = options.folder or Path(tempfile.mkdtemp(prefix="import-memory-"))
    folder.mkdir(parents=True, exist_ok=True)
    command = str(Path(sys.executable).with_name("claims-api"))
    database = folder / "claims.sqlite3"
    database.unlink(missing_ok=True)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    subprocess.run([command, "db", "upgrade"], env=env, check=True, capture_output=True)

    print(f"{'file':<22} {'MiB':>5} {'run':<8} {'exit':>4} {'peak RSS MB':>12} {'time':>7}")
    runs = [(name, ["--dry-run"]) for name in SHAPES] + [("many-records.jsonl", [])]
    for name, flags in runs:
        path = folder / name
        if not path.exists() or path.stat().st_size < size:
            SHAPES[name](path, size)
        status, peak, seconds = peak_rss([command, "import", *flags, str(path)], env)
        run = "dry-run" if flags else "import"
        mib = path.stat().st_size / 1024 / 1024
        print(f"{name:<22} {mib:>5.0f} {run:<8} {status:>4} {peak:>12.0f} {seconds:>7}")


if __name__ == "__main__":
    main()

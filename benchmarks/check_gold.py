"""Check that gold files are well formed, so a score never rests on a broken anchor.

Run: ``python -m benchmarks.check_gold [files...]`` from the repository root; with no
arguments it checks ``tests/gold``, the seed and every file under
``benchmarks/data/extraction``. Each document must validate against
``docs/seed-format.schema.json``, and every claim's quote must equal the body at its
offsets, with prefix and suffix the 32 characters around it. Exits 1 on any error.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "docs" / "seed-format.schema.json"
CONTEXT = 32
STRUCTURED = ("quantity", "membership", "statement")


def default_files() -> list[Path]:
    data = ROOT / "benchmarks" / "data" / "extraction"
    return [
        ROOT / "seeds" / "000_china-urges-calm.json",
        *sorted((ROOT / "tests" / "gold").glob("*.json")),
        *sorted(path for path in data.rglob("*.json") if path.name != "sources.json"),
    ]


def errors_in(document: dict[str, Any], validator: Draft202012Validator) -> Iterable[str]:
    for error in validator.iter_errors(document):
        yield f"schema: {'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
    body = document["article"]["body"]
    keys: set[str] = set()
    for index, claim in enumerate(document["claims"]):
        where = f"claim {index} ({claim.get('key')})"
        if claim["key"] in keys:
            yield f"{where}: duplicate key"
        keys.add(claim["key"])
        quote = claim["quote"]
        start, end = quote["start"], quote["end"]
        if body[start:end] != quote["exact"]:
            yield f"{where}: body[{start}:{end}] != exact"
        if quote.get("prefix") != body[max(0, start - CONTEXT) : start]:
            yield f"{where}: prefix does not match the body"
        if quote.get("suffix") != body[end : end + CONTEXT]:
            yield f"{where}: suffix does not match the body"
        kind = claim["kind"]
        if kind in STRUCTURED and not claim.get(kind):
            yield f"{where}: kind {kind} without its {kind} object"
        for other in STRUCTURED:
            if other != kind and other in claim:
                yield f"{where}: kind {kind} carries a {other} object"


def main(argv: list[str]) -> int:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    files = [Path(arg) for arg in argv] or default_files()
    failed = claims = 0
    for path in files:
        document = json.loads(path.read_text(encoding="utf-8"))
        claims += len(document["claims"])
        for error in errors_in(document, validator):
            failed += 1
            print(f"{path.relative_to(ROOT) if path.is_absolute() else path}: {error}")
    print(f"{len(files)} files, {claims} claims, {failed} errors")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

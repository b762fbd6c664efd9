"""The extraction benchmark's gold data: well formed, anchored, and as large as issue 11 asks."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from benchmarks.check_gold import SCHEMA, default_files, errors_in

DATA = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "extraction"


def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@pytest.mark.parametrize("path", default_files(), ids=lambda path: path.name)
def test_every_quote_equals_the_body_at_its_offsets(path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    assert list(errors_in(document, validator())) == []


def test_every_benchmark_file_has_its_source_and_licence_recorded() -> None:
    sources = json.loads((DATA / "sources.json").read_text(encoding="utf-8"))
    files = {
        str(path.relative_to(DATA))
        for split in ("dev", "heldout")
        for path in (DATA / split).glob("*.json")
    }
    assert set(sources) == files
    for entry in sources.values():
        assert entry["url"] and entry["licence"] and entry["obtained_from"]["commit"]


@pytest.mark.parametrize(("split", "least"), [("heldout", 300), ("dev", 150)])
def test_each_set_is_large_and_from_three_outlets(split: str, least: int) -> None:
    sources = json.loads((DATA / "sources.json").read_text(encoding="utf-8"))
    claims: dict[str, int] = defaultdict(int)
    for name, entry in sources.items():
        if name.startswith(f"{split}/"):
            document = json.loads((DATA / name).read_text(encoding="utf-8"))
            claims[entry["outlet"]] += len(document["claims"])
    assert sum(claims.values()) >= least
    assert len(claims) >= 3


def test_the_second_annotation_covers_a_hundred_held_out_claims_of_the_same_bodies() -> None:
    gold = 0
    for path in (DATA / "heldout-second").glob("*.json"):
        second = json.loads(path.read_text(encoding="utf-8"))
        first = json.loads((DATA / "heldout" / path.name).read_text(encoding="utf-8"))
        assert second["article"]["body"] == first["article"]["body"]
        gold += len(first["claims"])
    assert gold >= 100

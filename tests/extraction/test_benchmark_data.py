"""The extraction benchmark's real-article gold: anchored, sourced, and as large as issue 11 asks.

The same checks as the project gold (tests/extraction/test_gold.py), applied to every file
under benchmarks/data/extraction, so no score rests on a quote that misses its body.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.test_seeds import quote_problems, schema_errors

DATA = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "extraction"
SPLITS = ("dev", "heldout", "heldout-second")
FILES = sorted(path for split in SPLITS for path in (DATA / split).glob("*.json"))
STRUCTURED = ("quantity", "membership", "statement")


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def sources() -> dict[str, dict[str, Any]]:
    return json.loads((DATA / "sources.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", FILES, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_benchmark_document_is_valid_and_every_quote_is_anchored(path: Path) -> None:
    document = load(path)
    errors = schema_errors(document) + quote_problems(document)
    errors += [
        f"claims[{index}] ({claim['key']}): no {claim['kind']} object"
        for index, claim in enumerate(document["claims"])
        if claim["kind"] in STRUCTURED and not claim.get(claim["kind"])
    ]
    assert not errors, f"{path.name}:\n" + "\n".join(errors)
    keys = [claim["key"] for claim in document["claims"]]
    assert len(keys) == len(set(keys)), f"{path.name} repeats a key"


def test_every_article_has_its_source_licence_and_provenance_recorded() -> None:
    recorded = sources()
    files = {
        f"{path.parent.name}/{path.name}" for path in FILES if path.parent.name != "heldout-second"
    }
    assert set(recorded) == files
    for name, entry in recorded.items():
        assert load(DATA / name)["article"]["url"] == entry["url"], name
        assert entry["licence"] and entry["obtained_from"]["commit"], name


@pytest.mark.parametrize(("split", "least"), [("heldout", 300), ("dev", 150)])
def test_each_set_is_large_enough_and_from_three_outlets(split: str, least: int) -> None:
    claims: Counter[str] = Counter()
    for name, entry in sources().items():
        if name.startswith(f"{split}/"):
            claims[entry["outlet"]] += len(load(DATA / name)["claims"])
    assert claims.total() >= least
    assert len(claims) >= 3


def test_the_second_annotation_covers_a_hundred_held_out_claims_of_the_same_bodies() -> None:
    gold = 0
    for path in (DATA / "heldout-second").glob("*.json"):
        first = load(DATA / "heldout" / path.name)
        assert load(path)["article"]["body"] == first["article"]["body"], path.name
        gold += len(first["claims"])
    assert gold >= 100

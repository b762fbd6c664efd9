"""The gold set: documents valid and anchored, and the extractor above its recorded floor."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.extraction import GOLD_FILES, Scores, evaluate, micro
from tests.test_seeds import quote_problems, schema_errors

# What the parse-based extractor (issue 11) achieved on them, less a margin: a change that
# loses claims or speakers fails here. The rule-based extractor before it scored 1.00 on
# these three (its rules were written from them) and 0.30 on the development set of real
# articles; the rewrite trades that fit for generalisation (dev: P 0.72, R 0.75). Measured:
#   000_china-urges-calm P 0.77 R 0.79 kind 0.82 speaker 0.89
#   wire-embassies       P 0.88 R 0.81 kind 0.81 speaker 1.00
#   briefing-geneva      P 0.83 R 0.95 kind 0.95 speaker 0.93
FLOORS = {
    "000_china-urges-calm": {"precision": 0.72, "recall": 0.74, "kind": 0.77, "speaker": 0.84},
    "wire-embassies": {"precision": 0.83, "recall": 0.76, "kind": 0.76, "speaker": 0.95},
    "briefing-geneva": {"precision": 0.78, "recall": 0.90, "kind": 0.90, "speaker": 0.88},
}


def gold(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda path: path.stem)
def test_gold_document_is_valid_and_every_quote_is_anchored(path: Path) -> None:
    document = gold(path)
    errors = schema_errors(document) + quote_problems(document)
    assert not errors, f"{path.name}:\n" + "\n".join(errors)
    keys = [claim["key"] for claim in document["claims"]]
    assert len(keys) == len(set(keys)), f"{path.name} repeats a key"


@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda path: path.stem)
def test_extraction_stays_above_its_floor_on_each_gold_article(path: Path) -> None:
    scores: Scores = evaluate(gold(path), path.stem)
    achieved = {
        "precision": scores.precision,
        "recall": scores.recall,
        "kind": scores.kind_accuracy,
        "speaker": scores.speaker_accuracy,
    }
    below = {
        name: f"{achieved[name]:.2f} < {floor:.2f}"
        for name, floor in FLOORS[path.stem].items()
        if achieved[name] < floor
    }
    assert not below, f"{path.stem} fell below its floor: {below} ({scores})"


def test_the_gold_set_as_a_whole_stays_above_its_micro_averaged_floor() -> None:
    totals = micro("gold", (evaluate(gold(path), path.stem) for path in GOLD_FILES))
    # Measured: P 0.82, R 0.84 (micro-averaged over the three articles).
    assert totals.precision >= 0.8 and totals.recall >= 0.78, totals

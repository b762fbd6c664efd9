"""How well claim extraction recovers the hand decompositions of the gold articles.

Run: ``python -m benchmarks.extraction`` from the repository root. Prints, per
article, precision and recall (a candidate matches a gold claim when their
quote spans overlap and their kinds agree; each is matched at most once),
kind accuracy (of the gold claims some candidate overlaps, the share where
one of those has the right kind) and speaker accuracy (of matched statements,
the share naming the gold speaker).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from claims_api.extraction import Candidate, Span, extract_claims

ROOT = Path(__file__).resolve().parents[1]
GOLD_FILES = (
    ROOT / "seeds" / "000_china-urges-calm.json",
    ROOT / "tests" / "gold" / "wire-embassies.json",
    ROOT / "tests" / "gold" / "briefing-geneva.json",
)


@dataclass(frozen=True)
class Scores:
    article: str
    gold: int
    candidates: int
    matched: int
    kind_accuracy: float
    speaker_accuracy: float

    @property
    def precision(self) -> float:
        return self.matched / self.candidates if self.candidates else 0.0

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 0.0


def _span(claim: dict[str, Any]) -> Span:
    return Span(claim["quote"]["start"], claim["quote"]["end"])


def _speaker_key(name: str | None) -> str:
    return re.sub(r"^the\s+|[^\w\s]", "", (name or "").lower()).strip()


def match(gold: Sequence[dict[str, Any]], found: Sequence[Candidate]) -> dict[int, int]:
    """A largest one-to-one matching, gold index → candidate index (augmenting paths)."""
    edges = [
        [
            index
            for index, candidate in enumerate(found)
            if candidate.kind.value == claim["kind"] and candidate.span.overlaps(_span(claim))
        ]
        for claim in gold
    ]
    owner: dict[int, int] = {}

    def augment(gold_index: int, seen: set[int]) -> bool:
        for candidate_index in edges[gold_index]:
            if candidate_index in seen:
                continue
            seen.add(candidate_index)
            if candidate_index not in owner or augment(owner[candidate_index], seen):
                owner[candidate_index] = gold_index
                return True
        return False

    for gold_index in range(len(gold)):
        augment(gold_index, set())
    return {gold_index: candidate_index for candidate_index, gold_index in owner.items()}


def evaluate(document: dict[str, Any], name: str) -> Scores:
    gold = document["claims"]
    found = extract_claims(document["article"]["body"])
    pairs = match(gold, found)
    overlapped = [
        claim for claim in gold if any(candidate.span.overlaps(_span(claim)) for candidate in found)
    ]
    right_kind = [
        claim
        for claim in overlapped
        if any(
            candidate.span.overlaps(_span(claim)) and candidate.kind.value == claim["kind"]
            for candidate in found
        )
    ]
    statements = [(gold[g], found[c]) for g, c in pairs.items() if gold[g]["kind"] == "statement"]
    right_speaker = [
        1
        for claim, candidate in statements
        if _speaker_key(claim["statement"]["speaker"])
        == _speaker_key((candidate.details or {}).get("speaker"))
    ]
    return Scores(
        article=name,
        gold=len(gold),
        candidates=len(found),
        matched=len(pairs),
        kind_accuracy=len(right_kind) / len(overlapped) if overlapped else 0.0,
        speaker_accuracy=len(right_speaker) / len(statements) if statements else 0.0,
    )


def evaluate_gold_set() -> list[Scores]:
    return [
        evaluate(json.loads(path.read_text(encoding="utf-8")), path.stem) for path in GOLD_FILES
    ]


def main() -> None:
    header = f"{'article':<24} {'gold':>4} {'found':>5} {'match':>5} {'prec':>5} {'recall':>6}"
    print(f"{header} {'kind':>5} {'speaker':>7}")
    for scores in evaluate_gold_set():
        print(
            f"{scores.article:<24} {scores.gold:>4} {scores.candidates:>5} {scores.matched:>5} "
            f"{scores.precision:>5.2f} {scores.recall:>6.2f} {scores.kind_accuracy:>5.2f} "
            f"{scores.speaker_accuracy:>7.2f}"
        )


if __name__ == "__main__":
    main()

"""How far two independent annotations of the same articles agree: the ceiling for any target.

Run: ``python -m benchmarks.annotation_agreement`` from the repository root. For every
file in ``benchmarks/data/extraction/heldout-second`` it compares that annotation (B)
with the held-out gold of the same article (A), using the benchmark's own rule
(``benchmarks.extraction.match``: overlapping quotes and the same kind, one to one),
and prints per article and micro-averaged:

- F1 between annotators (2 × matched / (claims in A + claims in B)), with B's
  precision and recall against A;
- kind agreement: of the claims of one annotation that some claim of the other
  overlaps, the share where an overlapping claim has the same kind (both ways);
- speaker agreement: of matched statements, the share naming the same speaker
  (the benchmark's speaker key).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.extraction import _speaker_key, match
from claims_api.extraction import Candidate, Span
from claims_api.models.vocabulary import ClaimKind

DATA = Path(__file__).resolve().parent / "data" / "extraction"
FIRST = DATA / "heldout"
SECOND = DATA / "heldout-second"


@dataclass(frozen=True)
class Agreement:
    article: str
    first: int
    second: int
    matched: int
    kind_overlapped: int
    kind_same: int
    statements: int
    same_speaker: int

    @property
    def f1(self) -> float:
        return 2 * self.matched / (self.first + self.second) if self.first + self.second else 0.0


def _candidates(claims: list[dict[str, Any]]) -> list[Candidate]:
    return [
        Candidate(
            kind=ClaimKind(claim["kind"]),
            text=claim["text"],
            span=Span(claim["quote"]["start"], claim["quote"]["end"]),
            details=claim.get(claim["kind"]),
        )
        for claim in claims
    ]


def _kind_counts(these: list[Candidate], those: list[Candidate]) -> tuple[int, int]:
    """(claims of ``these`` some claim of ``those`` overlaps, of which one has the same kind)."""
    overlapped = [c for c in these if any(o.span.overlaps(c.span) for o in those)]
    same = [
        c for c in overlapped if any(o.span.overlaps(c.span) and o.kind == c.kind for o in those)
    ]
    return len(overlapped), len(same)


def compare(name: str, first: list[dict[str, Any]], second: list[dict[str, Any]]) -> Agreement:
    first_candidates, second_candidates = _candidates(first), _candidates(second)
    pairs = match(first, second_candidates)
    a_overlapped, a_same = _kind_counts(first_candidates, second_candidates)
    b_overlapped, b_same = _kind_counts(second_candidates, first_candidates)
    statements = [
        (first[a], second[b]) for a, b in pairs.items() if first[a]["kind"] == "statement"
    ]
    same_speaker = sum(
        _speaker_key(x["statement"]["speaker"]) == _speaker_key(y["statement"]["speaker"])
        for x, y in statements
    )
    return Agreement(
        article=name,
        first=len(first),
        second=len(second),
        matched=len(pairs),
        kind_overlapped=a_overlapped + b_overlapped,
        kind_same=a_same + b_same,
        statements=len(statements),
        same_speaker=same_speaker,
    )


def compare_all() -> list[Agreement]:
    results = []
    for path in sorted(SECOND.glob("*.json")):
        second = json.loads(path.read_text(encoding="utf-8"))
        first = json.loads((FIRST / path.name).read_text(encoding="utf-8"))
        if first["article"]["body"] != second["article"]["body"]:
            raise SystemExit(f"{path.name}: the two annotations are of different bodies")
        results.append(compare(path.stem, first["claims"], second["claims"]))
    return results


def _ratio(part: int, whole: int) -> str:
    return f"{part / whole:.2f}" if whole else "  - "


HEADER = ("article", "A", "B", "match", "P(B)", "R(B)", "F1", "kind", "spkr")


def _row(cells: tuple[object, ...]) -> str:
    return f"{cells[0]!s:24}" + "".join(f" {cell!s:>5}" for cell in cells[1:])


def main() -> None:
    results = compare_all()
    fields = list(Agreement.__dataclass_fields__)[1:]
    total = Agreement("micro-average", *(sum(getattr(r, f) for r in results) for f in fields))
    print(_row(HEADER))
    for r in [*results, total]:
        print(
            _row(
                (
                    r.article,
                    r.first,
                    r.second,
                    r.matched,
                    _ratio(r.matched, r.second),
                    _ratio(r.matched, r.first),
                    f"{r.f1:.2f}",
                    _ratio(r.kind_same, r.kind_overlapped),
                    _ratio(r.same_speaker, r.statements),
                )
            )
        )


if __name__ == "__main__":
    main()

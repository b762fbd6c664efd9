"""How well claim extraction recovers hand decompositions of real and project articles.

Run: ``python -m benchmarks.extraction [--set dev|heldout|gold|all]`` from the
repository root (default ``all``). For every article of the chosen sets it prints
precision and recall (a candidate matches a gold claim when their quote spans
overlap and their kinds agree; each is matched at most once), kind accuracy (of
the gold claims some candidate overlaps, the share where one of those has the
right kind) and speaker accuracy (of matched statements, the share whose
candidate names the same person or body as the gold: full name or surname,
with or without role, or the acronym of the name), then the micro-average of
each set. Only candidates at or above the default ``min_score`` count.

With the development set it also prints perturbation figures: the same articles
with organisation names re-cased (NATO → Nato), quote marks restyled (straight
↔ curly, double → single) and speech verbs replaced by synonyms (said → stated,
told → informed, …), the gold quotes re-offset to the edited body; each line is
the change of the micro-averaged figures against the unedited set.

The held-out set (``benchmarks/data/extraction/heldout``) is for reporting only:
never run it while changing rules (see that folder's README).
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
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
DATA = ROOT / "benchmarks" / "data" / "extraction"
SETS: dict[str, Callable[[], list[Path]]] = {
    "dev": lambda: sorted((DATA / "dev").glob("*.json")),
    "gold": lambda: list(GOLD_FILES),
    "heldout": lambda: sorted((DATA / "heldout").glob("*.json")),
}


@dataclass(frozen=True)
class Scores:
    article: str
    gold: int
    candidates: int
    matched: int
    overlapped: int
    right_kind: int
    statements: int
    right_speaker: int

    @property
    def precision(self) -> float:
        return self.matched / self.candidates if self.candidates else 0.0

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 0.0

    @property
    def kind_accuracy(self) -> float:
        return self.right_kind / self.overlapped if self.overlapped else 0.0

    @property
    def speaker_accuracy(self) -> float:
        return self.right_speaker / self.statements if self.statements else 0.0

    def figures(self) -> dict[str, float]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "kind": self.kind_accuracy,
            "speaker": self.speaker_accuracy,
        }


def micro(name: str, scores: Iterable[Scores]) -> Scores:
    """The set's micro-average: every count summed over its articles."""
    rows = list(scores)
    return Scores(
        name,
        *(sum(getattr(row, field) for row in rows) for field in _COUNTS),
    )


_COUNTS = (
    "gold",
    "candidates",
    "matched",
    "overlapped",
    "right_kind",
    "statements",
    "right_speaker",
)


def _span(claim: dict[str, Any]) -> Span:
    return Span(claim["quote"]["start"], claim["quote"]["end"])


def _speaker_key(name: str | None) -> str:
    return re.sub(r"^the\s+|[^\w\s]", "", (name or "").lower()).strip()


def _initials(words: Sequence[str]) -> str:
    return "".join(word[0] for word in words if word not in {"of", "the", "and", "for"})


def same_speaker(gold: str | None, found: str | None) -> bool:
    """Whether two speaker names name the same person or body.

    Equal keys; one name's words all in the other's ("Wang" and "Wang Yi"; "Jens
    Stoltenberg" and "NATO Secretary General Jens Stoltenberg"); the same surname
    (last word) of two personal names; or one the acronym of the other ("KCNA").
    """
    a, b = _speaker_key(gold), _speaker_key(found)
    if not a or not b:
        return False
    if a == b:
        return True
    words_a, words_b = a.split(), b.split()
    if set(words_a) <= set(words_b) or set(words_b) <= set(words_a):
        return True
    if words_a[-1] == words_b[-1] and len(words_a[-1]) > 2:
        return True
    return (len(words_a) == 1 and words_a[0] == _initials(words_b)) or (
        len(words_b) == 1 and words_b[0] == _initials(words_a)
    )


def _speaker_agrees(claim: dict[str, Any], candidate: Candidate) -> bool:
    if claim["kind"] != "statement":
        return True
    return same_speaker(
        (claim.get("statement") or {}).get("speaker"), (candidate.details or {}).get("speaker")
    )


def match(gold: Sequence[dict[str, Any]], found: Sequence[Candidate]) -> dict[int, int]:
    """A largest one-to-one matching, gold index → candidate index (augmenting paths)."""
    # Candidates naming the gold speaker are tried first, so that two statements quoting
    # one span ("Both the district and the police said ...") pair with their own speakers.
    edges = [
        sorted(
            (
                index
                for index, candidate in enumerate(found)
                if candidate.kind.value == claim["kind"] and candidate.span.overlaps(_span(claim))
            ),
            key=lambda index, claim=claim: not _speaker_agrees(claim, found[index]),
        )
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


def candidates_of(document: dict[str, Any]) -> list[Candidate]:
    """What the extractor proposes for a gold document's article, at the default min_score."""
    article = document["article"]
    return extract_claims(
        article["body"],
        published_at=article.get("published_at"),
        authors=article.get("authors") or (),
    )


def score(document: dict[str, Any], name: str, found: Sequence[Candidate]) -> Scores:
    gold = document["claims"]
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
        if same_speaker(claim["statement"]["speaker"], (candidate.details or {}).get("speaker"))
    ]
    return Scores(
        article=name,
        gold=len(gold),
        candidates=len(found),
        matched=len(pairs),
        overlapped=len(overlapped),
        right_kind=len(right_kind),
        statements=len(statements),
        right_speaker=len(right_speaker),
    )


def evaluate(document: dict[str, Any], name: str) -> Scores:
    return score(document, name, candidates_of(document))


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def evaluate_set(name: str) -> list[Scores]:
    return [evaluate(load(path), path.stem) for path in SETS[name]()]


def evaluate_gold_set() -> list[Scores]:
    return evaluate_set("gold")


# --- Perturbations: the same articles, edited, with the gold re-offset ---------------------

Edit = tuple[str, Callable[[re.Match[str]], str]]


def perturbed(document: dict[str, Any], edits: Sequence[Edit]) -> dict[str, Any]:
    """``document`` with every edit applied to its body and each quote moved with its text.

    Each edit is a pattern and a replacement; a quote that starts or ends inside a
    replaced match takes that match's new bounds.
    """
    body: str = document["article"]["body"]
    pattern = re.compile(
        "|".join(f"(?P<e{index}>{source})" for index, (source, _) in enumerate(edits))
    )
    pieces: list[str] = []
    # (old start, old end, new start, new end) of each replaced match, in order.
    moved: list[tuple[int, int, int, int]] = []
    position = new_position = 0
    for found in pattern.finditer(body):
        replacement = next(
            replace(found)
            for index, (_, replace) in enumerate(edits)
            if found.group(f"e{index}") is not None
        )
        pieces.append(body[position : found.start()])
        new_position += found.start() - position
        moved.append((found.start(), found.end(), new_position, new_position + len(replacement)))
        pieces.append(replacement)
        new_position += len(replacement)
        position = found.end()
    pieces.append(body[position:])
    new_body = "".join(pieces)

    def new_offset(offset: int, *, is_end: bool) -> int:
        shift = 0
        for old_start, old_end, new_start, new_end in moved:
            if offset < old_start or (is_end and offset == old_start):
                break
            if offset < old_end or (is_end and offset == old_end):
                return new_end if is_end else new_start
            shift = new_end - old_end
        return offset + shift

    claims = []
    for claim in document["claims"]:
        start = new_offset(claim["quote"]["start"], is_end=False)
        end = new_offset(claim["quote"]["end"], is_end=True)
        quote = {**claim["quote"], "start": start, "end": end, "exact": new_body[start:end]}
        claims.append({**claim, "quote": quote})
    return {"article": {**document["article"], "body": new_body}, "claims": claims}


def _word_map(words: dict[str, str]) -> Edit:
    source = r"\b(?:" + "|".join(map(re.escape, words)) + r")\b"
    return source, lambda hit: words[hit.group(0)]


# An organisation's acronym written as a word (Guardian style: NATO → Nato), not inside
# an all-capitals heading or label.
ACRONYM = r"(?<![A-Z] )\b[A-Z]{4,}\b(?! [A-Z]{2,})"
PERTURBATIONS: dict[str, list[Edit]] = {
    "org case (NATO→Nato)": [(ACRONYM, lambda hit: hit.group(0).capitalize())],
    "straight→curly quotes": [
        (r'(?<![\w.,!?])"', lambda hit: "“"),
        (r'"', lambda hit: "”"),
    ],
    "curly→straight quotes": [(r"[“”]", lambda hit: '"')],
    "double→single quotes": [
        (r'(?<![\w.,!?])"', lambda hit: "'"),
        (r'"', lambda hit: "'"),
        (r"“", lambda hit: "‘"),
        (r"”", lambda hit: "’"),
    ],
    "speech verbs, same length": [
        _word_map(
            {"said": "says", "says": "said", "added": "noted", "urged": "asked", "warned": "argued"}
        )
    ],
    "speech verbs, synonyms": [
        _word_map(
            {
                "said": "stated",
                "says": "states",
                "told": "informed",
                "added": "remarked",
                "noted": "observed",
                "claimed": "asserted",
            }
        )
    ],
}


def perturbation_deltas(paths: Sequence[Path]) -> dict[str, dict[str, float]]:
    """Micro-averaged figures on the edited articles less those on the originals."""
    documents = [(path.stem, load(path)) for path in paths]
    base = micro("base", (evaluate(document, name) for name, document in documents)).figures()
    deltas = {}
    for label, edits in PERTURBATIONS.items():
        edited = micro(
            label, (evaluate(perturbed(document, edits), name) for name, document in documents)
        ).figures()
        deltas[label] = {figure: edited[figure] - base[figure] for figure in base}
    return deltas


# --- Failures: what to look at while developing (development set only) --------------------


def failures(document: dict[str, Any], found: Sequence[Candidate]) -> list[str]:
    """One line per gold claim missed, candidate unmatched and matched statement whose
    speaker differs: the kind, the quote, and what overlaps it on the other side."""
    gold = document["claims"]
    pairs = match(gold, found)
    paired = set(pairs.values())
    lines = []
    for index, claim in enumerate(gold):
        span = _span(claim)
        if index not in pairs:
            near = sorted({c.kind.value for c in found if c.span.overlaps(span)})
            lines.append(f"  MISS {claim['kind']:<10} {claim['quote']['exact']!r} near={near}")
        elif claim["kind"] == "statement":
            candidate = found[pairs[index]]
            speaker = (candidate.details or {}).get("speaker")
            if not same_speaker(claim["statement"]["speaker"], speaker):
                lines.append(
                    f"  SPKR {claim['statement']['speaker']!r} got {speaker!r}: "
                    f"{claim['quote']['exact'][:80]!r}"
                )
    for index, candidate in enumerate(found):
        if index not in paired:
            near = sorted({c["kind"] for c in gold if candidate.span.overlaps(_span(c))})
            body = document["article"]["body"]
            quote = body[candidate.span.start : candidate.span.end]
            lines.append(f"  FALSE {candidate.kind.value:<10} {quote!r} near={near}")
    return lines


def print_failures(paths: Sequence[Path]) -> None:
    for path in paths:
        document = load(path)
        print(f"== {path.stem}")
        for line in failures(document, candidates_of(document)):
            print(line)


# --- Report --------------------------------------------------------------------------------


def _row(scores: Scores) -> str:
    return (
        f"{scores.article:<28} {scores.gold:>4} {scores.candidates:>5} {scores.matched:>5} "
        f"{scores.precision:>5.2f} {scores.recall:>6.2f} {scores.kind_accuracy:>5.2f} "
        f"{scores.speaker_accuracy:>7.2f}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=(*SETS, "all"), default="all", dest="which")
    parser.add_argument(
        "--no-perturbations", action="store_true", help="skip the perturbed development set"
    )
    parser.add_argument(
        "--failures",
        action="store_true",
        help="list the development set's misses, false candidates and wrong speakers, and stop",
    )
    arguments = parser.parse_args(argv)
    if arguments.failures:
        print_failures(SETS["dev"]())
        return
    names = list(SETS) if arguments.which == "all" else [arguments.which]
    header = f"{'article':<28} {'gold':>4} {'found':>5} {'match':>5} {'prec':>5} {'recall':>6}"
    words = 0
    extract_claims("The model loads once, before the clock starts.")
    started = time.perf_counter()
    for name in names:
        print(f"\n== {name} ==")
        print(f"{header} {'kind':>5} {'speaker':>7}")
        rows = []
        for path in SETS[name]():
            document = load(path)
            words += len(document["article"]["body"].split())
            rows.append(evaluate(document, path.stem))
            print(_row(rows[-1]))
        print(_row(micro(f"micro ({name})", rows)))
    elapsed = time.perf_counter() - started
    per_thousand = 1_000_000 * elapsed / max(words, 1)
    print(f"\nextraction: {per_thousand:.0f} ms per 1,000 words ({words} words, model loaded)")
    if "dev" in names and not arguments.no_perturbations:
        print("\n== perturbations of the development set (micro-averaged change) ==")
        print(f"{'edit':<28} {'prec':>6} {'recall':>6} {'kind':>6} {'speaker':>7}")
        for label, delta in perturbation_deltas(SETS["dev"]()).items():
            print(
                f"{label:<28} {delta['precision']:>+6.3f} {delta['recall']:>+6.3f} "
                f"{delta['kind']:>+6.3f} {delta['speaker']:>+7.3f}"
            )


if __name__ == "__main__":
    main()

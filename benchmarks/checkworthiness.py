"""How well the shipped check-worthiness model ranks sentences it was never trained or tuned on.

Run: ``python -m benchmarks.checkworthiness`` from the repository root. Prints the
ROC AUC of the committed coefficients (``claims_api/extraction/data/checkworthiness.json``)
on the committed held-out sample of ClaimBuster (``data/checkworthiness/heldout.jsonl``),
scoring each whole sentence with the model, and again as the extractor ranks it (its
best candidate's score, 0 when it proposes none). With ``--clef2019 PATH`` (a copy of
github:apepa/clef2019-factchecking-task1, not redistributed here) it prints the same on
CheckThat! 2019's annotated test debates. See ``data/checkworthiness/README.md``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from claims_api.extraction import extract_claims
from claims_api.extraction.scoring import model

HELDOUT = Path(__file__).resolve().parent / "data" / "checkworthiness" / "heldout.jsonl"
CLEF2019_COMMIT = "7d463336897ad1f870cb6a481953b94550c788a7"
CLEF2019_TEST = "data/test_annotated"

Labelled = list[tuple[str, int]]


def heldout() -> Labelled:
    rows = [json.loads(line) for line in HELDOUT.read_text(encoding="utf-8").splitlines()]
    return [(row["text"], int(row["label"])) for row in rows]


def clef2019_sentences(repo: Path) -> Labelled:
    """CheckThat! 2019 task 1's annotated test debates: (sentence, 1 if check-worthy)."""
    git_dir = repo / ".git" if (repo / ".git").exists() else repo

    def git(*args: str) -> str:
        command = ["git", f"--git-dir={git_dir}", *args]
        return subprocess.run(command, check=True, capture_output=True, text=True).stdout

    sentences: Labelled = []
    for path in sorted(git("ls-tree", "--name-only", CLEF2019_COMMIT, f"{CLEF2019_TEST}/").split()):
        if path.endswith(".tsv"):
            for line in git("show", f"{CLEF2019_COMMIT}:{path}").splitlines():
                _number, _speaker, text, label = line.split("\t")
                sentences.append((text, int(label)))
    return sentences


def auc(labels: Sequence[int], scores: Sequence[float]) -> float:
    """ROC AUC: the chance that a random positive outranks a random negative (ties count half)."""
    ranked = sorted(zip(scores, labels, strict=True))
    rank_sum, position, positives = 0.0, 0, sum(labels)
    while position < len(ranked):
        end = position
        while end < len(ranked) and ranked[end][0] == ranked[position][0]:
            end += 1
        mean_rank = (position + 1 + end) / 2
        rank_sum += mean_rank * sum(label for _, label in ranked[position:end])
        position = end
    negatives = len(ranked) - positives
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def sentence_score(text: str) -> float:
    return model().probability(text)


def extractor_score(text: str) -> float:
    return max((candidate.score for candidate in extract_claims(text, min_score=0)), default=0.0)


def report(name: str, data: Labelled, scorer: Callable[[str], float]) -> float:
    figure = auc([label for _, label in data], [scorer(text) for text, _ in data])
    positives = sum(label for _, label in data)
    print(f"{name:<44} AUC {figure:.3f}  ({len(data)} sentences, {positives} check-worthy)")
    return figure


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clef2019", type=Path, help="a copy of the CheckThat! 2019 repository")
    args = parser.parse_args(argv)
    trained = model()
    print(f"model version {trained.meta['version']}, trained AUC {trained.meta['metrics']['auc']}")
    sample = heldout()
    report("ClaimBuster held-out, model on the sentence", sample, sentence_score)
    report("ClaimBuster held-out, extractor's best", sample, extractor_score)
    if args.clef2019:
        clef = clef2019_sentences(args.clef2019)
        report("CheckThat! 2019 test, model on the sentence", clef, sentence_score)
        report("CheckThat! 2019 test, extractor's best", clef, extractor_score)


if __name__ == "__main__":
    main()

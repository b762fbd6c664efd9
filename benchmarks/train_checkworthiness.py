"""Train the check-worthiness model: a logistic regression on ClaimBuster's labelled sentences.

Offline and deterministic; scikit-learn and numpy are needed here only, never at run
time (``pip install scikit-learn``). The data are not all in this repository: get
the ClaimBuster spotter repository (github:utaresearch/claimbuster-spotter, commit
``332bba0819d79f8e42d0a70277597dfe97036873``), as a clone or a bare git directory, and
run from the repository root::

    python -m benchmarks.train_checkworthiness --claimbuster PATH [--clef2019 PATH] [--write]

``--clef2019`` is a copy of github:apepa/clef2019-factchecking-task1 (CheckThat! 2019),
used for evaluation only. ``--write`` writes the model
(``claims_api/extraction/data/checkworthiness.json``) and the held-out sample
(``benchmarks/data/checkworthiness/heldout.jsonl``); without it the script only prints.

What is learned from is what the scorer sees at run time: every candidate the extractor
proposes in a labelled sentence (its kind and its quote), labelled as its sentence is;
a sentence ranks as its best candidate, 0 when it gives none. So the model is retrained
whenever the extractor's rules change what they propose (the benchmark's AUC shows it).

Splits: the held-out set is the repository's own test partition
(``data/two_class/test.json``, 702 sentences, balanced), never used to train or tune.
The rest (``data/two_class/kfold_25ncs.json``, ClaimBuster's 2.5×NCS file, with
``train.json``), less every sentence whose text equals a held-out one, is split 80/20 by
a seeded shuffle into training and validation, identical texts kept on one side.
Regularisation is chosen on validation AUC (sentences ranked by their best candidate);
so is the default threshold: the highest that keeps ``RECALL_TARGET`` of validation's
check-worthy sentences, since the extractor's default cut only screens out what is
plainly not worth a look and a reviewer ranks the rest by score.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from benchmarks.checkworthiness import CLEF2019_COMMIT, CLEF2019_TEST, HELDOUT, clef2019_sentences
from claims_api.extraction import extractor
from claims_api.extraction.scoring import FEATURE_SPEC, MODEL_PATH, features
from claims_api.models.vocabulary import ClaimKind

CLAIMBUSTER_REPO = "utaresearch/claimbuster-spotter"
CLAIMBUSTER_COMMIT = "332bba0819d79f8e42d0a70277597dfe97036873"
POOL_FILES = ("data/two_class/kfold_25ncs.json", "data/two_class/train.json")
HELDOUT_FILE = "data/two_class/test.json"
SEED = 20261203
VALIDATION_SHARE = 0.2
MIN_DOCUMENT_FREQUENCY = 2
C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
RECALL_TARGET = 0.95
VERSION = 1

Sentence = dict[str, Any]
Proposed = list[tuple[int, str, ClaimKind]]
"""Candidates: (index of their sentence, quote, kind)."""


def read_from_repo(repo: Path, commit: str, path: str) -> str:
    """A file of ``repo`` at ``commit``: from the work tree if it has one, else from git."""
    on_disk = repo / path
    if on_disk.is_file():
        return on_disk.read_text(encoding="utf-8")
    return subprocess.run(
        ["git", f"--git-dir={_git_dir(repo)}", "show", f"{commit}:{path}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _git_dir(repo: Path) -> Path:
    return repo / ".git" if (repo / ".git").exists() else repo


def normalised(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def load_claimbuster(repo: Path) -> tuple[list[Sentence], list[Sentence]]:
    """(pool, held-out): labelled sentences, one per id and per text, none shared."""
    heldout = json.loads(read_from_repo(repo, CLAIMBUSTER_COMMIT, HELDOUT_FILE))
    held_ids = {row["sentence_id"] for row in heldout}
    held_texts = {normalised(row["text"]) for row in heldout}
    pool: dict[int, Sentence] = {}
    for path in POOL_FILES:
        for row in json.loads(read_from_repo(repo, CLAIMBUSTER_COMMIT, path)):
            if row["sentence_id"] in held_ids or normalised(row["text"]) in held_texts:
                continue
            pool.setdefault(row["sentence_id"], row)
    rows = [pool[key] for key in sorted(pool)]
    return rows, sorted(heldout, key=lambda row: row["sentence_id"])


def split(pool: Sequence[Sentence]) -> tuple[list[Sentence], list[Sentence]]:
    """Training and validation, by a seeded shuffle of the distinct texts."""
    texts = sorted({normalised(row["text"]) for row in pool})
    random.Random(SEED).shuffle(texts)
    validation_texts = set(texts[: int(len(texts) * VALIDATION_SHARE)])
    train = [row for row in pool if normalised(row["text"]) not in validation_texts]
    validation = [row for row in pool if normalised(row["text"]) in validation_texts]
    return train, validation


def _unscored(kind: ClaimKind, quote: str, *, verbatim: bool = False) -> tuple[float, list[str]]:
    return 0.0, []


def propose(texts: Sequence[str]) -> Proposed:
    """What the extractor proposes in each text, its scorer set aside: the model being
    trained is not needed (nor, on a first run, present) to find the candidates."""
    scorer = extractor.check_worthiness
    extractor.check_worthiness = _unscored
    try:
        return [
            (index, text[candidate.span.start : candidate.span.end], candidate.kind)
            for index, text in enumerate(texts)
            for candidate in extractor.extract_claims(text, min_score=0)
        ]
    finally:
        extractor.check_worthiness = scorer


def vocabulary(proposed: Proposed) -> list[str]:
    counts: dict[str, int] = {}
    for _, quote, kind in proposed:
        for name in features(quote, kind):
            counts[name] = counts.get(name, 0) + 1
    return sorted(name for name, count in counts.items() if count >= MIN_DOCUMENT_FREQUENCY)


def matrix(rows: Sequence[tuple[str, ClaimKind | None]], index: dict[str, int]) -> csr_matrix:
    cells, columns = [], []
    for row, (text, kind) in enumerate(rows):
        for name in features(text, kind):
            if name in index:
                cells.append(row)
                columns.append(index[name])
    return csr_matrix(
        (np.ones(len(cells)), (cells, columns)), shape=(len(rows), len(index)), dtype=np.float64
    )


@dataclass
class Split:
    """One split: its sentences, the candidates proposed in them and their features."""

    sentences: list[tuple[str, int]]
    proposed: Proposed
    x: csr_matrix

    @classmethod
    def of(cls, sentences: list[tuple[str, int]], index: dict[str, int]) -> Split:
        proposed = propose([text for text, _ in sentences])
        return cls(sentences, proposed, matrix([(q, k) for _, q, k in proposed], index))

    @property
    def y(self) -> np.ndarray:
        return np.array([label for _, label in self.sentences])

    @property
    def y_candidates(self) -> np.ndarray:
        return np.array([self.sentences[i][1] for i, _, _ in self.proposed])

    def best(self, probability: np.ndarray) -> np.ndarray:
        """Each sentence's best candidate's probability, 0 where there is none."""
        best = np.zeros(len(self.sentences))
        for (sentence, _, _), value in zip(self.proposed, probability, strict=True):
            best[sentence] = max(best[sentence], value)
        return best


def threshold_for_recall(y: np.ndarray, scores: np.ndarray, recall: float) -> float:
    """The highest cut, to two decimals, that keeps ``recall`` of the positives (scored as
    the extractor rounds them)."""
    positives = np.sort(np.round(scores[y == 1], 2))
    cut = positives[int(np.floor((1 - recall) * len(positives)))]
    return round(float(cut), 2)


def best_f(y: np.ndarray, scores: np.ndarray, beta: float) -> float:
    """The cut, to two decimals, with the highest F-beta (recall weighted beta times)."""

    def f(cut: float) -> float:
        kept = np.round(scores, 2) >= cut
        true = float((kept & (y == 1)).sum())
        if not true:
            return 0.0
        precision, recall = true / kept.sum(), true / (y == 1).sum()
        return (1 + beta**2) * precision * recall / (beta**2 * precision + recall)

    return max((cut / 100 for cut in range(1, 100)), key=lambda cut: (f(cut), -cut))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claimbuster", type=Path, required=True)
    parser.add_argument("--clef2019", type=Path)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)

    pool, heldout_rows = load_claimbuster(args.claimbuster)
    train_rows, validation_rows = split(pool)

    def labelled(rows: Sequence[Sentence]) -> list[tuple[str, int]]:
        return [(row["text"], int(row["label"])) for row in rows]

    names = vocabulary(propose([row["text"] for row in train_rows]))
    index = {name: column for column, name in enumerate(names)}
    train, validation, heldout = (
        Split.of(labelled(rows), index) for rows in (train_rows, validation_rows, heldout_rows)
    )
    for name, part in (("train", train), ("validation", validation), ("held-out", heldout)):
        print(
            f"{name}: {len(part.sentences)} sentences ({part.y.sum()} check-worthy), "
            f"{len(part.proposed)} candidates"
        )
    print(f"{len(names)} features")

    def fit(c: float) -> LogisticRegression:
        model = LogisticRegression(C=c, solver="liblinear", max_iter=1000, random_state=SEED)
        return model.fit(train.x, train.y_candidates)

    def probability(model: LogisticRegression, part: Split) -> np.ndarray:
        return np.asarray(model.predict_proba(part.x)[:, 1])

    tuning = {}
    for c in C_GRID:
        fitted = fit(c)
        tuning[c] = roc_auc_score(validation.y, validation.best(probability(fitted, validation)))
        print(f"  C={c:<5} validation AUC {tuning[c]:.4f}")
    best_c = max(C_GRID, key=lambda c: (tuning[c], -c))
    fitted = fit(best_c)
    val_best = validation.best(probability(fitted, validation))
    for target in (0.9, 0.95, 0.98):
        print(f"  cut keeping {target:.0%}: {threshold_for_recall(validation.y, val_best, target)}")
    for beta in (1, 2):
        print(f"  cut with the best F{beta}: {best_f(validation.y, val_best, beta)}")
    threshold = threshold_for_recall(validation.y, val_best, RECALL_TARGET)
    kept = np.round(val_best, 2) >= threshold

    def sentence_auc(part: Split) -> float:
        return round(float(roc_auc_score(part.y, part.best(probability(fitted, part)))), 4)

    def candidate_auc(part: Split) -> float:
        return round(float(roc_auc_score(part.y_candidates, probability(fitted, part))), 4)

    whole = matrix([(text, None) for text, _ in heldout.sentences], index)
    metrics: dict[str, Any] = {
        "C": best_c,
        "auc": {
            "train": sentence_auc(train),
            "validation": sentence_auc(validation),
            "heldout": sentence_auc(heldout),
            "heldout_whole_sentence": round(
                float(roc_auc_score(heldout.y, fitted.predict_proba(whole)[:, 1])), 4
            ),
            "candidates": {
                "train": candidate_auc(train),
                "validation": candidate_auc(validation),
                "heldout": candidate_auc(heldout),
            },
        },
        "threshold_rule": f"highest cut keeping {RECALL_TARGET:.0%} of validation's "
        "check-worthy sentences (by their best candidate)",
        "threshold_validation": {
            "recall": round(float(kept[validation.y == 1].mean()), 4),
            "precision": round(float(validation.y[kept].mean()), 4),
            "kept_share": round(float(kept.mean()), 4),
        },
    }
    weights = {
        name: round(float(weight), 4)
        for name, weight in zip(names, fitted.coef_[0], strict=True)
        if round(float(weight), 4) != 0
    }
    trained_on: dict[str, Any] = {
        "dataset": "ClaimBuster (Arslan, Hassan, Li, Tremayne 2020), doi:10.5281/zenodo.3609356",
        "licence": "CC BY 4.0",
        "repository": f"github:{CLAIMBUSTER_REPO}",
        "commit": CLAIMBUSTER_COMMIT,
        "files": list(POOL_FILES),
        "heldout_file": HELDOUT_FILE,
        "label": "1 = check-worthy factual sentence (CFS); 0 = non-factual or unimportant",
        "seed": SEED,
        "sentences": {"train": len(train.sentences), "validation": len(validation.sentences)},
    }
    if args.clef2019:
        clef = Split.of(clef2019_sentences(args.clef2019), index)
        metrics["auc"]["clef2019_test"] = sentence_auc(clef)
        trained_on["evaluated_on"] = (
            f"CheckThat! 2019 task 1 test (github:apepa/clef2019-factchecking-task1 "
            f"{CLEF2019_COMMIT}, {CLEF2019_TEST}), not redistributed"
        )
    document = {
        "version": VERSION,
        "model": "logistic regression (L2, liblinear)",
        "features": FEATURE_SPEC,
        "trained_on": trained_on,
        "metrics": metrics,
        "threshold": threshold,
        "intercept": round(float(fitted.intercept_[0]), 4),
        "weights": weights,
    }
    print(f"chosen C={best_c}; threshold {threshold}\n{json.dumps(metrics, indent=1)}")
    if args.write:
        MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
        MODEL_PATH.write_text(
            json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        HELDOUT.parent.mkdir(parents=True, exist_ok=True)
        HELDOUT.write_text(
            "".join(
                json.dumps(
                    {"sentence_id": row["sentence_id"], "label": row["label"], "text": row["text"]},
                    ensure_ascii=False,
                )
                + "\n"
                for row in heldout_rows
            ),
            encoding="utf-8",
        )
        print(f"wrote {MODEL_PATH} ({len(weights)} weights) and {HELDOUT}")


if __name__ == "__main__":
    main()

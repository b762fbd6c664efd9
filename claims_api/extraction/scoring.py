"""Check-worthiness: how much a candidate is worth a fact-checker's time, and why.

A logistic regression over cheap features of a candidate: the kind the extractor
gave it, and its quote's words, word pairs and cues (a number, a percentage,
hedging, ...). Trained offline by ``benchmarks/train_checkworthiness.py`` on the
candidates the extractor proposes in ClaimBuster's labelled sentences, each taking
its sentence's label, and shipped as coefficients in ``data/checkworthiness.json``,
read once per process. The features that weigh most are reported with the
candidate, so a reviewer can see the reasons. No numpy, no NLP pipeline; the
training script imports :func:`features` from here, so both read a candidate alike.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

from claims_api.models.vocabulary import ClaimKind

MODEL_PATH = Path(__file__).resolve().parent / "data" / "checkworthiness.json"
FEATURE_SPEC = "kind+cues+unigrams+bigrams/v1"
"""Names what :func:`features` computes; the model file records the spec it was trained
on, and loading refuses a file trained on another."""

TOKEN = re.compile(r"[a-z]+(?:['’][a-z]+)*|\d+(?:[.,]\d+)*|[%$€£?]")
NUMBER_TOKEN = re.compile(r"\d")
SPELLED_NUMBER = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty"
    r"|fifty|hundreds?|thousands?|millions?|billions?|trillions?|dozens?|half|third|quarter"
)
HEDGES = re.compile(
    r"\b(?:perhaps|appears?|appeared|seems?|seemed|likely|arguably|possibly|might|expects?"
    r"|expected|reportedly|maybe|probably|could)\b",
    re.IGNORECASE,
)
EVALUATIVE = re.compile(
    r"\bmost [a-z]+(?<!s)\b|\b(?:remarkable|striking|stunning|shocking|unprecedented"
    r"|disastrous|brilliant|best|worst|great|wonderful|terrible)\b",
    re.IGNORECASE,
)
# A capitalised word that does not open the text or a sentence in it.
ENTITY = re.compile(r"(?<!^)(?<![.!?] )\b[A-Z][\w’'.-]+")
CUES: dict[str, re.Pattern[str]] = {
    "number": re.compile(rf"\d|\b(?:{SPELLED_NUMBER})\b", re.IGNORECASE),
    "percentage": re.compile(r"%|\bper ?cent\b", re.IGNORECASE),
    "money": re.compile(r"[$€£]|\b(?:dollars?|euros?|pounds)\b", re.IGNORECASE),
    "date or year": re.compile(
        r"\b(?:1[89]|20)\d\d\b|\b(?:January|February|March|April|June|July|August"
        r"|September|October|November|December|Jan|Feb|Aug|Sept?|Oct|Nov|Dec)\b\.?"
    ),
    "comparison": re.compile(
        r"\b(?:more|less|fewer|higher|lower|than|increased?|decreased?|doubled|tripled"
        r"|rose|fell|cut|raised)\b",
        re.IGNORECASE,
    ),
    "names an entity": ENTITY,
    "negation": re.compile(r"\b(?:not|never|no longer|refused|denied|n't)\b|n’t\b", re.IGNORECASE),
    "hedged or speculative": HEDGES,
    "evaluative wording": EVALUATIVE,
    "first or second person": re.compile(r"\b(?:I|I'm|me|my|you|your)\b"),
    "question": re.compile(r"\?\s*\W*$"),
}
CUE_PREFIX = "cue:"
KIND_PREFIX = "kind:"
WORD_PREFIX = "w:"
REASONS = 3
"""How many words or word pairs are named among the reasons, beside the cues."""


def tokens(text: str) -> list[str]:
    """Lower-cased words, with every number one token (``0``) so that figures generalise."""
    return ["0" if NUMBER_TOKEN.match(t) else t for t in TOKEN.findall(text.lower())]


def features(text: str, kind: ClaimKind | None = None) -> set[str]:
    """The model's inputs: the candidate's kind, the cues that fire in ``text``, its words,
    adjacent word pairs and length. Without a kind, a whole sentence can be scored."""
    found = {f"{CUE_PREFIX}{name}" for name, pattern in CUES.items() if pattern.search(text)}
    if kind is not None:
        found.add(f"{KIND_PREFIX}{kind.value}")
    words = tokens(text)
    found.update(f"{WORD_PREFIX}{word}" for word in words)
    found.update(f"{WORD_PREFIX}{a} {b}" for a, b in pairwise(words))
    if len(words) < 4:
        found.add(f"{CUE_PREFIX}short")
    elif len(words) > 30:
        found.add(f"{CUE_PREFIX}long")
    return found


@dataclass(frozen=True)
class Model:
    """Coefficients of the trained logistic regression and what they were trained on."""

    intercept: float
    weights: dict[str, float]
    threshold: float
    meta: dict[str, Any]

    def contributions(self, text: str, kind: ClaimKind | None = None) -> dict[str, float]:
        """Each input of the candidate that the model knows, with its weight."""
        return {name: self.weights[name] for name in features(text, kind) if name in self.weights}

    def probability(self, text: str, kind: ClaimKind | None = None) -> float:
        """P(check-worthy) for a candidate of ``kind`` quoting ``text``."""
        # fsum: exact, so the same whatever order the set of features iterates in.
        return _sigmoid(math.fsum([self.intercept, *self.contributions(text, kind).values()]))


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


@cache
def model() -> Model:
    """The shipped model, read once per process."""
    document = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    if document["features"] != FEATURE_SPEC:
        raise RuntimeError(
            f"{MODEL_PATH.name} was trained on features {document['features']!r}, "
            f"this code computes {FEATURE_SPEC!r}: retrain it"
        )
    return Model(
        intercept=document["intercept"],
        weights=document["weights"],
        threshold=document["threshold"],
        meta={key: document[key] for key in ("version", "trained_on", "metrics")},
    )


def _reason(name: str, weight: float) -> str:
    if name.startswith(CUE_PREFIX):
        return name.removeprefix(CUE_PREFIX)
    if name.startswith(KIND_PREFIX):
        label = name.removeprefix(KIND_PREFIX)
    else:
        label = f"“{name.removeprefix(WORD_PREFIX)}”"
    return f"{label} {'+' if weight > 0 else '-'}{abs(weight):.2f}"


def explain(text: str, kind: ClaimKind | None = None) -> tuple[float, list[str]]:
    """The model's probability, with the kind, the cues that fired and the heaviest words."""
    trained = model()
    contributions = trained.contributions(text, kind)
    kinds = [name for name in contributions if name.startswith(KIND_PREFIX)]
    cues = [name for name in contributions if name.startswith(CUE_PREFIX)]
    words = sorted(
        (name for name in contributions if name.startswith(WORD_PREFIX)),
        key=lambda name: (-abs(contributions[name]), name),
    )[:REASONS]
    order = [*CUES, "short", "long"]
    cues.sort(key=lambda name: order.index(name.removeprefix(CUE_PREFIX)))
    reasons = [_reason(name, contributions[name]) for name in kinds + cues + words]
    return trained.probability(text, kind), reasons or ["nothing the model knows"]


def check_worthiness(
    kind: ClaimKind, quote: str, *, verbatim: bool = False
) -> tuple[float, list[str]]:
    """The score in [0, 1] and the features behind it.

    The score is the model's probability for a candidate of ``kind`` quoting ``quote``.
    ``verbatim`` is not an input: the labelled sentences (spoken debates) carry no
    quotation marks, so there is nothing to learn its weight from.
    """
    probability, reasons = explain(quote, kind)
    return round(probability, 2), reasons

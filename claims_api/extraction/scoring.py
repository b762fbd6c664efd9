"""Check-worthiness: how much a candidate is worth a fact-checker's time, and why.

A transparent sum of features rather than a trained model: each feature that
fired is reported with the candidate, so a reviewer can see the reasons.
"""

from __future__ import annotations

import re

from claims_api.models.vocabulary import ClaimKind

BASE = 0.45
KIND_WEIGHTS = {
    ClaimKind.QUANTITY: ("number", 0.3),
    ClaimKind.MEMBERSHIP: ("membership fact", 0.3),
    ClaimKind.STATEMENT: ("attributed to a speaker", 0.2),
    ClaimKind.EVENT: ("reported event", 0.15),
    ClaimKind.OTHER: ("factual assertion", 0.0),
}
HEDGES = re.compile(
    r"\b(?:perhaps|appears?|appeared|seems?|seemed|likely|arguably|possibly|might|expects?"
    r"|expected|reportedly)\b",
    re.IGNORECASE,
)
EVALUATIVE = re.compile(
    r"\bmost [a-z]+(?<!s)\b|\b(?:remarkable|striking|stunning|shocking|unprecedented"
    r"|disastrous|brilliant|best|worst)\b",
)
ENTITY = re.compile(r"(?<!^)(?<![.!?] )\b[A-Z][\w’'.-]+")


def check_worthiness(
    kind: ClaimKind, quote: str, *, verbatim: bool = False
) -> tuple[float, list[str]]:
    """The score in [0, 1] and the features behind it."""
    score, features = BASE, []
    if kind in KIND_WEIGHTS:
        name, weight = KIND_WEIGHTS[kind]
        score += weight
        features.append(name)
    if verbatim:
        score += 0.05
        features.append("direct quotation")
    if ENTITY.search(quote):
        score += 0.1
        features.append("names an entity")
    if re.search(r"\b(?:not|never|no longer|refused|denied)\b", quote):
        score += 0.05
        features.append("negation")
    if kind not in (ClaimKind.STATEMENT, ClaimKind.QUANTITY):
        if HEDGES.search(quote):
            score -= 0.4
            features.append("hedged or speculative")
        if EVALUATIVE.search(quote):
            score -= 0.3
            features.append("evaluative wording")
    if quote.rstrip().endswith("?"):
        score -= 0.4
        features.append("question")
    if len(quote.split()) < 4:
        score -= 0.1
        features.append("short")
    return round(min(1.0, max(0.0, score)), 2), features

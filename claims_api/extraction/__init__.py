"""Claim extraction: propose the checkable claims of an article, typed and anchored.

Deterministic and offline: rules over the text, with pysbd for sentence
boundaries and number-parser for spelled-out numbers. Nothing is stored here;
services/extraction.py stores what a client accepts.
"""

from __future__ import annotations

from claims_api.extraction.candidates import Candidate, Span
from claims_api.extraction.extractor import DEFAULT_MIN_SCORE, extract_claims

SUPPORTED_LANGUAGES = frozenset({"en"})
"""Primary language subtags (BCP 47) whose text the rules are written for."""


def reads_language(language: str | None) -> bool:
    """Whether the extractor reads text in ``language`` (unknown counts as English)."""
    return language is None or language.split("-")[0].strip().lower() in SUPPORTED_LANGUAGES


__all__ = [
    "DEFAULT_MIN_SCORE",
    "SUPPORTED_LANGUAGES",
    "Candidate",
    "Span",
    "extract_claims",
    "reads_language",
]

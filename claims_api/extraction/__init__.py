"""Claim extraction: propose the checkable claims of an article, typed and anchored.

Deterministic and offline: rules over the text, with pysbd for sentence
boundaries and number-parser for spelled-out numbers. Nothing is stored here;
services/extraction.py stores what a client accepts.
"""

from __future__ import annotations

from claims_api.extraction.candidates import Candidate, Span
from claims_api.extraction.extractor import DEFAULT_MIN_SCORE, extract_claims

__all__ = ["DEFAULT_MIN_SCORE", "Candidate", "Span", "extract_claims"]

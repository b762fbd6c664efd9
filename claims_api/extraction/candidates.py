"""What the extractor proposes: a candidate claim, anchored in the body, not yet stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from claims_api.models.vocabulary import ClaimKind


@dataclass(frozen=True)
class Span:
    """Character offsets into the article body, end exclusive (as quotes count them)."""

    start: int
    end: int

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end

    def within(self, other: Span) -> bool:
        return other.start <= self.start and self.end <= other.end


@dataclass
class Candidate:
    """One proposed claim: its kind, restated text, quote span and structured fields.

    ``features`` are the reasons behind ``score`` (the check-worthiness), so a
    reviewer can see why a sentence was proposed or ranked low.
    """

    kind: ClaimKind
    text: str
    span: Span
    details: dict[str, Any] | None = None
    tags: list[str] = field(default_factory=list)
    score: float = 0.0
    features: list[str] = field(default_factory=list)

"""Anchoring a claim's quote in its article body (W3C Web Annotation text selectors)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from claims_api.errors import InvalidInput
from claims_api.models.vocabulary import AnchorState

CONTEXT_LENGTH = 32


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"quote.{field}: {message}", errors={f"quote.{field}": [message]})


def occurrences(body: str, exact: str) -> int:
    """How many places ``exact`` starts at in ``body``, overlapping ones included."""
    count, index = 0, body.find(exact)
    while index >= 0:
        count, index = count + 1, body.find(exact, index + 1)
    return count


def anchor_quote(body: str | None, quote: dict[str, Any]) -> dict[str, Any]:
    """The quote with checked offsets and its prefix/suffix taken from ``body``.

    With no ``start``/``end`` the quote is looked up, and must occur exactly once.
    An article without a body (a claim reviewed elsewhere, known only by its URL)
    can hold an ``exact`` quote but no offsets, since nothing could check them.
    """
    exact: str = quote["exact"]
    start, end = quote.get("start"), quote.get("end")
    if body is None:
        if start is not None:
            raise _invalid("start", "the article has no body text to anchor offsets in")
        return {"exact": exact, "start": None, "end": None, "prefix": None, "suffix": None}
    if start is None or end is None:
        start = body.find(exact)
        if start < 0:
            raise _invalid("exact", "does not occur in the article body")
        if body.find(exact, start + 1) >= 0:
            raise _invalid(
                "exact",
                f"occurs {occurrences(body, exact)} times in the article body; give start and end",
            )
        end = start + len(exact)
    if end > len(body):
        raise _invalid("end", f"is past the end of the article body ({len(body)} characters)")
    if body[start:end] != exact:
        raise _invalid("exact", f"the article body at {start}:{end} reads {body[start:end]!r}")
    anchored = selector(body, start, end)
    for field in ("prefix", "suffix"):
        given = quote.get(field)
        if given is not None and given != anchored[field]:
            raise _invalid(
                field, f"does not match the article body, which reads {anchored[field]!r}"
            )
    return anchored


# A fuzzy match must score at least this (rapidfuzz's 0-100 similarity of the old
# quote and the new text) to carry the quote; below it, the quote is orphaned.
FUZZY_THRESHOLD = 85.0
# Two fuzzy candidates closer than this in score are too close to call.
AMBIGUITY_MARGIN = 5.0
# Fuzzy boundaries are looked for this far (in characters, at least) around the
# window rapidfuzz aligns, snapped to word boundaries.
BOUNDARY_SLACK = 12

NUMBER = re.compile(r"\d(?:[\d,.]*\d)?")
NEGATION = re.compile(r"\b(?:not|no|never|none|nor|neither|cannot|without)\b|n't\b", re.I)
WORD_START = re.compile(r"(?<!\w)\w")
WORD_END = re.compile(r"\w(?!\w)")
WORD_CHAR = re.compile(r"\w")


@dataclass(frozen=True)
class Reanchoring:
    """Where a quote lands in a new body: its state, and the new selector unless it stays."""

    state: AnchorState
    quote: dict[str, Any] | None = None
    score: float | None = None
    candidates: int = 0

    @property
    def follows(self) -> bool:
        """Whether the quote now points into the new body (else it stays on its old version)."""
        return self.quote is not None


def selector(body: str, start: int, end: int) -> dict[str, Any]:
    return {
        "exact": body[start:end],
        "start": start,
        "end": end,
        "prefix": body[max(0, start - CONTEXT_LENGTH) : start],
        "suffix": body[end : end + CONTEXT_LENGTH],
    }


def _starts(body: str, exact: str) -> list[int]:
    found, index = [], body.find(exact)
    while index >= 0:
        found.append(index)
        index = body.find(exact, index + 1)
    return found


def _context_fit(body: str, start: int, end: int, quote: dict[str, Any]) -> int:
    """How many of the quote's prefix and suffix read the same around ``start:end`` (0-2)."""
    prefix, suffix = quote.get("prefix") or "", quote.get("suffix") or ""
    fits = body[max(0, start - len(prefix)) : start] == prefix
    return int(fits) + int(body[end : end + len(suffix)] == suffix)


def _exact_anchor(body: str, quote: dict[str, Any], copies_before: int) -> Reanchoring | None:
    """The quote's exact words in the new body: one place, or the one its context picks
    among as many copies as the old body had. More copies than before means an edit
    made one, and nothing tells the copy from the original: ambiguous."""
    exact, length = quote["exact"], len(quote["exact"])
    starts = _starts(body, exact)
    if not starts:
        return None
    if len(starts) > max(1, copies_before):
        return Reanchoring(AnchorState.AMBIGUOUS, candidates=len(starts))
    if len(starts) > 1:
        fits = {start: _context_fit(body, start, start + length, quote) for start in starts}
        best = max(fits.values())
        chosen = [start for start, fit in fits.items() if fit == best]
        if best == 0 or len(chosen) > 1:
            return Reanchoring(AnchorState.AMBIGUOUS, candidates=len(starts))
        starts = chosen
    start = starts[0]
    state = AnchorState.ANCHORED if start == quote.get("start") else AnchorState.MOVED
    return Reanchoring(state, selector(body, start, start + length), 100.0, len(starts))


def _best_window(exact: str, body: str) -> tuple[float, int, int]:
    """The span of ``body`` most like ``exact``: rapidfuzz's alignment, then the word
    boundaries near its ends that score best."""
    aligned = fuzz.partial_ratio_alignment(exact, body)
    if aligned is None:
        return 0.0, 0, 0
    slack = max(BOUNDARY_SLACK, len(exact) // 10)
    low, high = max(0, aligned.dest_start - slack), min(len(body), aligned.dest_end + slack)
    near_start = WORD_START.finditer(body, low, min(high, aligned.dest_start + slack))
    near_end = WORD_END.finditer(body, max(low, aligned.dest_end - slack), high)
    starts = [match.start() for match in near_start]
    # The lookahead cannot see past ``high``: drop ends that fall inside a word there.
    ends = [match.end() for match in near_end if not WORD_CHAR.match(body, match.end())]
    best = (
        fuzz.ratio(exact, body[aligned.dest_start : aligned.dest_end]),
        aligned.dest_start,
        aligned.dest_end,
    )
    for start in starts or [aligned.dest_start]:
        for end in ends or [aligned.dest_end]:
            if end > start:
                score = fuzz.ratio(exact, body[start:end])
                if score > best[0]:
                    best = (score, start, end)
    return best


def _fuzzy_anchor(body: str, quote: dict[str, Any]) -> Reanchoring:
    exact = quote["exact"]
    score, start, end = _best_window(exact, body)
    if score < FUZZY_THRESHOLD:
        return Reanchoring(AnchorState.ORPHANED, score=round(score, 1))
    # Blank out the best match and look again: a second one nearly as good is a tie.
    masked = body[:start] + "\0" * (end - start) + body[end:]
    runner_up, _, _ = _best_window(exact, masked)
    if runner_up >= FUZZY_THRESHOLD and score - runner_up < AMBIGUITY_MARGIN:
        return Reanchoring(AnchorState.AMBIGUOUS, score=round(score, 1), candidates=2)
    return Reanchoring(AnchorState.FUZZY, selector(body, start, end), round(score, 1), 1)


def reanchor(old_body: str, body: str, quote: dict[str, Any]) -> Reanchoring:
    """Follow a quote from ``old_body`` into ``body``, never to a doubtful place without
    saying so.

    The exact words where they were (``anchored``) or elsewhere (``moved``; when the
    old body too had them several times, the place whose prefix and suffix still
    read the same; an edit that made a new copy is ``ambiguous``);
    else the unique best fuzzy match above FUZZY_THRESHOLD (``fuzzy``). Two places
    too close to call are ``ambiguous`` and words that are gone are ``orphaned``: in
    both the quote stays on the version it was taken from.
    """
    copies_before = len(_starts(old_body, quote["exact"]))
    return _exact_anchor(body, quote, copies_before) or _fuzzy_anchor(body, quote)


def changed_facts(old: str, new: str) -> str | None:
    """What a human must hear of when a quote's words changed: its numbers or negation."""
    changes = []
    if NUMBER.findall(old) != NUMBER.findall(new):
        changes.append(
            f"its numbers changed ({', '.join(NUMBER.findall(old)) or 'none'} → "
            f"{', '.join(NUMBER.findall(new)) or 'none'})"
        )
    if len(NEGATION.findall(old)) != len(NEGATION.findall(new)):
        changes.append("its negation changed")
    return "; ".join(changes) or None

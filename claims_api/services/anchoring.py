"""Anchoring a claim's quote in its article body (W3C Web Annotation text selectors)."""

from __future__ import annotations

from typing import Any

from claims_api.errors import InvalidInput

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
    anchored = {
        "exact": exact,
        "start": start,
        "end": end,
        "prefix": body[max(0, start - CONTEXT_LENGTH) : start],
        "suffix": body[end : end + CONTEXT_LENGTH],
    }
    for field in ("prefix", "suffix"):
        given = quote.get(field)
        if given is not None and given != anchored[field]:
            raise _invalid(
                field, f"does not match the article body, which reads {anchored[field]!r}"
            )
    return anchored

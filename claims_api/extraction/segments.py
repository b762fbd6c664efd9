"""Sentences and clauses of an article body, with the blocks that make no claim left out.

Sentence boundaries come from pysbd (rule-based, offline), which knows that
"U.S." and "Feb. 10" do not end sentences. Clauses are cut with a few rules
about conjunctions and commas; every span keeps its offsets in the body.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import pysbd

from claims_api.extraction.candidates import Span

# Blocks that are not reporting: bylines, image credits, wire credits, author bios.
BYLINE = re.compile(r"^By [A-Z][\w.’'-]+(?: [A-Z][\w.’'-]+)*(?:(?:,| and) [A-Z].*)?$")
CREDIT = re.compile(
    r"^\(?(?:Image|Photo|Photograph|Picture|Illustration|Credit|Video)s?(?: credit)?\s*:"
    r"|^\((?:Reporting|Writing|Additional reporting|Editing) by ",
    re.IGNORECASE,
)
AUTHOR_BIO = re.compile(
    r"^[A-Z][\w’'-]+(?: [A-Z][\w’'-]+)+ is an? .*\b(?:writer|reporter|correspondent|editor"
    r"|journalist|columnist|contributor)\b"
)
# "KYIV, Feb 14 (Reuters) - " or "WASHINGTON — ": the place and source, not the news.
DATELINE = re.compile(r"^[A-Z][A-Z .'’-]+(?:, [A-Z][a-z]{2,8}\.? \d{1,2})?(?: \([^)]*\))? [-—–] ")
TERMINAL = re.compile(r"[.!?][”\"’')]*$|[”\"]$")

QUOTE_PAIRS = (("“", "”"), ('"', '"'))
LEADING_WORDS = re.compile(
    r"^(?:(?:and|but|although|though|while|whereas|because|since|so far|however|"
    r"meanwhile|indicating that|including)\b[,]?\s*)+",
    re.IGNORECASE,
)
# Where a new clause begins: the offset of the match's end is the clause's start.
CLAUSE_BREAKS = re.compile(
    r",\s+(?=(?:and|but|although|though|while|whereas|claiming|saying|adding|indicating"
    r"|including|according to|that|which|who)\b)"
    r"|;\s+"
    r"|,\s+(?=(?:its|their|his|her)\s)"
    r"|,\s+(?=(?:about|around|some|nearly|almost|roughly|up to|more than)\s+\d)"
    r"|\s+(?=and\s+(?:that|has|have|had|was|were|is|are|will|would|accused|said|told|urged"
    r"|denied|warned|called|added)\b)"
)


@dataclass(frozen=True)
class Sentence:
    span: Span
    text: str
    paragraph: int


@dataclass(frozen=True)
class Clause:
    span: Span
    text: str
    # A relative clause ("X, which ...,"): its span starts at X, its text at "which".
    relative: bool = False


@cache
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def _trimmed(body: str, start: int, end: int) -> Span:
    while start < end and body[start].isspace():
        start += 1
    while end > start and body[end - 1].isspace():
        end -= 1
    return Span(start, end)


def is_reporting(text: str, paragraph_text: str) -> bool:
    """Whether a sentence reports something, rather than being a headline, byline or credit."""
    if BYLINE.match(text) or CREDIT.match(text) or AUTHOR_BIO.match(text):
        return False
    # A headline: a paragraph of one line with no closing punctuation.
    return not (paragraph_text.strip() == text and not TERMINAL.search(text))


def sentences(body: str) -> Iterator[Sentence]:
    """The body's reporting sentences, datelines cut off."""
    paragraph_starts = [0] + [match.end() for match in re.finditer(r"\n\s*\n", body)]
    for piece in _segmenter().segment(body):
        span = _trimmed(body, piece.start, piece.end)
        if span.start >= span.end:
            continue
        text = body[span.start : span.end]
        paragraph = max(
            index for index, start in enumerate(paragraph_starts) if start <= span.start
        )
        paragraph_end = (
            paragraph_starts[paragraph + 1] if paragraph + 1 < len(paragraph_starts) else len(body)
        )
        if not is_reporting(text, body[paragraph_starts[paragraph] : paragraph_end]):
            continue
        dateline = DATELINE.match(text)
        if dateline:
            span = Span(span.start + dateline.end(), span.end)
            text = body[span.start : span.end]
        yield Sentence(span, text, paragraph)


def quoted_ranges(text: str) -> list[tuple[int, int]]:
    """Offsets of quotations in ``text``: nothing inside them is cut into clauses."""
    ranges = []
    for opening, closing in QUOTE_PAIRS:
        index = 0
        while (start := text.find(opening, index)) >= 0:
            end = text.find(closing, start + 1)
            if end < 0:
                break
            ranges.append((start, end + 1))
            index = end + 1
    return ranges


def _inside(position: int, ranges: list[tuple[int, int]]) -> bool:
    return any(start < position < end for start, end in ranges)


def clauses(body: str, sentence: Sentence) -> list[Clause]:
    """Cut a sentence into clauses; a leading subordinate phrase ("Although X,") is its own."""
    text, base = sentence.text, sentence.span.start
    quoted = quoted_ranges(text)
    cuts = {0, len(text)}
    for match in CLAUSE_BREAKS.finditer(text):
        if not _inside(match.start(), quoted):
            cuts.add(match.end())
            # A relative clause ends at its next comma: "X, which ..., has seen".
            if text.startswith("which ", match.end()):
                closing = text.find(", ", match.end())
                if closing > 0:
                    cuts.add(closing + 2)
    opening = re.match(
        r"(?:Although|Though|Because|While|With|In|At|During|After|As)\b(?:[^,]|,(?!\s))*,\s+", text
    )
    if opening and not _inside(opening.end(), quoted):
        cuts.add(opening.end())
    pieces: list[Clause] = []
    ordered = sorted(cuts)
    for start, end in itertools.pairwise(ordered):
        span = _trimmed(body, base + start, base + end)
        piece = body[span.start : span.end].rstrip(",;.")
        span = Span(span.start, span.start + len(piece))
        lead = LEADING_WORDS.match(piece)
        if lead and lead.end() < len(piece):
            span = Span(span.start + lead.end(), span.end)
            piece = piece[lead.end() :]
        if piece.strip():
            pieces.append(Clause(span, piece))
    return _with_relative_subjects(body, pieces)


def _with_relative_subjects(body: str, pieces: list[Clause]) -> list[Clause]:
    """A "which" clause carries its antecedent, so both stay contiguous in the body.

    "The Kremlin, which held sway ..., has seen ..." gives "The Kremlin, which held
    sway ..." and "has seen ...", each a checkable fact.
    """
    result: list[Clause] = []
    for piece in pieces:
        if piece.text.startswith("which ") and result:
            antecedent = result.pop()
            result.append(Clause(Span(antecedent.span.start, piece.span.end), piece.text, True))
        else:
            result.append(piece)
    return result

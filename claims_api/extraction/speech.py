"""Statements: direct quotations and reported speech, with who said them and to whom."""

from __future__ import annotations

import re
from dataclasses import dataclass

SPEECH_VERBS = (
    r"said|says|told|tells|added|adds|stated|warned|warns|argued|insisted|claimed|claims"
    r"|claiming|saying|denied|denies|urged|urges|called on|calls on|accused|accuses|indicated"
    r"|repeated|estimated?|estimates|believes?|acknowledged|confirmed|suggested|noted|promised"
    r"|pledged|vowed|threatened|demanded|expressed(?: \w+)? concerns?"
)
# Positions stated by what someone does rather than says.
POSITION = re.compile(
    r"\b(?:views?|viewed|regards?|regarded|sees?) (?P<object>.+?) as\b"
    r"|\b(?:has|have|had) made .+? (?:a|its|their) (?:\w+ ){0,3}priority\b"
)
REPORTED = re.compile(
    rf"^(?P<subject>(?:[^,]|, [^,]+,)*?)\s*(?:\b(?:has|have|had)\s+)?(?:\b\w+ly\s+)?"
    rf"\b(?P<verb>{SPEECH_VERBS})\b(?P<rest>.*)$"
)
# "“...,” Wang told Blinken" / "“...,” said Wang"
DIRECT = re.compile(
    r"^(?P<quote>[“\"](?P<inner>.+?)[,.?!]?[”\"])\s*,?\s*"
    r"(?:(?P<who>[A-Z][\w’'. -]*?|he|she|they)\s+(?P<verb>said|says|told|added|asked|warned|wrote)"
    r"|(?P<verb2>said|says|added)\s+(?P<who2>[A-Z][\w’'. -]*?))"
    r"(?P<audience>\s+(?!during|on|at|after|before|when|in\b|according)[^,.]+?)?"
    r"(?=\s+(?:during|on|at|after|before|when|according)\b|[,.]|$)"
)
# "..., the State Department said on Tuesday." at the end of a clause.
TRAILING = re.compile(
    r",\s+(?P<who>(?:the\s+)?[\w’'. -]{2,60}?)\s+(?P<verb>said|says|told [\w ]+?|added)"
    r"(?:\s+on\s+\w+)?[.]?$"
)
# Orders and advisories to one's own people are events, not positions.
ADVISORY = re.compile(
    r"\b(?:all |non-emergency |their |its )*(?:\S+ )?(?:citizens|nationals|staff|residents)\b"
)
AUDIENCE_AFTER = re.compile(r"^\s*(?P<audience>(?!that\b)[^,]+?)(?=\s+(?:that|to|of)\b|[,.]|$)")
ATTRIBUTION = re.compile(r"\baccording to (?P<source>[^,.;]+)")


@dataclass(frozen=True)
class Speech:
    """A statement found in a clause; ``subject`` is the raw phrase naming the speaker."""

    start: int
    end: int
    subject: str
    verb: str
    audience: str | None
    verbatim: bool
    inner: str | None = None


def _audience(verb: str, rest: str) -> str | None:
    if not verb.startswith(("told", "tells", "urged", "urges", "called on", "calls on", "accused")):
        return None
    match = AUDIENCE_AFTER.match(rest)
    return match.group("audience").strip() if match else None


def direct_quote(text: str) -> Speech | None:
    """A sentence that opens with a quotation followed by who said it."""
    match = DIRECT.match(text)
    if match is None:
        return None
    who = match.group("who") or match.group("who2")
    verb = match.group("verb") or match.group("verb2")
    audience = (match.group("audience") or "").strip() or None
    end = (
        match.end("audience") if audience else match.end("verb" if match.group("verb") else "who2")
    )
    return Speech(0, end, who, verb, audience, True, match.group("inner"))


def trailing_attribution(text: str) -> Speech | None:
    """A clause that ends by naming its source: "..., the UN refugee agency says"."""
    match = TRAILING.search(text)
    if match is None or not re.search(r"\w+\s+\w+", text[: match.start()]):
        return None
    verb = match.group("verb")
    audience = verb[len("told ") :] if verb.startswith("told ") else None
    return Speech(0, len(text), match.group("who"), verb.split()[0], audience, False)


def reported_speech(text: str) -> Speech | None:
    """A clause whose subject said, urged, denied or holds something: the whole clause."""
    match = REPORTED.match(text)
    if match is not None and len(match.group("subject").split()) <= 8:
        verb, rest = match.group("verb"), match.group("rest")
        if verb.startswith(("urged", "urges", "told", "tells")) and ADVISORY.match(rest.strip()):
            return None
        return Speech(0, len(text), match.group("subject"), verb, _audience(verb, rest), False)
    position = POSITION.search(text)
    if position is not None:
        subject = text[: position.start()].strip()
        if len(subject.split()) <= 8:
            return Speech(0, len(text), subject, "holds", None, False)
    return None


def attribution_in(text: str) -> str | None:
    match = ATTRIBUTION.search(text)
    return f"according to {match.group('source').strip()}" if match else None

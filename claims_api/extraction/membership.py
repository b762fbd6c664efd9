"""Membership facts: who is, is not, or wants to be part of an organisation.

One claim per member: "the three Baltic states, Poland, and much of Europe's
southeast" gives Estonia, Latvia, Lithuania, Poland and the southeast, each
anchored on the words that name it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from claims_api.entities.gazetteer import COUNTRY_GROUPS, ORGANIZATION_PATTERN, ORGANIZATIONS
from claims_api.models.vocabulary import MembershipRelation

ORG = rf"(?:{ORGANIZATION_PATTERN}|the alliance|the bloc)"
ORGS = rf"(?P<orgs>{ORG}(?:,? (?:or|and|nor) {ORG})*)"
ITEM = r"(?:the |much of |most of |all of |parts of )?(?:[\w’'-]+ ){0,3}?[\w’'-]+"
LIST = rf"(?P<list>{ITEM}(?:, {ITEM})*(?:,? and {ITEM})?)(?=[.;]|$)"
NAME = r"(?:the )?[A-Z][\w’'.-]*(?: [A-Z][\w’'.-]*){0,3}"
NAMES = rf"(?P<list>{NAME}(?:, {NAME})*(?:,? and {NAME})?)"
# Capitalised words that open a sentence or clause without naming anyone.
OPENERS = re.compile(
    r"^(?:(?:Although|Though|Because|While|If|Since|However|But|And|So|Yet|As)\s+)+"
)
NEGATION = r"(?P<negation>not |no longer |not yet |yet to )?"

PATTERNS: list[tuple[re.Pattern[str], MembershipRelation | None, bool]] = [
    # (pattern, relation (None: member unless negated), one quote per member)
    (
        re.compile(
            rf"{ORGS} (?:today |now )?(?:has )?(?:extended|expanded|grown) to include {LIST}"
        ),
        None,
        True,
    ),
    (re.compile(rf"{ORGS}[’']s? members include {LIST}"), None, True),
    (
        re.compile(
            rf"\b{NAMES}(?:, which [^,]+,)? (?:is|are) (?:all )?{NEGATION}(?:an? )?"
            rf"(?:full )?members? of {ORGS}"
        ),
        None,
        False,
    ),
    (
        re.compile(
            rf"\b{NAMES}(?:, which [^,]+,)? (?:is|are) (?:all )?{NEGATION}(?:an? )?"
            rf"{ORGS} members?\b"
        ),
        None,
        False,
    ),
    (re.compile(rf"\b{NAMES} (?:has|have) {NEGATION}(?:yet )?join(?:ed)? {ORGS}"), None, False),
    (
        re.compile(rf"\b{NAMES} (?:has|have) applied (?:to join|for membership (?:of|in)) {ORGS}"),
        MembershipRelation.APPLICANT,
        False,
    ),
    (
        re.compile(
            rf"\b{NAMES} (?:is|are) (?:an? )?(?:official )?candidates? (?:for|to join) {ORGS}"
        ),
        MembershipRelation.CANDIDATE,
        False,
    ),
    (re.compile(rf"\b{NAMES} {NEGATION}belongs? to {ORGS}"), None, False),
]


@dataclass(frozen=True)
class Membership:
    """One member of one organisation; offsets relative to the text searched."""

    start: int
    end: int
    member: str
    organization: str
    relation: MembershipRelation


def _items(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    """The members a list names, with their offsets; "and" and commas separate them."""
    items = []
    for match in re.finditer(r"[^,]+", text[start:end]):
        piece = OPENERS.sub("", re.sub(r"^\s*(?:and\s+)", "", match.group()).strip())
        for part in re.split(r"\s+and\s+", piece):
            part = part.strip()
            if part:
                offset = text.index(part, start + match.start())
                items.append((offset, offset + len(part), part))
    return items


def _members(item: str) -> list[str]:
    """The countries an item names: a group is expanded, a name kept as written."""
    key = re.sub(r"^the (?:\w+ )?", "", item.lower())
    key = re.sub(r"^(?:three|four|five|two) ", "", key)
    if key in COUNTRY_GROUPS:
        return list(COUNTRY_GROUPS[key])
    return [item]


def memberships(text: str, last_organization: str | None) -> list[Membership]:
    """Every membership fact ``text`` states; "the alliance" is the last one named."""
    found: list[Membership] = []
    for pattern, relation, per_member in PATTERNS:
        for match in pattern.finditer(text):
            negated = bool(match.groupdict().get("negation"))
            kind = relation or (
                MembershipRelation.NOT_MEMBER if negated else MembershipRelation.MEMBER
            )
            organizations = [
                ORGANIZATIONS.get(name, last_organization or name)
                for name in re.split(r",? (?:or|and|nor) ", match.group("orgs"))
            ]
            items = _items(text, *match.span("list"))
            for start, end, item in items:
                if not (item[0].isupper() or item.startswith(("the ", "much of", "most of"))):
                    continue
                for member in _members(item):
                    for organization in organizations:
                        span = (start, end) if per_member else (items[0][0], match.end())
                        found.append(Membership(*span, member, organization, kind))
    return found

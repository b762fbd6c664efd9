"""What kind of entity a name stands for: an organisation or a person.

A simple rule, good enough for the speakers of statements (and meant to be reused
wherever a name needs a schema.org type). A name is an organisation when it is

1. an organisation, group or country the entity resolver knows ("NATO", "the EU", "Nato");
2. a definite description, starting with "the" ("the Chinese government", "the Kremlin");
3. an acronym: one word of two or more capitals ("WHO", "OSCE");
4. a noun phrase whose last word (its head) is an organisation noun
   ("Russian Defence Ministry", "Foreign Office").

Anything else is a person ("Wang Yi", "Chinese foreign ministry spokesperson Zhao Lijian").
"""

from __future__ import annotations

import re
from typing import Literal

from claims_api.entities import resolve

EntityType = Literal["Organization", "Person"]

# Heads of noun phrases naming organisations ("Defence Ministry", "Foreign Office").
_NOUNS = (
    "administration agency alliance army assembly association authority bank bureau cabinet "
    "commission committee company corporation council court department embassy federation "
    "force forces government group inc institute kremlin league ltd media ministry navy "
    "office organisation organization parliament party pentagon police presidency press "
    "senate service union university"
)
ORGANIZATION_NOUNS = frozenset(_NOUNS.split())
ACRONYM = re.compile(r"[A-Z][A-Z0-9&.-]+")


def entity_type(name: str) -> EntityType:
    """``Organization`` or ``Person`` for a name, by the rule above."""
    words = name.split()
    if not words:
        return "Person"
    known = resolve(name)
    if known is not None and known.kind in ("organization", "group", "country"):
        return "Organization"
    if words[0].casefold() == "the":
        return "Organization"
    if len(words) == 1 and ACRONYM.fullmatch(words[0]):
        return "Organization"
    head = re.sub(r"[^\w]", "", words[-1]).casefold()
    return "Organization" if head in ORGANIZATION_NOUNS else "Person"

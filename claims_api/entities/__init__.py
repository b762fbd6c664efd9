"""The one entity resolver of the service: names, aliases and demonyms to known entities.

Offline and pure: the reference list (countries from pycountry with demonyms and Wikidata
ids, organisations, places; see ``data/README.md``) is loaded once per process. The
extractor tags with it, and claims link to entities by its keys, so "Kiev" and "Kyiv",
"Nato", "NATO" and "the North Atlantic Treaty Organization" are one entity everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from claims_api.entities.core import (
    ENTITY_KINDS,
    EntityKind,
    KnownEntity,
    Mention,
    normalise,
)
from claims_api.entities.reference import reference

__all__ = [
    "ENTITY_KINDS",
    "EntityKind",
    "KnownEntity",
    "Mention",
    "country_of",
    "entity_key",
    "find_mentions",
    "forms_of",
    "is_description",
    "lookup",
    "normalise",
    "resolve",
]

# "27 nation bloc" and "32 member alliance" are the bloc and the alliance.
_COUNTED = re.compile(r"^\d+ (?:nation|member|country|state|strong) ")


@lru_cache(maxsize=4096)
def forms_of(entity: KnownEntity) -> frozenset[str]:
    """Every normalised form that names ``entity``: its name, aliases and demonyms."""
    names = (entity.name, *entity.aliases, *entity.demonyms)
    return frozenset(form for form in map(normalise, names) if form)


def resolve(name: str, *, context: Iterable[KnownEntity] = ()) -> KnownEntity | None:
    """The entity ``name`` stands for, or None.

    Case, diacritics, punctuation and a leading "the" do not matter ("Nato", "the EU",
    "Kiev", "U.S."); a demonym stands for its country ("Ukrainian"). A generic description
    ("the alliance", "the bloc", "the 27-nation bloc", "the kingdom") stands only for an
    entity of ``context`` (what the article mentions) that it can describe, and only when
    exactly one does. An entity of ``context`` is found by its own names first, so a name
    users added resolves as well.
    """
    form = normalise(name)
    if not form:
        return None
    entities = list(context)
    for entity in entities:
        if form in forms_of(entity):
            return entity
    known = reference().by_form.get(form)
    if known is not None:
        return known
    keys = reference().descriptions.get(form) or reference().descriptions.get(
        _COUNTED.sub("", form), set()
    )
    described = {entity.key: entity for entity in entities if entity.key in keys}
    return next(iter(described.values())) if len(described) == 1 else None


def is_description(name: str) -> bool:
    """Whether ``name`` is a generic description ("the alliance") rather than a name."""
    form = normalise(name)
    descriptions = reference().descriptions
    return form in descriptions or _COUNTED.sub("", form) in descriptions


def lookup(key: str) -> KnownEntity | None:
    """The reference entity with ``key``, or None."""
    return reference().entities.get(key)


def country_of(entity: KnownEntity) -> KnownEntity | None:
    """The country a place or a national body belongs to ("Kyiv" → Ukraine), if known."""
    key = reference().country_of.get(entity.key)
    return reference().entities[key] if key else None


def entity_key(name: str) -> str:
    """``resolve(name).key`` for a known name; else ``"name:"`` and the normalised name.

    So unknown names compare equal across case, diacritics, punctuation and a leading
    "the" ("Jane Doe", "jane doe"), and known ones across all their aliases.
    """
    known = resolve(name)
    return known.key if known is not None else f"name:{normalise(name)}"


# A word, with inner periods and apostrophes ("U.S", "d'Ivoire"), not a possessive 's.
_TOKEN = re.compile(r"\w+(?:[.'’](?!s\b)\w+)*")
# What may separate the words of one name: spaces, a hyphen, "&", a comma and space
# ("Korea, Republic of").
_GAP = re.compile(r"[ \t\u00a0]*[-&/][ \t\u00a0]*|[ \t\u00a0]+|, ")


def _tokens(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _TOKEN.finditer(text):
        start, end = match.span()
        if end < len(text) and text[end] == "." and "." in match.group():
            end += 1  # "U.S." keeps its last period
        elif end < len(text) and text[end] == "+":
            end += 1  # "OPEC+"
        spans.append((start, end))
    return spans


def find_mentions(text: str) -> list[Mention]:
    """Every known name, alias or demonym in ``text``, leftmost-longest, on word boundaries.

    A mention is written with a capital somewhere ("Nato", "mainland China"; never "us"
    or "turkey"), and a name known only as an acronym ("US", "WHO") is matched in capitals
    only. A leading "the" is not part of the mention.
    """
    known = reference()
    tokens = _tokens(text)
    # Each word normalised once; a span's form is its words' forms joined ("&" is "and").
    words = [normalise(text[start:end]) for start, end in tokens]
    found: list[Mention] = []
    index = 0
    while index < len(tokens):
        start = tokens[index][0]
        if words[index] in ("the", ""):
            index += 1
            continue
        mention = None
        last = index
        form = ""
        for candidate in range(index, min(index + known.longest_form, len(tokens))):
            if candidate > index:
                gap = _GAP.fullmatch(text, tokens[candidate - 1][1], tokens[candidate][0])
                if gap is None:
                    break
                form += " and " if "&" in gap.group() else " "
            form += words[candidate]
            if form not in known.prefixes:
                break
            entity = known.by_form.get(form)
            end = tokens[candidate][1]
            surface = text[start:end]
            if entity is None or surface.islower() or not any(c.isupper() for c in surface):
                continue
            if form in known.acronym_forms and surface != surface.upper():
                continue
            mention, last = Mention(start, end, surface, entity), candidate
        if mention is not None:
            found.append(mention)
            index = last + 1
        else:
            index += 1
    return found

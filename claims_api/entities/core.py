"""The entity resolver's value types and its one normalisation of names."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

EntityKind = Literal["person", "organization", "country", "place", "group", "other"]
ENTITY_KINDS: tuple[EntityKind, ...] = (
    "person",
    "organization",
    "country",
    "place",
    "group",
    "other",
)


@dataclass(frozen=True)
class KnownEntity:
    """An entity of the reference list (or one a caller passes as context)."""

    key: str  # stable: the Wikidata id where known ("Q7184"), else a slug ("org:csto")
    name: str  # canonical display name ("NATO", "Ukraine", "Kyiv")
    kind: EntityKind
    aliases: tuple[str, ...]  # other names and spellings ("Nato", "Kiev")
    wikidata_id: str | None
    demonyms: tuple[str, ...] = ()  # countries: "Ukrainian", "Russian"


@dataclass(frozen=True)
class Mention:
    """Where a known name, alias or demonym occurs in a text: ``text[start:end] == surface``."""

    start: int
    end: int
    surface: str
    entity: KnownEntity


# Dropped inside a name, so "U.S." is "us" and "Côte d'Ivoire" "cote divoire".
_JOINERS = re.compile(r"[.'’ʼ`]")
_POSSESSIVE = re.compile(r"['’]s$")
_SEPARATORS = re.compile(r"[^\w]+")
_LEADING_THE = re.compile(r"^(?:the )+")  # "the The Hague" is The Hague


@lru_cache(maxsize=65536)
def normalise(name: str) -> str:
    """The form names are compared in: case, diacritics, punctuation and a leading "the" ignored.

    "the U.S." → "us", "Nato" → "nato", "Kyïv" → "kyiv", "OPEC+" → "opec plus",
    "Guinea-Bissau" → "guinea bissau", "Ukraine's" → "ukraine".
    """
    text = name.strip()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(char for char in text if not unicodedata.combining(char))
    text = _POSSESSIVE.sub("", text.casefold())
    text = text.replace("&", " and ").replace("+", " plus ")
    text = _SEPARATORS.sub(" ", _JOINERS.sub("", text)).strip()
    return _LEADING_THE.sub("", text)

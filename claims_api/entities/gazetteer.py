"""The reference list in the shapes the rule-based extractor reads.

Derived from the one reference list (``claims_api.entities``), never restated: the
organisations that have members and how text writes them, the named groups of countries,
and the tags a text gets.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from claims_api.entities import country_of, find_mentions
from claims_api.entities.reference import reference


def _organizations() -> dict[str, str]:
    """How text writes each organisation that has members → its canonical name."""
    known = reference()
    written: dict[str, str] = {}
    for key in sorted(known.with_members):
        entity = known.entities[key]
        for surface in (entity.name, *entity.aliases):
            bare = re.sub(r"^the ", "", surface)
            written[bare] = entity.name
            written[f"the {bare}"] = entity.name
    return written


def _country_groups() -> dict[str, tuple[str, ...]]:
    """Named groups of countries, by their lower-case names without "the"."""
    known = reference()
    groups: dict[str, tuple[str, ...]] = {}
    for key, members in known.members.items():
        entity = known.entities[key]
        for surface in (entity.name, *entity.aliases):
            groups[re.sub(r"^the ", "", surface.lower())] = members
    return groups


# Organisations a membership claim can be about, as text writes them ("the EU", "Nato").
ORGANIZATIONS = _organizations()
ORGANIZATION_PATTERN = "|".join(sorted(map(re.escape, ORGANIZATIONS), key=len, reverse=True))
# Named groups whose members a membership claim lists one by one.
COUNTRY_GROUPS = _country_groups()


def tags_in(text: str, people: Sequence[str] = ()) -> list[str]:
    """The entities ``text`` names, as tags spelled one way in every claim.

    A place or a national body is tagged with its country ("Kyiv", "the Kremlin" →
    Ukraine, Russia), as the claim is about the country.
    """
    found = set()
    for mention in find_mentions(text):
        country = country_of(mention.entity)
        found.add((country or mention.entity).name)
    found.update(name for name in people if name in text)
    return sorted(found)

"""The reference list of entities, loaded once per process from pycountry and ``data/``.

Every name, alias and demonym is indexed by its normalised form (``core.normalise``).
Where one form names several entities, a canonical name beats an alias, an alias beats a
demonym, and an independent country beats a territory ("French" is France, not the French
Southern Territories); a form still shared after that ("Dominican", "Congolese") names
nobody rather than the wrong one.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, cast

import pycountry

from claims_api.entities.core import EntityKind, KnownEntity, normalise

# Ranks of a form for one entity: lower wins when two entities share it.
NAME, ALIAS, DEMONYM = 0, 1, 2
# Short all-capital names ("US", "WHO", "AU") are matched in running text only in capitals,
# so "us" and "Who" are not the United States and the World Health Organization.
_ACRONYM = re.compile(r"[A-Z0-9.&+-]{2,8}")


@dataclass
class Reference:
    """The loaded list and its indexes."""

    entities: dict[str, KnownEntity] = field(default_factory=dict)
    by_form: dict[str, KnownEntity] = field(default_factory=dict)
    # Forms that only an acronym gives: matched in capitals only, in running text.
    acronym_forms: set[str] = field(default_factory=set)
    # Generic descriptions ("alliance", "27 nation bloc") → the keys they may stand for.
    descriptions: dict[str, set[str]] = field(default_factory=dict)
    # Key of a place or national body → its country's key ("Kyiv" → Ukraine).
    country_of: dict[str, str] = field(default_factory=dict)
    # Key of a group of countries → its members' names ("Baltic states" → Estonia, ...).
    members: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Keys of organisations that have members (NATO, the EU, the UN, ...).
    with_members: set[str] = field(default_factory=set)
    longest_form: int = 1  # in words
    # Every leading run of words of a form ("north", "north atlantic", ...): a mention
    # stops growing once its words begin no form.
    prefixes: set[str] = field(default_factory=set)


def _data(name: str) -> Any:
    text = resources.files("claims_api.entities").joinpath("data", name).read_text("utf-8")
    return json.loads(text)


def _plural(demonym: str) -> str | None:
    if demonym.endswith(("ese", "ch", "sh", "ss", "s", "i")) or " " in demonym:
        return None
    return demonym + "s"


class _Builder:
    def __init__(self) -> None:
        self.reference = Reference()
        self._claims: dict[str, list[tuple[int, bool, str]]] = defaultdict(list)
        self._surfaces: dict[str, list[str]] = defaultdict(list)

    def add(
        self,
        entity: KnownEntity,
        *,
        preferred: bool = True,
        descriptions: Sequence[str] = (),
    ) -> None:
        self.reference.entities[entity.key] = entity
        forms = [(entity.name, NAME)]
        forms += [(alias, ALIAS) for alias in entity.aliases]
        forms += [(demonym, DEMONYM) for demonym in entity.demonyms]
        for surface, rank in forms:
            form = normalise(surface)
            if form:
                self._claims[form].append((rank, not preferred, entity.key))
                self._surfaces[form].append(surface)
        for description in descriptions:
            self.reference.descriptions.setdefault(normalise(description), set()).add(entity.key)

    def build(self) -> Reference:
        reference = self.reference
        for form, claims in self._claims.items():
            best = min(claims)
            rivals = {key for rank, deferred, key in claims if (rank, deferred) == best[:2]}
            if len(rivals) == 1:
                reference.by_form[form] = reference.entities[best[2]]
            if all(_ACRONYM.fullmatch(surface) for surface in self._surfaces[form]):
                reference.acronym_forms.add(form)
        reference.longest_form = max(len(form.split()) for form in reference.by_form)
        for form in reference.by_form:
            words = form.split()
            reference.prefixes.update(" ".join(words[:n]) for n in range(1, len(words) + 1))
        return reference


def _countries(builder: _Builder) -> dict[str, str]:
    """Add every country; return ISO alpha-2 code → key."""
    facts = _data("countries.json")
    extras = {
        code: value for code, value in _data("country_aliases.json").items() if code[0] != "_"
    }
    records: list[tuple[str, list[str]]] = [
        (
            country.alpha_2,
            [
                name
                for name in (
                    getattr(country, "common_name", None),
                    country.name,
                    getattr(country, "official_name", None),
                )
                if name
            ],
        )
        for country in pycountry.countries
    ]
    records.append(("XK", []))  # Kosovo: no ISO 3166 code, so not in pycountry
    keys: dict[str, str] = {}
    for code, iso_names in records:
        fact = facts.get(code, {})
        extra = extras.get(code, {})  # keyed by alpha-2 code; "_comment" matches none
        name = fact.get("common_name") or iso_names[0]
        demonyms = list(fact.get("demonyms", [])) + list(extra.get("demonyms", []))
        demonyms += [plural for d in demonyms if (plural := _plural(d)) and plural not in demonyms]
        aliases = [n for n in iso_names + list(extra.get("aliases", [])) if n != name]
        wikidata_id = fact.get("wikidata_id")
        key = wikidata_id or f"country:{code.lower()}"
        entity = KnownEntity(
            key=key,
            name=name,
            kind="country",
            aliases=tuple(dict.fromkeys(aliases)),
            wikidata_id=wikidata_id,
            demonyms=tuple(dict.fromkeys(demonyms)),
        )
        builder.add(
            entity,
            preferred=bool(fact.get("independent", True)),
            descriptions=extra.get("descriptions", []),
        )
        keys[code] = key
    return keys


def _named(record: dict[str, Any], kind: EntityKind) -> KnownEntity:
    return KnownEntity(
        key=record["key"],
        name=record["name"],
        kind=cast(EntityKind, record.get("kind", kind)),
        aliases=tuple(record.get("aliases", ())),
        wikidata_id=record.get("wikidata_id"),
    )


@cache
def reference() -> Reference:
    """The reference list, built on first use and kept for the process."""
    builder = _Builder()
    country_keys = _countries(builder)
    for record in _data("organizations.json"):
        entity = _named(record, "organization")
        builder.add(entity, descriptions=record.get("descriptions", []))
        if "members" in record:
            builder.reference.members[entity.key] = tuple(record["members"])
        if record.get("has_members"):
            builder.reference.with_members.add(entity.key)
        if record.get("country"):
            builder.reference.country_of[entity.key] = country_keys[record["country"]]
    for record in _data("places.json"):
        entity = _named(record, "place")
        builder.add(entity)
        if record.get("country"):
            builder.reference.country_of[entity.key] = country_keys[record["country"]]
    return builder.build()

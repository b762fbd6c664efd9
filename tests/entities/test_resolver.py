"""The entity resolver (claims_api/entities): one key for every spelling of an entity."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from claims_api.entities import (
    KnownEntity,
    entity_key,
    find_mentions,
    forms_of,
    lookup,
    normalise,
    resolve,
)
from claims_api.entities.reference import reference

ENTITIES = sorted(reference().entities.values(), key=lambda entity: entity.key)
# (entity, one of its names) for every name that names it alone.
NAMED = [
    (entity, name)
    for entity in ENTITIES
    for name in (entity.name, *entity.aliases, *entity.demonyms)
    if reference().by_form.get(normalise(name)) is entity
]


def _respell(name: str, draw: st.DrawFn) -> str:
    """``name`` in another case, with or without diacritics, a leading "the", spacing."""
    cased = "".join(char.upper() if draw(st.booleans()) else char.lower() for char in name)
    if draw(st.booleans()):
        decomposed = unicodedata.normalize("NFKD", cased)
        cased = "".join(char for char in decomposed if not unicodedata.combining(char))
    if draw(st.booleans()):
        cased = "the " + cased
    return cased.replace(" ", draw(st.sampled_from([" ", "  ", "\t"])))


@st.composite
def respelled(draw: st.DrawFn) -> tuple[KnownEntity, str]:
    entity, name = draw(st.sampled_from(NAMED))
    return entity, _respell(name, draw)


@given(respelled())
def test_every_alias_in_any_case_resolves_to_its_entity(case: tuple[KnownEntity, str]) -> None:
    entity, spelling = case
    assert resolve(spelling) == entity, f"{spelling!r} should resolve to {entity.name}"
    assert entity_key(spelling) == entity.key


@given(st.sampled_from(ENTITIES))
def test_all_names_of_an_entity_share_one_key(entity: KnownEntity) -> None:
    keys = {
        entity_key(name)
        for name in (entity.name, *entity.aliases, *entity.demonyms)
        if reference().by_form.get(normalise(name)) is entity
    }
    assert keys == {entity.key}


def test_reference_keys_are_wikidata_ids_or_slugs() -> None:
    for entity in ENTITIES:
        if entity.wikidata_id:
            assert entity.key == entity.wikidata_id
        else:
            assert ":" in entity.key, entity


@pytest.mark.parametrize(
    ("names", "key", "name"),
    [
        (["Kiev", "Kyiv", "KYIV", "kiev", "Kyïv"], "Q1899", "Kyiv"),
        (
            ["Nato", "NATO", "nato", "North Atlantic Treaty Organization", "the N.A.T.O."],
            "Q7184",
            "NATO",
        ),
        (
            ["the EU", "EU", "E.U.", "European Union", "the european union"],
            "Q458",
            "European Union",
        ),
        (
            ["U.S.", "US", "the US", "America", "United States of America", "USA"],
            "Q30",
            "United States",
        ),
        (["UK", "Britain", "Great Britain", "United Kingdom"], "Q145", "United Kingdom"),
        (["Russia", "Russian Federation", "Russian", "Russians"], "Q159", "Russia"),
        (["Beijing", "Peking"], "Q956", "Beijing"),
        (["Mumbai", "Bombay"], "Q1156", "Mumbai"),
        (["Kosovo"], "Q1246", "Kosovo"),
        (["South Korea", "Korea, Republic of"], "Q884", "South Korea"),
        (["North Korea", "DPRK"], "Q423", "North Korea"),
        (["Iran", "Iran, Islamic Republic of"], "Q794", "Iran"),
        (["Côte d'Ivoire", "Cote d’Ivoire", "Ivory Coast"], "Q1008", "Ivory Coast"),
    ],
)
def test_spellings_resolve_to_one_entity(names: list[str], key: str, name: str) -> None:
    for spelling in names:
        found = resolve(spelling)
        assert found is not None and (found.key, found.name) == (key, name), spelling


@pytest.mark.parametrize(
    ("demonym", "country"),
    [
        ("Ukrainian", "Ukraine"),
        ("Ukrainians", "Ukraine"),
        ("Russian", "Russia"),
        ("Chinese", "China"),
        ("French", "France"),
        ("American", "United States"),
        ("British", "United Kingdom"),
        ("Finns", "Finland"),
        ("Dutch", "Netherlands"),
    ],
)
def test_a_demonym_resolves_to_its_country(demonym: str, country: str) -> None:
    found = resolve(demonym)
    assert found is not None and found.kind == "country" and found.name == country


def test_a_demonym_two_countries_share_resolves_to_neither() -> None:
    assert resolve("Dominican") is None
    assert resolve("Congolese") is None


def test_a_generic_description_resolves_only_to_an_entity_in_context() -> None:
    nato, eu, uk, spain = (resolve(name) for name in ("NATO", "EU", "UK", "Spain"))
    assert nato and eu and uk and spain
    for description in ("the alliance", "the bloc", "the 27-nation bloc", "the kingdom"):
        assert resolve(description) is None, description
    assert resolve("the alliance", context=[eu, nato]) == nato
    assert resolve("the Western alliance", context=[nato]) == nato
    assert resolve("the 32-member alliance", context=[nato]) == nato
    assert resolve("the bloc", context=[nato, eu]) == eu
    assert resolve("the 27-nation bloc", context=[eu]) == eu
    assert resolve("the alliance", context=[eu]) is None
    assert resolve("the kingdom", context=[uk, nato]) == uk
    assert resolve("the kingdom", context=[uk, spain]) is None, "ambiguous in context"


def test_an_entity_in_context_resolves_by_its_own_names() -> None:
    added = KnownEntity("name:acme", "Acme Corp", "organization", ("Acme",), None)
    assert resolve("ACME", context=[added]) == added
    assert resolve("Acme") is None


def test_an_unknown_name_keys_by_its_normalised_spelling() -> None:
    assert entity_key("Jane  Doe") == entity_key("jane doe") == "name:jane doe"
    assert entity_key("the Acme Corp") == entity_key("Acme corp")
    assert entity_key("Nato") == entity_key("North Atlantic Treaty Organization") == "Q7184"
    assert resolve("") is None and resolve("the") is None


def test_lookup_and_forms_of_a_reference_entity() -> None:
    nato = lookup("Q7184")
    assert nato is not None and {"nato", "north atlantic treaty organization"} <= forms_of(nato)
    assert lookup("Q0") is None


def _mentions(text: str) -> list[tuple[str, str]]:
    found = find_mentions(text)
    for mention in found:
        assert text[mention.start : mention.end] == mention.surface
    return [(mention.surface, mention.entity.name) for mention in found]


def test_find_mentions_takes_the_longest_name_on_word_boundaries() -> None:
    text = (
        "The North Atlantic Treaty Organization and Nato's allies met in Kiev; "
        "the U.S. and the UN Security Council disagreed with Ukrainian officials."
    )
    assert _mentions(text) == [
        ("North Atlantic Treaty Organization", "NATO"),
        ("Nato", "NATO"),
        ("Kiev", "Kyiv"),
        ("U.S.", "United States"),
        ("UN Security Council", "UN Security Council"),
        ("Ukrainian", "Ukraine"),
    ]


def test_find_mentions_skips_lower_case_words_and_acronyms_not_in_capitals() -> None:
    text = "Who told us? The turkey was served in Chad, and the WHO said so in mainland China."
    assert _mentions(text) == [
        ("Chad", "Chad"),
        ("WHO", "World Health Organization"),
        ("mainland China", "China"),
    ]


def test_find_mentions_leaves_generic_descriptions_to_context() -> None:
    assert _mentions("the alliance and the 27-nation bloc said") == []


@given(st.text(max_size=200))
def test_find_mentions_gives_spans_of_the_text(text: str) -> None:
    for mention in find_mentions(text):
        assert text[mention.start : mention.end] == mention.surface
        assert mention.entity.key in reference().entities

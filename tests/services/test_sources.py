"""services/sources.py: one source per normalised URL, described when it is created."""

from __future__ import annotations

import pytest

from claims_api.errors import Conflict, InvalidInput, PreconditionFailed
from claims_api.limits import MAX_URL_LENGTH
from claims_api.models import Article
from claims_api.models.vocabulary import Role
from claims_api.services import claims as claim_service
from claims_api.services import sources as source_service
from claims_api.services.revisions import ANY_VERSION, Precondition
from tests.services.helpers import ALICE, claim_data

URL = "https://sources.example.org/pentagon"


def test_sources_for_urls_creates_the_new_ones_once_with_their_description(in_app: object) -> None:
    first = source_service.sources_for_urls(
        {URL: {"title": "Briefing", "kind": "dataset"}}, ALICE.actor
    )
    again = source_service.sources_for_urls(
        {URL: {"title": "Another title"}, "https://sources.example.org/b": {}}, ALICE.actor
    )

    assert again[URL].id == first[URL].id
    assert again[URL].title == "Briefing", "a description applies only when the source is new"
    assert str(again["https://sources.example.org/b"].kind) == "other"


def test_two_spellings_of_one_url_are_one_source(in_app: object) -> None:
    source_service.create_source({"url": URL}, ALICE.actor)
    with pytest.raises(Conflict):
        source_service.create_source(
            {"url": "HTTPS://Sources.Example.org/pentagon/?utm_medium=x"}, ALICE.actor
        )


def test_a_url_too_long_once_normalised_is_refused_naming_the_field(in_app: object) -> None:
    url = "https://example.org/" + "é" * (MAX_URL_LENGTH // 6 + 1)
    with pytest.raises(InvalidInput) as raised:
        source_service.create_source({"url": URL, "archived_url": url}, ALICE.actor)
    assert set(raised.value.errors or {}) == {"archived_url"}


def test_an_update_bumps_the_version_and_a_stale_one_is_refused(in_app: object) -> None:
    source = source_service.create_source({"url": URL}, ALICE.actor)
    updated = source_service.update_source(
        source.id, {"title": "Briefing"}, ANY_VERSION, ALICE.actor
    )
    assert (updated.title, updated.version) == ("Briefing", 2)
    with pytest.raises(PreconditionFailed):
        source_service.update_source(
            source.id, {"title": "Old"}, Precondition(frozenset({1})), ALICE.actor
        )


def test_a_source_counts_the_live_claims_citing_it(article: Article) -> None:
    link = {"url": URL, "stance": "supports"}
    kept = claim_service.create_claim(
        claim_data(article, sources=[link]), ALICE, role=Role.CONTRIBUTOR
    )
    deleted = claim_service.create_claim(
        claim_data(article, key="gone", text="Another.", sources=[link]),
        ALICE,
        role=Role.CONTRIBUTOR,
    )
    claim_service.delete_claim(deleted.id, ANY_VERSION, ALICE)

    described = source_service.describe_source(kept.source_links[0].source)
    assert described["citation_count"] == 1
    assert [citation.claim_id for citation in described["citations"]] == [kept.id]

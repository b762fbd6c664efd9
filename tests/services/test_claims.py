"""services/claims.py: what creating, editing, linking and deleting a claim does."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from claims_api.errors import Conflict, Gone, InvalidInput, PreconditionFailed
from claims_api.extensions import db
from claims_api.limits import MAX_URL_LENGTH
from claims_api.models import Article, Revision
from claims_api.models.vocabulary import Role
from claims_api.services import claims as claim_service
from claims_api.services.revisions import ANY_VERSION, Precondition, snapshot_of
from tests.services.helpers import ALICE, claim_data

VERDICT = {"status": "verified"}


def revisions_of(claim_id: int) -> list[Revision]:
    statement = select(Revision).where(Revision.claim_id == claim_id).order_by(Revision.number)
    return list(db.session.scalars(statement))


def test_a_new_claim_has_revision_1_by_its_actor_with_the_claim_as_snapshot(
    article: Article,
) -> None:
    claim = claim_service.create_claim(
        claim_data(article, tags=["Ukraine", "Russia", "Ukraine"]), ALICE, role=Role.CONTRIBUTOR
    )

    (revision,) = revisions_of(claim.id)
    assert (revision.number, revision.action, revision.actor) == (1, "create", "alice")
    assert revision.reason == "checking"
    assert revision.snapshot == snapshot_of(claim)
    assert claim.tag_names == ["Russia", "Ukraine"], "tags are a sorted set"
    assert claim.quote is not None and claim.quote["start"] == article.body.index("Around")


@pytest.mark.parametrize("role", [Role.CONTRIBUTOR, Role.REVIEWER])
def test_a_new_claim_by_anyone_but_an_admin_cannot_carry_a_verdict(
    article: Article, role: Role
) -> None:
    with pytest.raises(InvalidInput) as raised:
        claim_service.create_claim(
            claim_data(article, **VERDICT, rating={"alternate_name": "True"}), ALICE, role=role
        )
    assert set(raised.value.errors or {}) == {"status", "rating"}


def test_an_admin_load_of_a_new_claim_keeps_its_verdict(article: Article) -> None:
    claim = claim_service.create_claim(claim_data(article, **VERDICT), ALICE, role=Role.ADMIN)
    assert claim.status == "verified"
    # Our rating is the published verdict's: no write, not even an admin's, sets one.
    assert claim.rating is None


@pytest.mark.parametrize("role", list(Role))
def test_no_edit_changes_a_claim_verdict_whatever_the_role(article: Article, role: Role) -> None:
    claim = claim_service.create_claim(claim_data(article), ALICE, role=Role.CONTRIBUTOR)
    with pytest.raises(InvalidInput) as raised:
        claim_service.update_claim(claim.id, {"status": "false"}, ANY_VERSION, ALICE, role=role)
    assert set(raised.value.errors or {}) == {"status"}
    assert claim_service.get_claim(claim.id).status == "unverified"


def test_an_edit_that_repeats_the_current_status_is_not_a_change(article: Article) -> None:
    claim = claim_service.create_claim(claim_data(article), ALICE, role=Role.CONTRIBUTOR)
    claim_service.update_claim(
        claim.id, {"status": "unverified"}, ANY_VERSION, ALICE, role=Role.CONTRIBUTOR
    )
    assert len(revisions_of(claim.id)) == 1


def test_an_edit_writes_one_revision_listing_what_changed(article: Article) -> None:
    claim = claim_service.create_claim(claim_data(article), ALICE, role=Role.CONTRIBUTOR)
    text = "Some 130,000 Russian troops are at the Ukrainian border."
    claim_service.update_claim(
        claim.id, {"text": text}, Precondition(frozenset({1})), ALICE, role=Role.CONTRIBUTOR
    )

    revision = revisions_of(claim.id)[-1]
    assert (revision.number, revision.action) == (2, "update")
    assert set(revision.changes) == {"text"}
    assert revision.changes["text"]["new"] == text


def test_an_edit_based_on_an_old_version_is_refused(article: Article) -> None:
    claim = claim_service.create_claim(claim_data(article), ALICE, role=Role.CONTRIBUTOR)
    claim_service.update_claim(
        claim.id, {"text": "First edit."}, ANY_VERSION, ALICE, role=Role.CONTRIBUTOR
    )
    with pytest.raises(PreconditionFailed):
        claim_service.update_claim(
            claim.id,
            {"text": "Second edit."},
            Precondition(frozenset({1})),
            ALICE,
            role=Role.CONTRIBUTOR,
        )


def test_an_edit_that_changes_nothing_writes_no_revision(article: Article) -> None:
    claim = claim_service.create_claim(claim_data(article), ALICE, role=Role.CONTRIBUTOR)
    claim_service.update_claim(
        claim.id, {"text": claim.text}, ANY_VERSION, ALICE, role=Role.CONTRIBUTOR
    )
    assert [revision.number for revision in revisions_of(claim.id)] == [1]


def test_a_key_names_one_claim_of_its_article(article: Article) -> None:
    first = claim_service.create_claim(
        claim_data(article, key="troops"), ALICE, role=Role.CONTRIBUTOR
    )
    with pytest.raises(Conflict) as raised:
        claim_service.create_claim(claim_data(article, key="troops"), ALICE, role=Role.CONTRIBUTOR)
    assert raised.value.extensions["claim_id"] == first.id


def test_a_claim_carries_only_its_own_kind_of_structured_fields(article: Article) -> None:
    data = claim_data(
        article, membership={"member": "Ukraine", "organization": "NATO", "relation": "not_member"}
    )
    with pytest.raises(InvalidInput) as raised:
        claim_service.create_claim(data, ALICE, role=Role.CONTRIBUTOR)
    assert set(raised.value.errors or {}) == {"membership"}


def test_a_quote_the_body_does_not_say_is_refused(article: Article) -> None:
    data = claim_data(article, quote={"exact": "words the article never uses"})
    with pytest.raises(InvalidInput) as raised:
        claim_service.create_claim(data, ALICE, role=Role.CONTRIBUTOR)
    assert "quote" in " ".join(raised.value.errors or {})


def test_linking_a_source_twice_keeps_one_link_with_the_latest_stance(article: Article) -> None:
    claim = claim_service.create_claim(claim_data(article), ALICE, role=Role.CONTRIBUTOR)
    link = {"url": "https://Sources.example.org/pentagon?utm_source=x", "stance": "supports"}
    _, first, created = claim_service.link_source(claim.id, link, ANY_VERSION, ALICE)
    _, again, created_again = claim_service.link_source(
        claim.id, {**link, "stance": "refutes"}, ANY_VERSION, ALICE
    )

    assert (created, created_again) == (True, False)
    assert first.source_id == again.source_id
    assert [str(item.stance) for item in claim_service.get_claim(claim.id).source_links] == [
        "refutes"
    ]
    assert first.source.url == "https://sources.example.org/pentagon"


def test_a_source_url_too_long_once_normalised_is_refused_at_its_link(article: Article) -> None:
    url = "https://example.org/" + "é" * (MAX_URL_LENGTH // 6 + 1)
    data = claim_data(article, sources=[{"url": url, "stance": "supports"}])
    with pytest.raises(InvalidInput) as raised:
        claim_service.create_claim(data, ALICE, role=Role.CONTRIBUTOR)
    assert set(raised.value.errors or {}) == {"sources.0.url"}


def test_a_deleted_claim_is_gone_and_its_history_ends_with_the_deletion(article: Article) -> None:
    claim = claim_service.create_claim(claim_data(article), ALICE, role=Role.CONTRIBUTOR)
    claim_service.delete_claim(claim.id, ANY_VERSION, ALICE)

    with pytest.raises(Gone):
        claim_service.get_claim(claim.id)
    assert [revision.action for revision in revisions_of(claim.id)] == ["create", "delete"]

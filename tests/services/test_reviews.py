"""services/reviews.py: reviews move a claim along the workflow, verdicts need their
evidence, and a published verdict changes only by a correction."""

from __future__ import annotations

from typing import Any

import pytest

from claims_api.errors import Conflict, Forbidden, InvalidInput
from claims_api.models import Article, Claim
from claims_api.models.vocabulary import Role, Stance
from claims_api.services import claims as claim_service
from claims_api.services import reviews as review_service
from claims_api.services.revisions import ANY_VERSION, Change
from tests.services.helpers import ALICE, claim_data

BOB = Change("bob")
# As the API's schema loads it: the stance an enum member.
EVIDENCE = [{"url": "https://sources.example.org/pentagon", "stance": Stance.SUPPORTS}]
FALSE = {"status": "false", "rationale": "The briefing says otherwise.", "evidence": EVIDENCE}


def new_claim(article: Article) -> Claim:
    return claim_service.create_claim(claim_data(article), ALICE, role=Role.CONTRIBUTOR)


def review(claim: Claim, decision: dict[str, Any], change: Change = BOB, **options: Any) -> Any:
    return review_service.review_claim(claim.id, decision, ANY_VERSION, change, **options)


def test_a_review_moves_the_claim_and_records_who_from_where_to_where(article: Article) -> None:
    claim = new_claim(article)
    written = review(claim, {"status": "in_review"})

    assert claim_service.get_claim(claim.id).status == "in_review"
    assert (written.reviewer, written.from_status, written.to_status) == (
        "bob",
        "unverified",
        "in_review",
    )
    assert written.revision_number == 2


def test_a_transition_the_workflow_does_not_allow_is_a_conflict_naming_the_allowed(
    article: Article,
) -> None:
    claim = new_claim(article)
    with pytest.raises(Conflict) as raised:
        review(claim, FALSE)
    assert raised.value.extensions["allowed"] == ["in_review"]
    assert claim_service.get_claim(claim.id).status == "unverified"


def test_a_verdict_without_rationale_or_evidence_is_refused_naming_both(article: Article) -> None:
    claim = new_claim(article)
    review(claim, {"status": "in_review"})
    with pytest.raises(InvalidInput) as raised:
        review(claim, {"status": "false"})
    assert set(raised.value.errors or {}) == {"rationale", "evidence"}


def test_a_verdict_links_its_evidence_to_the_claim(article: Article) -> None:
    claim = new_claim(article)
    review(claim, {"status": "in_review"})
    written = review(claim, FALSE)

    (link,) = claim_service.get_claim(claim.id).source_links
    assert link.source.url == EVIDENCE[0]["url"]
    assert written.evidence == [
        {"source_id": link.source_id, "url": link.source.url, "stance": "supports", "excerpt": None}
    ]


def test_with_four_eyes_the_claim_author_cannot_give_its_verdict(article: Article) -> None:
    claim = new_claim(article)
    review(claim, {"status": "in_review"}, ALICE)
    with pytest.raises(Forbidden):
        review(claim, FALSE, ALICE, four_eyes=True)
    review(claim, FALSE, BOB, four_eyes=True)
    assert claim_service.get_claim(claim.id).status == "false"


def test_a_published_verdict_changes_only_through_a_correction(article: Article) -> None:
    claim = new_claim(article)
    review(claim, {"status": "in_review"})
    verdict = review(claim, FALSE)
    published = review_service.publish_verdict(claim.id, ANY_VERSION, BOB)
    assert published.published_review_id == verdict.id

    with pytest.raises(Conflict):
        review(claim, {"status": "in_review"})
    review(claim, {"status": "in_review", "correction": True})
    assert claim_service.get_claim(claim.id).status == "in_review"


def test_only_a_verdict_a_review_gave_can_be_published(article: Article) -> None:
    claim = new_claim(article)
    with pytest.raises(Conflict):
        review_service.publish_verdict(claim.id, ANY_VERSION, BOB)


def test_a_bulk_review_names_the_item_that_failed(article: Article) -> None:
    first, second = (
        new_claim(article),
        claim_service.create_claim(
            claim_data(article, key="other", text="Another claim."), ALICE, role=Role.CONTRIBUTOR
        ),
    )
    review(first, {"status": "in_review"})
    items = [
        review_service.ClaimVersion(first.id, ANY_VERSION),
        review_service.ClaimVersion(second.id, ANY_VERSION),
    ]
    with pytest.raises(Conflict) as raised:
        review_service.review_claims(items, FALSE, BOB, four_eyes=False)
    assert raised.value.detail.startswith("claims.1: "), raised.value.detail
    with pytest.raises(InvalidInput) as repeated:
        review_service.review_claims([items[0], items[0]], FALSE, BOB, four_eyes=False)
    assert set(repeated.value.errors or {}) == {"claims"}

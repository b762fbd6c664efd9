"""services/revisions.py: what a revision records, and the one snapshot builder."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from claims_api.errors import NotFound
from claims_api.models import Article, Claim, ClaimSource, ClaimTag, Source
from claims_api.models.vocabulary import ClaimKind, Role, Stance
from claims_api.schemas.claims import ClaimSchema
from claims_api.services import claims as claim_service
from claims_api.services import revisions as revision_service
from claims_api.services.revisions import ANY_VERSION, ClaimRow, snapshot_of
from tests.services.helpers import ALICE, claim_data


def test_changes_leave_out_the_bookkeeping_every_change_moves() -> None:
    old = {"text": "a", "revision": 1, "updated_at": "x", "tags": ["A"]}
    new = {"text": "b", "revision": 2, "updated_at": "y", "tags": ["A"]}
    assert revision_service.changed_fields(old, new) == {"text": {"old": "a", "new": "b"}}


def test_a_creation_lists_every_field_it_was_created_with() -> None:
    snapshot = {"text": "a", "key": None, "revision": 1, "tags": []}
    assert revision_service.creation_changes(snapshot) == {
        "tags": {"old": None, "new": []},
        "text": {"old": None, "new": "a"},
    }


def test_revision_numbers_are_gapless_and_a_diff_shows_one_edit(article: Article) -> None:
    claim = claim_service.create_claim(claim_data(article), ALICE, role=Role.CONTRIBUTOR)
    for text in ("First edit.", "First edit.", "Second edit."):
        claim_service.update_claim(
            claim.id, {"text": text}, ANY_VERSION, ALICE, role=Role.CONTRIBUTOR
        )

    assert claim_service.get_claim(claim.id).revision == 3, "the repeated edit wrote nothing"
    diff = revision_service.diff_revisions(claim.id, 3, None)
    assert diff["changes"] == {"text": {"old": "First edit.", "new": "Second edit."}}
    assert revision_service.get_revision(claim.id, 2).snapshot["text"] == "First edit."


def test_a_missing_revision_is_not_found(article: Article) -> None:
    claim = claim_service.create_claim(claim_data(article), ALICE, role=Role.CONTRIBUTOR)
    with pytest.raises(NotFound):
        revision_service.get_revision(claim.id, 2)
    with pytest.raises(NotFound):
        revision_service.get_revision(claim.id + 1, 1)


def test_a_row_inserted_without_the_orm_has_the_snapshot_of_the_same_claim() -> None:
    """The bulk import's rows and the ORM's claims go through the one builder alike."""
    now = datetime(2026, 12, 3, tzinfo=UTC)
    columns = {
        "id": 7,
        "article_id": 3,
        "key": "troops",
        "text": "Around 130,000 troops.",
        "kind": ClaimKind.QUANTITY,
        "details": {"value": 130000},
        "speaker": None,
        "quote_exact": "130,000",
        "quote_start": 7,
        "quote_end": 14,
        "quote_prefix": "Around ",
        "quote_suffix": " troops",
        "anchor_state": "anchored",
        "anchor_version": 1,
        "anchor_score": None,
        "anchor_previous_exact": None,
        "status": "unverified",
        "review_priority": 3,
        "published_review_id": None,
        "revision": 1,
        "created_at": now,
        "updated_at": now,
        "deleted_at": None,
    }
    orm = Claim(**columns, tags=[ClaimTag(tag="Russia")], source_links=[], external_reviews=[])
    row = ClaimRow(
        **columns, rating=None, tag_names=["Russia"], source_links=[], external_reviews=[]
    )

    assert snapshot_of(row) == snapshot_of(orm)
    assert snapshot_of(row)["quantity"] == {"value": 130000}
    assert snapshot_of(row)["quote"]["prefix"] == "Around "
    assert snapshot_of(row)["anchor"] == {
        "state": "anchored",
        "version": 1,
        "score": None,
        "previous_exact": None,
    }


def test_the_compiled_snapshot_dump_gives_what_the_claim_schema_dumps() -> None:
    """snapshot_of is ClaimSchema().dump compiled for speed: the same for every shape of
    value, a nested object missing some of its fields included."""
    now = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    source = Source(id=4, url="https://example.org/s", title=None, publisher="P", kind="news")
    claims = [
        Claim(
            id=1,
            article_id=2,
            key=None,
            text="Wang Yi called for calm.",
            kind=kind,
            details=details,
            quote_exact=None,
            status="false",
            review_priority=1,
            published_review_id=9,
            revision=4,
            created_at=now,
            updated_at=now,
            deleted_at=deleted,
            tags=[ClaimTag(tag="China")],
            external_reviews=[],
            source_links=[
                ClaimSource(
                    source_id=4, source=source, stance=Stance.REFUTES, excerpt="e", note=None
                )
            ],
        )
        for kind, details, deleted in [
            (ClaimKind.STATEMENT, {"speaker": "Wang Yi", "verbatim": True}, None),
            (ClaimKind.QUANTITY, {"value": 1.5}, now),
            (ClaimKind.EVENT, None, None),
        ]
    ]
    for claim in claims:
        assert snapshot_of(claim) == ClaimSchema().dump(claim)

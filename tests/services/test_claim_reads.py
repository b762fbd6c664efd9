"""The read path (rows, compiled dump) shows a claim exactly as ClaimSchema dumps it.

ClaimSchema documents the response and the ORM claim is what writers change; the
read path loads rows of columns and dumps them with the compiled schema. Claims
of every shape, written straight into the tables, must read the same both ways,
item by item and byte by byte, on both databases.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from claims_api.extensions import db
from claims_api.models import (
    Claim,
    ClaimSource,
    ClaimTag,
    ExternalReview,
    Review,
    Source,
)
from claims_api.models.vocabulary import AnchorState, ClaimKind, SourceKind, Stance
from claims_api.schemas.claims import ClaimSchema
from claims_api.services import claim_reads
from claims_api.services.claims import CLAIM_LOAD_OPTIONS, list_claims
from claims_api.services.pagination import PageRequest
from claims_api.services.revisions import snapshot_of
from tests.factories import check, create_article

# Printable text, quotes and non-ASCII included (the JSON escapes them), no NUL.
words = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
maybe_words = st.none() | words
# Whole microseconds or none: Python renders the two differently (".000123" or nothing).
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).flatmap(lambda moment: st.sampled_from([moment, moment.replace(microsecond=0)]))
numbers = st.none() | st.integers(-(10**6), 10**6) | st.floats(-1e6, 1e6, allow_nan=False)

details_by_kind = {
    ClaimKind.QUANTITY: st.fixed_dictionaries(
        {
            "value": numbers,
            "unit": maybe_words,
            "approximate": st.booleans(),
            "lower_bound": numbers,
            "upper_bound": numbers,
            "subject": maybe_words,
            "location": maybe_words,
            "as_of": st.none() | st.just("2022-02-14"),
        }
    ),
    ClaimKind.MEMBERSHIP: st.fixed_dictionaries(
        {
            "member": words,
            "organization": words,
            "relation": st.sampled_from(["member", "not_member", "candidate", "applicant"]),
            "as_of": st.none() | st.just("2021-06-01"),
        }
    ),
    ClaimKind.STATEMENT: st.fixed_dictionaries(
        {
            "speaker": words,
            "speaker_role": maybe_words,
            "audience": maybe_words,
            "attribution": maybe_words,
            "verbatim": st.booleans(),
        }
    ),
}


@st.composite
def claims(draw: st.DrawFn) -> dict[str, Any]:
    """A claim's columns and its rows in other tables, of any shape the schema allows."""
    kind = draw(st.sampled_from(list(ClaimKind)))
    quoted = draw(st.booleans())
    anchored = draw(st.sampled_from([None, *AnchorState]))
    flagged = draw(st.booleans())
    return {
        "columns": {
            "key": draw(st.none() | st.uuids().map(str)),
            "text": draw(words),
            "kind": kind,
            "details": draw(details_by_kind[kind]) if kind in details_by_kind else None,
            "quote_exact": draw(words.filter(bool)) if quoted else None,
            "quote_start": draw(st.none() | st.integers(0, 10**6)) if quoted else None,
            "quote_end": draw(st.none() | st.integers(0, 10**6)) if quoted else None,
            "quote_prefix": draw(maybe_words) if quoted else None,
            "quote_suffix": draw(maybe_words) if quoted else None,
            "anchor_state": anchored,
            "anchor_version": draw(st.integers(1, 50)) if anchored else None,
            "anchor_score": draw(st.none() | st.floats(0, 100)) if anchored else None,
            "anchor_previous_exact": draw(maybe_words) if anchored else None,
            "needs_review_reason": draw(words) if flagged else None,
            "needs_review_since": draw(moments) if flagged else None,
            "status": draw(st.sampled_from(["unverified", "in_review", "verified", "false"])),
            "review_priority": draw(st.integers(1, 5)),
            "revision": draw(st.integers(1, 100)),
            "created_at": draw(moments),
            "updated_at": draw(moments),
        },
        "tags": draw(st.lists(words.filter(bool), max_size=3, unique=True)),
        "sources": draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "title": maybe_words,
                        "publisher": maybe_words,
                        "kind": st.sampled_from(list(SourceKind)),
                        "stance": st.sampled_from(list(Stance)),
                        "excerpt": maybe_words,
                        "note": maybe_words,
                    }
                ),
                max_size=3,
            )
        ),
        "external_reviews": draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "reviewer": maybe_words,
                        "reviewer_url": maybe_words,
                        "url": maybe_words,
                        "published_at": st.none() | moments,
                        "rating": st.none()
                        | st.fixed_dictionaries(
                            {
                                "value": numbers | words,
                                "best": numbers,
                                "worst": numbers,
                                "alternate_name": maybe_words,
                                "name": maybe_words,
                            }
                        ),
                    }
                ),
                max_size=2,
            )
        ),
        # The published review's verdict and the reviewer's wording of it, if any.
        "published": draw(
            st.none() | st.tuples(st.sampled_from(["verified", "false", "in_review"]), maybe_words)
        ),
    }


def insert_claim(article_id: int, drawn: dict[str, Any]) -> int:
    """Write the drawn claim straight into its tables (no service: any shape at all)."""
    claim = Claim(article_id=article_id, **drawn["columns"])
    db.session.add(claim)
    db.session.flush()
    db.session.add_all(ClaimTag(claim_id=claim.id, tag=tag) for tag in drawn["tags"])
    for fields in drawn["sources"]:
        stance = fields.pop("stance")
        excerpt, note = fields.pop("excerpt"), fields.pop("note")
        source = Source(url=f"https://example.org/{uuid.uuid4()}", **fields)
        db.session.add(source)
        db.session.flush()
        db.session.add(
            ClaimSource(
                claim_id=claim.id, source_id=source.id, stance=stance, excerpt=excerpt, note=note
            )
        )
    db.session.add_all(
        ExternalReview(claim_id=claim.id, **review) for review in drawn["external_reviews"]
    )
    if drawn["published"] is not None:
        to_status, wording = drawn["published"]
        review = Review(
            claim_id=claim.id,
            reviewer="tester",
            from_status="unverified",
            to_status=to_status,
            rating=wording,
            evidence=[],
            revision_number=1,
        )
        db.session.add(review)
        db.session.flush()
        db.session.execute(
            update(Claim).where(Claim.id == claim.id).values(published_review_id=review.id)
        )
    db.session.commit()
    return claim.id


def schema_dump(claim_id: int) -> dict[str, Any]:
    """The claim loaded by the ORM and dumped by ClaimSchema: the documented shape."""
    db.session.expunge_all()
    claim = db.session.scalars(
        select(Claim).where(Claim.id == claim_id).options(*CLAIM_LOAD_OPTIONS)
    ).one()
    dumped: dict[str, Any] = ClaimSchema().dump(claim)
    return dumped


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(drawn=st.lists(claims(), min_size=1, max_size=4))
def test_claims_read_as_rows_dump_exactly_as_claim_schema_dumps_them(
    app: Flask, client: FlaskClient, drawn: list[dict[str, Any]]
) -> None:
    article = create_article(client, url=f"https://example.org/{uuid.uuid4()}")
    with app.app_context():
        for claim in drawn:
            insert_claim(article["id"], claim)
        ids = db.session.scalars(
            select(Claim.id).where(Claim.article_id == article["id"]).order_by(Claim.id)
        ).all()
        expected = [schema_dump(claim_id) for claim_id in ids]
        page = list_claims(PageRequest(limit=len(ids)), article_id=article["id"])
        assert [snapshot_of(item) for item in page.items] == expected
        for claim_id, wanted in zip(ids, expected, strict=True):
            assert snapshot_of(claim_reads.read_claim(claim_id)) == wanted
    for claim_id, wanted in zip(ids, expected, strict=True):
        response = client.get(f"/claims/{claim_id}")
        check(response, 200)
        assert response.data == app.json.response(wanted).data
    response = client.get(f"/articles/{article['id']}/claims?limit=200")
    check(response, 200)
    assert response.data == app.json.response({"items": expected, "next_cursor": None}).data

"""The matching benchmark's data and arithmetic (issue 12): the labelled pairs are
well-formed, valid import claims, large and balanced enough, their sources recorded and
reproducible from the builder; the pool is deterministic and never repeats a pair's
claim; the scores count what benchmarks/matching.py says they count."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from benchmarks.data.matching import build as pair_builder
from benchmarks.matching import (
    DATA,
    Outcome,
    ask,
    documents,
    labelled_matches,
    load,
    load_pairs,
    match_request,
    outcome,
    pool_claims,
    score,
    side_identity,
)
from claims_api.extensions import db
from claims_api.models import Claim
from claims_api.services.imports.decoding import decode_document
from tests.test_seeds import schema_errors

RELATIONS = {"same", "contradicts", "updates", "related", "none"}
STRUCTURED = ("quantity", "membership", "statement")
PAIRS = load_pairs()


def sources() -> dict[str, dict[str, Any]]:
    return json.loads((DATA / "sources.json").read_text(encoding="utf-8"))


def test_every_pair_is_well_formed() -> None:
    problems = []
    for pair in PAIRS:
        name = f"pair {pair['id']}"
        if pair["relation"] not in RELATIONS:
            problems.append(f"{name}: relation {pair['relation']!r}")
        if (pair["newer"] is not None) != (pair["relation"] == "updates") or pair["newer"] not in (
            "a",
            "b",
            None,
        ):
            problems.append(f"{name}: newer {pair['newer']!r} with relation {pair['relation']}")
        if pair["split"] not in ("dev", "heldout") or not isinstance(pair["synthetic"], bool):
            problems.append(f"{name}: split or synthetic")
        if not pair["note"] or not pair["variant"]:
            problems.append(f"{name}: no note or variant")
        for label in ("a", "b"):
            side = pair[label]
            if set(side) != {"claim", "article", "origin"}:
                problems.append(f"{name}.{label}: fields {sorted(side)}")
            if set(side["article"]) != {"title", "published_at", "outlet", "url"}:
                problems.append(f"{name}.{label}: article fields {sorted(side['article'])}")
            claim = side["claim"]
            missing = [kind for kind in STRUCTURED if claim["kind"] == kind and not claim.get(kind)]
            foreign = [kind for kind in STRUCTURED if claim["kind"] != kind and kind in claim]
            if missing or foreign:
                problems.append(f"{name}.{label}: structured fields {missing or foreign}")
        if side_identity(pair["a"]) == side_identity(pair["b"]):
            problems.append(f"{name}: a and b are one claim")
    assert [pair["id"] for pair in PAIRS] == list(range(1, len(PAIRS) + 1))
    assert not problems, "\n".join(problems)


def test_every_pair_claim_is_a_valid_import_claim() -> None:
    """The documents the benchmark imports pass the published schema and the import's own
    decoder (which needs an app for the configured workflow)."""
    corpus = documents(PAIRS, [])
    errors = [error for document in corpus.documents for error in schema_errors(document)]
    assert not errors, "\n".join(errors[:20])
    from claims_api import create_app

    with create_app({"DATABASE_URL": "sqlite://"}).app_context():
        for document in corpus.documents:
            decode_document(document)


def test_the_sets_are_large_and_balanced_and_the_held_out_part_is_a_hundred_or_more() -> None:
    counts = Counter((pair["split"], pair["relation"]) for pair in PAIRS)
    assert len(PAIRS) >= 300
    assert sum(count for (split, _), count in counts.items() if split == "heldout") >= 100
    thin = {key: count for key, count in counts.items() if count < 30}
    assert not thin, f"classes with fewer than 30 pairs: {thin}"
    assert {relation for _, relation in counts} == RELATIONS


def test_real_pairs_are_a_good_part_of_every_split() -> None:
    for split in ("dev", "heldout"):
        real = [pair for pair in PAIRS if pair["split"] == split and not pair["synthetic"]]
        assert len(real) >= 50, split


def test_every_real_article_has_its_outlet_licence_and_provenance_recorded() -> None:
    recorded = sources()
    for pair in PAIRS:
        for side in (pair["a"], pair["b"]):
            article = side["article"]
            if article["outlet"] == pair_builder.VARIANT_OUTLET:
                assert article["url"].startswith("https://variants.claims-api.invalid/")
                assert pair["synthetic"], f"pair {pair['id']} has a written variant"
                continue
            entry = recorded[article["url"]]
            assert entry["outlet"] == article["outlet"], article["url"]
            assert entry["licence"] and entry["licence_url"], article["url"]
            origin = entry["obtained_from"]
            assert origin["repository"] and origin["path"] and len(origin["commit"]) == 40


def test_the_committed_pairs_are_what_the_builder_makes() -> None:
    """The split was drawn once with a fixed seed: rebuilding changes nothing."""
    assert pair_builder.build() == PAIRS
    assert pair_builder.sources(PAIRS) == sources()


def test_the_pool_is_the_same_every_time_and_never_repeats_a_pair_claim() -> None:
    pool = pool_claims(2_000, PAIRS)
    assert pool == pool_claims(2_000, PAIRS)
    assert len(pool) == 2_000
    texts = [entry["claim"]["text"].lower() for entry in pool]
    assert len(set(texts)) == len(texts)
    sides = {side["claim"]["text"].lower() for pair in PAIRS for side in (pair["a"], pair["b"])}
    assert not sides & set(texts)
    assert pool_claims(2_000, PAIRS, seed=13) != pool


def test_the_pool_reaches_ten_thousand_claims() -> None:
    assert len(pool_claims(10_000, PAIRS)) == 10_000


def test_a_post_match_request_carries_the_claim_and_its_article_date() -> None:
    quantity = next(
        pair
        for pair in PAIRS
        if pair["a"]["claim"]["kind"] == "quantity"
        and "T" not in pair["a"]["article"]["published_at"]
    )
    body = match_request(quantity["a"])
    assert body == {
        "text": quantity["a"]["claim"]["text"],
        "kind": "quantity",
        "quantity": quantity["a"]["claim"]["quantity"],
        "article_published_at": f"{quantity['a']['article']['published_at']}T12:00:00+00:00",
    }


def test_loading_stores_each_pair_claim_once_with_its_text(app: Flask) -> None:
    pairs = PAIRS[:40]
    ids = load(app, documents(pairs, pool_claims(200, pairs)))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Claim)) == len(ids) + 200
        for pair in pairs:
            for side in (pair["a"], pair["b"]):
                claim = db.session.get(Claim, ids[side_identity(side)])
                assert claim is not None and claim.text == side["claim"]["text"]


def _pair(relation: str, newer: str | None = None) -> dict[str, Any]:
    def side(text: str) -> dict[str, Any]:
        article = {"url": text, "published_at": None}
        return {"claim": {"text": text, "kind": "other"}, "article": article}

    return {"id": 1, "relation": relation, "newer": newer, "a": side("a"), "b": side("b")}


IDS = {side_identity(_pair("same")["a"]): 1, side_identity(_pair("same")["b"]): 2}


def _item(claim_id: int, relation: str, newer: int | None = None) -> dict[str, Any]:
    return {
        "claim": {"id": claim_id},
        "relation": relation,
        "newer_claim_id": newer,
        "score": 1,
        "signals": {"text": 1.0},
    }


def test_b_is_ranked_among_the_suggestions_without_a_itself() -> None:
    items = [_item(1, "same"), _item(9, "related"), _item(2, "contradicts")]
    found = outcome(_pair("contradicts"), items, IDS, {2})
    assert (found.rank, found.label, found.top_is_match) == (2, "contradicts", False)


def test_an_update_is_right_about_the_newer_claim_only_when_it_names_b() -> None:
    assert outcome(_pair("updates", "b"), [_item(2, "updates", 2)], IDS, {2}).newer_right
    assert not outcome(_pair("updates", "b"), [_item(2, "updates", 1)], IDS, {2}).newer_right
    assert outcome(_pair("updates", "b"), [_item(2, "same")], IDS, {2}).newer_right is None


def test_nothing_suggested_is_absent_and_has_no_top() -> None:
    found = outcome(_pair("same"), [], IDS, {2})
    assert (found.rank, found.label, found.top_is_match) == (None, None, None)


def _outcome(relation: str, rank: int | None, label: str | None, top: bool | None) -> Outcome:
    return Outcome(1, relation, rank, label, None, top)


def test_scores_count_recall_at_five_top_precision_and_different_valued_pairs_called_same() -> None:
    scores = score(
        [
            _outcome("same", 1, "same", True),
            _outcome("same", 6, "same", False),
            _outcome("contradicts", 2, "same", False),
            _outcome("updates", None, None, None),
            _outcome("none", 3, "related", False),
            _outcome("none", 1, "same", False),
            _outcome("none", None, None, True),
        ]
    )
    assert scores.recall_at_5 == pytest.approx(2 / 4)
    assert scores.top_precision == pytest.approx(1 / 3)
    assert scores.accuracy["same"] == (2, 2)
    assert scores.accuracy["contradicts"] == (0, 1)
    assert scores.accuracy["updates"] == (0, 1)
    assert scores.accuracy["none"] == (2, 3)
    assert scores.accuracy["related"] == (0, 0)
    assert scores.different_valued_as_same == 1


def test_a_claim_matches_what_any_pair_labels_it_with_either_way_round() -> None:
    pairs = [_pair("same"), _pair("none")]
    assert labelled_matches(pairs[:1], IDS) == {1: {2}, 2: {1}}
    assert labelled_matches(pairs[1:], IDS) == {}


class _Answer:
    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.status_code = 200
        self._items = items

    def get_json(self) -> dict[str, Any]:
        return {"items": self._items}


class _Client:
    """Answers both requests with b first, as same; records what was asked."""

    def __init__(self, b_id: int) -> None:
        self.b_id = b_id
        self.asked: list[tuple[str, Any]] = []

    def get(self, path: str) -> _Answer:
        self.asked.append((path, None))
        return _Answer([_item(self.b_id, "same")])

    def post(self, path: str, json: dict[str, Any]) -> _Answer:
        self.asked.append((path, json))
        return _Answer([_item(1, "same"), _item(self.b_id, "same")])


def test_each_pair_is_asked_both_ways_and_scored_without_a_itself() -> None:
    pair = _pair("same")
    client = _Client(b_id=2)
    answers = ask(client, [pair], IDS)  # type: ignore[arg-type]
    assert client.asked == [
        ("/claims/1/matches", None),
        ("/claims/match", {"text": "a", "kind": "other"}),
    ]
    assert [found.rank for found in answers["GET /claims/{id}/matches"]] == [1]
    assert [found.rank for found in answers["POST /claims/match"]] == [1]

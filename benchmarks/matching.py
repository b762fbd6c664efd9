"""Claim matching on labelled pairs hidden in a pool of look-alikes (issue 12).

    python -m benchmarks.matching [--split dev|heldout|all] [--database sqlite|postgresql]
                                  [--pool 10000] [--failures]

For each database: migrate a fresh one, import (through the project's bulk import, as
import documents) the claims of the pairs in benchmarks/data/matching/pairs.json and a
pool of ``--pool`` other claims (real annotated claims the pairs do not use, and
distractors generated from real claims with another entity, number and date: see
``pool_claims``), then, through the app's test client, for each pair:
``GET /claims/{a}/matches`` and ``POST /claims/match`` with a's text and fields.

Prints per split and per way of asking: recall@5 of b (pairs whose relation is not
``none``), precision of the top suggestion (a claim the pairs label as a match of a),
relation accuracy per class (``none``: b is not suggested as same, contradicts or
updates), ``newer_claim_id`` right on ``updates`` pairs, and the number of contradicting
or different-valued pairs (contradicts, updates) that came back ``same`` (target 0).

``--failures`` (with ``--split dev`` only: held-out pairs are never shown) prints each
development pair the service got wrong, what it answered and its signals.

The cost of a match at 10,000 against 100,000 claims is benchmarks/matching_scale.py's.

The held-out split was drawn once, by a fixed seed, before any matching code existed;
no threshold or rule may be tuned on it. See benchmarks/data/matching/README.md.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from benchmarks.bulk_import import DEFAULT_POSTGRES, fresh_database
from benchmarks.matching_data import COUNTRIES, claim_only, load_extraction, number_forms
from claims_api import create_app, migrations
from claims_api.extensions import db
from claims_api.models import Claim
from claims_api.models.vocabulary import Role
from claims_api.services.imports import ImportReport, import_stream
from claims_api.services.keys import create_key
from claims_api.services.revisions import Change

DATA = Path(__file__).resolve().parent / "data" / "matching"
RELATIONS = ("same", "contradicts", "updates", "related", "none")
MATCHING = ("same", "contradicts", "updates", "related")
# Pairs whose b says another value than a: `same` for them is the error that matters most.
DIFFERENT_VALUED = ("contradicts", "updates")
STRUCTURED = ("quantity", "membership", "statement")
POOL_SEED = 12
POOL_OUTLET = "Synthetic distractor (claims-api matching benchmark)"
CLAIMS_PER_POOL_ARTICLE = 20
TOP = 5


def load_pairs(split: str = "all") -> list[dict[str, Any]]:
    pairs: list[dict[str, Any]] = json.loads((DATA / "pairs.json").read_text(encoding="utf-8"))
    return [pair for pair in pairs if split == "all" or pair["split"] == split]


def side_identity(side: dict[str, Any]) -> str:
    """One stored claim per distinct (article, claim): pairs share sides."""
    return json.dumps([side["article"]["url"], side["claim"]], sort_keys=True, ensure_ascii=False)


def _normal(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _entities(claims: Iterable[dict[str, Any]]) -> list[str]:
    """Names to swap: every tag, speaker and country the real claims mention."""
    names = set(COUNTRIES)
    for claim in claims:
        names.update(tag for tag in claim.get("tags", []) if len(tag) >= 3)
        speaker = (claim.get("statement") or {}).get("speaker")
        if speaker and speaker[:1].isupper():
            names.add(speaker)
    return sorted(names)


def _distractor(
    claim: dict[str, Any], present: Sequence[str], names: Sequence[str], rng: random.Random
) -> dict[str, Any] | None:
    """A look-alike of ``claim`` with one of the names ``present`` in its text swapped for
    another (and, for a quantity, another number and date): never the same proposition,
    so never a true match of it."""
    text = claim["text"]
    if not present:
        return None
    old = rng.choice(present)
    new = rng.choice(names)
    if new in present:
        return None
    changed = claim_only(claim)
    changed["text"] = re.sub(rf"\b{re.escape(old)}\b", new, text)
    changed["tags"] = sorted({new if tag == old else tag for tag in claim.get("tags", [])})
    statement = changed.get("statement")
    if statement and statement["speaker"] == old:
        statement["speaker"] = new
    membership = changed.get("membership")
    if membership:
        membership.update(
            {key: new for key in ("member", "organization") if membership[key] == old}
        )
    quantity = changed.get("quantity")
    if quantity:
        if quantity.get("value"):
            factor = rng.choice([0.25, 0.4, 0.6, 1.3, 1.7, 2.5, 4])
            value = quantity["value"]
            new_value = (
                round(value * factor) if float(value).is_integer() else round(value * factor, 1)
            )
            for form in number_forms(value):
                pattern = rf"(?<![\d,.]){re.escape(form)}(?![\d,])"
                if re.search(pattern, changed["text"]):
                    changed["text"] = re.sub(pattern, f"{new_value:,}", changed["text"], count=1)
                    quantity["value"] = new_value
                    break
        if quantity.get("as_of"):
            shifted = date.fromisoformat(quantity["as_of"]) + timedelta(
                days=rng.randrange(-400, 400)
            )
            quantity["as_of"] = shifted.isoformat()
        if quantity.get("location"):
            quantity["location"] = quantity["location"].replace(old, new)
    return changed


def pool_claims(
    size: int, pairs: Sequence[dict[str, Any]], seed: int = POOL_SEED
) -> list[dict[str, Any]]:
    """``size`` claims none of the pairs use, the same for every run with the same seed:
    first the real annotated claims of the extraction benchmark that no pair quotes, then
    distractors made from real claims (the pairs' own included, so each pair meets its
    look-alikes) by swapping an entity, and for quantities the number and date too.
    Each is ``{"claim": ..., "published_at": ...}``."""
    rng = random.Random(seed)
    used_origins = {side["origin"] for pair in pairs for side in (pair["a"], pair["b"])}
    taken = {_normal(side["claim"]["text"]) for pair in pairs for side in (pair["a"], pair["b"])}
    real: list[dict[str, Any]] = []
    sources: list[dict[str, Any]] = []
    for split in ("dev", "heldout"):
        for article, claim in load_extraction()[split]:
            entry = {"claim": claim_only(claim), "published_at": article["published_at"]}
            sources.append(entry)
            if f"extraction:{article['file']}#{claim['key']}" not in used_origins:
                real.append(entry)
    for pair in pairs:
        for side in (pair["a"], pair["b"]):
            sources.append(
                {"claim": side["claim"], "published_at": side["article"]["published_at"]}
            )
    names = _entities(entry["claim"] for entry in sources)
    pool: list[dict[str, Any]] = []
    for entry in real:
        if _normal(entry["claim"]["text"]) not in taken:
            taken.add(_normal(entry["claim"]["text"]))
            pool.append(entry)
    present: dict[int, list[str]] = {}
    attempts = 0
    while len(pool) < size and attempts < size * 50:
        attempts += 1
        index = rng.randrange(len(sources))
        source = sources[index]
        if index not in present:
            text = source["claim"]["text"]
            present[index] = [name for name in names if re.search(rf"\b{re.escape(name)}\b", text)]
        claim = _distractor(source["claim"], present[index], names, rng)
        if claim is None or _normal(claim["text"]) in taken:
            continue
        taken.add(_normal(claim["text"]))
        pool.append({"claim": claim, "published_at": source["published_at"]})
    if len(pool) < size:
        raise RuntimeError(f"only {len(pool)} distinct pool claims could be made, not {size}")
    return pool[:size]


def _timestamp(published_at: str | None) -> str | None:
    if published_at is None or "T" in published_at:
        return published_at
    return f"{published_at}T12:00:00+00:00"


@dataclass
class Corpus:
    """The import documents, and which (article URL, key) each pair side was stored as."""

    documents: list[dict[str, Any]] = field(default_factory=list)
    keys: dict[str, tuple[str, str]] = field(default_factory=dict)


def documents(pairs: Sequence[dict[str, Any]], pool: Sequence[dict[str, Any]]) -> Corpus:
    """Import documents (the seed format, no bodies) holding every pair side once and the pool."""
    corpus = Corpus()
    articles: dict[str, dict[str, Any]] = {}
    claims: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for pair in pairs:
        for side in (pair["a"], pair["b"]):
            identity = side_identity(side)
            if identity in corpus.keys:
                continue
            url = side["article"]["url"]
            articles.setdefault(url, side["article"])
            key = f"pair-claim-{len(corpus.keys) + 1}"
            corpus.keys[identity] = (url, key)
            claims[url].append(dict(side["claim"], key=key))
    for url, article in articles.items():
        corpus.documents.append(
            _document(
                url, article["title"], article["outlet"], article["published_at"], claims[url]
            )
        )
    for start in range(0, len(pool), CLAIMS_PER_POOL_ARTICLE):
        number = start // CLAIMS_PER_POOL_ARTICLE + 1
        batch = pool[start : start + CLAIMS_PER_POOL_ARTICLE]
        corpus.documents.append(
            _document(
                f"https://pool.claims-api.invalid/matching/{number}",
                f"Pool dispatch {number}",
                POOL_OUTLET,
                batch[0]["published_at"],
                [
                    dict(entry["claim"], key=f"pool-{start + index + 1}")
                    for index, entry in enumerate(batch)
                ],
            )
        )
    return corpus


def _document(
    url: str, title: str, outlet: str, published_at: str | None, claims: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "article": {
            "url": url,
            "title": title,
            "publisher": outlet,
            "published_at": _timestamp(published_at),
            "language": "en",
            "body": None,
        },
        "claims": claims,
    }


def load(app: Flask, corpus: Corpus) -> dict[str, int]:
    """Migrate, import the corpus, and return each pair side's claim id."""
    lines = b"".join(
        json.dumps(document, ensure_ascii=False).encode() + b"\n" for document in corpus.documents
    )
    with app.app_context():
        migrations.upgrade(db.engine)
        report = ImportReport("matching-benchmark")
        import_stream(
            io.BytesIO(lines), "jsonl", report, Change("benchmark", "benchmark"), role=Role.ADMIN
        )
        db.session.commit()
        if report.error_count:
            raise RuntimeError(f"the import refused records: {report.errors[:3]}")
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as raw:
                raw.exec_driver_sql("VACUUM ANALYZE")
        # Keys are unique across the corpus, so they name a claim without its article.
        stored = {
            key: claim_id for key, claim_id in db.session.execute(select(Claim.key, Claim.id))
        }
    return {identity: stored[key] for identity, (_, key) in corpus.keys.items()}


@dataclass(frozen=True)
class Outcome:
    """What one request answered for one pair."""

    pair_id: int
    relation: str
    rank: int | None  # b's place among the suggestions (1 = first); None when absent
    label: str | None  # the relation the service gave b
    newer_right: bool | None  # on an updates pair suggested as updates: newer_claim_id is b's
    top_is_match: bool | None  # None when nothing was suggested
    signals: dict[str, Any] | None = None  # b's signals, when suggested

    @property
    def wrong(self) -> bool:
        if self.relation == "none":
            return self.label in (*DIFFERENT_VALUED, "same")
        return self.label != self.relation or self.rank is None or self.rank > TOP


def outcome(
    pair: dict[str, Any],
    items: Sequence[dict[str, Any]],
    ids: dict[str, int],
    matches_of_a: set[int],
) -> Outcome:
    a_id, b_id = ids[side_identity(pair["a"])], ids[side_identity(pair["b"])]
    ranked = [item for item in items if item["claim"]["id"] != a_id]
    rank = next(
        (place for place, item in enumerate(ranked, start=1) if item["claim"]["id"] == b_id), None
    )
    label = ranked[rank - 1]["relation"] if rank else None
    newer_right = None
    if pair["relation"] == "updates" and label == "updates":
        newer = {"a": a_id, "b": b_id}[pair["newer"]]
        newer_right = ranked[rank - 1].get("newer_claim_id") == newer  # type: ignore[index]
    top = ranked[0]["claim"]["id"] in matches_of_a if ranked else None
    signals = ranked[rank - 1]["signals"] if rank else None
    return Outcome(pair["id"], pair["relation"], rank, label, newer_right, top, signals)


def labelled_matches(pairs: Sequence[dict[str, Any]], ids: dict[str, int]) -> dict[int, set[int]]:
    """For each claim, the claims some pair labels as its match (either way round)."""
    found: dict[int, set[int]] = defaultdict(set)
    for pair in pairs:
        if pair["relation"] in MATCHING:
            a_id, b_id = ids[side_identity(pair["a"])], ids[side_identity(pair["b"])]
            found[a_id].add(b_id)
            found[b_id].add(a_id)
    return found


@dataclass(frozen=True)
class Scores:
    pairs: int
    recall_at_5: float
    top_precision: float
    accuracy: dict[str, tuple[int, int]]  # relation → (right, of)
    newer: tuple[int, int]
    different_valued_as_same: int


def score(outcomes: Sequence[Outcome]) -> Scores:
    matching = [item for item in outcomes if item.relation in MATCHING]
    found = [item for item in matching if item.rank is not None and item.rank <= TOP]
    suggested = [item for item in matching if item.top_is_match is not None]
    accuracy: dict[str, tuple[int, int]] = {}
    for relation in RELATIONS:
        members = [item for item in outcomes if item.relation == relation]
        if relation == "none":
            right = [item for item in members if item.label not in (*DIFFERENT_VALUED, "same")]
        else:
            right = [item for item in members if item.label == relation]
        accuracy[relation] = (len(right), len(members))
    newer = [item.newer_right for item in outcomes if item.newer_right is not None]
    return Scores(
        pairs=len(outcomes),
        recall_at_5=len(found) / len(matching) if matching else 0.0,
        top_precision=(
            sum(1 for item in suggested if item.top_is_match) / len(suggested) if suggested else 0.0
        ),
        accuracy=accuracy,
        newer=(sum(newer), len(newer)),
        different_valued_as_same=sum(
            1 for item in outcomes if item.relation in DIFFERENT_VALUED and item.label == "same"
        ),
    )


def report(title: str, scores: Scores) -> Iterator[str]:
    yield f"  {title}: {scores.pairs} pairs"
    lines = [
        (f"recall@{TOP} of the true match", f"{scores.recall_at_5:6.3f}"),
        ("precision of the top suggestion", f"{scores.top_precision:6.3f}"),
    ]
    for relation, (right, total) in scores.accuracy.items():
        share = right / total if total else 0.0
        lines.append((f"accuracy, {relation}", f"{share:6.3f}  ({right}/{total})"))
    right, total = scores.newer
    lines.append(("updates: newer_claim_id right", f"{right:6}  of {total}"))
    lines.append(
        ("different-valued pairs as same", f"{scores.different_valued_as_same:6}  (target 0)")
    )
    for label, value in lines:
        yield f"    {label:<34}{value}"


def failures(pairs: Sequence[dict[str, Any]], outcomes: Sequence[Outcome]) -> Iterator[str]:
    """The development pairs answered wrongly, to read (never held-out ones: see main)."""
    by_id = {pair["id"]: pair for pair in pairs}
    for item in outcomes:
        if not item.wrong:
            continue
        pair = by_id[item.pair_id]
        yield (
            f"    pair {item.pair_id} ({pair['variant']}) {item.relation}: got {item.label}"
            f" at rank {item.rank}"
        )
        for side in ("a", "b"):
            claim = pair[side]["claim"]
            fields = {kind: claim[kind] for kind in STRUCTURED if claim.get(kind)}
            yield f"      {side} [{claim['kind']}] {claim['text']} {json.dumps(fields)}"
        if item.signals is not None:
            yield f"      signals {json.dumps(item.signals)}"


def match_request(pair_side: dict[str, Any]) -> dict[str, Any]:
    """The body of POST /claims/match for a claim not yet stored: its text, kind and
    fields, and its article's date (its time when the fields give none)."""
    claim = pair_side["claim"]
    body = {"text": claim["text"], "kind": claim["kind"]}
    body.update({kind: claim[kind] for kind in STRUCTURED if claim.get(kind)})
    published_at = _timestamp(pair_side["article"]["published_at"])
    if published_at:
        body["article_published_at"] = published_at
    return body


def ask(
    client: FlaskClient, pairs: Sequence[dict[str, Any]], ids: dict[str, int]
) -> dict[str, list[Outcome]]:
    """Both ways of asking, for every pair: the stored claim's matches, and a match by text."""
    matches_of = labelled_matches(pairs, ids)
    answers: dict[str, list[Outcome]] = {"GET /claims/{id}/matches": [], "POST /claims/match": []}
    for pair in pairs:
        a_id = ids[side_identity(pair["a"])]
        response = client.get(f"/claims/{a_id}/matches")
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        answers["GET /claims/{id}/matches"].append(
            outcome(pair, response.get_json()["items"], ids, matches_of[a_id])
        )
        response = client.post("/claims/match", json=match_request(pair["a"]))
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        answers["POST /claims/match"].append(
            outcome(pair, response.get_json()["items"], ids, matches_of[a_id])
        )
    return answers


def reader_client(app: Flask) -> FlaskClient:
    """A test client with a reader key: what the matching routes ask of a caller."""
    with app.app_context():
        _, token = create_key("matching-benchmark", Role.READER, issued_by="benchmark")
        db.session.commit()
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def build(
    kind: str, folder: Path, size: int, pairs: Sequence[dict[str, Any]], postgres_url: str
) -> tuple[Flask, dict[str, int]]:
    url = fresh_database(kind, folder, f"matching_{size}", postgres_url)
    app = create_app({"DATABASE_URL": url})
    ids = load(app, documents(pairs, pool_claims(size, pairs)))
    return app, ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "heldout", "all"), default="all")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), action="append")
    parser.add_argument("--pool", type=int, default=10_000)
    parser.add_argument("--failures", action="store_true", help="print dev pairs got wrong")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("CLAIMS_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    options = parser.parse_args()
    if options.failures and options.split != "dev":
        parser.error("--failures shows development pairs only: add --split dev")
    pairs = load_pairs()  # every pair is stored, whichever split is scored
    splits = ("dev", "heldout") if options.split == "all" else (options.split,)
    with tempfile.TemporaryDirectory() as scratch:
        for kind in options.database or ["sqlite", "postgresql"]:
            started = time.perf_counter()
            app, ids = build(kind, Path(scratch), options.pool, pairs, options.postgres_url)
            print(
                f"{kind}: {len(ids)} pair claims in a pool of {options.pool}"
                f" ({time.perf_counter() - started:.0f} s to load)"
            )
            for split in splits:
                chosen = [pair for pair in pairs if pair["split"] == split]
                for way, outcomes in ask(reader_client(app), chosen, ids).items():
                    for line in report(f"{split}, {way}", score(outcomes)):
                        print(line, flush=True)
                    if options.failures and split == "dev":
                        for line in failures(chosen, outcomes):
                            print(line, flush=True)


if __name__ == "__main__":
    main()

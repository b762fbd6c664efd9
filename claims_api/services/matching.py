"""Claim matching: has this claim been made, or checked, before?

Two steps, as Meedan's Alegre and Full Fact do it: candidates from indexes, then a
decision that explains itself. The difference is the decision: text similarity
cannot tell "Ukraine has not joined NATO" from "Ukraine joined NATO", so the
relation comes from comparing propositions (services/propositions.py).

Candidates, never a scan, at most MATCH_CANDIDATES of them:

- structural: claims whose proposition has the same subject and predicate, nearest
  in time on either side (index on (subject_key, predicate, time_start): two bounded
  range scans and one for undated ones);
- textual: claims sharing the claim's rarest words, from the text indexes (pg_trgm on
  PostgreSQL, FTS5 (trigram) on SQLite): one capped query per word, each claim scored
  by the rarity of the words it shares (``text_candidates``). Neither index drops "not"
  (PostgreSQL's ``english`` text search configuration would: it is a stop word there).

Relation, from the propositions (the issue's defaults, configurable):

- ``same``: same subject, predicate (and object), values compatible (their ranges
  overlap), same polarity. Quantities within MATCH_SAME_TIME_DAYS are at the same
  time, and a compatible figure at another time still holds; a membership state holds
  from its time until a later claim says otherwise, so the same state at another time
  is still ``same``.
- ``contradicts``: opposite polarity, or incompatible values, at the same time; with
  the time unknown on either side, opposite polarity still contradicts.
- ``updates``: another figure (or membership state) at another time (``newer_claim_id``
  the later claim); never when either time is unknown.
- ``related``: anything else that scores at least MATCH_MIN_SCORE, and always when the
  two name different entities or names (``entities_differ``, ``swaps_a_name``: "China
  and Syria" is not "China and the Philippines").

Statements, events and other claims carry no value: they are ``same`` (or
``contradicts``, polarity opposite) when their subjects agree or either is unknown,
their predicates agree, and their wording without the negations is at least
MATCH_STATEMENT_SIMILARITY alike (``wording``).

Ranking: published verdicts first (ours, then other fact-checkers' imported
ClaimReviews), then by score, then by claim id.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from difflib import SequenceMatcher
from typing import Any

from flask import current_app
from rapidfuzz import fuzz
from sqlalchemy import Integer, Select, column, select, text, update

from claims_api.entities import find_mentions
from claims_api.extensions import db
from claims_api.extraction.extractor import extract_claims
from claims_api.models import Claim, ExternalReview, Proposition
from claims_api.models.vocabulary import STRUCTURED_KINDS, ClaimKind
from claims_api.services import claim_reads
from claims_api.services.propositions import (
    NEGATION,
    as_time,
    mentions,
    proposition_values,
    tolerances,
)
from claims_api.services.relations import rejected_pairs
from claims_api.services.revisions import ClaimRow, snapshot_of
from claims_api.services.search import fts_table, planned

PROPOSITION_KEYS = tuple(
    column.key
    for column in Proposition.__table__.columns
    if column.key not in ("claim_id", "verdict_claim_id")
)
# The relations that make a claim one a published verdict answers.
ANSWERED_BY = frozenset({"same", "contradicts", "updates"})
# Single writes are matched as they are written; larger ones, and a bulk import's
# edits of the claims it holds already (``not_matched_on_write``), are not.
MATCHED_ON_WRITE = 10
_matching_on_write: ContextVar[bool] = ContextVar("matching_on_write", default=True)


def matched_on_write() -> bool:
    return _matching_on_write.get()


@contextmanager
def not_matched_on_write() -> Iterator[None]:
    token = _matching_on_write.set(False)
    try:
        yield
    finally:
        _matching_on_write.reset(token)


WORD = re.compile(r"[\w’'.,-]*\w", re.UNICODE)
_STOP = (
    "the and for are was were has have had its this that with from into over than their "
    "they them there been being also which who whom what when where will would could "
    "should about said says some more most other such only very"
)
STOP_WORDS = frozenset(_STOP.split())
DEFAULT_LIMIT = 20


@dataclass(frozen=True)
class Settings:
    same_time_days: float
    candidates: int
    min_score: float
    statement_similarity: float

    @classmethod
    def current(cls) -> Settings:
        config = current_app.config
        return cls(
            float(config["MATCH_SAME_TIME_DAYS"]),
            int(config["MATCH_CANDIDATES"]),
            float(config["MATCH_MIN_SCORE"]),
            float(config["MATCH_STATEMENT_SIMILARITY"]),
        )


@dataclass
class Probe:
    """What is matched: a stored claim (``claim_id``) or a text not stored."""

    text: str
    proposition: dict[str, Any]
    claim_id: int | None = None
    entities: set[str] = field(default_factory=set)


@dataclass
class Candidate:
    claim_id: int
    text: str
    proposition: dict[str, Any]
    published_review_id: int | None
    verdict: dict[str, Any] | None = None


@dataclass
class Match:
    claim_id: int
    relation: str
    newer_claim_id: int | None
    score: float
    signals: dict[str, Any]
    verdict: dict[str, Any] | None


# --- Probes ------------------------------------------------------------------------------


def entities_of(text: str, proposition: dict[str, Any]) -> set[str]:
    keys = {proposition.get(name) for name in ("subject_key", "object_key", "attribution_key")}
    return {key for key in keys if key} | set(mentions(text))


def claim_probe(claim_id: int) -> Probe:
    """The live claim ``claim_id`` as a probe: 404 for no such claim, 410 once deleted."""
    row = claim_reads.read_claim(claim_id)
    stored = db.session.scalars(
        select(Proposition).where(Proposition.claim_id == claim_id)
    ).one_or_none()
    if stored is not None:
        proposition = {name: getattr(stored, name) for name in PROPOSITION_KEYS}
    else:  # a claim written before propositions, and never since
        proposition = proposition_values(row.kind, row.details, row.text, None, tolerances())
    return Probe(row.text, proposition, claim_id, entities_of(row.text, proposition))


def text_probe(data: dict[str, Any]) -> Probe:
    """A text to match (POST /claims/match), with its kind and structured fields if
    given; without a kind, the extractor's reading of the text supplies them."""
    text_ = data["text"]
    kind = data.get("kind")
    details = data.get(kind.value) if kind in STRUCTURED_KINDS else None
    if kind is None:
        found = next(
            (item for item in extract_claims(text_, 0.0) if item.kind in STRUCTURED_KINDS), None
        )
        kind, details = (found.kind, found.details) if found else (ClaimKind.OTHER, None)
    published: datetime | None = data.get("article_published_at")
    as_of = data.get("as_of")
    if as_of is not None:
        if details is not None and kind in (ClaimKind.QUANTITY, ClaimKind.MEMBERSHIP):
            details = {**details, "as_of": as_of}
        else:
            published = as_time(as_of)
    proposition = proposition_values(kind, details, text_, published, tolerances())
    return Probe(text_, proposition, None, entities_of(text_, proposition))


# --- Candidates --------------------------------------------------------------------------


def structural_candidates(probe: Probe, limit: int) -> list[int]:
    """Claims asserting something of the same subject with the same predicate, nearest in
    time to the probe's: bounded range scans of the (subject, predicate, time) index."""
    subject, predicate = probe.proposition["subject_key"], probe.proposition["predicate"]
    if subject is None:
        return []
    base = select(Proposition.claim_id).where(
        Proposition.subject_key == subject, Proposition.predicate == predicate
    )
    time = probe.proposition["time_start"]
    undated = max(limit // 4, 1)
    dated = base.where(Proposition.time_start.is_not(None))
    statements: list[tuple[Select[Any], int]] = [
        (
            base.where(Proposition.time_start.is_(None)).order_by(Proposition.claim_id.desc()),
            undated,
        )
    ]
    if time is None:
        statements.append((dated.order_by(Proposition.time_start.desc()), limit - undated))
    else:
        side = max((limit - undated) // 2, 1)
        statements += [
            (
                dated.where(Proposition.time_start <= time).order_by(Proposition.time_start.desc()),
                side,
            ),
            (dated.where(Proposition.time_start > time).order_by(Proposition.time_start), side),
        ]
    found: list[int] = []
    for statement, count in statements:
        found.extend(db.session.scalars(statement.limit(count)))
    return found


SEARCHED_WORDS = 12
# What a word having as many claims as the cap weighs: a tie-breaker among claims
# sharing only common words.
COMMON_WORD_WEIGHT = 0.1


def search_words(text_: str) -> list[str]:
    """The words a text is looked up by: three characters or more (the trigram indexes'
    least), no stop words, longest first, at most SEARCHED_WORDS."""
    words = {word.casefold().strip(".,'’-") for word in WORD.findall(text_)}
    kept = [word for word in words if len(word) >= 3 and word not in STOP_WORDS]
    return sorted(kept, key=lambda word: (-len(word), word))[:SEARCHED_WORDS]


def text_candidates(probe: Probe, limit: int) -> list[int]:
    """Claims sharing the probe's rarest words, from the text indexes, at most ``limit``,
    best first.

    One capped query per word (at most SEARCHED_WORDS): the newest ``limit`` claims
    having it. A word with fewer hits than the cap is rare, and weighs more (an idf from
    the capped counts: log((cap + hits) / 2 hits), plus COMMON_WORD_WEIGHT for a word
    at the cap), so a claim sharing the probe's rare words ("Londoño",
    "firebombed") ranks above the many sharing its common ones ("said", "government").
    Each query stops at its cap, so the cost does not grow with the table the way
    ranking every match would (FTS5's bm25, or pg_trgm's distance, whose GiST walk grew
    fourfold from 10,000 to 100,000 claims of look-alike texts).

    SQLite: FTS5 (trigram) walked in rowid order. PostgreSQL: ILIKE per word, served
    by the pg_trgm GIN index, or for common words by the primary key walked backwards.
    """
    words = search_words(probe.text)
    if not words:
        return []
    hits = {word: found for word in words if (found := _having(word, limit))}
    relevance: dict[int, float] = {}
    for found in hits.values():
        weight = math.log((limit + len(found)) / (2 * len(found))) + COMMON_WORD_WEIGHT
        for claim_id in found:
            relevance[claim_id] = relevance.get(claim_id, 0.0) + weight
    ranked = sorted(relevance, key=lambda claim_id: (-relevance[claim_id], -claim_id))
    return ranked[:limit]


def _having(word: str, limit: int) -> list[int]:
    """The newest ``limit`` claims having ``word``: one capped index query."""
    if db.session.get_bind().dialect.name == "postgresql":
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = (
            select(Claim.id)
            .where(
                Claim.text.ilike(planned(f"%{escaped}%"), escape="\\"),
                Claim.deleted_at.is_(None),
            )
            .order_by(Claim.id.desc())
            .limit(limit)
        )
        return list(db.session.scalars(statement))
    table = fts_table(Claim)
    statement_text = text(
        f"SELECT rowid FROM {table} WHERE {table} MATCH :query ORDER BY rowid DESC LIMIT :limit"
    ).bindparams(query='"' + word.replace('"', '""') + '"', limit=limit)
    return list(db.session.scalars(statement_text.columns(column("rowid", Integer))))


def candidates(probe: Probe, settings: Settings) -> list[Candidate]:
    """The candidates, at most ``settings.candidates``: live claims other than the probe,
    with their propositions and whether a verdict on them is published."""
    half = max(settings.candidates // 2, 1)
    ids = list(dict.fromkeys(structural_candidates(probe, half) + text_candidates(probe, half)))
    ids = [claim_id for claim_id in ids if claim_id != probe.claim_id][: settings.candidates]
    if not ids:
        return []
    statement = (
        select(Claim.id, Claim.text, Claim.published_review_id, Proposition)
        .join(Proposition, Proposition.claim_id == Claim.id)
        .where(Claim.id.in_(ids), Claim.deleted_at.is_(None))
    )
    found = [
        Candidate(
            claim_id,
            claim_text,
            {name: getattr(stored, name) for name in PROPOSITION_KEYS},
            published_review_id,
        )
        for claim_id, claim_text, published_review_id, stored in db.session.execute(statement)
    ]
    _external_verdicts(found)
    return found


def _external_verdicts(found: list[Candidate]) -> None:
    """Mark the candidates with a published verdict: ours (its rating is read with the
    claims shown), else another fact-checker's imported ClaimReview, one statement for all."""
    for candidate in found:
        if candidate.published_review_id is not None:
            candidate.verdict = {"rating": None, "by": "ours"}
    unrated = [candidate.claim_id for candidate in found if candidate.published_review_id is None]
    if not unrated:
        return
    statement = (
        select(ExternalReview.claim_id, ExternalReview.reviewer, ExternalReview.rating)
        .where(ExternalReview.claim_id.in_(unrated))
        .order_by(ExternalReview.claim_id, ExternalReview.id)
    )
    reviews: dict[int, dict[str, Any]] = {}
    for claim_id, reviewer, rating in db.session.execute(statement):
        reviews.setdefault(claim_id, {"rating": _rating_name(rating), "by": reviewer or "external"})
    for candidate in found:
        if candidate.published_review_id is None:
            candidate.verdict = reviews.get(candidate.claim_id)


def _rating_name(rating: dict[str, Any] | None) -> str | None:
    if not rating:
        return None
    for name in ("alternate_name", "name", "value"):
        if rating.get(name) is not None:
            return str(rating[name])
    return None


# --- Comparison --------------------------------------------------------------------------


def _same_key(left: str | None, right: str | None) -> str:
    if left is None or right is None:
        return "unknown"
    return "same" if left == right else "different"


def _value(probe: dict[str, Any], other: dict[str, Any]) -> str:
    if probe["kind"] == ClaimKind.MEMBERSHIP and other["kind"] == ClaimKind.MEMBERSHIP:
        if probe["state"] == other["state"]:
            return "same"
        return "compatible" if probe["polarity"] == other["polarity"] else "incompatible"
    ranges = (probe["value_low"], probe["value_high"], other["value_low"], other["value_high"])
    if all(bound is None for bound in ranges):
        return "unknown"
    low, high, other_low, other_high = ranges
    if (low, high) == (other_low, other_high):
        return "same"
    below = high is not None and other_low is not None and high < other_low
    above = low is not None and other_high is not None and low > other_high
    return "incompatible" if below or above else "compatible"


def _time(probe: dict[str, Any], other: dict[str, Any], days: float) -> tuple[str, float | None]:
    """Where the candidate's time stands against the probe's, and how many days apart."""
    mine, theirs = probe["time_start"], other["time_start"]
    if mine is None or theirs is None:
        return "unknown", None
    distance = (theirs - mine).total_seconds() / 86_400
    if abs(distance) <= days:
        return "same", abs(distance)
    return ("later" if distance > 0 else "earlier"), abs(distance)


_CAPITALISED = re.compile(r"\b[A-Z][\w’'-]*")
# Capitalised, but times, not names: "on 8 May" and "last week" are one claim.
_MONTHS_AND_DAYS = (
    "january february march april may june july august september october november "
    "december monday tuesday wednesday thursday friday saturday sunday"
)
_CALENDAR = frozenset(_MONTHS_AND_DAYS.split())
_OPENS_SENTENCE = tuple('.:!?"“‘(')


def names_of(text_: str) -> set[str]:
    """The words of the names ``text_`` has that are no known entity ("Bo Xilai",
    "Toccafondi"): capitalised words not opening a sentence or a quote, outside the
    known entities' mentions."""
    spans = [(mention.start, mention.end) for mention in find_mentions(text_)]
    found = set()
    for word in _CAPITALISED.finditer(text_):
        before = text_[: word.start()].rstrip()
        if not before or before.endswith(_OPENS_SENTENCE):
            continue
        if any(start <= word.start() < end for start, end in spans):
            continue
        name = re.sub(r"['’]s$", "", word.group().casefold())
        if name not in STOP_WORDS and name not in _CALENDAR:
            found.add(name)
    return found


def entities_differ(mine: set[str], theirs: set[str]) -> bool:
    """Whether each side names an entity or a name the other does not ("China and the
    Philippines" against "China and Syria", "Bo Xilai's wife" against "Kim Jong-un's
    wife", "Interim President Dioncounda Traoré" against "Interim President Canada"):
    then they are about different things, whatever their words share. A name only one
    side has is a paraphrase's ("Gloria Sam" and "Gloria"). ``mine`` and ``theirs``
    hold entity keys and ``names_of`` words (as ``name <word>``)."""
    return bool(mine - theirs) and bool(theirs - mine)


_TOKEN = re.compile(r"\w+")
_PERSONAL = "he she him her his hers it we our you your i me my"
_PRONOUNS = frozenset(_PERSONAL.split())
# Texts at least this alike (difflib's ratio of their words) are one wording, one
# phrase of it swapped: a look-alike, or a rewording.
LOOK_ALIKE = 0.65


def swaps_a_name(left: str, right: str) -> bool:
    """Whether ``right`` is ``left``'s wording with a name put in place of other words,
    or other words in place of a name ("NASA rejected ..." against "Media rejected ...",
    "the local media" against "the local Cuba"): the same sentence about someone else.
    A name dropped ("Gloria Sam" → "Gloria") or replaced by a pronoun ("She") is not."""
    mine, theirs = _TOKEN.findall(left), _TOKEN.findall(right)
    matcher = SequenceMatcher(None, [w.casefold() for w in mine], [w.casefold() for w in theirs])
    if matcher.ratio() < LOOK_ALIKE:
        return False
    for operation, start, end, other_start, other_end in matcher.get_opcodes():
        if operation != "replace":
            continue
        spans = (mine[start:end], start), (theirs[other_start:other_end], other_start)
        if all(_content(words) for words, _ in spans) and any(
            _names(words, at) for words, at in spans
        ):
            return True
    return False


def _content(words: list[str]) -> bool:
    return any(
        word.casefold() not in STOP_WORDS
        and word.casefold() not in _PRONOUNS
        and word.casefold() not in ("the", "a", "an")
        for word in words
    )


def _names(words: list[str], at: int) -> bool:
    """Whether ``words`` (a text's from word ``at``) hold a name: a known entity, or a
    capitalised word not opening the text."""
    if find_mentions(" ".join(words)):
        return True
    return any(
        word[:1].isupper() and word.casefold() not in _CALENDAR
        for index, word in enumerate(words, start=at)
        if index > 0
    )


def compare(
    probe: dict[str, Any],
    other: dict[str, Any],
    days: float,
    entities: tuple[set[str], set[str]] = (set(), set()),
) -> dict[str, Any]:
    """The proposition comparison of the signals: each part of the candidate's
    proposition (and the entities its text names) against the probe's."""
    time, distance = _time(probe, other, days)
    return {
        "entities": "different" if entities_differ(*entities) else "compatible",
        "subject": _same_key(probe["subject_key"], other["subject_key"]),
        "predicate": "same" if probe["predicate"] == other["predicate"] else "different",
        "object": _same_key(probe["object_key"], other["object_key"]),
        "value": _value(probe, other),
        "time": time,
        "polarity": "same" if probe["polarity"] == other["polarity"] else "opposite",
        "time_distance_days": distance,
    }


def _without_negations(text_: str) -> str:
    return " ".join(NEGATION.sub(" ", text_).split())


def relation_of(
    comparison: dict[str, Any],
    kind: str,
    other_kind: str,
    wording: float,
    settings: Settings,
) -> tuple[str, bool]:
    """The relation, and whether the candidate is the newer claim of an ``updates``.

    Claims naming different entities of one kind are at most ``related``. A claim
    without a value (statement, event, other) is compared by its ``wording`` (without
    negations) when its subject agrees or is unknown on either side. A quantity's
    compatible figure at another time still holds (``same``); another figure at another
    time ``updates``."""
    subject = comparison["subject"]
    if comparison["entities"] == "different" or subject == "different":
        return "related", False
    if comparison["predicate"] != "same" or comparison["object"] == "different":
        return "related", False
    time, opposite = comparison["time"], comparison["polarity"] == "opposite"
    moved = time in ("later", "earlier")
    if kind not in (ClaimKind.QUANTITY, ClaimKind.MEMBERSHIP) or kind != other_kind:
        if wording < settings.statement_similarity:
            return "related", False
        return ("contradicts" if opposite else "same"), False
    if subject != "same":
        return "related", False
    value = comparison["value"]
    if kind == ClaimKind.MEMBERSHIP:
        if value == "same":
            return "same", False  # the state holds until a later claim says otherwise
        if moved:
            return "updates", time == "later"
        return ("contradicts" if opposite else "related"), False
    if value == "unknown":
        return "related", False
    if value == "incompatible":
        if moved:
            return "updates", time == "later"
        return ("contradicts" if time == "same" else "related"), False
    return "same", False


def _agreement(comparison: dict[str, Any]) -> float:
    """How much of the two propositions agree, 0..1."""
    score = 0.0
    score += {"same": 0.35, "unknown": 0.1}.get(comparison["subject"], 0.0)
    score += 0.25 if comparison["predicate"] == "same" else 0.0
    score += {"same": 0.15, "unknown": 0.08}.get(comparison["object"], 0.0)
    score += {"same": 0.15, "compatible": 0.12, "incompatible": 0.05}.get(comparison["value"], 0.07)
    score += {"same": 0.1, "unknown": 0.05}.get(comparison["time"], 0.03)
    return score


def similarity(left: str, right: str) -> float:
    return float(fuzz.token_set_ratio(left.casefold(), right.casefold())) / 100


def content_words(text_: str) -> set[str]:
    return {
        word
        for word in re.findall(r"\w+", text_.casefold())
        if len(word) >= 3 and word not in STOP_WORDS
    }


def wording(left: str, right: str) -> float:
    """How alike two texts are without their negations, 0..1: the mean of the words
    sorted (rapidfuzz's token_sort_ratio) and the share of the shorter text's content words the
    other has, so a short paraphrase inside a longer wording counts ("The broadcasts
    began on August 10")."""
    left, right = _without_negations(left).casefold(), _without_negations(right).casefold()
    mine, theirs = content_words(left), content_words(right)
    overlap = len(mine & theirs) / min(len(mine), len(theirs)) if mine and theirs else 0.0
    return (float(fuzz.token_sort_ratio(left, right)) / 100 + overlap) / 2


def score_candidate(probe: Probe, candidate: Candidate, settings: Settings) -> Match:
    theirs = entities_of(candidate.text, candidate.proposition)
    named = (
        probe.entities | {f"name {word}" for word in names_of(probe.text)},
        theirs | {f"name {word}" for word in names_of(candidate.text)},
    )
    comparison = compare(probe.proposition, candidate.proposition, settings.same_time_days, named)
    if swaps_a_name(probe.text, candidate.text):
        comparison["entities"] = "different"
    text_similarity = similarity(probe.text, candidate.text)
    union = probe.entities | theirs
    shared = len(probe.entities & theirs) / len(union) if union else 0.0
    relation, candidate_newer = relation_of(
        comparison,
        probe.proposition["kind"],
        candidate.proposition["kind"],
        wording(probe.text, candidate.text),
        settings,
    )
    score = 0.35 * text_similarity + 0.2 * shared + 0.45 * _agreement(comparison)
    if comparison["entities"] == "different":
        score *= 0.7  # a look-alike about another country ranks below the claim's own
    if relation != "related":
        score = max(score, 0.5 + 0.5 * score)
    newer = None
    if relation == "updates":
        newer = candidate.claim_id if candidate_newer else probe.claim_id
    distance = comparison.pop("time_distance_days")
    return Match(
        claim_id=candidate.claim_id,
        relation=relation,
        newer_claim_id=newer,
        score=round(min(score, 1.0), 4),
        signals={
            "text_similarity": round(text_similarity, 4),
            "shared_entities": round(shared, 4),
            "time_distance_days": None if distance is None else round(distance, 3),
            "proposition": comparison,
        },
        verdict=candidate.verdict,
    )


# --- Matches -----------------------------------------------------------------------------


def matches(probe: Probe, limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
    """The probe's matches, ranked, as the API shows them: each with the claim as
    GET /claims/{claim_id} shows it."""
    settings = Settings.current()
    found = candidates(probe, settings)
    if probe.claim_id is not None:  # a pair a reviewer rejected is never suggested again
        rejected = rejected_pairs(probe.claim_id)
        found = [candidate for candidate in found if candidate.claim_id not in rejected]
    scored = [score_candidate(probe, candidate, settings) for candidate in found]
    relevant = [
        match
        for match in scored
        if match.relation != "related" or match.score >= settings.min_score
    ]
    ranked = sorted(
        relevant, key=lambda match: (match.verdict is None, -match.score, match.claim_id)
    )[:limit]
    rows = _claims([match.claim_id for match in ranked])
    items = []
    for match in ranked:
        row = rows[match.claim_id]
        verdict = match.verdict
        if row.rating is not None:
            verdict = {"rating": _rating_name(row.rating), "by": "ours"}
        items.append(
            {
                "claim": snapshot_of(row),
                "relation": match.relation,
                "newer_claim_id": match.newer_claim_id,
                "score": match.score,
                "signals": match.signals,
                "verdict": verdict,
            }
        )
    return items


def _claims(ids: Sequence[int]) -> dict[int, ClaimRow]:
    if not ids:
        return {}
    statement = claim_reads.claim_rows_selected(Claim.id.in_(ids))
    rows = claim_reads.claim_rows(db.session.execute(statement).all())
    return {row.id: row for row in rows}


def flag_verdict_matches(claim_ids: Sequence[int], *, verdicts: Sequence[int] = ()) -> None:
    """Keep ``verdict_claim_id`` of propositions true after a write: each claim of
    ``claim_ids`` (just written) points at the best match with a published verdict that
    it is the same as, contradicts or updates; each of ``verdicts`` (a verdict just
    published on it, ours or imported) becomes that match of the claims it answers."""
    for claim_id in claim_ids:
        found = next(
            (
                item
                for item in matches(claim_probe(claim_id), DEFAULT_LIMIT)
                if item["verdict"] is not None and item["relation"] in ANSWERED_BY
            ),
            None,
        )
        _point(Proposition.claim_id == claim_id, None if found is None else found["claim"]["id"])
    for claim_id in verdicts:
        answered = [
            item["claim"]["id"]
            for item in matches(claim_probe(claim_id), MATCH_ANSWERED_MAX)
            if item["relation"] in ANSWERED_BY
        ]
        if answered:
            _point(
                Proposition.claim_id.in_(answered) & Proposition.verdict_claim_id.is_(None),
                claim_id,
            )


MATCH_ANSWERED_MAX = 100


def _point(where: Any, verdict_claim_id: int | None) -> None:
    db.session.execute(update(Proposition).where(where).values(verdict_claim_id=verdict_claim_id))

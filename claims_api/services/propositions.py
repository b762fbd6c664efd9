"""Propositions: what a claim asserts, in normal form, kept in step with every write.

A claim's proposition is derived from its kind and structured fields alone (no
query): ``proposition_values``. Writers call ``follow_claims`` with the claims they
wrote, in the same transaction (services/revisions.record_revisions for every claim
write that passes there, the bulk import for the claims it inserts), and
``follow_article`` when an article's date moves under its claims: one DELETE and one
INSERT for all, whatever their number.

The normal form, by kind:

- quantity: ``subject`` (the entity the subject phrase names, "Russian troops" →
  Russia) ``quantity:<unit>`` at ``location`` (``object_key``), valued
  [value_low, value_high]: the bounds given, else the value ±MATCH_EXACT_TOLERANCE
  (2%), or ±MATCH_APPROXIMATE_TOLERANCE (10%) when approximate ("around", "some").
- membership: ``member`` ``member_of`` ``organization``; ``state`` is the relation;
  polarity affirmed for ``member``, negated for not_member, candidate and applicant
  (a candidate is not a member yet).
- statement: ``speaker`` ``said``; attribution is the speaker.
- event / other: the first entity the text names, ``event:<trigger>`` / ``other``.

Polarity of a statement, event or other claim is read from the text's negation
words ("not", "never", "n't", "denied" ...). The time is the claim's as_of, else its
article's published_at, else unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from flask import current_app, has_app_context
from sqlalchemy import delete, select

from claims_api.config import DefaultConfig
from claims_api.entities import KnownEntity, entity_key, find_mentions, resolve
from claims_api.extensions import db
from claims_api.models import Article, Claim, ClaimTag, Proposition
from claims_api.models.vocabulary import ClaimKind, MembershipRelation
from claims_api.services.rows import insert_rows

AFFIRMED = "affirmed"
NEGATED = "negated"
NEGATION = re.compile(
    r"\b(?:not|no|never|none|neither|nor|without|cannot|denied|denies|deny|refuted)\b|n['’]t\b",
    re.IGNORECASE,
)
# Units that name the same thing ("130,000 soldiers" and "130,000 troops").
UNIT_SYNONYMS = {
    "soldier": "troops",
    "soldiers": "troops",
    "troop": "troops",
    "servicemen": "troops",
    "personnel": "troops",
    "person": "people",
    "persons": "people",
    "%": "percent",
    "per cent": "percent",
}


def context_of(text: str, tags: Iterable[str] = ()) -> list[KnownEntity]:
    """The entities a claim names, in its text and its tags: what a generic description
    in its fields ("the alliance") may stand for."""
    named = [mention.entity for mention in find_mentions(text)]
    tagged = [resolve(tag) for tag in tags]
    return list({entity.key: entity for entity in [*named, *tagged] if entity}.values())


def key_of(name: str, context: Sequence[KnownEntity] = ()) -> str:
    """The entity key of a name (any alias, or a description of an entity of
    ``context``), else its normalised form (entities.entity_key)."""
    known = resolve(name, context=context)
    return known.key if known is not None else entity_key(name)


def mentions(text: str) -> list[str]:
    """The keys of the known entities ``text`` names, in order of appearance, once each."""
    return list(dict.fromkeys(mention.entity.key for mention in find_mentions(text)))


def _phrase_key(phrase: str | None, context: Sequence[KnownEntity]) -> str | None:
    """The entity a noun phrase is about: itself when known ("the Ukrainian border" is
    not, "Belarus" is), else the first known one it names ("Russian troops" → Russia),
    else the phrase's own key."""
    if not phrase or not phrase.strip():
        return None
    known = resolve(phrase, context=context)
    if known is not None:
        return known.key
    named = mentions(phrase)
    return named[0] if named else entity_key(phrase)


def unit_key(unit: str | None) -> str:
    if not unit:
        return ""
    words = " ".join(unit.split()).casefold()
    return UNIT_SYNONYMS.get(words, words)


@dataclass(frozen=True)
class Tolerances:
    """How wide a value without bounds is taken: ± a share of it."""

    exact: float
    approximate: float


def tolerances() -> Tolerances:
    """The configured tolerances (the defaults outside an app)."""
    config: Any = current_app.config if has_app_context() else vars(DefaultConfig)
    return Tolerances(
        float(config["MATCH_EXACT_TOLERANCE"]), float(config["MATCH_APPROXIMATE_TOLERANCE"])
    )


def value_range(details: dict[str, Any], within: Tolerances) -> tuple[float | None, float | None]:
    """A quantity's value as a range; None for an open end."""
    value = details.get("value")
    lower, upper = details.get("lower_bound"), details.get("upper_bound")
    share = within.approximate if details.get("approximate") else within.exact
    if value is not None:
        spread = abs(float(value)) * share
        lower = float(value) - spread if lower is None else lower
        upper = float(value) + spread if upper is None else upper
    return (None if lower is None else float(lower), None if upper is None else float(upper))


def as_time(value: str | date | datetime | None) -> datetime | None:
    """An as_of date (ISO text, as stored) or a timestamp, as a UTC timestamp."""
    if value is None:
        return None
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


# What an event claim says happened, as the word that names it: the predicate of its
# proposition ("met", "visit", "signed"), so that two reports of one meeting compare
# equal. A normal form for matching, not a rule of extraction.
EVENT_TRIGGERS = re.compile(
    r"\b(?:(?:telephone |phone |video )?call with|talks|meeting|met|meet|summit|visit(?:ed)?"
    r"|drawdown|evacuat\w+|ratifi\w+|signed|offered|refused|suspended|ordered|withdr[ae]w\w*"
    r"|launched|imposed|announced|sent|deployed|attacked|invaded|arrived|voted|approved"
    r"|rejected|closed|resolved|agreed|expelled|arrested|killed|collapsed|elected|resigned"
    r"|news conference|press conference)\b",
    re.IGNORECASE,
)


def polarity_of(text: str) -> str:
    return NEGATED if NEGATION.search(text) else AFFIRMED


def _event_predicate(text: str) -> str:
    trigger = EVENT_TRIGGERS.search(text)
    if trigger is None:
        return "event"
    word = trigger.group().split()[0].casefold()
    return f"event:{re.sub(r'(?:ed|d)$', '', word) if len(word) > 4 else word}"


def proposition_values(
    kind: ClaimKind | str,
    details: dict[str, Any] | None,
    text: str,
    published_at: datetime | None,
    within: Tolerances,
    tags: Iterable[str] = (),
) -> dict[str, Any]:
    """The proposition of a claim (or of a text to match), as a row without claim_id;
    ``tags`` (the claim's) help resolve descriptions such as "the alliance"."""
    kind = ClaimKind(kind)
    details = details or {}
    row: dict[str, Any] = {
        "kind": kind.value,
        "subject_key": None,
        "predicate": kind.value,
        "object_key": None,
        "value_low": None,
        "value_high": None,
        "unit": None,
        "state": None,
        "polarity": polarity_of(text),
        "attribution_key": None,
    }
    context = context_of(text, tags)
    named = mentions(text)
    as_of = None
    if kind == ClaimKind.QUANTITY and details:
        unit = unit_key(details.get("unit"))
        low, high = value_range(details, within)
        subject = _phrase_key(details.get("subject"), context)
        row.update(
            subject_key=subject or (named[0] if named else None),
            predicate=f"quantity:{unit}",
            object_key=_phrase_key(details.get("location"), context),
            value_low=low,
            value_high=high,
            unit=unit or None,
            # A figure's own words are not negated the way a sentence is.
            polarity=AFFIRMED,
        )
        as_of = details.get("as_of")
    elif kind == ClaimKind.MEMBERSHIP and details:
        relation = details.get("relation")
        row.update(
            subject_key=key_of(details["member"], context),
            predicate="member_of",
            object_key=key_of(details["organization"], context),
            state=relation,
            polarity=AFFIRMED if relation == MembershipRelation.MEMBER else NEGATED,
        )
        as_of = details.get("as_of")
    elif kind == ClaimKind.STATEMENT and details:
        speaker = key_of(details["speaker"], context)
        row.update(subject_key=speaker, predicate="said", attribution_key=speaker)
    else:
        row.update(
            subject_key=named[0] if named else None,
            predicate=_event_predicate(text) if kind == ClaimKind.EVENT else kind.value,
        )
    time = as_time(as_of) or as_time(published_at)
    row.update(
        time_start=time,
        time_end=time,
        time_source=None if time is None else ("as_of" if as_of else "published_at"),
    )
    return row


class ClaimLike(Protocol):
    """What a proposition is derived from: a Claim, or a row the bulk import inserts."""

    @property
    def id(self) -> int: ...
    @property
    def article_id(self) -> int: ...
    @property
    def kind(self) -> ClaimKind: ...
    @property
    def details(self) -> dict[str, Any] | None: ...
    @property
    def text(self) -> str: ...
    @property
    def deleted_at(self) -> datetime | None: ...


def follow_claims(
    claims: Sequence[ClaimLike],
    *,
    new_tags: Mapping[int, Sequence[str]] | None = None,
    published: Mapping[int, datetime | None] | None = None,
) -> None:
    """Rewrite the propositions of ``claims`` as they now are: live ones get theirs
    again, deleted ones lose theirs. One statement per table, whatever their number.

    A bulk import saves three statements per batch with what it holds already:
    ``new_tags``, the claims were just inserted with these tags (by claim id), so there
    are no propositions to remove nor tags to read back; ``published``, the
    publication date of each of their articles (by article id)."""
    if not claims:
        return
    session = db.session
    live = [claim for claim in claims if claim.deleted_at is None]
    tags: Mapping[int, Sequence[str]]
    if new_tags is None:
        ids = [claim.id for claim in claims]
        session.execute(delete(Proposition).where(Proposition.claim_id.in_(ids)))
        tags = _tags([claim.id for claim in live])
    else:
        tags = new_tags
    dates = (
        published
        if published is not None
        else _published_dates({claim.article_id for claim in live})
    )
    within = tolerances()
    rows = [
        {
            "claim_id": claim.id,
            **proposition_values(
                claim.kind,
                claim.details,
                claim.text,
                dates.get(claim.article_id),
                within,
                tags.get(claim.id, ()),
            ),
        }
        for claim in live
    ]
    # One multi-row INSERT (COPY on PostgreSQL), never a statement per row.
    insert_rows(Proposition.__table__, rows)


def _tags(claim_ids: list[int]) -> dict[int, list[str]]:
    """The claims' tags as written (flushed) so far."""
    found: dict[int, list[str]] = {}
    if claim_ids:
        statement = select(ClaimTag.claim_id, ClaimTag.tag).where(ClaimTag.claim_id.in_(claim_ids))
        for claim_id, tag in db.session.execute(statement):
            found.setdefault(claim_id, []).append(tag)
    return found


def _published_dates(article_ids: Iterable[int]) -> dict[int, datetime | None]:
    wanted = sorted(article_ids)
    if not wanted:
        return {}
    statement = select(Article.id, Article.published_at).where(Article.id.in_(wanted))
    return {article_id: published for article_id, published in db.session.execute(statement)}


CLAIM_FIELDS = (Claim.id, Claim.article_id, Claim.kind, Claim.details, Claim.text, Claim.deleted_at)


def follow_article(article_id: int) -> None:
    """Rewrite the propositions of an article's claims (its date is their time when they
    give none)."""
    statement = select(*CLAIM_FIELDS).where(
        Claim.article_id == article_id, Claim.deleted_at.is_(None)
    )
    follow_claims(list(db.session.execute(statement).all()))

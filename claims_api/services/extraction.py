"""Proposing an article's claims, and storing the ones a client accepts.

Extraction itself (claims_api.extraction) knows nothing of the database; this
module anchors its candidates in a stored article and saves them through
create_claim, so that every saved candidate has its revision like any claim.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import select

from claims_api.errors import ExtractionUnavailable, InvalidInput, LanguageNotSupported, NotFound
from claims_api.extensions import db
from claims_api.extraction import (
    SUPPORTED_LANGUAGES,
    Candidate,
    Span,
    extract_claims,
    nlp,
    reads_language,
)
from claims_api.models import Article, Claim
from claims_api.models.vocabulary import STRUCTURED_KINDS, ClaimKind, Role, StructuredByKind
from claims_api.services.anchoring import anchor_quote
from claims_api.services.claims import create_claim
from claims_api.services.revisions import Change

EXTRACTED_REASON = "extracted"
log = logging.getLogger(__name__)


@dataclass
class Proposal(StructuredByKind):
    """A candidate as a client reads it, and what became of it when saving was asked."""

    candidate: Candidate
    quote: dict[str, Any]
    # "proposed" (not saved), "saved" (claim_id is the new claim) or "exists"
    # (claim_id is a live claim of the same kind whose quote overlaps this one).
    outcome: str = "proposed"
    claim_id: int | None = None

    @property
    def claim_fields(self) -> dict[str, Any]:
        """The fields create_claim takes (article_id aside)."""
        candidate = self.candidate
        fields: dict[str, Any] = {
            "kind": candidate.kind,
            "text": candidate.text,
            "quote": {key: self.quote[key] for key in ("exact", "start", "end")},
            "tags": candidate.tags,
        }
        if candidate.kind in STRUCTURED_KINDS:
            fields[candidate.kind.value] = candidate.details
        return fields

    @property
    def kind(self) -> ClaimKind:
        return self.candidate.kind

    @property
    def details(self) -> dict[str, Any] | None:
        return self.candidate.details


def require_pipeline() -> None:
    """Load the NLP pipeline extraction parses with, or say that none can be loaded.

    Called by :func:`propose`, the one way into the extractor, so that every path (the
    API, the CLI) refuses alike, with the loader's reason and the setting that fixes it.
    A request the service would refuse anyway (no such article, no body, another
    language) is refused for that first: the client's to fix, whatever the server's state.
    """
    try:
        nlp.pipeline()
    except nlp.NlpUnavailable as error:
        raise ExtractionUnavailable(str(error), setting=nlp.SETTING, check=error.check) from None


def warm_pipeline(app: Flask) -> threading.Thread:
    """Load the pipeline in a background thread of a new server worker.

    A load takes about a second: this way no request waits for it (one that comes
    meanwhile waits on the loader's lock, not for a second load), and a worker that
    cannot load one says so in its log at start rather than at the first extraction.
    """

    def warm() -> None:
        with app.app_context():
            try:
                require_pipeline()
            except ExtractionUnavailable as error:
                log.warning("claim extraction is unavailable: %s", error.detail)

    thread = threading.Thread(target=warm, name="nlp-warm-up", daemon=True)
    thread.start()
    return thread


def propose(
    body: str,
    min_score: float,
    *,
    published_at: str | None = None,
    authors: Sequence[str] = (),
) -> list[Proposal]:
    """The candidates of ``body``, each with its anchored quote (prefix and suffix).

    ``published_at`` dates what the text dates relative to it ("on Monday");
    ``authors`` name the speaker of a transcript.
    """
    require_pipeline()
    return [
        Proposal(
            candidate,
            anchor_quote(
                body,
                {
                    "exact": body[candidate.span.start : candidate.span.end],
                    "start": candidate.span.start,
                    "end": candidate.span.end,
                },
            ),
        )
        for candidate in extract_claims(body, min_score, published_at=published_at, authors=authors)
    ]


def _article_body(article_id: int, *, for_update: bool) -> tuple[Article, str]:
    statement = select(Article).where(Article.id == article_id)
    if for_update:
        # Serialises two saves of one article, so neither duplicates the other's claims.
        statement = statement.with_for_update()
    article = db.session.scalars(statement).one_or_none()
    if article is None:
        raise NotFound(f"There is no article {article_id}.")
    if article.body is None:
        raise InvalidInput(
            f"Article {article_id} has no body text to extract claims from.",
            errors={"body": ["the article has no body text"]},
        )
    if not reads_language(article.language):
        readable = ", ".join(sorted(SUPPORTED_LANGUAGES))
        raise LanguageNotSupported(
            f"Article {article_id} is in {article.language!r}; "
            f"the extractor reads only {readable}.",
            errors={"language": [f"{article.language!r}: the extractor reads only {readable}"]},
            supported_languages=sorted(SUPPORTED_LANGUAGES),
        )
    return article, article.body


def extract_article(
    article_id: int, change: Change, *, role: Role, min_score: float, save: bool = False
) -> list[Proposal]:
    """Propose the article's claims; with ``save``, store each that no live claim covers.

    A candidate is left out of the save (outcome "exists") when a live claim of
    the same kind already quotes an overlapping span, so extracting again never
    duplicates a claim, whether it was extracted, seeded or written by hand.
    """
    article, body = _article_body(article_id, for_update=save)
    published = article.published_at.date().isoformat() if article.published_at else None
    proposals = propose(body, min_score, published_at=published, authors=article.authors or ())
    if not save:
        return proposals
    existing = db.session.execute(
        select(Claim.id, Claim.kind, Claim.quote_start, Claim.quote_end, Claim.text).where(
            Claim.article_id == article.id, Claim.deleted_at.is_(None)
        )
    ).all()
    extracted = Change(change.actor, EXTRACTED_REASON)
    for proposal in proposals:
        candidate = proposal.candidate
        covering = [
            (text != candidate.text, claim_id)
            for claim_id, kind, start, end, text in existing
            if kind == candidate.kind
            and start is not None
            and end is not None
            and Span(start, end).overlaps(candidate.span)
        ]
        # Of the claims covering it, the one with the candidate's own text names it best.
        covering_id = min(covering)[1] if covering else None
        if covering_id is not None:
            proposal.outcome, proposal.claim_id = "exists", covering_id
            continue
        fields = {**proposal.claim_fields, "article_id": article.id}
        claim = create_claim(fields, extracted, role=role)
        proposal.outcome, proposal.claim_id = "saved", claim.id
    return proposals

"""Article body versions, and claims' quotes following the body when it changes.

Every writer of a body (the API, imports, fetching) passes ``change_body``: it keeps
the new text as the next version and re-anchors every live claim in the same
transaction, one revision per claim whose anchor moved.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from claims_api.errors import Conflict, NotFound
from claims_api.extensions import db
from claims_api.models import Article, ArticleVersion, Claim
from claims_api.models.base import utcnow
from claims_api.models.vocabulary import (
    DOUBTFUL_ANCHOR_STATES,
    AnchorState,
    RevisionAction,
    VersionOrigin,
)
from claims_api.services.anchoring import Reanchoring, anchor_quote, changed_facts, reanchor
from claims_api.services.claims import CLAIM_LOAD_OPTIONS, anchor_columns, lock_article_and_claim
from claims_api.services.revisions import (
    Change,
    Precondition,
    record_revision,
    record_revisions,
    snapshot_of,
)

# What following a new body can change in a claim's snapshot.
REANCHORED_FIELDS = frozenset({"quote", "anchor", "needs_review"})
TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


def body_sha256(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def version_row(
    article_id: int, number: int, body: str, origin: VersionOrigin, actor: str, now: datetime
) -> dict[str, Any]:
    """An article_versions row; the bulk importer inserts these set-based."""
    return {
        "article_id": article_id,
        "number": number,
        "body": body,
        "body_sha256": body_sha256(body),
        "origin": origin.value,
        "actor": actor,
        "created_at": now,
    }


def change_body(
    article: Article, body: str, origin: VersionOrigin, change: Change, now: datetime
) -> int:
    """Replace the body of ``article`` (locked by the caller) and re-anchor its claims.

    Claims are locked in id order after the article, the order every claim writer
    that touches an article also takes (article first), so edits never deadlock.
    Returns how many claims' anchors changed (one revision each).
    """
    # Versions outlive a removed body, so the next number is counted from them.
    # The bodies the claims' quotes were taken from (most often the one being replaced).
    quoted_bodies = {article.body_version: article.body or ""}
    number = 1 + (
        db.session.scalar(
            select(func.max(ArticleVersion.number)).where(ArticleVersion.article_id == article.id)
        )
        or 0
    )
    db.session.add(
        ArticleVersion(**version_row(article.id, number, body, origin, change.actor, now))
    )
    article.body, article.body_sha256, article.body_version = body, body_sha256(body), number
    claims = db.session.scalars(
        select(Claim)
        .where(
            Claim.article_id == article.id,
            Claim.deleted_at.is_(None),
            Claim.quote_exact.is_not(None),
        )
        .order_by(Claim.id)
        .options(*CLAIM_LOAD_OPTIONS)
        .with_for_update(of=Claim)
        .execution_options(populate_existing=True)
    ).all()
    changed = []
    for claim in claims:
        changed.append((claim, snapshot_of(claim)))
        version = claim.anchor_version
        if version not in quoted_bodies:
            quoted_bodies[version] = (
                "" if version is None else get_version(article.id, version).body
            )
        follow_body(claim, quoted_bodies[version], body, number, now)
    return record_revisions(
        changed, RevisionAction.REANCHOR, change, now, touching=REANCHORED_FIELDS
    )


def follow_body(claim: Claim, old_body: str, body: str, version: int, now: datetime) -> Reanchoring:
    """Point the claim's quote from ``old_body`` into ``body`` (version ``version``) as far
    as it safely can."""
    quote = claim.quote
    assert quote is not None
    result = reanchor(old_body, body, quote)
    claim.anchor_state = result.state
    claim.anchor_score = result.score if result.state == AnchorState.FUZZY else None
    claim.anchor_previous_exact = quote["exact"] if result.state == AnchorState.FUZZY else None
    if result.quote is not None:
        for name, value in result.quote.items():
            setattr(claim, f"quote_{name}", value)
        claim.anchor_version = version
    if result.state in DOUBTFUL_ANCHOR_STATES:
        flag(claim, _doubt(result, quote["exact"], version), now)
    return result


def _doubt(result: Reanchoring, old: str, version: int) -> str:
    if result.state == AnchorState.FUZZY:
        assert result.quote is not None
        new = result.quote["exact"]
        facts = changed_facts(old, new)
        said = f"; {facts}" if facts else ""
        return f"version {version} changed the quoted words from {old!r} to {new!r}{said}"
    if result.state == AnchorState.AMBIGUOUS:
        return (
            f"version {version} has several places the quote could be; it stays on the "
            "version it was taken from until a reviewer points it"
        )
    return f"version {version} no longer has the quoted words; the quote stays on its old version"


def flag(claim: Claim, reason: str, now: datetime) -> None:
    """Ask a reviewer to look at the claim; its status does not change."""
    claim.needs_review_reason = reason
    if claim.needs_review_since is None:
        claim.needs_review_since = now


def clear_flag(claim: Claim) -> None:
    claim.needs_review_reason = None
    claim.needs_review_since = None


def point_anchor(
    claim_id: int, data: dict[str, Any], precondition: Precondition, change: Change
) -> Claim:
    """A reviewer confirms or re-points a claim's quote: anchored in the version given
    (the current body by default), at the offsets or the one place of ``exact``.
    The needs-review flag is cleared; the status is not touched."""
    article, claim = lock_article_and_claim(claim_id)
    precondition.check(claim.revision, f"Claim {claim_id}")
    if article.body_version is None:
        raise Conflict(f"Article {article.id} has no body to anchor the quote in.")
    number = data.get("version", article.body_version)
    body = get_version(article.id, number).body
    before = snapshot_of(claim)
    quote: dict[str, Any] = {name: data[name] for name in ("exact", "start", "end") if name in data}
    if "exact" not in quote:
        quote["exact"] = body[quote["start"] : quote["end"]]
    for name, value in anchor_quote(body, quote).items():
        setattr(claim, f"quote_{name}", value)
    for name, value in anchor_columns(number).items():
        setattr(claim, name, value)
    clear_flag(claim)
    record_revision(claim, RevisionAction.ANCHOR, before, change, utcnow())
    return claim


def list_versions(article_id: int) -> list[ArticleVersion]:
    """Every body the article has had, oldest first (bodies deferred: lists omit them)."""
    _require_article(article_id)
    return list(
        db.session.scalars(
            select(ArticleVersion)
            .where(ArticleVersion.article_id == article_id)
            .order_by(ArticleVersion.number)
        )
    )


def get_version(article_id: int, number: int) -> ArticleVersion:
    version = db.session.get(ArticleVersion, (article_id, number))
    if version is None:
        _require_article(article_id)
        raise NotFound(f"Article {article_id} has no version {number}.")
    return version


def diff_versions(article_id: int, number: int, against: int | None) -> dict[str, Any]:
    """What changed from version ``against`` (the previous one by default) to ``number``:
    the changed runs of words, with their offsets in each version."""
    target = get_version(article_id, number)
    against = number - 1 if against is None else against
    base = get_version(article_id, against).body if against >= 1 else ""
    old, new = TOKEN.findall(base), TOKEN.findall(target.body)
    old_at, new_at = _offsets(old), _offsets(new)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    changes = [
        {
            "op": op,
            "old_start": old_at[i1],
            "old_end": old_at[i2],
            "new_start": new_at[j1],
            "new_end": new_at[j2],
            "old_text": "".join(old[i1:i2]),
            "new_text": "".join(new[j1:j2]),
        }
        for op, i1, i2, j1, j2 in matcher.get_opcodes()
        if op != "equal"
    ]
    return {"article_id": article_id, "number": number, "against": against, "changes": changes}


def _offsets(tokens: list[str]) -> list[int]:
    offsets = [0]
    for token in tokens:
        offsets.append(offsets[-1] + len(token))
    return offsets


def _require_article(article_id: int) -> None:
    if db.session.get(Article, article_id) is None:
        raise NotFound(f"There is no article {article_id}.")

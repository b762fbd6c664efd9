"""Article body versions, and claims' quotes following the body when it changes.

Every writer of a body (the API, imports, fetching) passes ``change_body``: it keeps
the new text as the next version and re-anchors every live claim in the same
transaction, one revision per claim whose anchor moved.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from claims_api.errors import Conflict, InvalidInput, NotFound
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

# The states whose quote stays on the version it was taken from when the body changes.
STAYING_ANCHOR_STATES = frozenset({AnchorState.AMBIGUOUS, AnchorState.ORPHANED})
# What following a new body can change in a claim's snapshot.
REANCHORED_FIELDS = frozenset(
    {"quote", "anchor", "needs_review", "verdict_concerns_earlier_version"}
)
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


def history_errors(
    article: dict[str, Any], claims: Sequence[dict[str, Any]]
) -> dict[str, list[str]]:
    """What is wrong with the body history an article document carries (an export's):
    the one rule every reader of documents (msgspec, marshmallow) applies.

    Versions are numbered 1, 2, 3... without gaps, each ``body_sha256`` is its body's,
    the article's ``body`` is the last version's (or null: a body taken away, whose
    versions stay), and a claim's ``anchor.version`` names one of them. Keys are paths
    in the document, such as ``article.versions.2.number``.
    """
    versions = article.get("versions")
    if not versions:
        return {}
    errors: dict[str, list[str]] = {}
    for index, version in enumerate(versions):
        where = f"article.versions.{index}"
        if version["number"] != index + 1:
            errors[f"{where}.number"] = [
                f"expected {index + 1}: versions are numbered 1, 2, 3... in order, without gaps"
            ]
        digest = body_sha256(version["body"])
        if version["body_sha256"] != digest:
            errors[f"{where}.body_sha256"] = [
                f"is not the SHA-256 of the version's body, which is {digest}"
            ]
    if "body" not in article:
        errors["article.body"] = ["required with versions: null, or the last version's text"]
    elif article["body"] is not None and article["body"] != versions[-1]["body"]:
        errors["article.body"] = [
            f"differs from the last version's body (version {len(versions)}): "
            "the body is its latest version"
        ]
    for index, claim in enumerate(claims):
        anchor = claim.get("anchor")
        if anchor and anchor["version"] > len(versions):
            errors[f"claims.{index}.anchor.version"] = [
                f"the article has versions 1 to {len(versions)}, not {anchor['version']}"
            ]
    return errors


def missing_versions(article: Article, versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The versions of a document's history (checked by ``history_errors``) that ``article``
    lacks; a 422 naming the first version whose text differs from the stored one, since
    an import adds to an article's history and never rewrites it."""
    rows = db.session.execute(
        select(ArticleVersion.number, ArticleVersion.body_sha256).where(
            ArticleVersion.article_id == article.id
        )
    )
    stored = {number: digest for number, digest in rows}
    for index, version in enumerate(versions):
        digest = stored.get(version["number"])
        if digest is not None and digest != version["body_sha256"]:
            message = (
                f"article {article.id} has another text as version {version['number']}: an "
                "import never rewrites an article's history"
            )
            raise InvalidInput(message, errors={f"versions.{index}.body_sha256": [message]})
    return [version for version in versions if version["number"] not in stored]


def restored_anchor(
    values: dict[str, Any], entry: dict[str, Any], current: int | None
) -> dict[str, Any]:
    """The anchor and needs-review columns of a new claim as its document (an export)
    records them, over ``values`` (claim_values's, the quote checked against the
    version the anchor names). A quote said to be in place in a version before the
    article's current one (``current``) was never followed to it: flagged."""
    anchor, flagged = entry.get("anchor"), entry.get("needs_review")
    columns: dict[str, Any] = {
        "needs_review_reason": flagged and flagged["reason"],
        "needs_review_since": flagged and flagged["since"],
    }
    version = values.get("anchor_version")
    if not anchor or version is None:
        return columns
    state = AnchorState(anchor["state"])
    columns.update(
        anchor_state=state,
        anchor_score=anchor["score"],
        anchor_previous_exact=anchor["previous_exact"],
    )
    if version != current and state not in STAYING_ANCHOR_STATES and not flagged:
        columns.update(
            needs_review_reason=f"imported with its quote in version {version}, not in the "
            f"article's current body (version {current}); a reviewer points it",
            needs_review_since=utcnow(),
        )
    return columns


def recorded_row(article_id: int, version: dict[str, Any]) -> dict[str, Any]:
    """An article_versions row for a version as a document records it (checked by
    ``history_errors``): its number, text, origin, actor and time kept."""
    return {
        "article_id": article_id,
        **{name: version[name] for name in ("number", "body", "body_sha256", "actor")},
        "origin": VersionOrigin(version["origin"]).value,
        "created_at": version["created_at"],
    }


def change_body(
    article: Article,
    body: str,
    origin: VersionOrigin,
    change: Change,
    now: datetime,
    recorded: Sequence[dict[str, Any]] = (),
) -> int:
    """Replace the body of ``article`` (locked by the caller) and re-anchor its claims.

    ``recorded``: the versions an imported history adds (numbered on from the stored
    ones, each with its own origin, actor and time), ``body`` the last one's; without
    them the body is the next version, by ``change.actor`` now.
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
    rows = [recorded_row(article.id, version) for version in recorded] or [
        version_row(article.id, number, body, origin, change.actor, now)
    ]
    if rows[0]["number"] != number or rows[-1]["body"] != body:
        # A body change landed between reading the history and locking the article.
        raise Conflict(
            f"Article {article.id} changed meanwhile: its next body version is {number}, "
            f"not {rows[0]['number']}; import the document again."
        )
    db.session.add_all(ArticleVersion(**row) for row in rows)
    number = rows[-1]["number"]
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

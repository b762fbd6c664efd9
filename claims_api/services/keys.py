"""API keys: issuing, listing, revoking, and recognising a bearer token.

A token is ``ck_<8 characters>_<43 characters>``: the first part is the key's
public prefix (stored, shown in lists, used to find the row), the whole is
secret. Only its SHA-256 is stored; a token has 256 random bits, so a plain
hash is as safe as a slow one and costs nothing per request.

Each key records who issued it and who revoked it (``issued_by``,
``revoked_by``: the acting key's name, or ``cli:<OS user>`` from the command
line). The last usable admin key cannot be revoked: nobody could manage keys
over the API any more (the command line can still issue one).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from datetime import datetime

from sqlalchemy import or_, select

from claims_api.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from claims_api.extensions import db
from claims_api.models import ApiKey
from claims_api.models.base import utcnow
from claims_api.models.vocabulary import Role
from claims_api.services.pagination import Page, PageRequest, SortOrder, keyset_page

TOKEN_PATTERN = re.compile(r"(ck_[A-Za-z0-9]{8})_[A-Za-z0-9_-]{43}")
PREFIX_ALPHABET = string.ascii_letters + string.digits
# Compared against when no key has the prefix, so an unknown prefix costs the same.
_NO_SUCH_HASH = hashlib.sha256(b"no such key").hexdigest()


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_key(
    name: str, role: Role, expires_at: datetime | None = None, *, issued_by: str
) -> tuple[ApiKey, str]:
    """A new key and its token; the token is returned this once and never stored."""
    name = name.strip()
    if not name or len(name) > 200:
        message = "must be 1 to 200 characters"
        raise InvalidInput(f"The key's name {message}.", errors={"name": [message]})
    now = utcnow()
    if expires_at is not None and expires_at <= now:
        message = "must be in the future"
        raise InvalidInput(f"expires_at {message}.", errors={"expires_at": [message]})
    prefix = "ck_" + "".join(secrets.choice(PREFIX_ALPHABET) for _ in range(8))
    token = f"{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        name=name,
        role=role,
        prefix=prefix,
        token_sha256=token_sha256(token),
        created_at=now,
        expires_at=expires_at,
        issued_by=issued_by,
    )
    db.session.add(key)
    db.session.flush()
    return key, token


def token_prefix(token: str) -> str | None:
    """The public prefix of a well-formed token (``ck_xxxxxxxx``); None for anything else."""
    match = TOKEN_PATTERN.fullmatch(token)
    return match.group(1) if match else None


def candidate_key(token: str) -> ApiKey | None:
    """The key whose prefix ``token`` carries, if any: not yet proof the token is its."""
    prefix = token_prefix(token)
    if prefix is None:
        return None
    return db.session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one_or_none()


def authenticate(token: str, candidate: ApiKey | None) -> ApiKey:
    """``candidate`` (from ``candidate_key(token)``) if ``token`` is its and it is usable.

    The hash is compared even when there is no candidate, so a prefix of no key
    costs the same time as one of a key. Raises Unauthenticated otherwise.
    """
    expected = candidate.token_sha256 if candidate is not None else _NO_SUCH_HASH
    if not hmac.compare_digest(expected, token_sha256(token)) or candidate is None:
        raise Unauthenticated("The API key is not valid.")
    if candidate.revoked_at is not None:
        raise Unauthenticated("The API key has been revoked.")
    if not candidate.is_usable(utcnow()):
        raise Unauthenticated("The API key has expired.")
    return candidate


def get_key(reference: int | str) -> ApiKey:
    """A key by id, or by its prefix (as `keys list` shows it)."""
    if isinstance(reference, int):
        key = db.session.get(ApiKey, reference)
    else:
        key = db.session.scalars(select(ApiKey).where(ApiKey.prefix == reference)).one_or_none()
    if key is None:
        raise NotFound(f"There is no API key {reference}.")
    return key


def revoke_key(reference: int | str, *, revoked_by: str) -> ApiKey:
    """Revoke a key for good; revoking it again changes nothing.

    Refuses (Conflict) to revoke the last usable admin key. The usable admin keys
    are locked first (FOR UPDATE on PostgreSQL; on SQLite the writer already holds
    the database's write lock from BEGIN IMMEDIATE), so two admins revoking each
    other's keys at once cannot both succeed: the second sees the first's change.
    """
    key = get_key(reference)
    if key.role is Role.ADMIN and key.revoked_at is None:
        usable = _lock_usable_admin_keys()
        if not _revoked_meanwhile(key) and usable == [key.id]:
            raise Conflict(
                "This is the last usable admin key: issue another admin key before revoking it "
                "(claims-api keys create --role admin)."
            )
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        key.revoked_by = revoked_by
        db.session.flush()
    return key


def _lock_usable_admin_keys() -> list[int]:
    """The ids of admin keys neither revoked nor expired, their rows locked in id order."""
    now = utcnow()
    query = (
        select(ApiKey.id)
        .where(
            ApiKey.role == Role.ADMIN,
            ApiKey.revoked_at.is_(None),
            or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now),
        )
        .order_by(ApiKey.id)
        .with_for_update()
    )
    return list(db.session.scalars(query))


def list_keys(page: PageRequest) -> Page[ApiKey]:
    order = SortOrder("created_at", ApiKey.created_at, ApiKey.id)
    return keyset_page(select(ApiKey), order, page)


def _revoked_meanwhile(key: ApiKey) -> bool:
    """Whether another transaction revoked ``key`` since it was read."""
    db.session.refresh(key)
    return key.revoked_at is not None

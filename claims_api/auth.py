"""Who is calling: bearer API keys, the least role each route needs, and a brake on
guessing tokens.

Every view method declares its role with ``@requires``; a write route that
declares none needs an admin (and fails tests/test_roles.py), so a new route is
closed until someone decides who may use it. Reads need a reader unless
anonymous reads are on (the default).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, request

from claims_api.errors import Forbidden, TooManyRequests, Unauthenticated
from claims_api.models import ApiKey
from claims_api.models.vocabulary import Role
from claims_api.services.keys import authenticate

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Serving the documentation is not the API: it stays open whatever the settings.
DOCUMENTATION_BLUEPRINTS = frozenset({"api-docs"})
CHALLENGE = 'Bearer realm="claims-api"'
INVALID_TOKEN_CHALLENGE = f'{CHALLENGE}, error="invalid_token"'


class Public:
    """The role of a route anyone may call, even with anonymous reads off."""


PUBLIC = Public()
RequiredRole = Role | Public


def requires(role: RequiredRole) -> Callable[[F], F]:
    """Declare the least role a view method needs (``PUBLIC``: no key at all)."""

    def decorate(view: F) -> F:
        view.required_role = role  # type: ignore[attr-defined]
        return view

    return decorate


def declared_role(view: Callable[..., Any] | None, method: str) -> RequiredRole | None:
    """The role a route's method declares with ``@requires``; None if it declares none."""
    view_class = getattr(view, "view_class", None)
    handler = getattr(view_class, method.lower(), None) if view_class else view
    return getattr(handler, "required_role", None)


def required_role(endpoint: str, method: str) -> RequiredRole:
    declared = declared_role(current_app.view_functions.get(endpoint), method)
    if declared is not None:
        return declared
    if endpoint == "static" or endpoint.partition(".")[0] in DOCUMENTATION_BLUEPRINTS:
        return PUBLIC
    return Role.READER if method in READ_METHODS else Role.ADMIN


class FailedAuthenticationLimiter:
    """Failed authentications per client address over a sliding window.

    In-process: each gunicorn worker counts on its own, so a client gets up to
    ``limit`` x workers guesses per window. That bounds guessing (a token has 256
    random bits) without another service; put a shared limiter in front of the
    service if addresses must be limited across processes or hosts.
    """

    def __init__(self, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self.window = window_seconds
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        failures = self._failures.get(address, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def retry_after(self, address: str) -> int | None:
        """Seconds until ``address`` may try again, or None if it may now."""
        now = time.monotonic()
        with self._lock:
            failures = self._recent(address, now)
            if not failures:
                self._failures.pop(address, None)
            if len(failures) < self.limit:
                return None
            return max(1, math.ceil(failures[0] + self.window - now))

    def record_failure(self, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            failures = self._recent(address, now)
            failures.append(now)
            self._failures[address] = failures

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()


def limiter() -> FailedAuthenticationLimiter:
    found: FailedAuthenticationLimiter = current_app.extensions["claims_auth_limiter"]
    return found


def _key_from_header(header: str, address: str) -> ApiKey:
    wait = limiter().retry_after(address)
    if wait is not None:
        raise TooManyRequests(
            "Too many failed authentications from your address; wait before trying again.",
            headers={"Retry-After": str(wait)},
        )
    scheme, _, token = header.partition(" ")
    try:
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Send the API key as: Authorization: Bearer <token>.")
        return authenticate(token.strip())
    except Unauthenticated as error:
        limiter().record_failure(address)
        log.warning("failed authentication from %s", address)
        raise Unauthenticated(
            error.detail, headers={"WWW-Authenticate": INVALID_TOKEN_CHALLENGE}
        ) from None


def identify_caller() -> None:
    """Authenticate the request's key, if any, and check its role against the route's.

    Public routes (health, documentation) ignore credentials: a probe with a stale
    key still learns whether the service is up.
    """
    g.api_key = None
    if request.url_rule is None or request.endpoint is None:
        return  # 404 or 405: no route, no role to check
    role = required_role(request.endpoint, request.method)
    if isinstance(role, Public):
        return
    header = request.headers.get("Authorization")
    if header is not None:
        g.api_key = _key_from_header(header, request.remote_addr or "unknown")
    if g.api_key is None:
        if role == Role.READER and current_app.config["ANONYMOUS_READS"]:
            return
        raise Unauthenticated(
            "This request needs an API key: send Authorization: Bearer <token>.",
            headers={"WWW-Authenticate": CHALLENGE},
        )
    if not g.api_key.role.includes(role):
        raise Forbidden(
            f"A {g.api_key.role.value} key may not do this; it needs a {role.value} key or above.",
            required_role=role.value,
        )


def current_key() -> ApiKey | None:
    """The key of the request being served (None for an anonymous read)."""
    key: ApiKey | None = g.get("api_key")
    return key


def current_actor() -> str:
    """Who a change is recorded as: the key's name (routes that write require a key)."""
    key = current_key()
    if key is None:
        raise Unauthenticated(
            "This request needs an API key.", headers={"WWW-Authenticate": CHALLENGE}
        )
    return key.name


def current_role() -> Role:
    """The role a change is made with: the key's (routes that write require a key)."""
    key = current_key()
    if key is None:
        raise Unauthenticated(
            "This request needs an API key.", headers={"WWW-Authenticate": CHALLENGE}
        )
    return key.role


def init_auth(app: Flask) -> None:
    app.extensions["claims_auth_limiter"] = FailedAuthenticationLimiter(
        app.config["AUTH_FAILURE_LIMIT"], app.config["AUTH_FAILURE_WINDOW_SECONDS"]
    )
    app.before_request(identify_caller)

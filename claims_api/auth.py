"""Who is calling: bearer API keys, the least role each route needs, and brakes on
guessing tokens and on heavy use of one key.

Every view method declares its role with ``@requires``; a write route that
declares none needs an admin (and fails tests/test_roles.py), so a new route is
closed until someone decides who may use it. Reads need a reader unless
anonymous reads are on (the default).

Failed authentications are counted per (client address, key prefix), so a guesser
only ever locks out the key they are guessing at, from their own address; and per
address for tokens whose prefix is no key's (or that are no token at all), so
cycling made-up prefixes does not escape the count. The client address is the
peer's, or, when the peer is one of ``TRUSTED_PROXIES``, the right-most address
of ``X-Forwarded-For`` that is not a trusted proxy. The counts live in
Flask-Limiter's storage (``RATELIMIT_STORAGE_URI``: memory by default, one count
per process; Redis to share one count between processes and hosts).
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import Flask, current_app, g, request
from flask_limiter import Limiter
from limits import RateLimitItem, RateLimitItemPerSecond, parse_many
from limits.errors import StorageError

from claims_api.config import setting_list
from claims_api.errors import Forbidden, TooManyRequests, Unauthenticated
from claims_api.models import ApiKey
from claims_api.models.vocabulary import Role
from claims_api.services.keys import authenticate, candidate_key

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

READ_METHODS = frozenset({"GET", "HEAD"})
# Serving the documentation is not the API: it stays open whatever the settings.
DOCUMENTATION_BLUEPRINTS = frozenset({"api-docs"})
CHALLENGE = 'Bearer realm="claims-api"'
INVALID_TOKEN_CHALLENGE = f'{CHALLENGE}, error="invalid_token"'

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


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


def default_role(method: str) -> Role:
    """The role a route that declares none needs: reads a reader, writes an admin."""
    return Role.READER if method.upper() in READ_METHODS else Role.ADMIN


def required_role(endpoint: str, method: str) -> RequiredRole:
    # OPTIONS is Flask's own answer, the route's methods: no data, and a browser's
    # CORS preflight never carries the key.
    if method == "OPTIONS":
        return PUBLIC
    declared = declared_role(current_app.view_functions.get(endpoint), method)
    if declared is not None:
        return declared
    if endpoint == "static" or endpoint.partition(".")[0] in DOCUMENTATION_BLUEPRINTS:
        return PUBLIC
    return default_role(method)


def trusted_proxies(setting: str | Iterable[str] | None) -> tuple[IpNetwork, ...]:
    """``TRUSTED_PROXIES`` as networks: a comma-separated string (or a list) of
    addresses and CIDRs. Raises ValueError naming an entry that is neither."""
    networks = []
    for entry in setting_list(setting):
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(
                f"CLAIMS_TRUSTED_PROXIES: {entry!r} is not an IP address or network"
            ) from None
    return tuple(networks)


def _is_trusted(address: str, proxies: tuple[IpNetwork, ...]) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in proxies)


def client_address() -> str:
    """The address the request came from, as far as it can be believed.

    The peer's own address, unless the peer is a trusted proxy: then walk
    X-Forwarded-For from the right (each proxy appends the address it got the
    request from) past trusted proxies; the first other address is the client.
    Anything left of it was written by the client and proves nothing. An entry
    that is not an address stops the walk at the last proxy that vouched for it.
    """
    peer = request.remote_addr or "unknown"
    proxies: tuple[IpNetwork, ...] = current_app.extensions["claims_trusted_proxies"]
    if not _is_trusted(peer, proxies):
        return peer
    hops = [
        hop.strip()
        for header in request.headers.getlist("X-Forwarded-For")
        for hop in header.split(",")
    ]
    address = peer
    for hop in reversed(hops):
        try:
            hop_address = str(ipaddress.ip_address(hop))
        except ValueError:
            return address
        address = hop_address
        if not _is_trusted(address, proxies):
            return address
    return address


def limiter() -> Limiter:
    """The app's Flask-Limiter: its storage holds every count this module keeps."""
    found: Limiter = current_app.extensions["claims_limiter"]
    return found


def _wait(items: Iterable[RateLimitItem], *identifiers: str, hit: bool) -> int | None:
    """Seconds until the first of ``items`` that is spent for ``identifiers`` has room
    again, or None if each has room. With ``hit``, each is also counted once.

    If the storage cannot be reached nothing is limited (and the error is logged):
    the limits are a brake, the 256 random bits of a token are the lock, and an
    outage of Redis should not become an outage of the API.
    """
    strategy = limiter().limiter
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or "claims"
    try:
        for item in items:
            allowed = (strategy.hit if hit else strategy.test)(item, prefix, *identifiers)
            if not allowed:
                reset_at = strategy.get_window_stats(item, prefix, *identifiers).reset_time
                return max(1, math.ceil(reset_at - time.time()))
    except StorageError as error:
        log.error("rate limit storage unreachable, not limiting: %s", error)
    return None


def _refuse(detail: str, wait: int) -> TooManyRequests:
    return TooManyRequests(detail, headers={"Retry-After": str(wait)})


def _key_from_header(header: str, address: str) -> ApiKey:
    """The usable key the Authorization header carries, within the failure limits.

    The limit is checked before the token: a client over it learns nothing more,
    right or wrong, until the window moves on.
    """
    failures: list[RateLimitItem] = current_app.extensions["claims_auth_failure_limit"]
    scheme, _, token = header.partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    candidate = candidate_key(token) if token else None
    bucket = ("auth-failures", address, candidate.prefix if candidate else "unknown-prefix")
    wait = _wait(failures, *bucket, hit=False)
    if wait is not None:
        raise _refuse(
            "Too many failed authentications from your address; wait before trying again.", wait
        )
    try:
        if not token:
            raise Unauthenticated("Send the API key as: Authorization: Bearer <token>.")
        return authenticate(token, candidate)
    except Unauthenticated as error:
        _wait(failures, *bucket, hit=True)
        log.warning("failed authentication from %s (key %s)", address, bucket[2])
        raise Unauthenticated(
            error.detail, headers={"WWW-Authenticate": INVALID_TOKEN_CHALLENGE}
        ) from None


def _count_key_request(key: ApiKey) -> None:
    """Count a request against the key's own limit (``KEY_RATE_LIMIT``), if one is set."""
    per_key: list[RateLimitItem] = current_app.extensions["claims_key_rate_limit"]
    wait = _wait(per_key, "key-requests", key.prefix, hit=True) if per_key else None
    if wait is not None:
        raise _refuse(
            f"This key has made more than {current_app.config['KEY_RATE_LIMIT']} requests; "
            "wait before trying again.",
            wait,
        )


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
        g.api_key = _key_from_header(header, client_address())
        _count_key_request(g.api_key)
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
    """Read the limits and proxies once (a bad setting stops the app from starting)."""
    window = int(app.config["AUTH_FAILURE_WINDOW_SECONDS"])
    app.extensions["claims_auth_failure_limit"] = [
        RateLimitItemPerSecond(int(app.config["AUTH_FAILURE_LIMIT"]), window)
    ]
    key_limit = app.config.get("KEY_RATE_LIMIT")
    app.extensions["claims_key_rate_limit"] = parse_many(key_limit) if key_limit else []
    app.extensions["claims_trusted_proxies"] = trusted_proxies(app.config.get("TRUSTED_PROXIES"))
    app.extensions["claims_limiter"] = Limiter(
        key_func=client_address, app=app, storage_options={"wrap_exceptions": True}
    )
    app.before_request(identify_caller)

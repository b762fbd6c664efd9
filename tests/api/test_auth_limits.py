"""Brakes on guessing tokens and on heavy use of one key.

Failed authentications count per (client address, key prefix), plus one count per
address for prefixes of no key: a guesser never locks out a valid key they are not
guessing at. The client address comes from X-Forwarded-For only through a trusted
proxy. Counts live in Flask-Limiter's storage, which Redis shares between apps.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import string
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from limits.errors import StorageError

from claims_api import create_app
from claims_api.auth import client_address, limiter
from claims_api.errors import PROBLEM_MIMETYPE
from claims_api.extensions import db
from tests.conftest import IN_CI
from tests.factories import bearer, check, issue_token

REDIS_URL = os.environ.get("CLAIMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/1")
GUESSER = "203.0.113.9"
NEIGHBOUR = "203.0.113.10"
PROXY = "10.0.0.5"


def random_token() -> str:
    """A well-formed token whose prefix (almost surely) belongs to no key."""
    alphabet = string.ascii_letters + string.digits
    prefix = "".join(secrets.choice(alphabet) for _ in range(8))
    return f"ck_{prefix}_{secrets.token_urlsafe(32)}"


def forged(token: str) -> str:
    """``token``'s prefix with a wrong secret."""
    secret = token[token.rindex("_") + 1 :]
    return token[: -len(secret)] + ("B" if secret[0] != "B" else "C") * len(secret)


def from_address(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def check_too_many(response: Any, app: Flask) -> dict[str, Any]:
    problem = check(response, 429)
    assert response.mimetype == PROBLEM_MIMETYPE
    assert problem["status"] == 429 and problem["detail"]
    wait = int(response.headers["Retry-After"])
    assert 1 <= wait <= app.config["AUTH_FAILURE_WINDOW_SECONDS"], wait
    return problem


@pytest.fixture
def app_with(app: Flask, database_url: str) -> Iterator[Callable[..., Flask]]:
    """Another app on the test database (migrated, and emptied after the test by way of
    ``app``), with settings of its own."""
    built: list[Flask] = []

    def build(**settings: Any) -> Flask:
        built.append(create_app({"TESTING": True, "DATABASE_URL": database_url, **settings}))
        return built[-1]

    yield build
    for other in built:
        # Counts left in a shared storage would outlive the test; an unreachable one holds none.
        with other.app_context(), contextlib.suppress(StorageError):
            limiter().reset()
        with other.app_context():
            db.engine.dispose()


def test_guessing_from_an_address_does_not_lock_out_valid_keys_there(app: Flask) -> None:
    good = issue_token(app, "good", "reader")
    guesser = from_address(app, GUESSER)
    for _ in range(app.config["AUTH_FAILURE_LIMIT"]):
        check(guesser.get("/claims", headers=bearer(random_token())), 401)
    for _ in range(15):
        check_too_many(guesser.get("/claims", headers=bearer(random_token())), app)
    check(guesser.get("/claims", headers=bearer(good)), 200)
    check(from_address(app, NEIGHBOUR).get("/claims", headers=bearer(random_token())), 401)
    check(guesser.get("/claims"), 200)  # anonymous reads carry no credential to limit


def test_guessing_one_keys_secret_is_limited_for_that_key_and_address(app: Flask) -> None:
    target = issue_token(app, "target", "reader")
    other = issue_token(app, "other", "reader")
    guesser = from_address(app, GUESSER)
    for _ in range(app.config["AUTH_FAILURE_LIMIT"]):
        check(guesser.get("/claims", headers=bearer(forged(target))), 401)
    check_too_many(guesser.get("/claims", headers=bearer(forged(target))), app)
    # Over the limit the answer says nothing about the token, right or wrong.
    check_too_many(guesser.get("/claims", headers=bearer(target)), app)
    check(guesser.get("/claims", headers=bearer(other)), 200)
    check(guesser.get("/claims", headers=bearer(random_token())), 401)
    check(from_address(app, NEIGHBOUR).get("/claims", headers=bearer(target)), 200)


def test_cycling_made_up_prefixes_and_malformed_tokens_hits_one_cap_per_address(
    app: Flask,
) -> None:
    good = issue_token(app, "good", "reader")
    guesser = from_address(app, GUESSER)
    headers = [
        {"Authorization": "Bearer nonsense"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer "},
    ]
    headers += [bearer(random_token()) for _ in range(app.config["AUTH_FAILURE_LIMIT"] - 3)]
    for header in headers:
        check(guesser.get("/claims", headers=header), 401)
    for _ in range(5):
        check_too_many(guesser.get("/claims", headers=bearer(random_token())), app)
    check_too_many(guesser.get("/claims", headers={"Authorization": "Bearer nonsense"}), app)
    check(guesser.get("/claims", headers=bearer(good)), 200)


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(app: Flask) -> None:
    assert not app.config["TRUSTED_PROXIES"]
    guesser = from_address(app, GUESSER)
    for index in range(app.config["AUTH_FAILURE_LIMIT"]):
        spoofed = {"X-Forwarded-For": f"198.51.100.{index}", **bearer(random_token())}
        check(guesser.get("/claims", headers=spoofed), 401)
    spoofed = {"X-Forwarded-For": "198.51.100.200", **bearer(random_token())}
    check_too_many(guesser.get("/claims", headers=spoofed), app)


def test_x_forwarded_for_through_a_trusted_proxy_names_the_client(
    app_with: Callable[..., Flask],
) -> None:
    app = app_with(TRUSTED_PROXIES="10.0.0.0/24, 192.0.2.1")
    good = issue_token(app, "good", "reader")
    proxy = from_address(app, PROXY)
    via_proxy = {"X-Forwarded-For": GUESSER}
    for _ in range(app.config["AUTH_FAILURE_LIMIT"]):
        check(proxy.get("/claims", headers={**via_proxy, **bearer(random_token())}), 401)
    check_too_many(proxy.get("/claims", headers={**via_proxy, **bearer(random_token())}), app)
    # Another client behind the same proxy is counted on its own.
    neighbour = {"X-Forwarded-For": NEIGHBOUR, **bearer(random_token())}
    check(proxy.get("/claims", headers=neighbour), 401)
    check(proxy.get("/claims", headers={**via_proxy, **bearer(good)}), 200)


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        (PROXY, None, PROXY),
        (PROXY, "198.51.100.7", "198.51.100.7"),
        # The left-most entries are the client's to write: only the right-most untrusted counts.
        (PROXY, "1.2.3.4, 198.51.100.7", "198.51.100.7"),
        (PROXY, "1.2.3.4, 198.51.100.7, 10.0.0.9", "198.51.100.7"),
        (PROXY, "198.51.100.7, 192.0.2.1, 10.0.0.9", "198.51.100.7"),
        (PROXY, "10.0.0.8, 10.0.0.9", "10.0.0.8"),
        (PROXY, "2001:db8::1", "2001:db8::1"),
        (PROXY, "not-an-address, 10.0.0.9", "10.0.0.9"),
        (GUESSER, "198.51.100.7", GUESSER),
    ],
)
def test_the_client_address_is_the_right_most_untrusted_hop(
    app_with: Callable[..., Flask], peer: str, forwarded: str | None, client: str
) -> None:
    app = app_with(TRUSTED_PROXIES=["10.0.0.0/24", "192.0.2.1"])
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    with app.test_request_context(headers=headers, environ_base={"REMOTE_ADDR": peer}):
        assert client_address() == client


def test_a_trusted_proxy_that_is_not_an_address_stops_the_app(
    app_with: Callable[..., Flask],
) -> None:
    with pytest.raises(ValueError, match="not-a-proxy"):
        app_with(TRUSTED_PROXIES="10.0.0.1, not-a-proxy")


def test_the_per_key_limit_is_off_by_default_and_refuses_a_busy_key(
    app: Flask, app_with: Callable[..., Flask]
) -> None:
    assert app.config["KEY_RATE_LIMIT"] is None
    busy = issue_token(app, "busy", "reader")
    for _ in range(30):
        check(app.test_client().get("/claims", headers=bearer(busy)), 200)

    limited = app_with(KEY_RATE_LIMIT="3/minute")
    calm = issue_token(limited, "calm", "reader")
    client = limited.test_client()
    for _ in range(3):
        check(client.get("/claims", headers=bearer(busy)), 200)
    response = client.get("/claims", headers=bearer(busy))
    problem = check(response, 429)
    assert response.mimetype == PROBLEM_MIMETYPE and "3/minute" in problem["detail"]
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    check(client.get("/claims", headers=bearer(calm)), 200)
    check(client.get("/claims"), 200)  # anonymous reads are not a key's traffic


def test_a_bad_per_key_limit_stops_the_app(app_with: Callable[..., Flask]) -> None:
    with pytest.raises(ValueError, match="rate limit"):
        app_with(KEY_RATE_LIMIT="often")


@pytest.fixture
def redis_settings() -> dict[str, str]:
    """Flask-Limiter settings for the machine's Redis, under a key prefix of this test's own."""
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        Redis.from_url(REDIS_URL, socket_timeout=10).ping()
    except RedisError as error:
        message = f"Redis is not reachable at {REDIS_URL}: {error}"
        if IN_CI:
            pytest.fail(f"CI=true requires the Redis test to run. {message}")
        pytest.skip(message)
    return {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex}


def test_two_apps_share_one_count_in_redis(
    app_with: Callable[..., Flask], redis_settings: dict[str, str]
) -> None:
    first, second = app_with(**redis_settings), app_with(**redis_settings)
    good = issue_token(first, "good", "reader")
    clients = [from_address(first, GUESSER), from_address(second, GUESSER)]
    limit = first.config["AUTH_FAILURE_LIMIT"]
    for index in range(limit):
        check(clients[index % 2].get("/claims", headers=bearer(random_token())), 401)
    for client in clients:
        check_too_many(client.get("/claims", headers=bearer(random_token())), first)
        check(client.get("/claims", headers=bearer(good)), 200)
    # An app with the memory storage keeps its own count.
    check(from_address(app_with(), GUESSER).get("/claims", headers=bearer(random_token())), 401)


def test_an_unreachable_storage_limits_nothing_and_says_so(
    app_with: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    # Port 1 on the loopback refuses at once: Redis is "down".
    app = app_with(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0", KEY_RATE_LIMIT="1/minute")
    good = issue_token(app, "good", "reader")
    guesser = from_address(app, GUESSER)
    for _ in range(app.config["AUTH_FAILURE_LIMIT"] + 2):
        check(guesser.get("/claims", headers=bearer(random_token())), 401)
    for _ in range(3):
        check(guesser.get("/claims", headers=bearer(good)), 200)
    assert "rate limit storage unreachable" in caplog.text

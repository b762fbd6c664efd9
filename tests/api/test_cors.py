"""CORS (CLAIMS_CORS_ORIGINS): off by default; on, preflights pass on every route without a
key, and answers, errors included, let a browser app read what it needs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from claims_api import create_app
from claims_api.extensions import CORS_EXPOSED_HEADERS, CORS_REQUEST_HEADERS, db
from tests.factories import bearer, check, issue_token

ORIGIN = "https://app.example.org"
OTHER_ORIGIN = "https://elsewhere.example.org"


@pytest.fixture
def cors_app(app: Flask, database_url: str) -> Iterator[Flask]:
    """The test database served with CORS on for two origins, and reads needing a key."""
    configured = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "CORS_ORIGINS": f"{ORIGIN}, {OTHER_ORIGIN}",
            "ANONYMOUS_READS": False,
        }
    )
    yield configured
    with configured.app_context():
        db.engine.dispose()


def preflight(client: FlaskClient, path: str, method: str, origin: str = ORIGIN) -> object:
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": ", ".join(CORS_REQUEST_HEADERS).lower(),
        },
    )


def routes(app: Flask) -> list[tuple[str, str]]:
    """(path, method) for every method of every route, ids and names filled in."""
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"OPTIONS", "HEAD"}):
            path = adapter.build(rule.endpoint, dict.fromkeys(rule.arguments, 1), method=method)
            found.append((path, method))
    return found


def test_cors_is_off_by_default(client: FlaskClient) -> None:
    answers = [
        client.get("/claims", headers={"Origin": ORIGIN}),
        preflight(client, "/claims", "POST"),
    ]
    for response in answers:
        leaked = [name for name, _ in response.headers.items() if name.startswith("Access-Control")]
        assert not leaked, f"CORS headers without CLAIMS_CORS_ORIGINS: {leaked}"


def test_a_preflight_passes_on_every_route_without_a_key(cors_app: Flask) -> None:
    client = cors_app.test_client()
    failures = []
    for path, method in routes(cors_app):
        response = preflight(client, path, method)
        allowed = {
            name.strip().lower()
            for name in response.headers.get("Access-Control-Allow-Headers", "").split(",")
        }
        methods = response.headers.get("Access-Control-Allow-Methods", "")
        if (
            response.status_code != 200
            or response.headers.get("Access-Control-Allow-Origin") != ORIGIN
            or allowed != {name.lower() for name in CORS_REQUEST_HEADERS}
            or method not in methods
            or "Access-Control-Allow-Credentials" in response.headers
        ):
            failures.append((method, path, response.status_code))
    assert len(routes(cors_app)) > 30
    assert not failures, f"preflights that a browser would refuse: {failures}"


def test_a_preflight_does_not_allow_other_request_headers(cors_app: Flask) -> None:
    response = cors_app.test_client().options(
        "/claims",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-not-allowed",
        },
    )
    assert "x-not-allowed" not in response.headers.get("Access-Control-Allow-Headers", "").lower()


def test_answers_and_errors_expose_their_headers_to_each_configured_origin(
    cors_app: Flask,
) -> None:
    client = cors_app.test_client()
    key = bearer(issue_token(cors_app, "browser", "admin"))
    for origin in (ORIGIN, OTHER_ORIGIN):
        headers = {"Origin": origin, **key}
        created = client.post(
            "/articles", json={"url": f"{origin}/a", "title": "T"}, headers=headers
        )
        article = check(created, 201)
        read = client.get(f"/articles/{article['id']}", headers=headers)
        stale = client.patch(
            f"/articles/{article['id']}",
            json={"title": "U"},
            headers={**headers, "If-Match": '"999"'},
        )
        answers = {
            "created": created,
            "read": read,
            "stale (412)": stale,
            "missing (404)": client.get("/articles/999999", headers=headers),
            "no key (401)": client.get("/claims", headers={"Origin": origin}),
        }
        assert stale.status_code == 412 and "ETag" in read.headers, (stale, read.headers)
        for name, response in answers.items():
            assert response.headers.get("Access-Control-Allow-Origin") == origin, (name, origin)
            exposed = response.headers.get("Access-Control-Expose-Headers", "")
            assert {item.strip() for item in exposed.split(",")} == set(CORS_EXPOSED_HEADERS), (
                name,
                exposed,
            )
            assert "Access-Control-Allow-Credentials" not in response.headers, name


def test_an_origin_not_configured_gets_no_cors_headers(cors_app: Flask) -> None:
    client = cors_app.test_client()
    for response in (
        client.get("/health", headers={"Origin": "https://evil.example"}),
        preflight(client, "/claims", "POST", origin="https://evil.example"),
    ):
        assert "Access-Control-Allow-Origin" not in response.headers, dict(response.headers)


def test_cors_origins_may_be_set_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, app: Flask, database_url: str
) -> None:
    monkeypatch.setenv("CLAIMS_CORS_ORIGINS", f"{ORIGIN},{OTHER_ORIGIN}")
    monkeypatch.setenv("DATABASE_URL", database_url)
    configured = create_app()
    try:
        response = configured.test_client().get("/health", headers={"Origin": OTHER_ORIGIN})
        assert response.headers.get("Access-Control-Allow-Origin") == OTHER_ORIGIN
    finally:
        with configured.app_context():
            db.engine.dispose()

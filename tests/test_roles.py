"""Who may call what: every route of the app's URL map, called with every role.

The routes come from ``app.url_map``, so a new route is checked the day it is
added, and a write route that declares no role with ``@requires`` fails here.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from claims_api.auth import PUBLIC, declared_role, required_role
from claims_api.models.vocabulary import Role
from tests.factories import check, client_for, create_article, create_claim, issue_token

ROLES = [role.value for role in Role]
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def routes(app: Flask) -> list[tuple[str, str, str]]:
    """(method, rule, endpoint) for every route the app serves."""
    return sorted(
        (method, rule.rule, rule.endpoint)
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    )


def role_of(app: Flask, endpoint: str, method: str) -> Any:
    with app.test_request_context():
        return required_role(endpoint, method)


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    """Ids for every path parameter: an article, a claim citing a source, a spare key."""
    client = client_for(app)
    article = create_article(client)
    claim = create_claim(
        client, article["id"], sources=[{"url": "https://example.org/s", "stance": "supports"}]
    )
    document = json.dumps({"article": {"url": "https://example.org/imported", "title": "Imported"}})
    imported = client.post(
        "/imports", data=document, headers={"Content-Type": "application/json"}
    ).get_json()
    with app.app_context():
        from claims_api.services.keys import get_key

        spare = issue_token(app, "spare", "reader")
        key_id = get_key(spare.split("_")[0] + "_" + spare.split("_")[1]).id
    return {
        "article_id": article["id"],
        "claim_id": claim["id"],
        "source_id": claim["sources"][0]["source_id"],
        "key_id": key_id,
        "import_id": imported["id"],
        "number": 1,
        "filename": "swagger-ui.css",
    }


def path_of(rule: str, world: dict[str, Any]) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda match: str(world[match.group(1)]), rule)


def call(client: FlaskClient, method: str, rule: str, world: dict[str, Any]) -> Any:
    """The response, read and closed (files served by the docs routes hold a handle)."""
    body = {} if method in WRITE_METHODS else None
    response = client.open(
        path_of(rule, world), method=method, json=body, headers={"If-Match": "*"}
    )
    response.get_data()
    response.close()
    return response


def test_every_write_route_declares_the_role_it_needs(app: Flask) -> None:
    undeclared = [
        f"{method} {rule}"
        for method, rule, endpoint in routes(app)
        if method in WRITE_METHODS and declared_role(app.view_functions[endpoint], method) is None
    ]
    assert not undeclared, f"write routes without @requires(...): {undeclared}"


def test_a_route_without_a_declared_role_needs_an_admin_to_write(app: Flask) -> None:
    assert role_of(app, "no.such.endpoint", "POST") == Role.ADMIN
    assert role_of(app, "no.such.endpoint", "GET") == Role.READER


@pytest.mark.parametrize("role", ROLES)
def test_every_route_admits_exactly_the_roles_it_declares(
    app: Flask, world: dict[str, Any], role: str
) -> None:
    client = client_for(app, f"a-{role}", role)
    wrong = []
    for method, rule, endpoint in routes(app):
        needed = role_of(app, endpoint, method)
        response = call(client, method, rule, world)
        allowed = needed is PUBLIC or Role(role).includes(needed)
        if allowed and response.status_code in (401, 403):
            wrong.append(f"{method} {rule}: {role} refused with {response.status_code}")
        if not allowed:
            if response.status_code != 403:
                wrong.append(f"{method} {rule}: {role} got {response.status_code}, not 403")
            elif response.get_json()["required_role"] != needed.value:
                wrong.append(f"{method} {rule}: 403 names the wrong role")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("anonymous_reads", [True, False])
def test_without_a_key_writes_are_401_and_reads_follow_the_setting(
    app: Flask, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch, anonymous_reads: bool
) -> None:
    monkeypatch.setitem(app.config, "ANONYMOUS_READS", anonymous_reads)
    client = app.test_client()
    wrong = []
    for method, rule, endpoint in routes(app):
        needed = role_of(app, endpoint, method)
        response = call(client, method, rule, world)
        open_ = needed is PUBLIC or (needed == Role.READER and anonymous_reads)
        if open_ and response.status_code == 401:
            wrong.append(f"{method} {rule}: refused without a key")
        if not open_:
            if response.status_code != 401:
                wrong.append(f"{method} {rule}: {response.status_code} without a key, not 401")
            elif not response.headers.get("WWW-Authenticate", "").startswith("Bearer"):
                wrong.append(f"{method} {rule}: 401 without a Bearer challenge")
    assert not wrong, "\n".join(wrong)


def test_health_and_docs_stay_open_with_anonymous_reads_off(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "ANONYMOUS_READS", False)
    client = app.test_client()
    for url in ("/health", "/openapi.json", "/docs"):
        assert client.get(url).status_code == 200, url
    check(client.get("/claims"), 401)

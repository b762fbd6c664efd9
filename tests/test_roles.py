"""Who may call what, and what each may change: the role matrix.

Routes: every route of the app's URL map, called with every role. The routes come
from ``app.url_map``, so a new route is checked the day it is added, and a write
route that declares no role with ``@requires`` fails here.

Payloads: for each writer (each role's key, and the CLI) and each path that writes
claims (the API, extraction, imports of documents, seeds and ClaimReview, the CLI),
what it may change of a claim's status, rating and published verdict.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from claims_api.auth import PUBLIC, declared_role, required_role
from claims_api.models.vocabulary import Role
from tests.factories import (
    check,
    client_for,
    create_article,
    create_claim,
    issue_token,
    review_claim,
)
from tests.imports.helpers import claimreview, pages, post_import, run_cli

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
def world(app: Flask, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Ids for every path parameter: an article, a claim citing a source, a spare key,
    a webhook (on an allowed loopback port nothing listens on) and a delivery of it,
    an entity."""
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")
    client = client_for(app)
    webhook = client.post("/webhooks", json={"url": "http://127.0.0.1:9/hook"}).get_json()
    delivery = client.post(f"/webhooks/{webhook['id']}/ping").get_json()
    article = create_article(client)
    claim = create_claim(
        client, article["id"], sources=[{"url": "https://example.org/s", "stance": "supports"}]
    )
    twin = create_claim(client, article["id"], key="twin")
    relation = client.post(
        f"/claims/{claim['id']}/relations", json={"claim_id": twin["id"], "relation": "same"}
    ).get_json()
    group = client.get(f"/claims/{claim['id']}/group").get_json()
    document = json.dumps({"article": {"url": "https://example.org/imported", "title": "Imported"}})
    imported = client.post(
        "/imports", data=document, headers={"Content-Type": "application/json"}
    ).get_json()
    entity = client.post("/entities", json={"name": "Role Check Entity"}).get_json()
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
        "webhook_id": webhook["id"],
        "delivery_id": delivery["id"],
        "relation_id": relation["id"],
        "group_id": group["id"],
        "entity_id": entity["id"],
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


# ------------------------------------------------- from routes to payloads: the verdict
#
# Who may call a route is above; this is what each writer may change of a claim's
# status, rating and published verdict, by every path that writes claims. Only
# reviews change a verdict; no other path may, whoever writes (issue 8, item 1).

FORBIDDEN = "403: the role may not write at all"
REFUSED = "422 naming status and rating: nothing written"
INITIAL = "written, in the workflow's initial status and with no rating"
AS_SENT = "written with the status the document carries; its rating ignored, with a warning"
UNCHANGED = "the rest applied; status, rating and published verdict unchanged"
THEIRS = "written in the initial status; the rating kept as the other fact-checker's review"


WRITERS = ("reader", "contributor", "reviewer", "admin", "cli")
# Each path, and its outcome for each writer in WRITERS order (None: no such path for it).
TABLE = {
    "api-create": (FORBIDDEN, REFUSED, REFUSED, REFUSED, None),
    "api-patch": (FORBIDDEN, REFUSED, REFUSED, REFUSED, None),
    "extract": (FORBIDDEN, INITIAL, INITIAL, INITIAL, INITIAL),
    "import-new": (FORBIDDEN, INITIAL, INITIAL, AS_SENT, AS_SENT),
    "import-existing": (FORBIDDEN, UNCHANGED, UNCHANGED, UNCHANGED, UNCHANGED),
    "seed-new": (FORBIDDEN, INITIAL, INITIAL, AS_SENT, AS_SENT),
    "claimreview-new": (FORBIDDEN, THEIRS, THEIRS, THEIRS, THEIRS),
    "claimreview-existing": (FORBIDDEN, THEIRS, THEIRS, THEIRS, THEIRS),
}
MATRIX = [
    pytest.param(path, writer, outcome, id=f"{path}-{writer}")
    for path, outcomes in TABLE.items()
    for writer, outcome in zip(WRITERS, outcomes, strict=True)
    if outcome is not None
]
RATING = {"value": 5, "best": 5, "worst": 1, "alternate_name": "True", "explanation": None}
MADE_UP = {
    "status": "verified",
    "rating": {**RATING, "review_url": None, "reviewed_by": None, "reviewed_at": None},
}
QUOTE = "around 130,000 Russian troops now deployed on the Ukrainian border"


@dataclass
class Attempt:
    """What a writer's attempt answered (an HTTP status, or the CLI's exit code) and said."""

    code: int
    body: Any


class Writer:
    """One writer: an API client with a key of its role, or the CLI on the same database."""

    def __init__(self, app: Flask, name: str, database_url: str, tmp_path: Path) -> None:
        self.name, self.database_url, self.tmp_path = name, database_url, tmp_path
        self.client = None if name == "cli" else client_for(app, f"w-{name}", name)

    def send_import(self, body: str, suffix: str, *, seed: bool = False) -> Attempt:
        if self.client is not None:
            media = "text/html" if suffix == ".html" else "application/json"
            response = self.client.post("/imports", data=body, headers={"Content-Type": media})
            return Attempt(response.status_code, response.get_json())
        path = self.tmp_path / f"input{suffix}"
        path.write_text(body, encoding="utf-8")
        if seed:
            result = run_cli(self.database_url, "seed", str(path))
            return Attempt(result.exit_code, result.stderr)
        result = run_cli(self.database_url, "import", "--json", str(path))
        return Attempt(result.exit_code, json.loads(result.stdout)[0])

    def extract(self, article_id: int) -> Attempt:
        if self.client is not None:
            response = self.client.post(
                f"/articles/{article_id}/extract", query_string={"save": "true"}
            )
            return Attempt(response.status_code, response.get_json())
        result = run_cli(self.database_url, "extract", str(article_id), "--save")
        return Attempt(
            result.exit_code, json.loads(result.stdout) if not result.exit_code else None
        )


def warned(answer: Attempt) -> bool:
    """Whether an import said it ignored something: the API run counts warnings, the CLI
    prints them."""
    if isinstance(answer.body, str):  # claims-api seed: its summary on standard error
        return "warning at" in answer.body
    counts = answer.body.get("counts", {})
    return bool(answer.body.get("warning_count") or counts.get("warnings"))


def verdict(client: FlaskClient, claim: dict[str, Any]) -> tuple[Any, ...]:
    current = check(client.get(f"/claims/{claim['id']}"), 200)
    return current["status"], current["rating"], current["published_review_id"]


def claims_of(client: FlaskClient) -> list[dict[str, Any]]:
    return pages(client, "/claims")


def published_false_claim(client: FlaskClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """An article and a claim of it whose ``false`` verdict is published."""
    article = create_article(client)
    claim = create_claim(client, article["id"], key="troops")
    for status in ("in_review", "false"):
        current = check(client.get(f"/claims/{claim['id']}"), 200)
        check(review_claim(client, current, status), 201)
    current = check(client.get(f"/claims/{claim['id']}"), 200)
    publish = client.post(
        f"/claims/{claim['id']}/publish", headers={"If-Match": f'"{current["revision"]}"'}
    )
    check(publish, 200)
    return article, check(client.get(f"/claims/{claim['id']}"), 200)


def new_claim_document(url: str) -> dict[str, Any]:
    return {
        "article": {"url": url, "title": "Imported"},
        "claims": [
            {"key": "new", "text": "Ukraine has not joined NATO.", "kind": "other", **MADE_UP}
        ],
    }


def attempt_path(
    path: str, writer: Writer, client: FlaskClient
) -> tuple[Attempt, list[tuple[Any, ...]], tuple[Any, ...] | None, tuple[Any, ...] | None]:
    """Run ``path`` as ``writer``: what it answered, the verdicts of the claims it created
    (status, rating, published review), what the document asked for, and (for paths that
    touch an existing claim) that claim's verdict before and after."""
    before = {claim["id"] for claim in claims_of(client)}
    # Our rating comes only from a published review: no document writes one.
    sent: tuple[Any, ...] | None = (MADE_UP["status"], None, None)
    existing: tuple[Any, ...] | None = None
    if path in ("api-create", "api-patch"):
        assert writer.client is not None
        article = create_article(client)
        if path == "api-create":
            body = {
                "article_id": article["id"],
                "text": "Ukraine has not joined NATO.",
                "kind": "other",
                "quote": {"exact": QUOTE},
                **MADE_UP,
            }
            response = writer.client.post("/claims", json=body)
        else:
            claim = create_claim(client, article["id"])
            before.add(claim["id"])
            first = verdict(client, claim)
            response = writer.client.patch(
                f"/claims/{claim['id']}",
                json={"text": "Edited.", **MADE_UP},
                headers={"If-Match": f'"{claim["revision"]}"'},
            )
            existing = (first, verdict(client, claim))
        outcome = Attempt(response.status_code, response.get_json())
    elif path == "extract":
        article = create_article(client)
        outcome, sent = writer.extract(article["id"]), None
    elif path in ("import-new", "seed-new"):
        document = new_claim_document(f"https://news.example.org/{path}")
        outcome = writer.send_import(json.dumps(document), ".json", seed=path == "seed-new")
    elif path == "import-existing":
        article, claim = published_false_claim(client)
        before.add(claim["id"])
        entry = {
            "key": "troops",
            "text": "Some 130,000 troops are at the border.",
            "kind": "quantity",
            "quote": {"exact": QUOTE},
            **MADE_UP,
        }
        document = {
            "article": {"url": article["url"], "title": article["title"]},
            "claims": [entry],
        }
        first = verdict(client, claim)
        outcome = writer.send_import(json.dumps(document), ".json")
        existing = (first, verdict(client, claim))
    else:
        review = claimreview(7, "True", 5)
        sent = None
        if path == "claimreview-existing":
            check(
                post_import(client, json.dumps(claimreview(7, "False", 1)), "application/ld+json"),
                201,
            )
            (claim,) = claims_of(client)
            before = {claim["id"]}
            first = verdict(client, claim)
            outcome = writer.send_import(json.dumps(review), ".json")
            existing = (first, verdict(client, claim))
        else:
            outcome = writer.send_import(json.dumps(review), ".json")
    created = [verdict(client, claim) for claim in claims_of(client) if claim["id"] not in before]
    return outcome, created, sent, existing


@pytest.mark.parametrize(("path", "writer_name", "outcome"), MATRIX)
def test_what_each_writer_may_change_of_a_verdict_by_each_path(
    app: Flask,
    client: FlaskClient,
    database_url: str,
    tmp_path: Path,
    path: str,
    writer_name: str,
    outcome: str,
) -> None:
    writer = Writer(app, writer_name, database_url, tmp_path)
    answer, created, sent, existing = attempt_path(path, writer, client)
    initial = ("unverified", None, None)

    if outcome == FORBIDDEN:
        assert answer.code == 403, answer
        assert not created, f"a {writer_name} created claims: {created}"
    elif outcome == REFUSED:
        assert answer.code == 422, answer
        assert {"status", "rating"} & set(answer.body["errors"]), answer.body
        assert not created, f"a refused write created claims: {created}"
    elif outcome == INITIAL:
        assert answer.code in (0, 200, 201), answer
        assert created and all(claim == initial for claim in created), created
        assert path == "extract" or warned(answer), f"no warning says what was ignored: {answer}"
    elif outcome == AS_SENT:
        assert answer.code in (0, 201), answer
        assert created == [sent], f"expected the document's verdict {sent}, got {created}"
        assert warned(answer), f"no warning says the rating was ignored: {answer}"
    elif outcome == THEIRS:
        assert answer.code in (0, 201), answer
        (claim,) = claims_of(client)
        assert verdict(client, claim)[:2] == initial[:2] or existing is not None
        ratings = [item["rating"]["alternate_name"] for item in claim["external_reviews"]]
        if existing is None:
            assert created == [initial], created
            assert ratings == ["True"], ratings
        else:
            assert ratings, "the other fact-checker's review is kept as theirs"
    else:
        assert answer.code in (0, 201), answer
        assert existing is not None
        was, now = existing
        assert now == was, f"a {writer_name} changed the verdict {was} into {now} by {path}"
        assert not created, created
        assert warned(answer), f"no warning names the ignored fields: {answer}"
    if existing is not None:
        assert existing[0] == existing[1], f"the claim's verdict changed: {existing}"

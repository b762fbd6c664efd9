"""The OpenAPI document states the contract the server keeps: its errors, roles,
preconditions, types and limits, as clients generated from it rely on."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from claims_api import create_app
from claims_api.auth import declared_role, default_role
from claims_api.errors import PROBLEM_MIMETYPE, PROBLEM_TYPE_PREFIX, PROBLEM_TYPES
from claims_api.extensions import db
from claims_api.models.vocabulary import Role
from claims_api.workflow import DEFAULT_WORKFLOW, load_workflow
from tests.conftest import IN_CI
from tests.factories import check, client_for, create_article, create_claim

HTTP_METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture
def spec(client: FlaskClient) -> dict[str, Any]:
    return check(client.get("/openapi.json"), 200)


@pytest.fixture
def other_app(database_url: str) -> Iterator[Any]:
    """Apps with settings of their own, on the test database."""
    built: list[Flask] = []

    def build(**settings: Any) -> Flask:
        built.append(create_app({"TESTING": True, "DATABASE_URL": database_url, **settings}))
        return built[-1]

    yield build
    for app in built:
        with app.app_context():
            db.engine.dispose()


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def resolve(spec: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in item:
        _, section, name = item["$ref"].rsplit("/", 2)
        item = spec["components"][section][name]
    return item


def header(spec: dict[str, Any], path: str, method: str, name: str) -> dict[str, Any] | None:
    found = [
        *spec["paths"][path].get("parameters", []),
        *spec["paths"][path][method].get("parameters", []),
    ]
    for parameter in (resolve(spec, p) for p in found):
        if parameter["in"] == "header" and parameter["name"] == name:
            return parameter
    return None


# --- errors -------------------------------------------------------------------------------


def test_every_error_response_is_a_problem_and_none_is_a_catch_all(spec: dict[str, Any]) -> None:
    wrong = []
    for path, method, operation in operations(spec):
        assert "default" not in operation["responses"], f"{method.upper()} {path}"
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            content = resolve(spec, response).get("content", {})
            if list(content) != [PROBLEM_MIMETYPE] or content[PROBLEM_MIMETYPE]["schema"] != {
                "$ref": "#/components/schemas/Problem"
            }:
                wrong.append(f"{method.upper()} {path} {status}: {content}")
    assert not wrong, wrong


def test_problem_schema_types_status_as_an_integer_and_lists_every_problem_type(
    spec: dict[str, Any],
) -> None:
    problem = spec["components"]["schemas"]["Problem"]
    assert problem["properties"]["status"]["type"] == "integer"
    assert set(problem["required"]) == {"type", "title", "status"}
    assert problem.get("additionalProperties") is not False, "extension members must be allowed"
    assert problem["properties"]["type"]["enum"] == sorted(p.uri for p in PROBLEM_TYPES.values())


def test_docs_problems_md_lists_exactly_the_problem_types(repo_root: Path, app: Flask) -> None:
    text = (repo_root / "docs" / "problems.md").read_text()
    listed = dict(re.findall(r"^\| `urn:claims-api:problem:([a-z-]+)` \| (\d{3}) \|", text, re.M))
    assert listed == {slug: str(problem.status) for slug, problem in PROBLEM_TYPES.items()}


def test_invalid_bodies_of_one_operation_share_one_problem_type(client: FlaskClient) -> None:
    empty = client.post("/sources", json={})
    not_a_url = client.post("/sources", json={"url": "x"})
    assert empty.status_code == not_a_url.status_code == 422
    assert empty.mimetype == not_a_url.mimetype == PROBLEM_MIMETYPE
    assert (
        empty.get_json()["type"]
        == not_a_url.get_json()["type"]
        == (f"{PROBLEM_TYPE_PREFIX}invalid-input")
    )
    assert empty.get_json()["title"] == not_a_url.get_json()["title"]


@pytest.mark.parametrize(
    ("method", "path", "status", "slug"),
    [
        ("get", "/no-such-route", 404, "not-found"),
        ("put", "/claims", 405, "method-not-allowed"),
        ("post", "/sources", 415, "unsupported-media-type"),
    ],
)
def test_errors_from_outside_the_services_have_a_problem_type_of_their_own(
    client: FlaskClient, method: str, path: str, status: int, slug: str
) -> None:
    response = client.open(path, method=method.upper(), data="x", content_type="text/plain")
    assert response.status_code == status
    problem = response.get_json()
    assert problem["type"] == PROBLEM_TYPE_PREFIX + slug, problem
    assert problem["title"] == PROBLEM_TYPES[slug].title


# --- If-Match ------------------------------------------------------------------------------

IF_MATCH_REQUIRED = [
    ("/articles/{article_id}", "patch"),
    ("/articles/{article_id}", "delete"),
    ("/claims/{claim_id}", "patch"),
    ("/claims/{claim_id}", "delete"),
    ("/sources/{source_id}", "patch"),
    ("/claims/{claim_id}/reviews", "post"),
    ("/claims/{claim_id}/publish", "post"),
    ("/claims/{claim_id}/anchor", "put"),
    ("/webhooks/{webhook_id}", "patch"),
    ("/claims/{claim_id}/relations/{relation_id}", "delete"),
    ("/claim-groups/{group_id}/reviews", "post"),
]
IF_MATCH_OPTIONAL = [
    ("/claims/{claim_id}/sources", "post"),
    ("/claims/{claim_id}/sources/{source_id}", "delete"),
    ("/articles/{article_id}/refresh", "post"),
    ("/claims/{claim_id}/relations", "post"),
]
IF_MATCH_IGNORED = [
    ("/claims", "post"),
    ("/articles", "post"),
    ("/articles/{article_id}/extract", "post"),
    ("/reviews/bulk", "post"),
]


def test_if_match_is_required_exactly_where_the_server_answers_428(spec: dict[str, Any]) -> None:
    for path, method in IF_MATCH_REQUIRED:
        parameter = header(spec, path, method, "If-Match")
        assert parameter and parameter["required"] is True, (method, path, parameter)
        assert {"412", "428"} <= set(spec["paths"][path][method]["responses"]), (method, path)
    for path, method in IF_MATCH_OPTIONAL:
        parameter = header(spec, path, method, "If-Match")
        assert parameter and parameter["required"] is False, (method, path, parameter)
        assert "428" not in spec["paths"][path][method]["responses"]
    for path, method in IF_MATCH_IGNORED:
        assert header(spec, path, method, "If-Match") is None, (method, path)
    documented = {
        (path, method)
        for path, method, _ in operations(spec)
        if header(spec, path, method, "If-Match") is not None
    }
    assert documented == set(IF_MATCH_REQUIRED) | set(IF_MATCH_OPTIONAL)


def test_an_edit_without_if_match_is_refused_428(client: FlaskClient) -> None:
    article = create_article(client)
    claim = create_claim(client, article["id"])
    response = client.patch(f"/claims/{claim['id']}", json={"priority": 1})
    assert response.status_code == 428
    assert response.get_json()["type"] == f"{PROBLEM_TYPE_PREFIX}precondition-required"


# --- security and roles --------------------------------------------------------------------


def test_each_operation_states_its_least_role_as_the_server_enforces_it(
    app: Flask, spec: dict[str, Any]
) -> None:
    rules = {
        (re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule), method.lower()): rule.endpoint
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
    }
    for path, method, operation in operations(spec):
        view = app.view_functions[rules[(path, method)]]
        role = declared_role(view, method) or default_role(method)
        expected = role.value if isinstance(role, Role) else "none"
        assert operation["x-required-role"] == expected, (method, path)
        if not isinstance(role, Role):
            assert operation["security"] == [], (method, path)
            continue
        assert f"{role.value}" in operation["description"], (method, path)
        if role == Role.READER:
            assert operation["security"] == [{"bearerAuth": []}, {}], (method, path)
        else:
            assert operation["security"] == [{"bearerAuth": []}], (method, path)
            assert {"401", "403"} <= set(operation["responses"]), (method, path)


def test_reads_need_a_key_in_the_document_when_anonymous_reads_are_off(other_app: Any) -> None:
    closed = other_app(ANONYMOUS_READS=False)
    spec = check(closed.test_client().get("/openapi.json"), 200)
    reads = [op for _, method, op in operations(spec) if op["x-required-role"] == "reader"]
    assert reads
    assert all(op["security"] == [{"bearerAuth": []}] for op in reads)
    assert closed.test_client().get("/claims").status_code == 401


# --- types and limits ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "schema"),
    [
        ("quote", "Quote"),
        ("quantity", "Quantity"),
        ("membership", "Membership"),
        ("statement", "Statement"),
        ("rating", "VerdictRating"),
        ("anchor", "Anchor"),
        ("needs_review", "NeedsReview"),
    ],
)
def test_nested_values_of_a_claim_are_their_schema_or_null(
    spec: dict[str, Any], name: str, schema: str
) -> None:
    field = dict(spec["components"]["schemas"]["Claim"]["properties"][name])
    field.pop("description", None)
    assert field == {"anyOf": [{"$ref": f"#/components/schemas/{schema}"}, {"type": "null"}]}


def test_a_source_link_documents_exactly_one_of_source_id_and_url(spec: dict[str, Any]) -> None:
    link = spec["components"]["schemas"]["SourceLinkInput"]
    branches = link["oneOf"]
    assert [branch["required"] for branch in branches] == [["source_id"], ["url"]]


def test_review_statuses_are_the_configured_workflows(other_app: Any) -> None:
    document = copy.deepcopy(DEFAULT_WORKFLOW)
    document["statuses"]["second_look"] = {"verdict": False}
    document["transitions"]["in_review"].append("second_look")
    document["transitions"]["second_look"] = ["in_review"]
    custom = other_app(WORKFLOW=document)
    spec = check(custom.test_client().get("/openapi.json"), 200)
    status = spec["components"]["schemas"]["Decision"]["properties"]["status"]
    assert status["enum"] == list(load_workflow(custom.config).statuses)
    assert "second_look" in status["enum"]


def test_the_lease_maximum_is_in_the_document_and_a_longer_lease_is_refused(
    app: Flask, spec: dict[str, Any]
) -> None:
    maximum = app.config["REVIEW_LEASE_MAX_MINUTES"]
    assert spec["components"]["schemas"]["Lease"]["properties"]["minutes"]["maximum"] == maximum
    client = client_for(app)
    claim = create_claim(client, create_article(client)["id"])
    reviewer = client_for(app, "rita", "reviewer")
    refused = reviewer.post(f"/claims/{claim['id']}/assignment", json={"minutes": maximum + 1})
    assert refused.status_code == 422, refused.get_json()
    assert "minutes" in refused.get_json()["errors"]
    taken = check(
        reviewer.post(f"/claims/{claim['id']}/assignment", json={"minutes": maximum}), 201
    )
    assert taken["claim_id"] == claim["id"]


def test_lease_bodies_are_optional_and_the_server_takes_none(
    app: Flask, spec: dict[str, Any]
) -> None:
    for path in ["/claims/{claim_id}/assignment", "/review-queue/claims"]:
        assert spec["paths"][path]["post"]["requestBody"]["required"] is False, path
    client = client_for(app)
    claim = create_claim(client, create_article(client)["id"])
    reviewer = client_for(app, "rita", "reviewer")
    check(reviewer.post(f"/claims/{claim['id']}/assignment"), 201)


# --- hygiene -------------------------------------------------------------------------------


def test_every_operation_has_an_operation_id_summary_and_description(spec: dict[str, Any]) -> None:
    missing = [
        f"{method.upper()} {path}"
        for path, method, operation in operations(spec)
        if not (
            operation.get("operationId")
            and operation.get("summary")
            and operation.get("description")
        )
    ]
    assert not missing, missing
    ids = [operation["operationId"] for _, _, operation in operations(spec)]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)*", name) for name in ids), ids
    assert spec["servers"], "servers"


def test_spectral_oas_ruleset_reports_nothing(spec: dict[str, Any], tmp_path: Path) -> None:
    """Runs where Spectral is installed (.ci/run installs it; CI=true fails without it)."""
    spectral = shutil.which("spectral")
    if spectral is None:
        if IN_CI:
            pytest.fail("CI=true requires Spectral (npm i -g @stoplight/spectral-cli@6.16.3)")
        pytest.skip("spectral is not installed")
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(spec))
    ruleset = tmp_path / ".spectral.yaml"
    ruleset.write_text('extends: ["spectral:oas"]\n')
    completed = subprocess.run(
        [spectral, "lint", str(document), "--ruleset", str(ruleset), "--fail-severity", "hint"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def pointer(*parts: str) -> str:
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def test_every_operation_has_an_example_and_each_example_fits_its_schema(
    spec: dict[str, Any],
) -> None:
    registry: Registry[Any] = Registry().with_resource(
        "urn:openapi", Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    without, invalid = [], []
    for path, method, operation in operations(spec):
        found = []
        places = [("requestBody", operation.get("requestBody", {}))] + [
            (f"responses/{status}", response) for status, response in operation["responses"].items()
        ]
        for place, item in places:
            if "$ref" in item:
                location = item["$ref"].removeprefix("#")
                item = resolve(spec, item)
            else:
                location = pointer("paths", path, method, *place.split("/"))
            for media_type, media in item.get("content", {}).items():
                if "example" in media:
                    found.append(f"{location}{pointer('content', media_type, 'schema')}")
                    schema = {"$ref": f"urn:openapi#{found[-1]}"}
                    errors = list(
                        Draft202012Validator(schema, registry=registry).iter_errors(
                            media["example"]
                        )
                    )
                    if errors:
                        invalid.append(f"{method.upper()} {path} {place}: {errors[0].message}")
        if not found:
            without.append(f"{method.upper()} {path}")
    assert not without, f"operations without an example: {without}"
    assert not invalid, invalid

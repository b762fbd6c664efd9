"""The OpenAPI document describes every route, and /docs works without the internet."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

HTTP_METHODS = {"get", "put", "post", "delete", "patch"}
# Endpoints that serve the documentation itself, not the API.
NOT_API = {"static", "api-docs.openapi_json", "api-docs.openapi_swagger_ui", "swagger_ui_assets"}
LIST_PATHS = [
    "/articles",
    "/sources",
    "/claims",
    "/revisions",
    "/articles/{article_id}/claims",
    "/claims/{claim_id}/revisions",
    "/claims/{claim_id}/reviews",
    "/claims/{claim_id}/relations",
    "/review-queue",
    "/entities",
    "/entities/{entity_id}/claims",
    "/keys",
    "/webhooks",
    "/webhooks/{webhook_id}/deliveries",
]


@pytest.fixture
def spec(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def openapi_path(rule: str) -> str:
    """Flask's ``/articles/<int:article_id>`` as OpenAPI's ``/articles/{article_id}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def parameters(spec: dict[str, Any], path: str, method: str) -> list[dict[str, Any]]:
    """The operation's parameters and those of its path, with $refs resolved."""
    item = spec["paths"][path]
    found = [*item.get("parameters", []), *item[method].get("parameters", [])]
    resolved = []
    for parameter in found:
        if "$ref" in parameter:
            name = parameter["$ref"].rsplit("/", 1)[-1]
            parameter = spec["components"]["parameters"][name]
        resolved.append(parameter)
    return resolved


def test_openapi_document_is_openapi_3(spec: dict[str, Any]) -> None:
    assert re.fullmatch(r"3\.\d+\.\d+", spec["openapi"]), spec["openapi"]
    assert spec["info"]["title"] == "claims-api"
    assert spec["info"]["version"]
    assert spec["paths"]


def test_openapi_lists_every_route_and_method_of_the_app(app: Flask, spec: dict[str, Any]) -> None:
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NOT_API or rule.rule.startswith("/docs"):
            continue
        path = openapi_path(rule.rule)
        documented = set(spec["paths"].get(path, {})) & HTTP_METHODS
        served = {method.lower() for method in rule.methods or ()} & HTTP_METHODS
        missing.extend(f"{method.upper()} {path}" for method in sorted(served - documented))
    assert not missing, f"routes the app serves but /openapi.json does not document: {missing}"


def test_openapi_documents_no_route_the_app_does_not_serve(
    app: Flask, spec: dict[str, Any]
) -> None:
    served = {openapi_path(rule.rule) for rule in app.url_map.iter_rules()}
    assert set(spec["paths"]) <= served, set(spec["paths"]) - served


def test_every_operation_has_a_unique_operation_id_or_a_summary(spec: dict[str, Any]) -> None:
    unnamed = [
        f"{method.upper()} {path}"
        for path, method, operation in operations(spec)
        if not operation.get("operationId") and not operation.get("summary", "").strip()
    ]
    assert not unnamed, f"operations with neither operationId nor summary: {unnamed}"
    ids = Counter(op["operationId"] for _, _, op in operations(spec) if op.get("operationId"))
    assert all(count == 1 for count in ids.values()), f"duplicate operationIds: {ids}"


@pytest.mark.parametrize("path", LIST_PATHS)
def test_list_endpoints_document_limit_and_cursor(spec: dict[str, Any], path: str) -> None:
    query = {p["name"]: p for p in parameters(spec, path, "get") if p["in"] == "query"}
    assert {"limit", "cursor"} <= set(query), f"GET {path} documents only {sorted(query)}"
    limit = query["limit"]["schema"]
    assert (limit.get("minimum"), limit.get("maximum")) == (1, 200), limit
    assert limit.get("default") == 50, limit


def test_every_paginated_response_is_a_documented_list(spec: dict[str, Any]) -> None:
    """Every GET answering the {items, next_cursor} envelope is one of the lists checked
    above, or the change feed, which resumes from `after` instead of paging by `cursor`."""
    schemas = spec["components"]["schemas"]
    paginated = []
    for path, method, operation in operations(spec):
        if method != "get":
            continue
        content = operation["responses"].get("200", {}).get("content", {})
        ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
        schema = schemas.get(ref.rsplit("/", 1)[-1], {})
        if {"items", "next_cursor"} <= set(schema.get("properties", {})):
            paginated.append(path)
    assert sorted(paginated) == sorted([*LIST_PATHS, "/events"])
    assert "after" in {parameter["name"] for parameter in parameters(spec, "/events", "get")}


def test_patch_operations_document_the_if_match_header(spec: dict[str, Any]) -> None:
    patches = [path for path, method, _ in operations(spec) if method == "patch"]
    assert sorted(patches) == [
        "/articles/{article_id}",
        "/claims/{claim_id}",
        "/sources/{source_id}",
        "/webhooks/{webhook_id}",
    ]
    for path in patches:
        headers = {p["name"] for p in parameters(spec, path, "patch") if p["in"] == "header"}
        assert "If-Match" in headers, f"PATCH {path} does not document If-Match: {headers}"


def test_delete_operations_that_need_if_match_document_it(spec: dict[str, Any]) -> None:
    for path in ["/articles/{article_id}", "/claims/{claim_id}"]:
        headers = {p["name"] for p in parameters(spec, path, "delete") if p["in"] == "header"}
        assert "If-Match" in headers, f"DELETE {path} does not document If-Match"


def test_path_ids_are_documented_as_integers(spec: dict[str, Any]) -> None:
    for path in spec["paths"]:
        for method in set(spec["paths"][path]) & HTTP_METHODS:
            for parameter in parameters(spec, path, method):
                if parameter["in"] == "path":
                    assert parameter["schema"]["type"] == "integer", (path, parameter)
                    assert parameter["required"] is True


# --- Swagger UI ---------------------------------------------------------------------------


class AssetLinks(HTMLParser):
    """The URLs a page loads: script src and link href."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


def fetch(client: FlaskClient, url: str) -> tuple[int, str, bytes]:
    """GET ``url`` (following redirects) and close the response, which may stream a file."""
    response = client.get(url, follow_redirects=True)
    try:
        return response.status_code, response.mimetype or "", response.get_data()
    finally:
        response.close()


def page_assets(client: FlaskClient) -> list[str]:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    parser = AssetLinks()
    parser.feed(response.get_data(as_text=True))
    return parser.urls


def test_docs_page_loads_its_assets_from_docs_assets(client: FlaskClient) -> None:
    urls = page_assets(client)
    assert any(url.startswith("/docs/assets/") for url in urls), urls
    assert "/docs/assets/swagger-ui-bundle.js" in urls


def test_docs_page_loads_nothing_from_the_internet(client: FlaskClient) -> None:
    external = [url for url in page_assets(client) if re.match(r"(?i)(https?:)?//", url)]
    assert not external, f"/docs loads assets from outside the service: {external}"
    html = client.get("/docs").get_data(as_text=True)
    assert not re.search(r"(?i)<(script|link)[^>]+(src|href)=[\"']?https?://", html)


def test_docs_page_points_swagger_ui_at_the_local_openapi_document(client: FlaskClient) -> None:
    html = client.get("/docs").get_data(as_text=True)
    assert '"/openapi.json"' in html


def test_every_asset_the_docs_page_loads_is_served(client: FlaskClient) -> None:
    for url in page_assets(client):
        status, _, data = fetch(client, url)
        assert status == 200, f"{url} is not served: {status}"
        assert data, f"{url} is empty"


def test_swagger_ui_bundle_is_served_as_javascript(client: FlaskClient) -> None:
    status, mimetype, data = fetch(client, "/docs/assets/swagger-ui-bundle.js")
    assert status == 200
    assert "javascript" in mimetype, mimetype
    assert b"SwaggerUIBundle" in data


@pytest.mark.parametrize(
    "path",
    [
        "/docs/assets/../__init__.py",
        "/docs/assets/%2e%2e/__init__.py",
        "/docs/assets/..%2f..%2fetc/passwd",
        "/docs/assets//etc/passwd",
    ],
)
def test_docs_assets_serve_nothing_outside_their_folder(client: FlaskClient, path: str) -> None:
    status, _, data = fetch(client, path)
    assert status == 404, f"{path} answered {status}"
    assert b"root:" not in data

"""Every error is application/problem+json (RFC 9457), whatever the route and whatever went wrong.

These tests use the app as it is deployed: an unhandled exception becomes a 500 response
instead of propagating into the test, so a server error shows up as a wrong status.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from claims_api.services import articles as article_service
from tests.factories import check, client_for, create_article, create_claim

PROBLEM = "application/problem+json"
MAX_CONTENT_LENGTH = 4 * 1024 * 1024
MISSING = 999_999

# {article}, {source} and {claim} are filled in with the ids of the `world` fixture.
JSON_WRITES = [
    ("POST", "/articles"),
    ("POST", "/sources"),
    ("POST", "/claims"),
    ("PATCH", "/articles/{article}"),
    ("PATCH", "/sources/{source}"),
    ("PATCH", "/claims/{claim}"),
    ("POST", "/claims/{claim}/sources"),
]
LISTS = [
    "/articles",
    "/sources",
    "/claims",
    "/revisions",
    "/articles/{article}/claims",
    "/claims/{claim}/revisions",
]
IF_MATCH_REQUIRED = [
    ("PATCH", "/articles/{article}", {"title": "Changed"}),
    ("DELETE", "/articles/{article}", None),
    ("PATCH", "/sources/{source}", {"title": "Changed"}),
    ("PATCH", "/claims/{claim}", {"text": "Changed."}),
    ("DELETE", "/claims/{claim}", None),
]


@pytest.fixture
def served(app: Flask, monkeypatch: pytest.MonkeyPatch) -> FlaskClient:
    """A client of the app as deployed: unhandled errors are answered, not raised."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    return client_for(app)


@pytest.fixture
def world(served: FlaskClient) -> dict[str, int]:
    """An article with one claim, citing one source: the ids the routes are filled in with."""
    article = create_article(served)
    claim = create_claim(served, article["id"])
    source = check(served.post("/sources", json={"url": "https://example.org/evidence"}), 201)
    linked = check(
        served.post(
            f"/claims/{claim['id']}/sources",
            json={"source_id": source["id"], "stance": "supports"},
        ),
        201,
    )
    return {
        "article": article["id"],
        "claim": claim["id"],
        "source": source["id"],
        "claim_revision": linked["revision"],
    }


def fill(path: str, world: dict[str, int]) -> str:
    return path.format(**world)


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """``response`` is a problem+json of ``status`` with every standard member and no trace."""
    text = response.get_data(as_text=True)
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {text}"
    assert response.mimetype == PROBLEM, f"{status} answered as {response.mimetype}: {text[:300]}"
    assert "Traceback" not in text and 'File "' not in text, f"the error leaks a traceback: {text}"
    problem = json.loads(text)
    assert problem["status"] == status
    assert isinstance(problem["type"], str) and problem["type"], problem
    assert isinstance(problem["title"], str) and problem["title"], problem
    assert isinstance(problem["detail"], str) and problem["detail"], problem
    return problem


def body_of(method: str, path: str, world: dict[str, int]) -> dict[str, Any]:
    """A valid body for each write route (so that only what a test breaks is wrong)."""
    bodies = {
        ("POST", "/articles"): {"url": "https://example.org/new-article", "title": "New"},
        ("POST", "/sources"): {"url": "https://example.org/new-source"},
        ("POST", "/claims"): {
            "article_id": world["article"],
            "text": "Another claim.",
            "kind": "other",
            "quote": {"exact": "around 130,000 Russian troops"},
        },
        ("PATCH", "/articles/{article}"): {"title": "Changed"},
        ("PATCH", "/sources/{source}"): {"title": "Changed"},
        ("PATCH", "/claims/{claim}"): {"text": "Changed."},
        ("POST", "/claims/{claim}/sources"): {
            "url": "https://example.org/more",
            "stance": "context",
        },
    }
    return bodies[(method, path)]


def cursor(payload: Any) -> str:
    """A cursor as the service encodes them, with any payload."""
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


# --- 404 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/nope",
        "/articles/abc",
        "/articles/1/nope",
        "/articles/0",
        "/articles/-1",
        "/sources/2147483648",
        "/claims/99999999999999999999999",
        "/docs/assets/no-such-file.js",
    ],
)
def test_unknown_route_is_404_problem(served: FlaskClient, path: str) -> None:
    assert_problem(served.get(path), 404)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"/articles/{MISSING}", None),
        ("GET", f"/articles/{MISSING}/claims", None),
        ("PATCH", f"/articles/{MISSING}", {"title": "x"}),
        ("DELETE", f"/articles/{MISSING}", None),
        ("GET", f"/sources/{MISSING}", None),
        ("PATCH", f"/sources/{MISSING}", {"title": "x"}),
        ("GET", f"/claims/{MISSING}", None),
        ("PATCH", f"/claims/{MISSING}", {"text": "Changed."}),
        ("DELETE", f"/claims/{MISSING}", None),
        (
            "POST",
            f"/claims/{MISSING}/sources",
            {"url": "https://example.org/s", "stance": "context"},
        ),
        ("DELETE", f"/claims/{{claim}}/sources/{MISSING}", None),
        ("GET", f"/claims/{MISSING}/revisions", None),
        ("GET", f"/claims/{{claim}}/revisions/{MISSING}", None),
    ],
)
def test_missing_resource_is_404_problem_naming_it(
    served: FlaskClient, world: dict[str, int], method: str, path: str, body: Any
) -> None:
    response = served.open(fill(path, world), method=method, json=body, headers={"If-Match": "*"})
    problem = assert_problem(response, 404)
    assert problem["type"] == "urn:claims-api:problem:not-found"
    assert str(MISSING) in problem["detail"], f"the detail should say what is missing: {problem}"


# --- 405 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/articles", {"GET", "POST"}),
        ("DELETE", "/articles", {"GET", "POST"}),
        ("POST", "/articles/{article}", {"GET", "PATCH", "DELETE"}),
        ("PUT", "/articles/{article}", {"GET", "PATCH", "DELETE"}),
        ("DELETE", "/sources/{source}", {"GET", "PATCH"}),
        ("PUT", "/claims/{claim}", {"GET", "PATCH", "DELETE"}),
        ("GET", "/claims/{claim}/sources", {"POST"}),
        ("PATCH", "/claims/{claim}/sources/{source}", {"DELETE"}),
        ("POST", "/revisions", {"GET"}),
        ("POST", "/openapi.json", {"GET"}),
    ],
)
def test_wrong_method_is_405_problem_with_allow_header(
    served: FlaskClient, world: dict[str, int], method: str, path: str, allowed: set[str]
) -> None:
    response = served.open(fill(path, world), method=method, headers={"If-Match": "*"})
    assert_problem(response, 405)
    allow = {name.strip() for name in response.headers.get("Allow", "").split(",")}
    assert allowed <= allow, f"Allow should list {allowed}, got {allow}"
    assert method not in allow


# --- 400 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), JSON_WRITES)
@pytest.mark.parametrize(
    "raw",
    [b"{bad", b'{"title": "x",}', b"[1, 2", b"{'title': 'x'}", b'{"title": "\xff"}', b"NaN x"],
    ids=["bare", "trailing-comma", "unclosed", "single-quotes", "bad-utf8", "garbage"],
)
def test_malformed_json_body_is_400_problem(
    served: FlaskClient, world: dict[str, int], method: str, path: str, raw: bytes
) -> None:
    response = served.open(
        fill(path, world),
        method=method,
        data=raw,
        content_type="application/json",
        headers={"If-Match": "*"},
    )
    problem = assert_problem(response, 400)
    assert "JSON" in problem["detail"], problem


@pytest.mark.parametrize(("method", "path"), JSON_WRITES)
def test_too_deeply_nested_json_body_is_400_problem(
    served: FlaskClient, world: dict[str, int], method: str, path: str
) -> None:
    depth = 100_000  # 200 kB, well under the size limit
    response = served.open(
        fill(path, world),
        method=method,
        data="[" * depth + "]" * depth,
        content_type="application/json",
        headers={"If-Match": "*"},
    )
    assert_problem(response, 400)


# --- 413 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), JSON_WRITES)
def test_body_over_max_content_length_is_413_problem(
    served: FlaskClient, world: dict[str, int], method: str, path: str
) -> None:
    body = body_of(method, path, world)
    padding = "x" * MAX_CONTENT_LENGTH
    data = json.dumps({**body, "padding": padding})
    assert len(data) > MAX_CONTENT_LENGTH
    response = served.open(
        fill(path, world),
        method=method,
        data=data,
        content_type="application/json",
        headers={"If-Match": "*"},
    )
    assert_problem(response, 413)


def test_body_just_under_max_content_length_is_accepted(served: FlaskClient) -> None:
    data = {"url": "https://example.org/long-read", "title": "Long read"}
    overhead = len(json.dumps({**data, "body": ""}))
    data["body"] = "x" * (MAX_CONTENT_LENGTH - overhead)
    raw = json.dumps(data)
    assert len(raw) == MAX_CONTENT_LENGTH
    response = served.post("/articles", data=raw, content_type="application/json")
    assert check(response, 201)["body"] == data["body"]


# --- 415 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), JSON_WRITES)
@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/xml", "text/json"],
)
def test_body_that_is_not_json_is_415_problem(
    served: FlaskClient, world: dict[str, int], method: str, path: str, content_type: str
) -> None:
    body = body_of(method, path, world)
    response = served.open(
        fill(path, world),
        method=method,
        data=json.dumps(body),
        content_type=content_type,
        headers={"If-Match": "*"},
    )
    problem = assert_problem(response, 415)
    assert "application/json" in problem["detail"]


def test_body_sent_without_content_type_is_415_problem(served: FlaskClient) -> None:
    response = served.post("/articles", data=b'{"url": "https://example.org/x", "title": "T"}')
    assert_problem(response, 415)


# --- 422 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), JSON_WRITES)
def test_unknown_json_field_is_422_problem_naming_it(
    served: FlaskClient, world: dict[str, int], method: str, path: str
) -> None:
    body = {**body_of(method, path, world), "colour": "blue"}
    response = served.open(fill(path, world), method=method, json=body, headers={"If-Match": "*"})
    problem = assert_problem(response, 422)
    assert problem["errors"] == {"colour": ["Unknown field."]}


@pytest.mark.parametrize(("method", "path"), JSON_WRITES)
@pytest.mark.parametrize("body", [[], "text", 7, None], ids=["array", "string", "number", "null"])
def test_json_body_that_is_not_an_object_is_422_problem(
    served: FlaskClient, world: dict[str, int], method: str, path: str, body: Any
) -> None:
    response = served.open(
        fill(path, world),
        method=method,
        data=json.dumps(body),
        content_type="application/json",
        headers={"If-Match": "*"},
    )
    assert "errors" in assert_problem(response, 422)


@pytest.mark.parametrize(
    ("method", "path", "change", "field"),
    [
        ("POST", "/articles", {"title": None}, "title"),
        ("POST", "/articles", {"published_at": "soon"}, "published_at"),
        ("POST", "/articles", {"authors": ["ok", ""]}, "authors.1"),
        ("POST", "/sources", {"kind": "rumour"}, "kind"),
        ("POST", "/claims", {"kind": "guess"}, "kind"),
        ("POST", "/claims", {"quote": {"exact": "x", "start": -1, "end": 3}}, "quote.start"),
        ("POST", "/claims", {"quote": {"exact": "x", "start": 5, "end": 2}}, "quote.end"),
        ("POST", "/claims", {"quote": {"exact": "x", "colour": 1}}, "quote.colour"),
        ("POST", "/claims", {"tags": ["fine", ""]}, "tags.1"),
        (
            "POST",
            "/claims",
            {"sources": [{"url": "https://example.org/s", "stance": "maybe"}]},
            "sources.0.stance",
        ),
        ("PATCH", "/articles/{article}", {"language": "?"}, "language"),
        ("PATCH", "/sources/{source}", {"url": None}, "url"),
        ("PATCH", "/claims/{claim}", {"status": "probably"}, "status"),
        ("POST", "/claims/{claim}/sources", {"stance": "agrees"}, "stance"),
    ],
)
def test_invalid_field_is_422_problem_whose_errors_name_the_field(
    served: FlaskClient,
    world: dict[str, int],
    method: str,
    path: str,
    change: dict[str, Any],
    field: str,
) -> None:
    body = {**body_of(method, path, world), **change}
    response = served.open(fill(path, world), method=method, json=body, headers={"If-Match": "*"})
    problem = assert_problem(response, 422)
    assert field in problem["errors"], f"errors should name {field}: {problem['errors']}"
    messages = problem["errors"][field]
    assert isinstance(messages, list) and all(isinstance(m, str) and m for m in messages)


@pytest.mark.parametrize("path", ["/articles", "/sources", "/claims"])
def test_missing_required_fields_are_each_named_in_errors(served: FlaskClient, path: str) -> None:
    required = {"/articles": {"url", "title"}, "/sources": {"url"}}
    problem = assert_problem(served.post(path, json={}), 422)
    assert required.get(path, {"article_id", "text", "kind"}) <= set(problem["errors"])


@pytest.mark.parametrize(("method", "path"), JSON_WRITES[3:])
@pytest.mark.parametrize(("header", "value"), [("X-Reason", "r" * 2001)])
def test_invalid_write_header_is_422_problem_naming_it(
    served: FlaskClient, world: dict[str, int], method: str, path: str, header: str, value: str
) -> None:
    response = served.open(
        fill(path, world),
        method=method,
        json=body_of(method, path, world),
        headers={"If-Match": "*", header: value},
    )
    assert header in assert_problem(response, 422)["errors"]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("colour=blue", "colour"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=" + "A" * 501, "cursor"),
    ],
)
def test_invalid_list_query_is_422_problem_naming_the_parameter(
    served: FlaskClient, world: dict[str, int], path: str, query: str, parameter: str
) -> None:
    response = served.get(f"{fill(path, world)}?{query}")
    assert parameter in assert_problem(response, 422)["errors"]


# A sort order each list's cursors are made for, and a valid position in it.
CURSOR_ORDERS = {
    "/articles": ("created_at", "2020-01-01T00:00:00+00:00"),
    "/sources": ("created_at", "2020-01-01T00:00:00+00:00"),
    "/claims": ("created_at", "2020-01-01T00:00:00+00:00"),
    "/revisions": ("-created_at", "2020-01-01T00:00:00+00:00"),
    "/articles/{article}/claims": ("created_at", "2020-01-01T00:00:00+00:00"),
    "/claims/{claim}/revisions": ("-number", 1),
}
# Lists whose default order is another (claims: id order) are asked for that order.
SORTABLE_LISTS = {"/claims", "/articles/{article}/claims"}


def in_order(path: str, world: dict[str, int], name: str) -> str:
    """The list at ``path``, sorted by ``name`` where the list takes a sort."""
    url = fill(path, world)
    return f"{url}?sort={name}&" if path in SORTABLE_LISTS else f"{url}?"


TIMESTAMP_LISTS = [path for path, (_, position) in CURSOR_ORDERS.items() if position != 1]


@pytest.mark.parametrize("path", TIMESTAMP_LISTS)
def test_cursor_with_timestamp_without_offset_is_422_problem_naming_cursor(
    served: FlaskClient, world: dict[str, int], path: str
) -> None:
    name, _ = CURSOR_ORDERS[path]
    naive = "2020-01-01T00:00:00"
    response = served.get(f"{in_order(path, world, name)}cursor={cursor([name, naive, 1])}")
    problem = assert_problem(response, 422)
    assert "cursor" in problem.get("errors", {}), (
        f"a cursor the service never gave out should be a 422 naming `cursor`: {problem}"
    )


@pytest.mark.parametrize("path", list(CURSOR_ORDERS))
def test_cursor_with_out_of_range_id_is_422_problem_naming_cursor(
    served: FlaskClient, world: dict[str, int], path: str
) -> None:
    name, position = CURSOR_ORDERS[path]
    beyond_64_bits = 2**63
    response = served.get(
        f"{in_order(path, world, name)}cursor={cursor([name, position, beyond_64_bits])}"
    )
    problem = assert_problem(response, 422)
    assert "cursor" in problem.get("errors", {}), (
        f"a cursor the service never gave out should be a 422 naming `cursor`: {problem}"
    )


def test_cursor_with_out_of_range_position_is_422_problem_naming_cursor(
    served: FlaskClient, world: dict[str, int]
) -> None:
    path = fill("/claims/{claim}/revisions", world)
    response = served.get(f"{path}?cursor={cursor(['-number', 2**63, 1])}")
    problem = assert_problem(response, 422)
    assert "cursor" in problem.get("errors", {}), (
        f"a cursor the service never gave out should be a 422 naming `cursor`: {problem}"
    )


# --- 428 and 412 --------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), IF_MATCH_REQUIRED)
def test_write_without_if_match_is_428_problem(
    served: FlaskClient, world: dict[str, int], method: str, path: str, body: Any
) -> None:
    response = served.open(fill(path, world), method=method, json=body)
    problem = assert_problem(response, 428)
    assert problem["type"] == "urn:claims-api:problem:precondition-required"
    assert "If-Match" in problem["detail"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        *IF_MATCH_REQUIRED,
        ("POST", "/claims/{claim}/sources", {"url": "https://example.org/y", "stance": "context"}),
        ("DELETE", "/claims/{claim}/sources/{source}", None),
    ],
)
def test_write_with_stale_if_match_is_412_problem_with_current_version(
    served: FlaskClient, world: dict[str, int], method: str, path: str, body: Any
) -> None:
    response = served.open(
        fill(path, world), method=method, json=body, headers={"If-Match": '"41"'}
    )
    problem = assert_problem(response, 412)
    assert problem["type"] == "urn:claims-api:problem:precondition-failed"
    current = problem.get("current_version")
    expected = world["claim_revision"] if "/claims/" in path else 1
    assert current == expected, f"412 should say which version is current: {problem}"


# --- 409 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "member"),
    [
        (
            "POST",
            "/articles",
            {"url": "https://NationalInterest.org/blog/buzz/china-urges-calm/", "title": "T"},
            "article_id",
        ),
        ("POST", "/sources", {"url": "https://example.org/evidence#x"}, "source_id"),
        ("DELETE", "/articles/{article}", None, "claim_count"),
    ],
)
def test_conflict_is_409_problem_with_the_conflicting_id(
    served: FlaskClient,
    world: dict[str, int],
    method: str,
    path: str,
    body: Any,
    member: str,
) -> None:
    response = served.open(fill(path, world), method=method, json=body, headers={"If-Match": "*"})
    problem = assert_problem(response, 409)
    assert problem["type"] == "urn:claims-api:problem:conflict"
    assert member in problem, problem


# --- 500 ----------------------------------------------------------------------------------


def test_unexpected_error_is_500_problem_without_traceback_or_message(
    served: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError('File "/srv/claims_api/secret.py", line 1: password=hunter2')

    monkeypatch.setattr(article_service, "list_articles", explode)
    response = served.get("/articles")
    problem = assert_problem(response, 500)
    assert "hunter2" not in response.get_data(as_text=True), "the exception's text leaked"
    assert problem["detail"] == "The server could not complete the request."


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/articles?published_after=0001-01-01T00:00:00%2B01:00", "published_after"),
        ("/claims?updated_since=9999-12-31T23:30:00-01:00", "updated_since"),
        ("/sources?url=http://[::1", "url"),
    ],
)
def test_inputs_at_the_edge_of_what_parsers_take_are_422_not_500(
    client: FlaskClient, url: str, field: str
) -> None:
    problem = check(client.get(url), 422)
    assert field in problem["errors"], problem


def test_if_match_with_an_odd_digit_is_a_stale_etag_not_a_server_error(
    client: FlaskClient,
) -> None:
    article = create_article(client)
    for value in ('"²"', '"' + "9" * 5000 + '"'):
        response = client.patch(
            f"/articles/{article['id']}", json={"title": "x"}, headers={"If-Match": value}
        )
        assert response.status_code == 412, value

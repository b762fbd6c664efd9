"""Generated requests from the OpenAPI document: no client input produces a 5xx.

schemathesis builds requests (valid and invalid) for every documented operation;
each answer must be below 500 and, when it is a success, match the documented
response schema.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from claims_api.services import article_fetching, outbound
from claims_api.services.fetching import FetchRefused
from tests.factories import bearer, client_for, create_article, create_claim, issue_token

UNDOCUMENTED_ENDPOINTS = {"static", "swagger_ui_assets"}


def routed_operations(app: Flask) -> set[str]:
    """``"GET /claims/{claim_id}"`` for every route the app serves, docs aside."""
    operations = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in UNDOCUMENTED_ENDPOINTS or rule.endpoint.startswith("api-docs."):
            continue
        path = rule.rule.replace("<int:", "{").replace(">", "}")
        operations |= {f"{method} {path}" for method in rule.methods - {"HEAD", "OPTIONS"}}
    return operations


def refuse_to_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
    raise FetchRefused(f"Tests fetch nothing ({url}).", reason="test")


def no_such_host(host: str, *args: Any, **kwargs: Any) -> Any:
    raise socket.gaierror(socket.EAI_NONAME, f"tests resolve no host ({host})")


@pytest.fixture
def api_schema(app: Flask, monkeypatch: pytest.MonkeyPatch) -> schemathesis.BaseSchema:
    # A generated URL with "fetch": true must never reach the network; it is refused
    # (422) as an address outside the allowed ones is.
    monkeypatch.setattr(article_fetching, "fetch_page", refuse_to_fetch)
    # Nor may a generated webhook URL send a DNS query: every host is unknown (422).
    monkeypatch.setattr(outbound.socket, "getaddrinfo", no_such_host)
    client = client_for(app)
    article = create_article(client)
    create_claim(
        client, article["id"], sources=[{"url": "https://example.org/a", "stance": "supports"}]
    )
    return schemathesis.openapi.from_wsgi("/openapi.json", app)


def test_generated_requests_never_get_a_server_error(
    app: Flask, api_schema: schemathesis.BaseSchema
) -> None:
    # An admin may call every operation, so the generated requests reach past authorization.
    admin = bearer(issue_token(app, "fuzzer", "admin"))
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {operation.label for operation in operations} == routed_operations(app)
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        def call(case: schemathesis.Case) -> None:
            case.call_and_validate(
                headers=admin, checks=[not_a_server_error, response_schema_conformance]
            )

        call()

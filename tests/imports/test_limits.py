"""The bulk import applies the API's URL rules: one check, after normalising."""

from __future__ import annotations

import json

from flask.testing import FlaskClient

from tests.imports.helpers import border_document, post_import, stored_claims


def test_bulk_import_refuses_a_source_url_too_long_once_normalised(client: FlaskClient) -> None:
    document = border_document()
    long_url = "https://example.com/" + "é" * 1000
    document["claims"][0]["sources"] = [{"url": long_url, "stance": "supports"}]

    response = post_import(client, json.dumps(document), "application/json")

    run = response.get_json()
    assert response.status_code == 422, run
    errors = run["import_errors"]
    assert [error["field"] for error in errors] == ["claims.0.sources.0.url"], errors
    assert "longer than 2048 characters" in errors[0]["reason"], errors
    assert stored_claims(client) == [], "nothing is written from a refused document"

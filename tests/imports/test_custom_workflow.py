"""Imports take the statuses of the configured workflow, as the API does (one status set)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from flask import Flask

from claims_api import create_app
from claims_api.extensions import db
from tests.factories import check, client_for
from tests.imports.helpers import embassy_document, jsonl, post_import

TRIAGE = {
    "initial": "new",
    "statuses": {
        "new": {"verdict": False},
        "accurate": {"verdict": True, "rating": {"alternateName": "Accurate", "ratingValue": 3}},
        "inaccurate": {"verdict": True, "rating": {"alternateName": "Inaccurate"}},
    },
    "transitions": {"new": ["accurate", "inaccurate"], "accurate": ["new"], "inaccurate": ["new"]},
}
NDJSON = "application/x-ndjson"


@pytest.fixture
def triage_app(app: Flask, database_url: str) -> Iterator[Flask]:
    """The test database served by an app configured with the TRIAGE workflow."""
    custom = create_app(
        {"TESTING": True, "DATABASE_URL": database_url, "WORKFLOW": json.dumps(TRIAGE)}
    )
    yield custom
    with custom.app_context():
        db.session.remove()
        db.engine.dispose()


def with_status(status: str) -> str:
    document = embassy_document()
    document["claims"][0]["status"] = status
    return jsonl([document])


def test_an_import_accepts_a_status_of_the_configured_workflow(triage_app: Flask) -> None:
    client = client_for(triage_app)

    run = check(post_import(client, with_status("accurate"), NDJSON), 201)

    assert run["counts"]["claims_created"] == 1, run
    (claim,) = check(client.get("/claims"), 200)["items"]
    assert claim["status"] == "accurate"


def test_an_import_refuses_a_default_status_the_configured_workflow_lacks(
    triage_app: Flask,
) -> None:
    client = client_for(triage_app)

    problem = check(post_import(client, with_status("false"), NDJSON), 422)

    (error,) = problem["import_errors"]
    assert error["field"] == "claims.0.status", error
    assert "new, accurate, inaccurate" in error["reason"], error


def test_a_contributors_new_claim_starts_in_the_configured_initial_status(
    triage_app: Flask,
) -> None:
    contributor = client_for(triage_app, "carol", "contributor")

    check(post_import(contributor, with_status("accurate"), NDJSON), 201)

    (claim,) = check(contributor.get("/claims"), 200)["items"]
    assert claim["status"] == "new"

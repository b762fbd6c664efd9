"""Imports read the running workflow's statuses, as the API does, not the default's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from claims_api import create_app, migrations
from claims_api.extensions import db
from tests.factories import check, client_for
from tests.imports.helpers import embassy_document, post_import

WORKFLOW = {
    "initial": "new",
    "statuses": {
        "new": {"verdict": False},
        "accurate": {
            "verdict": True,
            "rating": {"alternateName": "Accurate", "ratingValue": 2, "bestRating": 2},
        },
    },
    "transitions": {"new": ["accurate"], "accurate": ["new"]},
}


@pytest.fixture
def custom_app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app(
        {"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "WORKFLOW": WORKFLOW}
    )
    with app.app_context():
        migrations.upgrade(db.engine)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(("status", "accepted"), [("accurate", True), ("verified", False)])
def test_an_admin_import_takes_the_statuses_of_the_configured_workflow(
    custom_app: Flask, status: str, accepted: bool
) -> None:
    client = client_for(custom_app)
    document = embassy_document()
    document["claims"][0]["status"] = status

    response = post_import(client, json.dumps(document), "application/json")

    if accepted:
        check(response, 201)
        (claim,) = check(client.get("/claims"), 200)["items"]
        assert claim["status"] == "accurate"
    else:
        run = check(response, 422)
        assert [error["field"] for error in run["import_errors"]] == ["claims.0.status"], run

"""The workflow as configured: every allowed and every refused transition, through the API,
and a configuration that cannot work stops the app at start-up."""

from __future__ import annotations

import copy
import json
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from claims_api import create_app, workflow
from claims_api.extensions import db
from claims_api.models import Claim
from tests.factories import check, create_article, create_claim, review_claim

FLOW = workflow.DEFAULT
PAIRS = list(product(FLOW.statuses, FLOW.statuses))


def put_in_status(app: Flask, claim_id: int, status: str) -> None:
    """Set a status directly, as trusted loaders (seed, import) may."""
    with app.app_context():
        db.session.get(Claim, claim_id).status = status
        db.session.commit()


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_each_transition_is_allowed_exactly_when_the_workflow_says(
    app: Flask, client: FlaskClient, source: str, target: str
) -> None:
    claim = create_claim(client, create_article(client)["id"])
    put_in_status(app, claim["id"], source)
    response = review_claim(client, claim, target)
    after = check(client.get(f"/claims/{claim['id']}"), 200)
    if target in FLOW.allowed_from(source):
        check(response, 201)
        assert after["status"] == target
    else:
        problem = check(response, 409)
        assert problem["allowed"] == list(FLOW.allowed_from(source))
        assert (after["status"], after["revision"]) == (source, 1)


def test_default_workflow_is_the_documented_one() -> None:
    verdicts = ["verified", "mostly_true", "misleading", "false", "unverifiable", "disputed"]
    assert FLOW.statuses == ("unverified", "in_review", *verdicts)
    assert (FLOW.initial, FLOW.awaiting_review, list(FLOW.verdicts)) == (
        "unverified",
        ("unverified", "in_review"),
        verdicts,
    )
    assert FLOW.allowed_from("unverified") == ("in_review",)
    assert list(FLOW.allowed_from("in_review")) == verdicts
    assert all(FLOW.allowed_from(name) == ("in_review",) for name in verdicts)


def test_every_verdict_carries_a_claimreview_rating(app: Flask) -> None:
    with app.app_context():
        for status in FLOW.verdicts:
            rating = workflow.rating_for(status)
            assert rating is not None and rating.alternate_name, status
            assert rating.as_schema_org()["@type"] == "Rating"
        assert workflow.rating_for("false").as_schema_org() == {
            "@type": "Rating",
            "alternateName": "False",
            "ratingValue": 1,
            "bestRating": 5,
            "worstRating": 1,
        }
        assert workflow.rating_for("unverified") is None


TRIAGE = {
    "initial": "new",
    "statuses": {
        "new": {"verdict": False},
        "accurate": {
            "verdict": True,
            "rating": {"alternateName": "Accurate", "ratingValue": 3, "bestRating": 3},
        },
        "inaccurate": {
            "verdict": True,
            "rating": {"alternateName": "Inaccurate", "ratingValue": 1, "bestRating": 3},
        },
    },
    "transitions": {"new": ["accurate", "inaccurate"], "accurate": ["new"], "inaccurate": ["new"]},
}


def test_a_configured_workflow_replaces_the_default(tmp_path: Path) -> None:
    path = tmp_path / "workflow.json"
    path.write_text(json.dumps(TRIAGE))
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "WORKFLOW_FILE": str(path)})
    with app.app_context():
        flow = workflow.current()
        assert (flow.initial, flow.awaiting_review, flow.verdicts) == (
            "new",
            ("new",),
            ("accurate", "inaccurate"),
        )
        assert workflow.rating_for("accurate").best_rating == 3
        db.engine.dispose()


def broken(change: Any) -> dict[str, Any]:
    document = copy.deepcopy(workflow.DEFAULT_WORKFLOW)
    change(document)
    return document


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (broken(lambda d: d["transitions"]["in_review"].append("maybe")), "unknown status"),
        (broken(lambda d: d.update(initial="nowhere")), "initial"),
        (broken(lambda d: d.update(initial="false")), "cannot start with a verdict"),
        (broken(lambda d: d["statuses"]["false"].pop("rating")), "statuses.false.rating"),
        (broken(lambda d: d["statuses"]["false"]["rating"].update(alternateName=" ")), "non-empty"),
        (broken(lambda d: d["statuses"]["false"]["rating"].update(ratingValue=9)), "between"),
        (
            broken(lambda d: d["statuses"]["in_review"].update(rating={"alternateName": "x"})),
            "only verdicts",
        ),
        (broken(lambda d: d["transitions"].pop("in_review")), "no path"),
        (broken(lambda d: d["transitions"]["unverified"].append("unverified")), "itself"),
        (broken(lambda d: d["statuses"].update({"Bad Name": {"verdict": False}})), "lower-case"),
        (broken(lambda d: d.update(colour="blue")), "unknown key"),
        ("{not json", "not JSON"),
    ],
)
def test_a_workflow_that_cannot_work_stops_the_app_at_start_up(
    tmp_path: Path, document: Any, message: str
) -> None:
    with pytest.raises(workflow.WorkflowError, match=message):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "WORKFLOW": document})


def test_an_unreadable_workflow_file_stops_the_app(tmp_path: Path) -> None:
    with pytest.raises(workflow.WorkflowError, match="CLAIMS_WORKFLOW_FILE"):
        create_app({"DATABASE_URL": "sqlite://", "WORKFLOW_FILE": str(tmp_path / "missing.json")})

"""Claims a bulk import writes are matched by the worker's ``matching`` task."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select

from claims_api.extensions import db
from claims_api.models import PendingMatch, Proposition
from claims_api.services import matching
from claims_api.services.pending_matches import queue
from claims_api.worker import Worker
from tests.api.test_matching import membership, publish_false
from tests.factories import check


def imported(client: FlaskClient, *texts: str) -> list[int]:
    """Claims that Ukraine is a NATO member or not, one article each, by bulk import."""
    lines = [
        {
            "article": {"url": f"https://elsewhere.example.org/ukraine/{number}", "title": "U"},
            "claims": [
                {
                    "text": text,
                    "kind": "membership",
                    "membership": {
                        "member": "Ukraine",
                        "organization": "NATO",
                        "relation": "member" if "joined" in text else "not_member",
                    },
                }
            ],
        }
        for number, text in enumerate(texts)
    ]
    response = client.post("/imports", json=lines)
    assert response.status_code == 201, response.get_data(as_text=True)
    listed = check(client.get("/claims?limit=100"), 200)["items"]
    return sorted(claim["id"] for claim in listed if claim["text"] in texts)


def answered(client: FlaskClient) -> list[int]:
    body = check(client.get("/claims?matches_verdict=true&limit=100"), 200)
    return [claim["id"] for claim in body["items"]]


def pending(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(PendingMatch)) or 0


def test_a_worker_pass_finds_the_verdicts_bulk_imported_claims_match(
    app: Flask, client: FlaskClient
) -> None:
    checked = membership(client, "Ukraine is not in NATO.", "Ukraine", "NATO", "not_member")
    publish_false(client, checked)
    claims = imported(client, "Ukraine has not joined NATO.", "Ukraine joined NATO last year.")
    assert answered(client) == [], "the import leaves matching to the worker"
    assert pending(app) == 2

    assert Worker(app, ["matching"]).run_round() == 2
    assert answered(client) == claims
    assert pending(app) == 0
    assert Worker(app, ["matching"]).run_round() == 0, "nothing is left to do"


def test_a_claim_imported_with_a_verdict_flags_the_claims_it_answers(
    app: Flask, client: FlaskClient
) -> None:
    earlier = membership(client, "Ukraine has not joined NATO.", "Ukraine", "NATO", "not_member")
    document: dict[str, Any] = {
        "article": {"url": "https://factcheck.example.org/ukraine", "title": "Ukraine"},
        "claims": [
            {
                "text": "Ukraine is not a NATO member.",
                "kind": "membership",
                "membership": {
                    "member": "Ukraine",
                    "organization": "NATO",
                    "relation": "not_member",
                },
                "external_reviews": [
                    {
                        "reviewer": "PolitiFact",
                        "url": "https://www.politifact.com/factchecks/ukraine-nato/",
                        "rating": {"alternate_name": "True"},
                    }
                ],
            }
        ],
    }
    check(client.post("/imports", json=document), 201)
    Worker(app, ["matching"]).run(once=True)
    assert earlier["id"] in answered(client)


def test_a_queued_claim_without_a_proposition_gets_one(app: Flask, client: FlaskClient) -> None:
    """As the claims of a database upgraded in place (the migration derives none)."""
    claim = membership(client, "Finland joined NATO.", "Finland", "NATO", "member")
    with app.app_context():
        db.session.execute(delete(Proposition))
        queue([claim["id"]])
        db.session.commit()
    Worker(app, ["matching"]).run(once=True)
    with app.app_context():
        derived = db.session.get(Proposition, claim["id"])
        assert derived is not None and derived.predicate == "member_of"


def test_a_claim_the_matcher_fails_on_is_dropped_and_the_rest_matched(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    checked = membership(client, "Ukraine is not in NATO.", "Ukraine", "NATO", "not_member")
    publish_false(client, checked)
    claims = imported(client, "Ukraine has not joined NATO.", "Ukraine joined NATO last year.")
    real = matching.flag_verdict_matches

    def failing(claim_ids: Any, **kwargs: Any) -> None:
        if claims[0] in claim_ids:
            raise RuntimeError("the matcher broke")
        real(claim_ids, **kwargs)

    monkeypatch.setattr(matching, "flag_verdict_matches", failing)
    worker = Worker(app, ["matching"])
    with caplog.at_level(logging.ERROR):
        assert worker.run_round() == 2
    assert answered(client) == claims[1:]
    assert f"claim {claims[0]}" in caplog.text
    assert pending(app) == 0, "a claim that cannot be matched does not block the queue"

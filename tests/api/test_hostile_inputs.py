"""Inputs that used to reach a 500: each is a 4xx problem+json, or does not fail at all."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tests.factories import create_article, create_claim


def test_an_integer_past_pythons_digit_limit_is_a_400(client: FlaskClient) -> None:
    response = client.post(
        "/articles",
        data='{"url": "https://e.org/a", "title": "t", "priority": 1' + "0" * 5000 + "}",
        content_type="application/json",
    )
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/problem+json"
    assert "digits" in response.get_json()["detail"]


def test_an_unpaired_surrogate_is_a_422_naming_the_field(client: FlaskClient) -> None:
    response = client.post(
        "/articles",
        data='{"url": "https://e.org/a", "title": "bad \\ud800 title", "body": "b"}',
        content_type="application/json",
    )
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert "surrogates" in response.get_json()["errors"]["title"][0]


@pytest.mark.parametrize("path", ["/claims/١٢", "/articles/١", "/claims/１２"])
def test_non_ascii_digits_in_a_path_are_a_404(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_a_connection_dying_at_the_end_of_a_request_keeps_the_response(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    article = create_article(client)
    close = Session.close

    def dead_connection(session: Session) -> None:
        # As when the rollback meets a dead connection: SQLAlchemy lets it go, then raises.
        close(session)
        raise OperationalError("ROLLBACK", {}, Exception("server closed the connection"))

    monkeypatch.setattr(Session, "close", dead_connection)
    response = client.get(f"/articles/{article['id']}")
    monkeypatch.undo()
    assert response.status_code == 200
    assert client.get(f"/articles/{article['id']}").status_code == 200


HUGE = 2**120


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("get", "/articles/{article}/versions/1/diff?against={huge}", None, "against"),
        ("get", "/claims/{claim}/revisions/1/diff?against={huge}", None, "against"),
        ("put", "/claims/{claim}/anchor", {"version": HUGE}, "version"),
        ("put", "/claims/{claim}/anchor", {"start": HUGE, "end": HUGE + 1}, "end"),
        (
            "post",
            "/reviews/bulk",
            {"status": "in_review", "claims": [{"claim_id": 1, "revision": HUGE}]},
            "revision",
        ),
    ],
)
def test_a_number_past_the_databases_integer_range_is_a_422_naming_it(
    client: FlaskClient, method: str, path: str, body: dict[str, object] | None, field: str
) -> None:
    """SQLite raises OverflowError binding an integer past 64 bits: the schema bounds it first."""
    article = create_article(client)
    claim = create_claim(client, article["id"])
    url = path.format(article=article["id"], claim=claim["id"], huge=HUGE)
    response = getattr(client, method)(url, json=body, headers={"If-Match": '"1"'})
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/problem+json"
    assert field in json.dumps(response.get_json()["errors"]), response.get_json()

"""One set of limits: the API and the import refuse the same over-long values, each naming
the field, on every database (the columns' widths come from the same module)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from claims_api.limits import (
    MAX_KEY_LENGTH,
    MAX_LANGUAGE_LENGTH,
    MAX_NAME_LENGTH,
    MAX_TAG_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_URL_LENGTH,
)
from tests.factories import check

ARTICLE = {"url": "https://news.example.org/limits", "title": "Limits"}
CLAIM = {"text": "Ukraine is not a member of NATO.", "kind": "other"}
# Short as sent, over the column's width once normalised (each é is %C3%A9).
LONG_URL = "https://example.org/" + "é" * (MAX_URL_LENGTH // 6 + 1)
LANGUAGE = "en" + "-abcdefgh" * (MAX_LANGUAGE_LENGTH // 9 + 1)

# (what, where in the article document, the value, the field the API names)
CASES = [
    ("article", ("title",), "t" * (MAX_TITLE_LENGTH + 1), "title"),
    ("article", ("language",), LANGUAGE, "language"),
    ("article", ("url",), LONG_URL, "url"),
    ("article", ("publisher",), "p" * (MAX_NAME_LENGTH + 1), "publisher"),
    ("claim", ("text",), "x" * (MAX_TEXT_LENGTH + 1), "text"),
    ("claim", ("key",), "k" * (MAX_KEY_LENGTH + 1), "key"),
    ("claim", ("tags",), ["t" * (MAX_TAG_LENGTH + 1)], "tags.0"),
    ("claim", ("quote",), {"exact": "q" * (MAX_TEXT_LENGTH + 1)}, "quote.exact"),
    (
        "claim",
        ("kind", "statement"),
        ("statement", {"speaker": "s" * (MAX_NAME_LENGTH + 1)}),
        "statement.speaker",
    ),
    ("claim", ("sources",), [{"url": LONG_URL, "stance": "supports"}], "sources.0.url"),
    (
        "claim",
        ("sources",),
        [{"url": "https://example.org/s", "stance": "context", "title": "t" * 1001}],
        "sources.0.title",
    ),
]


def with_value(base: dict[str, Any], where: tuple[str, ...], value: Any) -> dict[str, Any]:
    """``base`` with ``value`` at ``where``; a (kind, object) pair sets a kind and its object."""
    if where == ("kind", "statement"):
        kind, structured = value
        return {**base, "kind": kind, kind: structured}
    return {**base, where[0]: value}


def case_id(case: tuple[Any, ...]) -> str:
    return f"{case[0]}-{case[3]}"


@pytest.mark.parametrize(("what", "where", "value", "field"), CASES, ids=map(case_id, CASES))
def test_the_api_and_the_import_refuse_the_same_over_long_value_naming_its_field(
    client: FlaskClient, what: str, where: tuple[str, ...], value: Any, field: str
) -> None:
    if what == "article":
        article, claim = with_value(ARTICLE, where, value), CLAIM
        response = client.post("/articles", json=article)
        imported_field = f"article.{field}"
    else:
        article, claim = ARTICLE, with_value(CLAIM, where, value)
        article_id = check(client.post("/articles", json=ARTICLE), 201)["id"]
        response = client.post("/claims", json={"article_id": article_id, **claim})
        imported_field = f"claims.0.{field}"

    problem = check(response, 422)
    assert response.mimetype == "application/problem+json"
    assert field in (problem.get("errors") or {}), (
        f"the API should name {field}: {json.dumps(problem)[:500]}"
    )

    reply = client.post(
        "/imports",
        data=json.dumps({"article": article, "claims": [claim]}),
        headers={"Content-Type": "application/json"},
    )
    run = check(reply, 422)
    fields = [error.get("field") for error in run["import_errors"]]
    assert imported_field in fields, f"the import should name {imported_field}: {run}"
    assert check(client.get("/claims"), 200)["items"] == [], "nothing over-long was stored"

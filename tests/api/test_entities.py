"""Entities and claims' links to them: /entities, links that follow edits, the alias-aware
tag filter (claims_api/services/claim_entities.py, services/entities.py)."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.factories import check, client_for, create_article, create_claim, patch_claim
from tests.imports.helpers import border_document, post_import


def _entity(client: FlaskClient, q: str) -> dict[str, Any]:
    found = check(client.get("/entities", query_string={"q": q}), 200)["items"]
    assert len(found) == 1, f"q={q!r} should find one entity, found {found}"
    return found[0]


def _linked(client: FlaskClient, entity_id: int, **query: Any) -> list[int]:
    page = check(client.get(f"/entities/{entity_id}/claims", query_string=query), 200)
    return [claim["id"] for claim in page["items"]]


def _statement(client: FlaskClient, article_id: int, speaker: str, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "text": f"{speaker} called for calm.",
        "kind": "statement",
        "quote": None,
        "quantity": None,
        "statement": {"speaker": speaker},
        "tags": [],
        **fields,
    }
    return create_claim(client, article_id, **values)


def test_a_claim_links_to_the_entities_its_fields_tags_and_text_name(client: FlaskClient) -> None:
    article = create_article(client, body=None)
    claim = create_claim(
        client,
        article["id"],
        kind="membership",
        text="Ukraine is not a member of the alliance, Nato officials said.",
        quote=None,
        quantity=None,
        membership={"member": "Ukraine", "organization": "the alliance", "relation": "not_member"},
        tags=["Kiev"],
    )
    nato, ukraine, kyiv = (
        _entity(client, "NATO"),
        _entity(client, "Ukraine"),
        _entity(client, "Kyiv"),
    )
    assert (nato["key"], nato["wikidata_id"], nato["kind"]) == ("Q7184", "Q7184", "organization")
    assert "North Atlantic Treaty Organization" in nato["aliases"]
    assert _linked(client, nato["id"], role="organization") == [claim["id"]], "the alliance = NATO"
    assert _linked(client, nato["id"], role="mentioned") == [claim["id"]], "Nato in the text"
    assert _linked(client, ukraine["id"], role="member") == [claim["id"]]
    assert _linked(client, kyiv["id"], role="mentioned") == [claim["id"]], "the tag Kiev"
    assert _linked(client, ukraine["id"], role="speaker") == []


def test_links_follow_every_edit_of_the_claim(client: FlaskClient) -> None:
    article = create_article(client, body=None)
    claim = _statement(client, article["id"], "Jane Doe", tags=["Russia"])
    jane, russia = _entity(client, "jane doe"), _entity(client, "Russia")
    assert jane["kind"] == "person" and jane["key"] == "name:jane doe"
    assert _linked(client, jane["id"], role="speaker") == [claim["id"]]
    edited = check(
        patch_claim(client, claim, statement={"speaker": "the Kremlin"}, tags=["Belarus"]), 200
    )
    kremlin, belarus = _entity(client, "Kremlin"), _entity(client, "Belarus")
    assert _linked(client, jane["id"]) == [], "the old speaker is unlinked"
    assert _linked(client, russia["id"]) == [], "the old tag is unlinked"
    assert _linked(client, kremlin["id"], role="speaker") == [edited["id"]]
    assert _linked(client, belarus["id"], role="mentioned") == [edited["id"]]
    deleted = client.delete(
        f"/claims/{claim['id']}", headers={"If-Match": f'"{edited["revision"]}"'}
    )
    assert deleted.status_code == 204, deleted.get_data(as_text=True)
    assert _linked(client, kremlin["id"]) == [], "a deleted claim is not listed"


def test_the_tag_filter_gives_one_answer_for_every_alias(client: FlaskClient) -> None:
    article = create_article(client, body=None)
    tagged = create_claim(client, article["id"], tags=["NATO"])
    named = create_claim(
        client, article["id"], text="Nato has 30 members.", quote=None, tags=["alliance"]
    )
    create_claim(client, article["id"], tags=["Ukraine"])
    expected = sorted([tagged["id"], named["id"]])
    for spelling in ("NATO", "Nato", "nato", "North Atlantic Treaty Organization"):
        for path in ("/claims", f"/articles/{article['id']}/claims", "/review-queue"):
            page = check(client.get(path, query_string={"tag": spelling}), 200)
            assert sorted(item["id"] for item in page["items"]) == expected, (path, spelling)
    plain = check(client.get("/claims", query_string={"tag": "alliance"}), 200)["items"]
    assert [item["id"] for item in plain] == [named["id"]], "a plain tag still matches as written"


def test_entities_are_found_by_the_start_of_any_name(client: FlaskClient) -> None:
    article = create_article(client, body=None)
    create_claim(client, article["id"], tags=["Kiev", "Kyiv", "Kharkov"])
    assert _entity(client, "kie")["name"] == "Kyiv"
    assert _entity(client, "KYIV")["name"] == "Kyiv"
    assert _entity(client, "Kharkiv")["name"] == "Kharkiv"
    everything = check(client.get("/entities", query_string={"limit": 1}), 200)
    assert len(everything["items"]) == 1 and everything["next_cursor"]
    second = check(
        client.get("/entities", query_string={"limit": 1, "cursor": everything["next_cursor"]}),
        200,
    )
    assert second["items"][0]["id"] > everything["items"][0]["id"]


def test_create_alias_and_read_an_entity(client: FlaskClient) -> None:
    created = check(
        client.post(
            "/entities",
            json={"name": "Acme Corp", "kind": "organization", "aliases": ["ACME"]},
        ),
        201,
    )
    assert created["aliases"] == ["ACME"] and created["key"] == "name:acme corp"
    assert check(client.get(f"/entities/{created['id']}"), 200) == created
    updated = check(
        client.post(f"/entities/{created['id']}/aliases", json={"alias": "Acme Inc."}), 201
    )
    assert updated["aliases"] == ["ACME", "Acme Inc."]
    article = create_article(client, body=None)
    claim = _statement(client, article["id"], "acme inc")
    assert _linked(client, created["id"], role="speaker") == [claim["id"]], "found by its alias"


def test_merge_moves_names_and_links(client: FlaskClient) -> None:
    article = create_article(client, body=None)
    first = _statement(client, article["id"], "J. Doe")
    second = _statement(client, article["id"], "Jane Doe")
    source, target = _entity(client, "j doe"), _entity(client, "jane doe")
    merged = check(client.post(f"/entities/{source['id']}/merge", json={"into": target["id"]}), 200)
    assert merged["id"] == target["id"] and "J. Doe" in merged["aliases"]
    assert sorted(_linked(client, target["id"])) == sorted([first["id"], second["id"]])
    assert client.get(f"/entities/{source['id']}").status_code == 404
    third = _statement(client, article["id"], "J. Doe")
    assert third["id"] in _linked(client, target["id"], role="speaker"), "the name now goes there"


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return json.loads(response.get_data(as_text=True))


def test_entity_errors_are_problems(client: FlaskClient) -> None:
    _problem(client.get("/entities/999999"), 404)
    _problem(client.get("/entities/999999/claims"), 404)
    _problem(client.post("/entities/999999/aliases", json={"alias": "x"}), 404)
    known = _problem(client.post("/entities", json={"name": "Nato"}), 409)
    assert known["key"] == "Q7184"
    acme = check(client.post("/entities", json={"name": "Acme"}), 201)
    _problem(client.post("/entities", json={"name": "ACME"}), 409)
    _problem(client.post(f"/entities/{acme['id']}/aliases", json={"alias": "acme"}), 409)
    invalid = _problem(client.post("/entities", json={"kind": "planet"}), 422)
    assert {"name", "kind"} <= set(invalid["errors"])
    _problem(client.post("/entities", json={"name": "..."}), 422)
    _problem(client.post(f"/entities/{acme['id']}/merge", json={"into": acme["id"]}), 422)
    _problem(client.post(f"/entities/{acme['id']}/merge", json={"into": 999999}), 404)
    _problem(client.get("/entities", query_string={"cursor": "nonsense"}), 422)


def test_readers_read_entities_and_contributors_write_them(app: Flask, client: FlaskClient) -> None:
    reader = client_for(app, "a-reader", "reader")
    contributor = client_for(app, "a-contributor", "contributor")
    acme = check(contributor.post("/entities", json={"name": "Acme"}), 201)
    check(reader.get(f"/entities/{acme['id']}"), 200)
    check(reader.get("/entities"), 200)
    _problem(reader.post("/entities", json={"name": "Other"}), 403)
    _problem(reader.post(f"/entities/{acme['id']}/aliases", json={"alias": "A"}), 403)
    other = check(contributor.post("/entities", json={"name": "Acme Ltd"}), 201)
    _problem(reader.post(f"/entities/{acme['id']}/merge", json={"into": other["id"]}), 403)
    check(contributor.post(f"/entities/{acme['id']}/merge", json={"into": other["id"]}), 200)


def test_a_bulk_import_links_its_claims(client: FlaskClient) -> None:
    check(post_import(client, json.dumps(border_document()), "application/json"), 201)
    nato, wang = _entity(client, "NATO"), _entity(client, "Wang Yi")
    ukraine = _entity(client, "Ukraine")
    assert len(_linked(client, nato["id"], role="organization")) == 1
    assert len(_linked(client, wang["id"], role="speaker")) == 1
    assert len(_linked(client, ukraine["id"], role="member")) == 1
    assert len(_linked(client, ukraine["id"], role="mentioned")) == 2, "tag, and the text's name"

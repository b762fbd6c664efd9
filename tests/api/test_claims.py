"""The claims resource: create, read, edit, delete, link sources, list and filter."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.factories import (
    acting_as,
    check,
    create_article,
    create_claim,
    patch_claim,
    review_claim,
    seed_body,
)

TROOPS = "around 130,000 Russian troops now deployed on the Ukrainian border"
NATO = "Ukraine has not joined NATO"
WANG_QUOTE = "Russia’s reasonable security concerns should be taken seriously and resolved"


@pytest.fixture
def article(client: FlaskClient) -> dict[str, Any]:
    return create_article(client)


def statement_claim(client: FlaskClient, article_id: int, **fields: Any) -> dict[str, Any]:
    return create_claim(
        client,
        article_id,
        text="Wang Yi told Blinken that Russia's security concerns should be taken seriously.",
        kind="statement",
        quote={"exact": WANG_QUOTE},
        quantity=None,
        statement={
            "speaker": "Wang Yi",
            "speaker_role": "Chinese foreign minister",
            "audience": "Antony Blinken",
            "attribution": "according to Chinese sources",
            "verbatim": True,
        },
        tags=["China", "Russia"],
        **fields,
    )


def membership_claim(client: FlaskClient, article_id: int, **fields: Any) -> dict[str, Any]:
    return create_claim(
        client,
        article_id,
        text="Ukraine is not a member of NATO.",
        kind="membership",
        quote={"exact": NATO},
        quantity=None,
        membership={"member": "Ukraine", "organization": "NATO", "relation": "not_member"},
        tags=["NATO", "Ukraine"],
        **fields,
    )


def ids(page: dict[str, Any]) -> list[int]:
    return [item["id"] for item in page["items"]]


def test_create_claim_anchors_quote_and_returns_etag(client: FlaskClient, article: dict) -> None:
    response = client.post(
        "/claims",
        json={
            "article_id": article["id"],
            "text": "Around 130,000 Russian troops are on the Ukrainian border.",
            "kind": "quantity",
            "quote": {"exact": TROOPS},
            "quantity": {"value": 130000, "unit": "troops", "approximate": True},
        },
    )
    claim = check(response, 201)
    start = seed_body().index(TROOPS)
    assert claim["quote"] == {
        "exact": TROOPS,
        "start": start,
        "end": start + len(TROOPS),
        "prefix": seed_body()[start - 32 : start],
        "suffix": seed_body()[start + len(TROOPS) : start + len(TROOPS) + 32],
    }
    assert claim["quantity"]["value"] == 130000 and isinstance(claim["quantity"]["value"], int)
    assert claim["status"] == "unverified"
    assert claim["revision"] == 1
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"].endswith(f"/claims/{claim['id']}")


def test_get_claim_returns_what_was_created(client: FlaskClient, article: dict) -> None:
    created = statement_claim(client, article["id"])
    response = client.get(f"/claims/{created['id']}")
    assert check(response, 200) == created
    assert response.headers["ETag"] == '"1"'


def test_create_claim_with_offsets_that_do_not_match_the_body_is_422(
    client: FlaskClient, article: dict
) -> None:
    start = seed_body().index(TROOPS)
    response = client.post(
        "/claims",
        json={
            "article_id": article["id"],
            "text": "Troops.",
            "kind": "event",
            "quote": {"exact": TROOPS, "start": start + 1, "end": start + 1 + len(TROOPS)},
        },
    )
    problem = check(response, 422)
    assert "quote.exact" in problem["errors"]
    assert response.content_type == "application/problem+json"


@pytest.mark.parametrize(
    ("quote", "field"),
    [
        ({"exact": "a sentence the article never says"}, "quote.exact"),
        ({"exact": "Wang"}, "quote.exact"),
        ({"exact": "Ukraine", "start": 0, "end": 10**6}, "quote.end"),
        ({"exact": "Ukraine", "start": 5}, "end"),
        ({"exact": NATO, "prefix": "not what precedes it"}, "quote.prefix"),
    ],
    ids=["absent", "ambiguous", "past-end", "half-offsets", "wrong-prefix"],
)
def test_create_claim_with_bad_quote_is_422(
    client: FlaskClient, article: dict, quote: dict, field: str
) -> None:
    response = client.post(
        "/claims",
        json={"article_id": article["id"], "text": "A claim.", "kind": "other", "quote": quote},
    )
    problem = check(response, 422)
    assert any(name.endswith(field) for name in problem["errors"]), problem


def test_create_claim_without_quote_on_article_with_body_is_422(
    client: FlaskClient, article: dict
) -> None:
    response = client.post(
        "/claims", json={"article_id": article["id"], "text": "A claim.", "kind": "other"}
    )
    assert "quote" in check(response, 422)["errors"]


def test_claim_of_article_without_body_keeps_exact_quote_without_offsets(
    client: FlaskClient,
) -> None:
    article = create_article(client, url="https://example.org/reviewed", body=None)
    claim = create_claim(
        client, article["id"], quote={"exact": "More than 3,000 homicides"}, quantity=None
    )
    assert claim["quote"] == {
        "exact": "More than 3,000 homicides",
        "start": None,
        "end": None,
        "prefix": None,
        "suffix": None,
    }
    response = client.post(
        "/claims",
        json={
            "article_id": article["id"],
            "text": "x",
            "kind": "other",
            "quote": {"exact": "More", "start": 0, "end": 4},
        },
    )
    assert "quote.start" in check(response, 422)["errors"]


def test_create_claim_for_missing_article_is_422(client: FlaskClient) -> None:
    response = client.post("/claims", json={"article_id": 999, "text": "A claim.", "kind": "other"})
    assert "article_id" in check(response, 422)["errors"]


def test_structured_fields_of_another_kind_are_422(client: FlaskClient, article: dict) -> None:
    response = client.post(
        "/claims",
        json={
            "article_id": article["id"],
            "text": "Ukraine is not in NATO.",
            "kind": "membership",
            "quote": {"exact": NATO},
            "quantity": {"value": 1},
        },
    )
    assert "quantity" in check(response, 422)["errors"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"quantity": {"lower_bound": 10, "upper_bound": 5}}, "quantity.upper_bound"),
        ({"quantity": {"value": 1, "lower_bound": 5}}, "quantity.value"),
        ({"quantity": {"value": "many"}}, "quantity.value"),
        ({"quantity": {"as_of": "yesterday"}}, "quantity.as_of"),
        ({"kind": "membership", "membership": {"member": "Ukraine"}}, "membership.organization"),
        (
            {
                "kind": "membership",
                "membership": {"member": "U", "organization": "N", "relation": "x"},
            },
            "membership.relation",
        ),
        ({"kind": "statement", "statement": {"speaker": "  "}}, "statement.speaker"),
        ({"kind": "rumour"}, "kind"),
        ({"status": "probably"}, "status"),
        ({"priority": 0}, "priority"),
        ({"priority": 6}, "priority"),
        ({"text": "   "}, "text"),
        ({"tags": [""]}, "tags.0"),
    ],
)
def test_invalid_claim_fields_are_422_naming_the_field(
    client: FlaskClient, article: dict, fields: dict, field: str
) -> None:
    data = {
        "article_id": article["id"],
        "text": "Around 130,000 troops.",
        "kind": "quantity",
        "quote": {"exact": TROOPS},
        **fields,
    }
    problem = check(client.post("/claims", json=data), 422)
    assert field in problem["errors"], problem


def test_patch_changes_fields_and_writes_one_revision(client: FlaskClient, article: dict) -> None:
    claim = create_claim(client, article["id"])
    response = patch_claim(
        client, claim, actor="ann", text="About 130,000 troops.", tags=["Russia", "Belarus"]
    )
    updated = check(response, 200)
    assert updated["text"] == "About 130,000 troops."
    assert updated["tags"] == ["Belarus", "Russia"]
    assert updated["revision"] == 2
    assert response.headers["ETag"] == '"2"'
    revision = check(client.get(f"/claims/{claim['id']}/revisions/2"), 200)
    assert revision["actor"] == "ann"
    assert set(revision["changes"]) == {"text", "tags"}
    assert revision["changes"]["tags"] == {
        "old": ["Russia", "Ukraine"],
        "new": ["Belarus", "Russia"],
    }


def test_patch_reason_is_recorded_from_field_or_header(client: FlaskClient, article: dict) -> None:
    claim = create_claim(client, article["id"])
    check(patch_claim(client, claim, text="First edit.", reason="typo"), 200)
    response = client.patch(
        f"/claims/{claim['id']}",
        json={"text": "Second edit."},
        headers={"If-Match": '"2"', "X-Reason": "style"},
    )
    check(response, 200)
    history = check(client.get(f"/claims/{claim['id']}/revisions"), 200)["items"]
    assert [(item["number"], item["reason"]) for item in history[:2]] == [(3, "style"), (2, "typo")]


def test_patch_without_if_match_is_428_and_changes_nothing(
    client: FlaskClient, article: dict
) -> None:
    claim = create_claim(client, article["id"])
    problem = check(client.patch(f"/claims/{claim['id']}", json={"text": "x"}), 428)
    assert problem["status"] == 428
    assert check(client.get(f"/claims/{claim['id']}"), 200)["text"] == claim["text"]


def test_patch_with_stale_etag_is_412_and_changes_nothing(
    client: FlaskClient, article: dict
) -> None:
    claim = create_claim(client, article["id"])
    check(patch_claim(client, claim, text="Edited by someone else."), 200)
    problem = check(patch_claim(client, claim, text="My edit."), 412)
    assert problem["current_version"] == 2
    assert check(client.get(f"/claims/{claim['id']}"), 200)["text"] == "Edited by someone else."


def test_patch_with_wildcard_if_match_applies(client: FlaskClient, article: dict) -> None:
    claim = create_claim(client, article["id"])
    response = client.patch(
        f"/claims/{claim['id']}", json={"text": "x y"}, headers={"If-Match": "*"}
    )
    assert check(response, 200)["revision"] == 2


def test_patch_that_changes_nothing_writes_no_revision(client: FlaskClient, article: dict) -> None:
    claim = create_claim(client, article["id"])
    assert check(patch_claim(client, claim, text=claim["text"]), 200)["revision"] == 1
    assert len(check(client.get(f"/claims/{claim['id']}/revisions"), 200)["items"]) == 1


@pytest.mark.parametrize("status", ["in_review", "verified", "unverified"])
def test_patch_status_is_refused_and_points_at_reviews(
    client: FlaskClient, article: dict, status: str
) -> None:
    claim = create_claim(client, article["id"])
    problem = check(patch_claim(client, claim, status=status, text="Changed too."), 422)
    assert any("/reviews" in message for message in problem["errors"]["status"]), problem
    assert check(client.get(f"/claims/{claim['id']}"), 200) == claim


def test_create_with_a_status_is_refused(client: FlaskClient, article: dict) -> None:
    problem = check(
        client.post("/claims", json={"article_id": article["id"], "status": "verified"}), 422
    )
    assert "status" in problem["errors"]


def test_patch_kind_drops_structured_fields_of_the_old_kind(
    client: FlaskClient, article: dict
) -> None:
    claim = create_claim(client, article["id"])
    updated = check(patch_claim(client, claim, kind="event"), 200)
    assert (updated["kind"], updated["quantity"]) == ("event", None)


def test_patch_quote_is_checked_against_the_body(client: FlaskClient, article: dict) -> None:
    claim = create_claim(client, article["id"])
    check(patch_claim(client, claim, quote={"exact": "not in the article at all"}), 422)
    moved = check(patch_claim(client, claim, quote={"exact": NATO}), 200)
    assert seed_body()[moved["quote"]["start"] : moved["quote"]["end"]] == NATO


def test_patch_rejects_article_id_and_unknown_fields(client: FlaskClient, article: dict) -> None:
    claim = create_claim(client, article["id"])
    problem = check(patch_claim(client, claim, article_id=2, colour="red"), 422)
    assert set(problem["errors"]) == {"article_id", "colour"}


def test_claim_keys_are_unique_within_an_article(client: FlaskClient, article: dict) -> None:
    first = create_claim(client, article["id"], key="troops")
    response = client.post(
        "/claims",
        json={
            "article_id": article["id"],
            "key": "troops",
            "text": "Ukraine is not in NATO.",
            "kind": "other",
            "quote": {"exact": NATO},
        },
    )
    assert check(response, 409)["claim_id"] == first["id"]


def test_delete_is_soft_the_claim_is_gone_but_its_history_stays(
    client: FlaskClient, article: dict
) -> None:
    claim = create_claim(client, article["id"])
    assert client.delete(f"/claims/{claim['id']}").status_code == 428
    response = client.delete(
        f"/claims/{claim['id']}", headers={"If-Match": '"1"', **acting_as(client, "ann")}
    )
    assert response.status_code == 204
    assert check(client.get(f"/claims/{claim['id']}"), 410)["status"] == 410
    assert check(client.get("/claims"), 200)["items"] == []
    assert check(client.get(f"/articles/{article['id']}"), 200)["claim_count"] == 0
    history = check(client.get(f"/claims/{claim['id']}/revisions"), 200)["items"]
    assert [(item["number"], item["action"], item["actor"]) for item in history] == [
        (2, "delete", "ann"),
        (1, "create", "tester"),
    ]
    assert history[0]["snapshot"]["deleted_at"] is not None
    check(patch_claim(client, {**claim, "revision": 2}, text="zombie"), 410)


def test_get_missing_claim_is_404(client: FlaskClient) -> None:
    assert check(client.get("/claims/12345"), 404)["status"] == 404


def test_link_source_by_url_creates_the_source_and_a_revision(
    client: FlaskClient, article: dict
) -> None:
    claim = create_claim(client, article["id"])
    response = client.post(
        f"/claims/{claim['id']}/sources",
        json={
            "url": "HTTPS://www.Reuters.com/world/troops/?utm_source=twitter",
            "title": "Russian troops near Ukraine",
            "kind": "news",
            "stance": "supports",
            "excerpt": "some 130,000 troops",
        },
        headers=acting_as(client, "ann"),
    )
    linked = check(response, 201)
    assert response.headers["ETag"] == '"2"'
    assert linked["sources"] == [
        {
            "source_id": linked["sources"][0]["source_id"],
            "url": "https://www.reuters.com/world/troops",
            "title": "Russian troops near Ukraine",
            "publisher": None,
            "kind": "news",
            "stance": "supports",
            "excerpt": "some 130,000 troops",
            "note": None,
        }
    ]
    revision = check(client.get(f"/claims/{claim['id']}/revisions/2"), 200)
    assert (revision["action"], list(revision["changes"])) == ("link", ["sources"])


def test_linking_the_same_source_again_updates_the_stance(
    client: FlaskClient, article: dict
) -> None:
    claim = create_claim(client, article["id"])
    link = {"url": "https://example.org/report", "stance": "supports"}
    first = check(client.post(f"/claims/{claim['id']}/sources", json=link), 201)
    again = client.post(f"/claims/{claim['id']}/sources", json={**link, "stance": "refutes"})
    updated = check(again, 200)
    assert [source["stance"] for source in updated["sources"]] == ["refutes"]
    assert updated["sources"][0]["source_id"] == first["sources"][0]["source_id"]
    assert updated["revision"] == 3


def test_link_with_stale_if_match_is_412(client: FlaskClient, article: dict) -> None:
    claim = create_claim(client, article["id"])
    check(patch_claim(client, claim, text="Edited."), 200)
    response = client.post(
        f"/claims/{claim['id']}/sources",
        json={"url": "https://example.org/a", "stance": "context"},
        headers={"If-Match": '"1"'},
    )
    check(response, 412)


@pytest.mark.parametrize(
    "link",
    [
        {"stance": "supports"},
        {"source_id": 1, "url": "https://example.org", "stance": "supports"},
        {"url": "ftp://example.org/file", "stance": "supports"},
        {"url": "https://example.org", "stance": "agrees"},
        {"source_id": 999, "stance": "supports"},
    ],
    ids=["no-reference", "both-references", "not-http", "bad-stance", "missing-source"],
)
def test_bad_source_link_is_422(client: FlaskClient, article: dict, link: dict) -> None:
    claim = create_claim(client, article["id"])
    check(client.post(f"/claims/{claim['id']}/sources", json=link), 422)


def test_unlink_source_writes_a_revision(client: FlaskClient, article: dict) -> None:
    claim = create_claim(
        client, article["id"], sources=[{"url": "https://example.org/a", "stance": "supports"}]
    )
    source_id = claim["sources"][0]["source_id"]
    response = client.delete(f"/claims/{claim['id']}/sources/{source_id}")
    unlinked = check(response, 200)
    assert (unlinked["sources"], unlinked["revision"]) == ([], 2)
    assert check(client.get(f"/claims/{claim['id']}/revisions/2"), 200)["action"] == "unlink"
    check(client.delete(f"/claims/{claim['id']}/sources/{source_id}"), 404)


def test_create_claim_with_sources_links_them_in_revision_one(
    client: FlaskClient, article: dict
) -> None:
    claim = create_claim(
        client,
        article["id"],
        sources=[
            {"url": "https://example.org/b", "stance": "refutes"},
            {"url": "https://example.org/a", "stance": "supports"},
        ],
    )
    assert [source["url"] for source in claim["sources"]] == [
        "https://example.org/b",
        "https://example.org/a",
    ]
    revision = check(client.get(f"/claims/{claim['id']}/revisions/1"), 200)
    assert revision["snapshot"]["sources"] == claim["sources"]


@pytest.fixture
def three_claims(client: FlaskClient, article: dict) -> list[dict[str, Any]]:
    quantity = create_claim(client, article["id"])
    statement = statement_claim(client, article["id"])
    membership = membership_claim(
        client,
        article["id"],
        sources=[{"url": "https://www.nato.int/members", "stance": "supports"}],
    )
    check(review_claim(client, membership, "in_review"), 201)
    return [quantity, statement, membership]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=statement", [1]),
        ("kind=membership", [2]),
        ("status=in_review", [2]),
        ("status=unverified", [0, 1]),
        ("tag=Russia", [0, 1]),
        ("tag=Russia&tag=China", [1]),
        ("tag=nothing", []),
        ("speaker=Wang Yi", [1]),
        ("q=130,000", [0]),
        ("q=security concerns", [1]),
        ("q=NATO", [2]),
        ("q=nato", [2]),
        ("sort=-created_at", [2, 1, 0]),
        ("sort=-updated_at", [2, 1, 0]),
    ],
)
def test_list_filters(
    client: FlaskClient, three_claims: list[dict], query: str, expected: list[int]
) -> None:
    page = check(client.get(f"/claims?{query}"), 200)
    assert ids(page) == [three_claims[index]["id"] for index in expected]


def test_list_filters_by_source_and_article(
    client: FlaskClient, three_claims: list[dict], article: dict
) -> None:
    source_id = three_claims[2]["sources"][0]["source_id"]
    assert ids(check(client.get(f"/claims?source_id={source_id}"), 200)) == [three_claims[2]["id"]]
    assert len(check(client.get(f"/claims?article_id={article['id']}"), 200)["items"]) == 3
    assert len(check(client.get(f"/articles/{article['id']}/claims"), 200)["items"]) == 3
    assert check(client.get("/claims?article_id=999"), 200)["items"] == []


def test_list_filters_by_updated_since(client: FlaskClient, three_claims: list[dict]) -> None:
    latest = check(client.get(f"/claims/{three_claims[2]['id']}"), 200)["updated_at"]
    page = check(client.get("/claims", query_string={"updated_since": latest}), 200)
    assert ids(page) == [three_claims[2]["id"]]


def test_list_with_too_short_search_is_422(client: FlaskClient) -> None:
    assert "q" in check(client.get("/claims?q=ab"), 422)["errors"]


def test_pagination_walks_every_claim_once_even_while_claims_are_added(
    client: FlaskClient, article: dict
) -> None:
    body = seed_body()
    words = ["Ukraine", "NATO", "Russia", "China", "Belarus", "Poland", "Kremlin"]
    created = []
    for word in words:
        start = body.index(word)
        created.append(
            create_claim(
                client,
                article["id"],
                kind="other",
                quantity=None,
                quote={"exact": word, "start": start, "end": start + len(word)},
            )["id"]
        )
    seen: list[int] = []
    url = "/claims?limit=3"
    while url:
        response = client.get(url)
        page = check(response, 200)
        seen.extend(ids(page))
        if len(seen) == 3:
            create_claim(client, article["id"])  # arrives after the first page was read
        if page["next_cursor"] is None:
            assert "Link" not in response.headers
            break
        link = response.headers["Link"]
        assert link.endswith('>; rel="next"') and f"cursor={page['next_cursor']}" in link
        url = f"/claims?limit=3&cursor={page['next_cursor']}"
    assert seen[: len(created)] == created
    assert len(seen) == len(set(seen)) == len(created) + 1


def test_cursor_keeps_the_filters_in_the_link_header(
    client: FlaskClient, three_claims: list[dict]
) -> None:
    response = client.get("/claims?tag=Russia&limit=1")
    assert "tag=Russia" in response.headers["Link"]
    second = check(client.get(response.headers["Link"].split(">")[0][1:]), 200)
    assert ids(second) == [three_claims[1]["id"]]


def test_cursor_from_another_sort_order_is_422(client: FlaskClient, three_claims: list) -> None:
    cursor = check(client.get("/claims?limit=1"), 200)["next_cursor"]
    assert "cursor" in check(client.get(f"/claims?sort=-updated_at&cursor={cursor}"), 422)["errors"]


def test_sqlite_reads_go_on_while_a_writer_holds_the_lock(tmp_path) -> None:
    """SQLite's database-wide write lock only: an app of its own, whatever the run's database."""
    from claims_api.extensions import db
    from tests.conftest import make_app
    from tests.factories import client_for

    app = make_app(f"sqlite:///{tmp_path / 'lock.sqlite3'}")
    client = client_for(app)
    create_claim(client, create_article(client)["id"])
    with app.app_context():
        with db.engine.connect() as writer:
            writer.exec_driver_sql("UPDATE claims SET text = 'held' WHERE id = 1")
            page = check(client.get("/claims"), 200)
            assert [item["text"] for item in page["items"]] != ["held"]
            writer.rollback()
        db.engine.dispose()

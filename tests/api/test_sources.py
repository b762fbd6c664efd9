"""The sources resource: create, read with citations, list and filter, edit, and their errors."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

from tests.factories import check, create_article, create_claim

PROBLEM = "application/problem+json"
KINDS = ["news", "official_statement", "government_record", "dataset", "social_post", "other"]
SOURCE = object()  # stands for the id of the source a test creates
MFA_URL = "https://www.fmprc.gov.cn/mfa_eng/wjbxw/202201/t20220127_10635000.html"


def if_match(version: int | str) -> dict[str, str]:
    return {"If-Match": f'"{version}"'}


def new_source(client: FlaskClient, n: int, **fields: Any) -> dict[str, Any]:
    data = {"url": f"https://sources.example.org/doc/{n}", "title": f"Document {n}", **fields}
    return check(client.post("/sources", json=data), 201)


def instant(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


def ids(page: dict[str, Any]) -> list[int]:
    return [item["id"] for item in page["items"]]


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == PROBLEM, f"error {status} is not problem+json"
    problem = response.get_json()
    assert problem["status"] == status
    return problem


def link(client: FlaskClient, claim_id: int, status: int = 201, **fields: Any) -> dict[str, Any]:
    """POST /claims/{id}/sources and return the claim it answers with."""
    return check(client.post(f"/claims/{claim_id}/sources", json=fields), status)


def source_of(client: FlaskClient, source_id: int) -> dict[str, Any]:
    return check(client.get(f"/sources/{source_id}"), 200)


@pytest.fixture
def article(client: FlaskClient) -> dict[str, Any]:
    return create_article(client)


@pytest.fixture
def claim(client: FlaskClient, article: dict[str, Any]) -> dict[str, Any]:
    return create_claim(client, article["id"])


# --- create -------------------------------------------------------------------------------


def test_create_source_returns_201_with_location_etag_and_every_field(
    client: FlaskClient,
) -> None:
    response = client.post(
        "/sources",
        json={
            "url": MFA_URL,
            "title": "Wang Yi Speaks with US Secretary of State Antony Blinken",
            "publisher": "Ministry of Foreign Affairs of the PRC",
            "kind": "official_statement",
            "archived_url": "https://web.archive.org/web/2022/" + MFA_URL,
            "accessed_at": "2022-01-28T09:30:00+08:00",
        },
    )
    source = check(response, 201)
    assert response.headers["Location"].endswith(f"/sources/{source['id']}")
    assert response.headers["ETag"] == '"1"'
    assert source["version"] == 1
    assert source["url"] == MFA_URL
    assert source["title"] == "Wang Yi Speaks with US Secretary of State Antony Blinken"
    assert source["publisher"] == "Ministry of Foreign Affairs of the PRC"
    assert source["kind"] == "official_statement"
    assert source["archived_url"] == "https://web.archive.org/web/2022/" + MFA_URL
    assert instant(source["accessed_at"]) == instant("2022-01-28T01:30:00Z")
    assert source["citations"] == []
    assert source["citation_count"] == 0
    assert source_of(client, source["id"])["accessed_at"] == "2022-01-28T01:30:00+00:00", (
        "timestamps are read in UTC"
    )


def test_source_writes_answer_timestamps_in_utc_as_reads_do(client: FlaskClient) -> None:
    created = check(
        client.post(
            "/sources",
            json={"url": "https://example.org/x", "accessed_at": "2022-01-28T09:30:00+08:00"},
        ),
        201,
    )
    patched = check(
        client.patch(
            f"/sources/{created['id']}",
            json={"accessed_at": "2022-01-29T09:30:00+08:00"},
            headers=if_match(1),
        ),
        200,
    )
    assert (created["accessed_at"], patched["accessed_at"]) == (
        "2022-01-28T01:30:00+00:00",
        "2022-01-29T01:30:00+00:00",
    ), "POST and PATCH /sources should answer accessed_at in UTC, as GET /sources/{id} does"


def test_create_source_with_only_url_has_kind_other(client: FlaskClient) -> None:
    source = check(client.post("/sources", json={"url": "https://example.org/x"}), 201)
    assert source["kind"] == "other"
    assert source["title"] is None
    assert source["publisher"] is None
    assert source["archived_url"] is None
    assert source["accessed_at"] is None


@pytest.mark.parametrize("kind", KINDS)
def test_create_source_accepts_every_kind(client: FlaskClient, kind: str) -> None:
    source = check(
        client.post("/sources", json={"url": "https://example.org/x", "kind": kind}), 201
    )
    assert source["kind"] == kind


def test_accessed_at_without_offset_is_taken_as_utc(client: FlaskClient) -> None:
    source = new_source(client, 1, accessed_at="2022-01-28T09:30:00")
    assert source["accessed_at"] == "2022-01-28T09:30:00+00:00"


def test_create_source_normalises_url_and_archived_url(client: FlaskClient) -> None:
    source = check(
        client.post(
            "/sources",
            json={
                "url": "HTTPS://Example.ORG:443/report/?utm_source=x&b=2&a=1#part",
                "archived_url": "HTTP://Web.Archive.org:80/web/1/report/#top",
            },
        ),
        201,
    )
    assert source["url"] == "https://example.org/report?a=1&b=2"
    assert source["archived_url"] == "http://web.archive.org/web/1/report"


@pytest.mark.parametrize(
    "duplicate",
    [
        MFA_URL,
        MFA_URL.replace("https://www.fmprc.gov.cn", "HTTPS://WWW.FMPRC.GOV.CN:443"),
        MFA_URL + "#para-3",
        MFA_URL + "?utm_source=twitter",
        MFA_URL + "?fbclid=abc&gclid=def",
    ],
)
def test_create_source_with_equivalent_url_is_409_naming_the_existing_source(
    client: FlaskClient, duplicate: str
) -> None:
    existing = check(client.post("/sources", json={"url": MFA_URL}), 201)
    problem = assert_problem(client.post("/sources", json={"url": duplicate}), 409)
    assert problem["source_id"] == existing["id"]
    assert ids(check(client.get("/sources"), 200)) == [existing["id"]]


def test_create_source_without_url_is_422(client: FlaskClient) -> None:
    problem = assert_problem(client.post("/sources", json={"title": "No address"}), 422)
    assert set(problem["errors"]) == {"url"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("url", "ftp://example.org/file"),
        ("url", "example.org/page"),
        ("url", ""),
        ("url", None),
        ("kind", "blog"),
        ("kind", "News"),
        ("kind", None),
        ("archived_url", "not a url"),
        ("accessed_at", "last tuesday"),
        ("title", 7),
        ("publisher", "p" * 301),
        ("citation_count", 3),
    ],
)
def test_create_source_with_invalid_field_is_422_naming_it(
    client: FlaskClient, field: str, value: Any
) -> None:
    data = {"url": "https://example.org/x", field: value}
    problem = assert_problem(client.post("/sources", json=data), 422)
    assert field in problem["errors"], f"errors should name {field}: {problem['errors']}"
    assert check(client.get("/sources"), 200)["items"] == [], "nothing should be created"


# --- read, list, filter -------------------------------------------------------------------


def test_get_missing_source_is_404(client: FlaskClient) -> None:
    assert "999999" in assert_problem(client.get("/sources/999999"), 404)["detail"]


def test_list_items_are_sources_without_citations(client: FlaskClient, claim: dict) -> None:
    source = new_source(client, 1)
    link(client, claim["id"], source_id=source["id"], stance="supports")
    (item,) = check(client.get("/sources"), 200)["items"]
    assert item["id"] == source["id"]
    assert "citations" not in item


def test_list_sources_pages_through_every_source_once_with_link_headers(
    client: FlaskClient,
) -> None:
    created = [new_source(client, n)["id"] for n in range(5)]
    seen: list[int] = []
    url: str | None = "/sources?limit=2"
    pages = 0
    while url is not None:
        response = client.get(url)
        page = check(response, 200)
        pages += 1
        seen.extend(ids(page))
        link_header = response.headers.get("Link")
        if page["next_cursor"] is None:
            assert link_header is None, f"the last page should have no Link, got {link_header}"
            url = None
        else:
            assert link_header is not None, f"page {pages} has a next_cursor but no Link header"
            target = urlsplit(link_header[1 : link_header.index(">")])
            assert link_header.endswith('>; rel="next"')
            url = f"{target.path}?{target.query}"
        assert pages <= 5, "pagination does not end"
    assert pages == 3
    assert len(seen) == len(set(seen)), f"a source was listed twice: {seen}"
    assert seen == created, "every source, oldest first, exactly once"


def test_list_filters_by_normalised_url(client: FlaskClient) -> None:
    wanted = new_source(client, 1)
    new_source(client, 2)
    variant = "HTTPS://SOURCES.example.org:443/doc/1/?utm_medium=email#top"
    found = check(client.get("/sources", query_string={"url": variant}), 200)
    assert ids(found) == [wanted["id"]], "the url filter should be normalised before matching"
    missing = check(client.get("/sources", query_string={"url": "https://elsewhere.org/"}), 200)
    assert missing["items"] == []


def test_list_filters_by_publisher_and_kind(client: FlaskClient) -> None:
    reuters_news = new_source(client, 1, publisher="Reuters", kind="news")
    new_source(client, 2, publisher="Reuters", kind="dataset")
    un_news = new_source(client, 3, publisher="UN", kind="news")
    unknown = new_source(client, 4)
    assert ids(check(client.get("/sources?publisher=Reuters&kind=news"), 200)) == [
        reuters_news["id"]
    ]
    assert ids(check(client.get("/sources?kind=news"), 200)) == [reuters_news["id"], un_news["id"]]
    assert ids(check(client.get("/sources?publisher=UN"), 200)) == [un_news["id"]]
    assert ids(check(client.get("/sources?kind=other"), 200)) == [unknown["id"]]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("kind=blog", "kind"),
        ("url=not-a-url", "url"),
        ("url=ftp://example.org/x", "url"),
        ("publisher=", "publisher"),
        ("title=x", "title"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("cursor=nonsense", "cursor"),
    ],
)
def test_list_sources_with_invalid_query_is_422_naming_the_parameter(
    client: FlaskClient, query: str, field: str
) -> None:
    new_source(client, 1)
    problem = assert_problem(client.get(f"/sources?{query}"), 422)
    assert field in problem["errors"], problem


# --- edit ---------------------------------------------------------------------------------


def test_patch_source_without_if_match_is_428(client: FlaskClient) -> None:
    source = new_source(client, 1)
    assert_problem(client.patch(f"/sources/{source['id']}", json={"title": "New"}), 428)
    assert source_of(client, source["id"])["title"] == "Document 1"


@pytest.mark.parametrize("stale", ['"2"', 'W/"1"', "1", "nonsense"])
def test_patch_source_with_stale_if_match_is_412(client: FlaskClient, stale: str) -> None:
    source = new_source(client, 1)
    response = client.patch(
        f"/sources/{source['id']}", json={"title": "New"}, headers={"If-Match": stale}
    )
    assert_problem(response, 412)
    assert source_of(client, source["id"])["version"] == 1


def test_patch_source_after_another_change_with_old_etag_is_412(client: FlaskClient) -> None:
    source = new_source(client, 1)
    path = f"/sources/{source['id']}"
    check(client.patch(path, json={"title": "First"}, headers=if_match(1)), 200)
    assert_problem(client.patch(path, json={"title": "Second"}, headers=if_match(1)), 412)
    assert source_of(client, source["id"])["title"] == "First"


def test_patch_source_with_wildcard_if_match_applies(client: FlaskClient) -> None:
    source = new_source(client, 1)
    response = client.patch(
        f"/sources/{source['id']}", json={"title": "New"}, headers={"If-Match": "*"}
    )
    assert check(response, 200)["title"] == "New"


def test_patch_source_changes_fields_and_bumps_version(client: FlaskClient) -> None:
    source = new_source(client, 1)
    response = client.patch(
        f"/sources/{source['id']}",
        json={
            "url": "https://Moved.example.org/doc/1/?utm_source=x",
            "title": None,
            "publisher": "UN",
            "kind": "dataset",
            "archived_url": "https://web.archive.org/web/1/x",
            "accessed_at": "2023-05-05T05:05:05Z",
        },
        headers=if_match(1),
    )
    patched = check(response, 200)
    assert response.headers["ETag"] == '"2"'
    assert patched["version"] == 2
    assert patched["url"] == "https://moved.example.org/doc/1"
    assert patched["title"] is None
    assert patched["publisher"] == "UN"
    assert patched["kind"] == "dataset"
    assert patched["archived_url"] == "https://web.archive.org/web/1/x"
    assert patched["accessed_at"] == "2023-05-05T05:05:05+00:00"
    assert patched["updated_at"] > source["updated_at"]
    assert source_of(client, source["id"]) == patched


@pytest.mark.parametrize(
    "unchanged",
    [
        {},
        {"title": "Document 1"},
        {"kind": "other"},
        {"url": "HTTPS://SOURCES.EXAMPLE.ORG/doc/1/#x"},
        {"publisher": None, "archived_url": None},
    ],
)
def test_patch_source_that_changes_nothing_keeps_the_version(
    client: FlaskClient, unchanged: dict[str, Any]
) -> None:
    source = new_source(client, 1)
    response = client.patch(f"/sources/{source['id']}", json=unchanged, headers=if_match(1))
    patched = check(response, 200)
    assert patched["version"] == 1, f"{unchanged} changed nothing but bumped the version"
    assert response.headers["ETag"] == '"1"'
    assert patched["updated_at"] == source["updated_at"]


def test_patch_source_url_to_another_sources_url_is_409(client: FlaskClient) -> None:
    first = new_source(client, 1)
    second = new_source(client, 2)
    response = client.patch(
        f"/sources/{second['id']}",
        json={"url": "https://sources.example.org/doc/1?utm_source=x"},
        headers=if_match(1),
    )
    assert assert_problem(response, 409)["source_id"] == first["id"]
    assert source_of(client, second["id"])["url"] == second["url"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("url", "mailto:someone@example.org"),
        ("url", None),
        ("archived_url", "nope"),
        ("kind", "rumour"),
        ("accessed_at", "soon"),
        ("version", 9),
        ("id", 5),
    ],
)
def test_patch_source_with_invalid_field_is_422_naming_it(
    client: FlaskClient, field: str, value: Any
) -> None:
    source = new_source(client, 1)
    response = client.patch(f"/sources/{source['id']}", json={field: value}, headers=if_match(1))
    assert field in assert_problem(response, 422)["errors"]
    assert source_of(client, source["id"])["version"] == 1


def test_patch_missing_source_is_404(client: FlaskClient) -> None:
    response = client.patch("/sources/999999", json={"title": "x"}, headers={"If-Match": "*"})
    assert_problem(response, 404)


def test_sources_cannot_be_deleted(client: FlaskClient) -> None:
    source = new_source(client, 1)
    response = client.delete(f"/sources/{source['id']}", headers={"If-Match": "*"})
    assert_problem(response, 405)
    assert "DELETE" not in response.headers["Allow"]
    source_of(client, source["id"])


# --- citations ----------------------------------------------------------------------------


def test_linked_claim_is_shown_as_a_citation_of_the_source(
    client: FlaskClient, claim: dict
) -> None:
    source = new_source(client, 1)
    link(
        client,
        claim["id"],
        source_id=source["id"],
        stance="supports",
        excerpt="some 130,000 troops",
        note="Satellite imagery count.",
    )
    shown = source_of(client, source["id"])
    assert shown["citations"] == [
        {
            "claim_id": claim["id"],
            "text": claim["text"],
            "stance": "supports",
            "excerpt": "some 130,000 troops",
            "note": "Satellite imagery count.",
        }
    ]
    assert shown["citation_count"] == 1
    assert shown["version"] == 1, "being cited does not change the source itself"


def test_linking_does_not_change_the_sources_etag(client: FlaskClient, claim: dict) -> None:
    source = new_source(client, 1)
    link(client, claim["id"], source_id=source["id"], stance="context")
    response = client.patch(
        f"/sources/{source['id']}", json={"title": "Renamed"}, headers=if_match(1)
    )
    assert check(response, 200)["citations"][0]["stance"] == "context"


def test_citations_list_every_citing_claim_by_claim_id(client: FlaskClient, article: dict) -> None:
    source = new_source(client, 1)
    claims = [create_claim(client, article["id"], key=f"k{n}") for n in range(3)]
    for claim, stance in zip(reversed(claims), ["refutes", "context", "supports"], strict=True):
        link(client, claim["id"], source_id=source["id"], stance=stance)
    shown = source_of(client, source["id"])
    assert [c["claim_id"] for c in shown["citations"]] == [c["id"] for c in claims]
    assert [c["stance"] for c in shown["citations"]] == ["supports", "context", "refutes"]
    assert [c["excerpt"] for c in shown["citations"]] == [None, None, None]
    assert shown["citation_count"] == 3


def test_citations_show_the_stance_after_relinking(client: FlaskClient, claim: dict) -> None:
    source = new_source(client, 1)
    link(client, claim["id"], source_id=source["id"], stance="supports", note="first")
    link(client, claim["id"], 200, source_id=source["id"], stance="refutes")
    shown = source_of(client, source["id"])
    assert [(c["stance"], c["note"]) for c in shown["citations"]] == [("refutes", "first")]
    assert shown["citation_count"] == 1


def test_citation_is_gone_after_unlinking(client: FlaskClient, claim: dict) -> None:
    kept = new_source(client, 1)
    dropped = new_source(client, 2)
    link(client, claim["id"], source_id=kept["id"], stance="supports")
    link(client, claim["id"], source_id=dropped["id"], stance="refutes")
    response = client.delete(f"/claims/{claim['id']}/sources/{dropped['id']}")
    assert [s["source_id"] for s in check(response, 200)["sources"]] == [kept["id"]]
    assert source_of(client, dropped["id"])["citations"] == []
    assert source_of(client, dropped["id"])["citation_count"] == 0
    assert source_of(client, kept["id"])["citation_count"] == 1


def test_citation_is_gone_after_the_claim_is_deleted(client: FlaskClient, claim: dict) -> None:
    source = new_source(client, 1)
    linked = link(client, claim["id"], source_id=source["id"], stance="supports")
    response = client.delete(f"/claims/{claim['id']}", headers=if_match(linked["revision"]))
    assert response.status_code == 204
    shown = source_of(client, source["id"])
    assert shown["citations"] == [], "a deleted claim should not be shown as citing the source"
    assert shown["citation_count"] == 0


def test_linking_by_url_creates_a_source_findable_by_url(client: FlaskClient, claim: dict) -> None:
    linked = link(
        client,
        claim["id"],
        url="https://Reports.example.org/troops/?utm_source=x",
        title="Troop report",
        publisher="Example Institute",
        kind="dataset",
        stance="supports",
    )
    (entry,) = linked["sources"]
    found = check(client.get("/sources?url=https://reports.example.org/troops"), 200)
    (source,) = found["items"]
    assert source["id"] == entry["source_id"]
    assert source["url"] == "https://reports.example.org/troops"
    assert (source["title"], source["publisher"], source["kind"]) == (
        "Troop report",
        "Example Institute",
        "dataset",
    )
    assert source_of(client, source["id"])["citations"][0]["claim_id"] == claim["id"]


def test_linking_by_equivalent_url_reuses_the_existing_source(
    client: FlaskClient, claim: dict
) -> None:
    source = new_source(client, 1)
    linked = link(client, claim["id"], url="HTTPS://sources.example.org/doc/1#x", stance="context")
    assert [s["source_id"] for s in linked["sources"]] == [source["id"]]
    assert len(check(client.get("/sources"), 200)["items"]) == 1
    assert source_of(client, source["id"])["citation_count"] == 1


def test_linking_an_unknown_source_id_is_422(client: FlaskClient, claim: dict) -> None:
    response = client.post(
        f"/claims/{claim['id']}/sources", json={"source_id": 999999, "stance": "supports"}
    )
    assert "source_id" in assert_problem(response, 422)["errors"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"stance": "supports"}, "source_id"),
        ({"source_id": SOURCE, "url": "https://example.org/x", "stance": "supports"}, "source_id"),
        ({"source_id": SOURCE}, "stance"),
        ({"source_id": SOURCE, "stance": "agrees"}, "stance"),
        ({"source_id": SOURCE, "stance": "supports", "title": "x"}, "title"),
        ({"source_id": 0, "stance": "supports"}, "source_id"),
        ({"source_id": "one", "stance": "supports"}, "source_id"),
        ({"url": "gopher://example.org/x", "stance": "supports"}, "url"),
    ],
)
def test_bad_source_link_is_422_naming_the_field(
    client: FlaskClient, claim: dict, body: dict, field: str
) -> None:
    source = new_source(client, 1)
    body = {name: source["id"] if value is SOURCE else value for name, value in body.items()}
    response = client.post(f"/claims/{claim['id']}/sources", json=body)
    assert field in assert_problem(response, 422)["errors"]
    assert source_of(client, source["id"])["citation_count"] == 0


def test_unlinking_a_source_the_claim_does_not_cite_is_404(
    client: FlaskClient, claim: dict
) -> None:
    source = new_source(client, 1)
    assert_problem(client.delete(f"/claims/{claim['id']}/sources/{source['id']}"), 404)


def test_citations_of_a_source_linked_to_several_claims_follow_each_unlink(
    client: FlaskClient, article: dict
) -> None:
    source = new_source(client, 1)
    first = create_claim(client, article["id"], key="first")
    second = create_claim(client, article["id"], key="second")
    link(client, first["id"], source_id=source["id"], stance="supports")
    link(client, second["id"], source_id=source["id"], stance="refutes")
    check(client.delete(f"/claims/{first['id']}/sources/{source['id']}"), 200)
    shown = source_of(client, source["id"])
    assert [(c["claim_id"], c["stance"]) for c in shown["citations"]] == [(second["id"], "refutes")]
    assert shown["citation_count"] == 1

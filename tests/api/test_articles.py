"""The articles resource: create, read, list and filter, edit, delete, and their errors."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

from tests.factories import check, create_article, create_claim, seed_body

PROBLEM = "application/problem+json"
SEED_URL = "https://nationalinterest.org/blog/buzz/china-urges-calm"


def if_match(version: int | str) -> dict[str, str]:
    return {"If-Match": f'"{version}"'}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def new_article(client: FlaskClient, n: int, **fields: Any) -> dict[str, Any]:
    """A small article with its own URL; ``fields`` override the defaults."""
    data = {
        "url": f"https://example.com/news/{n}",
        "title": f"Article number {n}",
        "body": f"Body of article {n}.",
        **fields,
    }
    return check(client.post("/articles", json=data), 201)


def ids(page: dict[str, Any]) -> list[int]:
    return [item["id"] for item in page["items"]]


def delete_claim(client: FlaskClient, claim: dict[str, Any]) -> None:
    response = client.delete(f"/claims/{claim['id']}", headers=if_match(claim["revision"]))
    assert response.status_code == 204, response.get_data(as_text=True)[:500]


def delete_article(client: FlaskClient, article_id: int, version: int = 1) -> None:
    response = client.delete(f"/articles/{article_id}", headers=if_match(version))
    assert response.status_code == 204, response.get_data(as_text=True)[:500]


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == PROBLEM, f"error {status} is not problem+json"
    problem = response.get_json()
    assert problem["status"] == status
    return problem


# --- create -------------------------------------------------------------------------------


def test_create_article_returns_201_with_location_etag_and_every_field(
    client: FlaskClient,
) -> None:
    response = client.post(
        "/articles",
        json={
            "url": SEED_URL,
            "title": "  China Urges Calm  ",
            "publisher": "The National Interest",
            "authors": ["Trevor Filseth"],
            "published_at": "2022-01-27T12:00:00+01:00",
            "language": "en",
            "body": seed_body(),
        },
    )
    article = check(response, 201)
    assert response.headers["Location"].endswith(f"/articles/{article['id']}")
    assert response.headers["ETag"] == '"1"'
    assert article["version"] == 1
    assert article["url"] == SEED_URL
    assert article["title"] == "China Urges Calm", "the title should be stripped of white space"
    assert article["publisher"] == "The National Interest"
    assert article["authors"] == ["Trevor Filseth"]
    assert article["published_at"] == "2022-01-27T11:00:00+00:00", "timestamps are read in UTC"
    assert article["language"] == "en"
    assert article["body"] == seed_body()
    assert article["body_sha256"] == sha256(seed_body())
    assert article["claim_count"] == 0


def test_create_article_with_only_url_and_title_has_empty_defaults(client: FlaskClient) -> None:
    article = check(
        client.post("/articles", json={"url": "https://example.com/a", "title": "A"}), 201
    )
    assert article["authors"] == []
    assert article["body"] is None
    assert article["body_sha256"] is None
    assert article["publisher"] is None
    assert article["published_at"] is None


def test_body_sha256_is_the_hash_of_the_utf8_body(client: FlaskClient) -> None:
    body = "Zürich – “quoted” 日本語 🙂"
    article = new_article(client, 1, body=body)
    assert article["body_sha256"] == hashlib.sha256(body.encode("utf-8")).hexdigest()


def test_create_article_without_url_and_title_is_422_naming_both(client: FlaskClient) -> None:
    problem = assert_problem(client.post("/articles", json={"body": "text"}), 422)
    assert set(problem["errors"]) == {"url", "title"}


@pytest.mark.parametrize("title", ["", "   "])
def test_create_article_with_blank_title_is_422(client: FlaskClient, title: str) -> None:
    response = client.post("/articles", json={"url": "https://example.com/a", "title": title})
    assert "title" in assert_problem(response, 422)["errors"]


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/file", "example.com/news", "not a url", "https://", "mailto:a@b.org", ""],
)
def test_create_article_with_non_http_url_is_422(client: FlaskClient, url: str) -> None:
    problem = assert_problem(client.post("/articles", json={"url": url, "title": "T"}), 422)
    assert "url" in problem["errors"], problem


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("language", "not a language"),
        ("published_at", "yesterday"),
        ("authors", "Trevor Filseth"),
        ("authors", [""]),
        ("title", "x" * 1001),
        ("body", 42),
    ],
)
def test_create_article_with_invalid_field_is_422_naming_it(
    client: FlaskClient, field: str, value: Any
) -> None:
    data = {"url": "https://example.com/a", "title": "T", field: value}
    problem = assert_problem(client.post("/articles", json=data), 422)
    assert any(name == field or name.startswith(f"{field}.") for name in problem["errors"]), (
        f"errors should name {field}: {problem['errors']}"
    )
    assert check(client.get("/articles"), 200)["items"] == [], "nothing should be created"


def test_create_article_with_unknown_field_is_422(client: FlaskClient) -> None:
    data = {"url": "https://example.com/a", "title": "T", "summary": "?"}
    assert assert_problem(client.post("/articles", json=data), 422)["errors"] == {
        "summary": ["Unknown field."]
    }


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("HTTPS://Example.COM/News/Story", "https://example.com/News/Story"),
        ("https://example.com:443/story", "https://example.com/story"),
        ("http://example.com:80/story", "http://example.com/story"),
        ("https://example.com:8443/story", "https://example.com:8443/story"),
        ("https://example.com/story/", "https://example.com/story"),
        ("https://example.com/story#comments", "https://example.com/story"),
        ("https://example.com/story?b=2&a=1", "https://example.com/story?a=1&b=2"),
        (
            "https://example.com/story?utm_source=tw&utm_medium=social&id=7&fbclid=abc&gclid=x",
            "https://example.com/story?id=7",
        ),
        ("https://example.com/story?UTM_Campaign=x", "https://example.com/story"),
        ("  https://example.com/story  ", "https://example.com/story"),
    ],
)
def test_create_article_stores_the_normalised_url(
    client: FlaskClient, given: str, stored: str
) -> None:
    article = check(client.post("/articles", json={"url": given, "title": "T"}), 201)
    assert article["url"] == stored
    assert check(client.get(f"/articles/{article['id']}"), 200)["url"] == stored


@pytest.mark.parametrize(
    "duplicate",
    [
        SEED_URL,
        SEED_URL.upper().replace("/BLOG/BUZZ/CHINA-URGES-CALM", "/blog/buzz/china-urges-calm"),
        SEED_URL + "/",
        SEED_URL + "#top",
        SEED_URL + "?utm_source=twitter&utm_campaign=feb",
        SEED_URL + "?fbclid=IwAR0abc",
        SEED_URL + "?gclid=xyz",
        SEED_URL.replace("nationalinterest.org", "nationalinterest.org:443"),
    ],
)
def test_create_article_with_equivalent_url_is_409_naming_the_existing_article(
    client: FlaskClient, duplicate: str
) -> None:
    existing = create_article(client)
    response = client.post("/articles", json={"url": duplicate, "title": "Same story"})
    problem = assert_problem(response, 409)
    assert problem["article_id"] == existing["id"]
    assert len(check(client.get("/articles"), 200)["items"]) == 1


@pytest.mark.parametrize(
    "other",
    [
        SEED_URL.replace("china-urges-calm", "China-Urges-Calm"),
        SEED_URL + "?page=2",
        SEED_URL.replace("https://", "http://"),
        SEED_URL.replace("nationalinterest.org", "nationalinterest.org:8443"),
    ],
)
def test_urls_differing_in_path_case_query_scheme_or_port_are_different_articles(
    client: FlaskClient, other: str
) -> None:
    create_article(client)
    check(client.post("/articles", json={"url": other, "title": "Another"}), 201)


def test_url_of_a_deleted_article_can_be_used_again(client: FlaskClient) -> None:
    article = new_article(client, 1)
    delete_article(client, article["id"])
    again = new_article(client, 1)
    assert again["url"] == article["url"]


# --- read ---------------------------------------------------------------------------------


def test_get_article_returns_it_with_etag(client: FlaskClient) -> None:
    created = create_article(client)
    response = client.get(f"/articles/{created['id']}")
    assert check(response, 200) == created
    assert response.headers["ETag"] == '"1"'


def test_get_missing_article_is_404(client: FlaskClient) -> None:
    problem = assert_problem(client.get("/articles/999999"), 404)
    assert "999999" in problem["detail"]


def test_claim_count_counts_only_live_claims(client: FlaskClient) -> None:
    article = create_article(client)
    first = create_claim(client, article["id"])
    create_claim(client, article["id"], key="second")
    assert check(client.get(f"/articles/{article['id']}"), 200)["claim_count"] == 2
    delete_claim(client, first)
    assert check(client.get(f"/articles/{article['id']}"), 200)["claim_count"] == 1, (
        "a deleted claim should no longer be counted"
    )


def test_list_items_have_claim_count_and_no_body(client: FlaskClient) -> None:
    article = create_article(client)
    create_claim(client, article["id"])
    (item,) = check(client.get("/articles"), 200)["items"]
    assert "body" not in item, "list items must not carry the (long) body"
    assert item["claim_count"] == 1
    assert item["body_sha256"] == sha256(seed_body())


def test_article_claims_lists_only_live_claims_of_that_article(client: FlaskClient) -> None:
    article = create_article(client)
    other = create_article(client, url="https://example.com/copy")
    kept = create_claim(client, article["id"], key="kept")
    deleted = create_claim(client, article["id"], key="deleted")
    create_claim(client, other["id"])
    delete_claim(client, deleted)
    page = check(client.get(f"/articles/{article['id']}/claims"), 200)
    assert ids(page) == [kept["id"]]
    assert page["next_cursor"] is None


def test_article_claims_of_missing_article_is_404(client: FlaskClient) -> None:
    assert_problem(client.get("/articles/999999/claims"), 404)


def test_article_claims_are_paginated(client: FlaskClient) -> None:
    article = create_article(client)
    claims = [create_claim(client, article["id"], key=f"k{n}")["id"] for n in range(3)]
    first = check(client.get(f"/articles/{article['id']}/claims?limit=2"), 200)
    second = check(
        client.get(f"/articles/{article['id']}/claims?limit=2&cursor={first['next_cursor']}"), 200
    )
    assert ids(first) + ids(second) == claims
    assert second["next_cursor"] is None


# --- list, paginate, filter ---------------------------------------------------------------


def test_list_articles_pages_through_every_article_once_with_link_headers(
    client: FlaskClient,
) -> None:
    created = [new_article(client, n)["id"] for n in range(5)]
    seen: list[int] = []
    url: str | None = "/articles?limit=2"
    pages = 0
    while url is not None:
        response = client.get(url)
        page = check(response, 200)
        pages += 1
        assert len(page["items"]) <= 2
        seen.extend(ids(page))
        link = response.headers.get("Link")
        if page["next_cursor"] is None:
            assert link is None, f"the last page should have no Link header, got {link}"
            url = None
        else:
            assert link is not None, f"page {pages} has a next_cursor but no Link header"
            assert link.endswith('>; rel="next"'), link
            target = urlsplit(link[1 : link.index(">")])
            assert target.path == "/articles"
            assert "limit=2" in target.query, "the Link should keep the page size"
            url = f"{target.path}?{target.query}"
        assert pages <= 5, "pagination does not end"
    assert pages == 3
    assert len(seen) == len(set(seen)), f"an article was listed twice: {seen}"
    assert seen == created, "every article, oldest first, exactly once"


def test_next_cursor_gives_the_same_page_as_the_link_header(client: FlaskClient) -> None:
    for n in range(3):
        new_article(client, n)
    first = client.get("/articles?limit=2")
    by_cursor = check(
        client.get(f"/articles?limit=2&cursor={check(first, 200)['next_cursor']}"), 200
    )
    link = first.headers["Link"]
    by_link = check(client.get(link[1 : link.index(">")]), 200)
    assert by_cursor == by_link


def test_link_header_keeps_the_filters(client: FlaskClient) -> None:
    for n in range(3):
        new_article(client, n, publisher="Reuters")
    new_article(client, 9, publisher="AP")
    response = client.get("/articles?limit=2&publisher=Reuters")
    link = response.headers["Link"]
    assert "publisher=Reuters" in link, link
    rest = check(client.get(link[1 : link.index(">")]), 200)
    assert [item["publisher"] for item in rest["items"]] == ["Reuters"]


def test_empty_list_has_no_cursor_and_no_link(client: FlaskClient) -> None:
    response = client.get("/articles")
    assert check(response, 200) == {"items": [], "next_cursor": None}
    assert "Link" not in response.headers


def test_list_default_page_size_is_50(client: FlaskClient) -> None:
    for n in range(51):
        new_article(client, n, body=None)
    page = check(client.get("/articles"), 200)
    assert len(page["items"]) == 50
    assert page["next_cursor"] is not None


@pytest.mark.parametrize("limit", ["1", "200"])
def test_list_accepts_limits_from_1_to_200(client: FlaskClient, limit: str) -> None:
    new_article(client, 1)
    new_article(client, 2)
    page = check(client.get(f"/articles?limit={limit}"), 200)
    assert len(page["items"]) == min(int(limit), 2)


@pytest.mark.parametrize("limit", ["0", "-1", "201", "abc", "1.5", ""])
def test_list_with_limit_out_of_range_is_422(client: FlaskClient, limit: str) -> None:
    problem = assert_problem(client.get(f"/articles?limit={limit}"), 422)
    assert "limit" in problem["errors"]


@pytest.mark.parametrize("parameter", ["publisherr=AP", "page=2", "article_id=1", "body=x"])
def test_list_with_unknown_query_parameter_is_422(client: FlaskClient, parameter: str) -> None:
    problem = assert_problem(client.get(f"/articles?{parameter}"), 422)
    assert parameter.split("=")[0] in problem["errors"]


@pytest.mark.parametrize("cursor", ["garbage", "%%%", "eyJhIjoxfQ", "W10", "x" * 501])
def test_list_with_bad_cursor_is_422(client: FlaskClient, cursor: str) -> None:
    new_article(client, 1)
    problem = assert_problem(client.get(f"/articles?cursor={cursor}"), 422)
    assert "cursor" in problem["errors"]


def test_cursor_of_another_list_is_422(client: FlaskClient) -> None:
    article = create_article(client)
    for n in range(2):
        create_claim(client, article["id"], key=f"k{n}")
    claims = check(client.get("/claims?limit=1&sort=-created_at"), 200)
    assert claims["next_cursor"]
    problem = assert_problem(client.get(f"/articles?cursor={claims['next_cursor']}"), 422)
    assert "cursor" in problem["errors"]


def test_list_filters_by_publisher(client: FlaskClient) -> None:
    reuters = new_article(client, 1, publisher="Reuters")
    new_article(client, 2, publisher="AP")
    new_article(client, 3)
    assert ids(check(client.get("/articles?publisher=Reuters"), 200)) == [reuters["id"]]
    assert ids(check(client.get("/articles?publisher=reuters"), 200)) == [], (
        "publisher is matched exactly"
    )


def test_published_after_is_inclusive_and_published_before_exclusive(
    client: FlaskClient,
) -> None:
    early = new_article(client, 1, published_at="2022-01-01T00:00:00Z")
    exact = new_article(client, 2, published_at="2022-02-01T10:00:00+02:00")  # 08:00 UTC
    late = new_article(client, 3, published_at="2022-03-01T00:00:00Z")
    new_article(client, 4)  # no date: matches no date filter
    boundary = "2022-02-01T08:00:00%2B00:00"
    after = ids(check(client.get(f"/articles?published_after={boundary}"), 200))
    assert after == [exact["id"], late["id"]], "published_after should include the boundary"
    before = ids(check(client.get(f"/articles?published_before={boundary}"), 200))
    assert before == [early["id"]], "published_before should exclude the boundary"
    both = ids(
        check(
            client.get(
                "/articles?published_after=2022-01-15T00:00:00Z"
                "&published_before=2022-02-15T00:00:00Z"
            ),
            200,
        )
    )
    assert both == [exact["id"]]


def test_published_filters_compare_instants_across_time_zones(client: FlaskClient) -> None:
    article = new_article(client, 1, published_at="2022-02-01T08:00:00Z")
    # 09:30+01:30 is 08:00 UTC, the same instant.
    same = "2022-02-01T09:30:00%2B01:30"
    assert ids(check(client.get(f"/articles?published_after={same}"), 200)) == [article["id"]]
    assert ids(check(client.get(f"/articles?published_before={same}"), 200)) == []


@pytest.mark.parametrize("parameter", ["published_after", "published_before"])
def test_invalid_published_filter_is_422(client: FlaskClient, parameter: str) -> None:
    problem = assert_problem(client.get(f"/articles?{parameter}=last-week"), 422)
    assert parameter in problem["errors"]


def test_q_searches_title_and_body_case_insensitively(client: FlaskClient) -> None:
    by_title = new_article(client, 1, title="Zebras escape the zoo", body="Nothing here.")
    by_body = new_article(client, 2, title="Local news", body="Several ZEBRAS were seen.")
    new_article(client, 3, title="Giraffes", body="Tall animals.")
    assert ids(check(client.get("/articles?q=zebra"), 200)) == [by_title["id"], by_body["id"]]
    assert ids(check(client.get("/articles?q=ESCAPE"), 200)) == [by_title["id"]]
    assert ids(check(client.get("/articles?q=RAS%20we"), 200)) == [by_body["id"]], (
        "q is a substring, not a word"
    )


def test_q_ignores_case_of_non_ascii_letters(client: FlaskClient) -> None:
    article = new_article(client, 1, title="Zürich talks", body="Delegates met in Köln.")
    for q in ["ZÜRICH", "zürich", "KÖLN", "köln"]:
        found = ids(check(client.get("/articles", query_string={"q": q}), 200))
        assert found == [article["id"]], f"q={q!r} should find the article"


@pytest.mark.parametrize("q", ["100%", "a_b", '"quoted"', "it's", "AND", "x*y"])
def test_q_matches_special_characters_literally(client: FlaskClient, q: str) -> None:
    match = new_article(client, 1, body=f"Before {q} after.")
    new_article(client, 2, body="100 percent ab quoted its x y")
    found = ids(check(client.get("/articles", query_string={"q": q}), 200))
    assert found == [match["id"]], f"q={q!r} should match only the article containing it"


@pytest.mark.parametrize("q", ["", "ab"])
def test_q_shorter_than_three_characters_is_422(client: FlaskClient, q: str) -> None:
    problem = assert_problem(client.get("/articles", query_string={"q": q}), 422)
    assert "q" in problem["errors"]


def test_search_follows_body_and_title_changes(client: FlaskClient) -> None:
    article = new_article(client, 1, title="Old headline", body="The old body text.")
    check(
        client.patch(
            f"/articles/{article['id']}",
            json={"title": "New headline", "body": "A fresh body text."},
            headers=if_match(1),
        ),
        200,
    )
    assert ids(check(client.get("/articles?q=fresh"), 200)) == [article["id"]]
    assert ids(check(client.get("/articles?q=old"), 200)) == [], "search found the old text"


def test_search_does_not_find_deleted_articles(client: FlaskClient) -> None:
    article = new_article(client, 1, body="Unmistakable words.")
    delete_article(client, article["id"])
    assert ids(check(client.get("/articles?q=unmistakable"), 200)) == []


def test_filters_combine(client: FlaskClient) -> None:
    wanted = new_article(
        client, 1, publisher="AP", body="Storm warning.", published_at="2022-01-02T00:00:00Z"
    )
    new_article(client, 2, publisher="AP", body="Sunny.", published_at="2022-01-02T00:00:00Z")
    new_article(client, 3, publisher="BBC", body="Storm.", published_at="2022-01-02T00:00:00Z")
    new_article(client, 4, publisher="AP", body="Storm.", published_at="2021-01-02T00:00:00Z")
    found = check(
        client.get("/articles?publisher=AP&q=storm&published_after=2022-01-01T00:00:00Z"), 200
    )
    assert ids(found) == [wanted["id"]]


# --- edit ---------------------------------------------------------------------------------


def test_patch_article_without_if_match_is_428_and_changes_nothing(client: FlaskClient) -> None:
    article = new_article(client, 1)
    problem = assert_problem(
        client.patch(f"/articles/{article['id']}", json={"title": "Changed"}), 428
    )
    assert "If-Match" in problem["detail"]
    assert check(client.get(f"/articles/{article['id']}"), 200)["title"] == article["title"]


@pytest.mark.parametrize("stale", ['"2"', '"0"', '"1"x', "1", 'W/"1"', "garbage"])
def test_patch_article_with_stale_or_invalid_if_match_is_412(
    client: FlaskClient, stale: str
) -> None:
    article = new_article(client, 1)
    response = client.patch(
        f"/articles/{article['id']}", json={"title": "Changed"}, headers={"If-Match": stale}
    )
    assert_problem(response, 412)
    assert check(client.get(f"/articles/{article['id']}"), 200)["version"] == 1


def test_patch_with_stale_etag_after_someone_elses_change_is_412(client: FlaskClient) -> None:
    article = new_article(client, 1)
    path = f"/articles/{article['id']}"
    check(client.patch(path, json={"title": "First"}, headers=if_match(1)), 200)
    problem = assert_problem(client.patch(path, json={"title": "Second"}, headers=if_match(1)), 412)
    assert problem.get("current_version") == 2
    assert check(client.get(path), 200)["title"] == "First"


@pytest.mark.parametrize("header", ["*", '"1"', '"7", "1"', ' "1" '])
def test_patch_article_with_matching_if_match_applies(client: FlaskClient, header: str) -> None:
    article = new_article(client, 1)
    response = client.patch(
        f"/articles/{article['id']}", json={"title": "Changed"}, headers={"If-Match": header}
    )
    assert check(response, 200)["title"] == "Changed"


def test_patch_article_bumps_version_and_etag(client: FlaskClient) -> None:
    article = new_article(client, 1)
    response = client.patch(
        f"/articles/{article['id']}",
        json={
            "title": "New title",
            "publisher": "AP",
            "authors": ["A. Writer", "B. Writer"],
            "published_at": "2022-02-02T02:02:02Z",
            "language": "pt-BR",
        },
        headers=if_match(1),
    )
    patched = check(response, 200)
    assert response.headers["ETag"] == '"2"'
    assert patched["version"] == 2
    assert patched["title"] == "New title"
    assert patched["publisher"] == "AP"
    assert patched["authors"] == ["A. Writer", "B. Writer"]
    assert patched["published_at"] == "2022-02-02T02:02:02+00:00"
    assert patched["language"] == "pt-BR"
    assert patched["body"] == article["body"], "fields not sent should stay"
    assert patched["updated_at"] > article["updated_at"]
    assert check(client.get(f"/articles/{article['id']}"), 200) == patched


@pytest.mark.parametrize(
    "unchanged",
    [
        {},
        {"title": "Article number 1"},
        {"title": "  Article number 1 "},
        {"body": "Body of article 1.", "publisher": None},
        {"authors": []},
        {"url": "HTTPS://EXAMPLE.COM/news/1/?utm_source=x"},
    ],
)
def test_patch_article_that_changes_nothing_keeps_the_version(
    client: FlaskClient, unchanged: dict[str, Any]
) -> None:
    article = new_article(client, 1)
    response = client.patch(f"/articles/{article['id']}", json=unchanged, headers=if_match(1))
    patched = check(response, 200)
    assert patched["version"] == 1, f"{unchanged} changed nothing but bumped the version"
    assert response.headers["ETag"] == '"1"'
    assert patched["updated_at"] == article["updated_at"]


def test_patch_article_with_same_instant_in_another_zone_keeps_the_version(
    client: FlaskClient,
) -> None:
    article = new_article(client, 1, published_at="2022-02-01T08:00:00Z")
    response = client.patch(
        f"/articles/{article['id']}",
        json={"published_at": "2022-02-01T10:00:00+02:00"},
        headers=if_match(1),
    )
    assert check(response, 200)["version"] == 1


def test_patch_article_url_is_normalised(client: FlaskClient) -> None:
    article = new_article(client, 1)
    response = client.patch(
        f"/articles/{article['id']}",
        json={"url": "HTTPS://Example.com:443/moved/?utm_source=x#top"},
        headers=if_match(1),
    )
    assert check(response, 200)["url"] == "https://example.com/moved"


def test_patch_article_url_to_another_articles_url_is_409(client: FlaskClient) -> None:
    first = new_article(client, 1)
    second = new_article(client, 2)
    response = client.patch(
        f"/articles/{second['id']}",
        json={"url": "https://EXAMPLE.com/news/1/?fbclid=1"},
        headers=if_match(1),
    )
    assert assert_problem(response, 409)["article_id"] == first["id"]
    assert check(client.get(f"/articles/{second['id']}"), 200)["url"] == second["url"]


def test_patch_article_with_invalid_url_is_422(client: FlaskClient) -> None:
    article = new_article(client, 1)
    response = client.patch(
        f"/articles/{article['id']}", json={"url": "ftp://example.com/x"}, headers=if_match(1)
    )
    assert "url" in assert_problem(response, 422)["errors"]


@pytest.mark.parametrize(
    ("field", "value"), [("title", None), ("title", ""), ("language", "??"), ("version", 5)]
)
def test_patch_article_with_invalid_field_is_422_naming_it(
    client: FlaskClient, field: str, value: Any
) -> None:
    article = new_article(client, 1)
    response = client.patch(f"/articles/{article['id']}", json={field: value}, headers=if_match(1))
    assert field in assert_problem(response, 422)["errors"]


def test_patch_missing_article_is_404(client: FlaskClient) -> None:
    response = client.patch("/articles/999999", json={"title": "x"}, headers={"If-Match": "*"})
    assert_problem(response, 404)


def test_patch_body_without_claims_updates_body_and_sha256(client: FlaskClient) -> None:
    article = new_article(client, 1)
    patched = check(
        client.patch(
            f"/articles/{article['id']}", json={"body": "A new body."}, headers=if_match(1)
        ),
        200,
    )
    assert patched["body"] == "A new body."
    assert patched["body_sha256"] == sha256("A new body.")
    assert patched["version"] == 2


def test_patch_body_to_null_clears_sha256(client: FlaskClient) -> None:
    article = new_article(client, 1)
    patched = check(
        client.patch(f"/articles/{article['id']}", json={"body": None}, headers=if_match(1)), 200
    )
    assert patched["body"] is None
    assert patched["body_sha256"] is None


def test_patch_refused_for_url_conflict_changes_nothing(client: FlaskClient) -> None:
    new_article(client, 1)
    second = new_article(client, 2)
    response = client.patch(
        f"/articles/{second['id']}",
        json={"body": "Rewritten.", "title": "Retitled", "url": "https://example.com/news/1"},
        headers=if_match(1),
    )
    assert_problem(response, 409)
    assert check(client.get(f"/articles/{second['id']}"), 200) == second


def test_patch_body_to_null_while_live_claims_quote_it_is_409(client: FlaskClient) -> None:
    article = create_article(client)
    create_claim(client, article["id"])
    response = client.patch(f"/articles/{article['id']}", json={"body": None}, headers=if_match(1))
    assert_problem(response, 409)


def test_patch_metadata_while_claims_exist_is_allowed(client: FlaskClient) -> None:
    article = create_article(client)
    create_claim(client, article["id"])
    response = client.patch(
        f"/articles/{article['id']}",
        json={"title": "Retitled", "body": seed_body()},
        headers=if_match(1),
    )
    patched = check(response, 200)
    assert patched["title"] == "Retitled"
    assert patched["claim_count"] == 1


def test_patch_body_after_claims_are_deleted_is_allowed(client: FlaskClient) -> None:
    article = create_article(client)
    claim = create_claim(client, article["id"])
    delete_claim(client, claim)
    response = client.patch(
        f"/articles/{article['id']}", json={"body": "Rewritten."}, headers=if_match(1)
    )
    patched = check(response, 200)
    assert patched["body_sha256"] == sha256("Rewritten.")
    assert patched["claim_count"] == 0


# --- delete -------------------------------------------------------------------------------


def test_delete_article_is_204_and_then_404(client: FlaskClient) -> None:
    article = new_article(client, 1)
    response = client.delete(f"/articles/{article['id']}", headers=if_match(1))
    assert response.status_code == 204
    assert response.get_data() == b""
    assert_problem(client.get(f"/articles/{article['id']}"), 404)
    assert check(client.get("/articles"), 200)["items"] == []


def test_delete_article_without_if_match_is_428(client: FlaskClient) -> None:
    article = new_article(client, 1)
    assert_problem(client.delete(f"/articles/{article['id']}"), 428)
    check(client.get(f"/articles/{article['id']}"), 200)


def test_delete_article_with_stale_if_match_is_412(client: FlaskClient) -> None:
    article = new_article(client, 1)
    check(
        client.patch(f"/articles/{article['id']}", json={"title": "v2"}, headers=if_match(1)), 200
    )
    assert_problem(client.delete(f"/articles/{article['id']}", headers=if_match(1)), 412)
    check(client.get(f"/articles/{article['id']}"), 200)


def test_delete_article_with_wildcard_if_match_is_204(client: FlaskClient) -> None:
    article = new_article(client, 1)
    response = client.delete(f"/articles/{article['id']}", headers={"If-Match": "*"})
    assert response.status_code == 204


def test_delete_missing_article_is_404(client: FlaskClient) -> None:
    assert_problem(client.delete("/articles/999999", headers={"If-Match": "*"}), 404)


def test_delete_article_with_live_claims_is_409(client: FlaskClient) -> None:
    article = create_article(client)
    create_claim(client, article["id"])
    problem = assert_problem(client.delete(f"/articles/{article['id']}", headers=if_match(1)), 409)
    assert problem.get("claim_count") == 1
    check(client.get(f"/articles/{article['id']}"), 200)


def test_delete_article_whose_claims_were_all_deleted_is_still_409(client: FlaskClient) -> None:
    article = create_article(client)
    claim = create_claim(client, article["id"])
    delete_claim(client, claim)
    response = client.delete(f"/articles/{article['id']}", headers=if_match(1))
    assert_problem(response, 409)
    assert check(client.get(f"/claims/{claim['id']}/revisions"), 200)["items"], (
        "the deleted claim's history should still be there"
    )

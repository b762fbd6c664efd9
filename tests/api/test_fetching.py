"""Articles fetched from their URL and refreshed, against a loopback server serving
saved real news pages (tests/data/articles, with their licences in its README).

Every fetch failure is a 502 problem saying why; a URL at a private, loopback or
link-local address is refused before anything is sent to it.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from rapidfuzz import fuzz

from claims_api import cli
from tests.factories import check, client_for
from tests.imports.helpers import jsonl, post_import
from tests.page_server import PageServer, article_html, article_text, serving

# Each saved page, with what it says about itself and words of the page around the
# article (navigation, footer, cookie and licence notices, comment forms) that the
# extracted text must not contain.
PAGES: dict[str, dict[str, Any]] = {
    "de.globalvoices.org-nicaragua": {
        "title": "Ein Jahr voller Proteste: Nicaraguaner wollen nicht mehr nur den Rücktritt "
        "Ortegas, sondern einen Neuanfang · Global Voices auf Deutsch",
        "authors": ["Elisa Marvena"],
        "publisher": "Global Voices auf Deutsch",
        "published": "2019-04-30",
        "canonical": "https://de.globalvoices.org/2019/04/30/ein-jahr-voller-proteste-"
        "nicaraguaner-wollen-nicht-mehr-nur-den-rucktritt-ortegas-sondern-einen-neuanfang",
        "chrome": [
            "Was ist Global Voices?",
            "Engagieren Sie sich",
            "Einige Rechte vorbehalten",
            "Abonnieren",
            "Mehr lesen:",
        ],
    },
    "wikimediafoundation.org-turkey": {
        "title": "Access to Wikipedia restored in Turkey after more than two and a half years",
        "authors": ["Wikimedia Foundation"],
        "publisher": "Wikimedia Foundation",
        "published": "2020-01-15",
        "canonical": "https://wikimediafoundation.org/news/2020/01/15/access-to-wikipedia-"
        "restored-in-turkey-after-more-than-two-and-a-half-years",
        "chrome": [
            "Skip to navigation",
            "Donate now",
            "Cookie statement",
            "Privacy policy",
            "Except where otherwise noted",
        ],
    },
    "netzpolitik.org-cider-connection": {
        "title": "Die Cider Connection: Abmahnungen gegen Nutzer von Creative-Commons-Bildern",
        "authors": ["Markus Reuter"],
        "publisher": "netzpolitik.org",
        "published": "2016-06-23",
        "canonical": "https://netzpolitik.org/2016/die-cider-connection-abmahnungen-gegen-"
        "nutzer-von-creative-commons-bildern",
        "chrome": [
            "Suche nach:",
            "Dossiers & Recherchen",
            "Kommentarregeln",
            "Ergänzung abbrechen",
            "Lesen Sie diesen Artikel",
            "Wir sind spendenfinanziert",
            "Die von uns verfassten Inhalte",
        ],
    },
}
PROBLEM_FETCH_FAILED = "urn:claims-api:problem:fetch-failed"
PROBLEM_FETCH_REFUSED = "urn:claims-api:problem:fetch-refused"
SIMPLE_PAGE = """<!DOCTYPE html><html lang="en"><head><title>Harbour report</title>
<meta name="author" content="A. Reporter"><meta property="og:site_name" content="Example Times">
<meta property="article:published_time" content="2024-03-01T09:00:00+00:00">
<link rel="canonical" href="https://news.example.org/harbour-report"></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a></nav><h1>Harbour report</h1><article>
{paragraphs}</article><footer>Copyright Example Times. All rights reserved.</footer></body></html>
"""
PARAGRAPHS = [
    "The harbour authority said on Friday that 1,200 ships called at the port last year, "
    "more than in any year since the new quay opened.",
    "Officials expect the number to grow again this year as two more berths are finished "
    "and the dredging of the channel is completed in the spring.",
    "Dock workers said the extra traffic had brought overtime but also longer shifts, and "
    "their union asked for talks about staffing before the summer season.",
]
QUOTE = "1,200 ships called at the port last year"


def simple_page(paragraphs: list[str] = PARAGRAPHS) -> str:
    return SIMPLE_PAGE.format(paragraphs="".join(f"<p>{text}</p>" for text in paragraphs))


@pytest.fixture
def pages(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[PageServer]:
    monkeypatch.setitem(app.config, "FETCH_ALLOWED_HOSTS", "127.0.0.1")
    with serving() as server:
        yield server


def fetch(client: FlaskClient, url: str, **fields: Any) -> Any:
    return client.post("/articles", json={"url": url, "fetch": True, **fields})


def refresh(client: FlaskClient, article_id: int, **headers: str) -> Any:
    return client.post(f"/articles/{article_id}/refresh", headers=headers)


def problem(response: Any, status: int, type_: str) -> dict[str, Any]:
    body = check(response, status)
    assert response.mimetype == "application/problem+json", response.mimetype
    assert body["type"] == type_, body
    return body


# ------------------------------------------------------------------ fetching


@pytest.mark.parametrize("name", list(PAGES))
def test_a_fetched_page_keeps_its_article_text_as_version_1_with_its_metadata(
    client: FlaskClient, pages: PageServer, name: str
) -> None:
    expected = PAGES[name]
    pages.page(f"/{name}", article_html(name))

    article = check(fetch(client, pages.url(f"/{name}")), 201)

    body, wanted = article["body"], article_text(name)
    similarity = fuzz.ratio(body, wanted) / 100
    assert similarity >= 0.95, f"{name}: text {similarity:.3f} like the article body"
    for words in expected["chrome"]:
        assert words not in body, f"{name}: the page's {words!r} is in the article text"
    assert article["title"] == expected["title"]
    assert article["authors"] == expected["authors"]
    assert article["publisher"] == expected["publisher"]
    assert article["published_at"].startswith(expected["published"]), article["published_at"]
    assert expected["canonical"] in article["aliases"], article["aliases"]
    assert article["fetched_at"] is not None
    versions = check(client.get(f"/articles/{article['id']}/versions"), 200)
    assert [(v["number"], v["origin"]) for v in versions] == [(1, "fetched")]
    assert pages.seen[0].headers["User-Agent"].startswith("claims-api/"), pages.seen[0].headers


def test_fields_the_client_gives_win_over_those_in_the_page(
    client: FlaskClient, pages: PageServer
) -> None:
    pages.page("/harbour", simple_page())
    article = check(
        fetch(client, pages.url("/harbour"), title="Our title", authors=["B. Editor"]), 201
    )
    assert (article["title"], article["authors"]) == ("Our title", ["B. Editor"])
    assert article["publisher"] == "Example Times"
    assert article["published_at"] == "2024-03-01T09:00:00+00:00"
    assert article["body"] == "\n\n".join(PARAGRAPHS), article["body"]


def test_a_body_with_fetch_is_refused_and_a_title_is_needed_only_without_fetch(
    client: FlaskClient, pages: PageServer
) -> None:
    refused = check(fetch(client, pages.url("/harbour"), body="Text."), 422)
    assert "body" in refused["errors"], refused
    missing = check(client.post("/articles", json={"url": pages.url("/harbour")}), 422)
    assert "title" in missing["errors"], missing
    assert pages.seen == [], "nothing is fetched for a refused request"


def test_an_alias_of_an_existing_article_is_a_duplicate_and_imports_find_it(
    client: FlaskClient, pages: PageServer
) -> None:
    pages.page("/harbour", simple_page())
    article = check(fetch(client, pages.url("/harbour")), 201)
    alias = "https://news.example.org/harbour-report"
    assert article["aliases"] == [alias]

    duplicate = check(client.post("/articles", json={"url": alias, "title": "Again"}), 409)
    assert duplicate["article_id"] == article["id"], duplicate
    again = check(fetch(client, alias + "?utm_source=feed"), 409)
    assert again["article_id"] == article["id"], again
    assert pages.paths() == ["/harbour"], "a known URL is not fetched again"

    document = {"article": {"url": alias, "title": "Harbour report"}, "claims": []}
    run = check(post_import(client, jsonl([document]), "application/x-ndjson"), 201)
    assert run["counts"].get("articles_created", 0) == 0, run["counts"]
    listed = check(client.get("/articles"), 200)["items"]
    assert [item["id"] for item in listed] == [article["id"]]


def test_an_article_patched_to_its_alias_keeps_its_url_and_deleting_it_frees_both(
    client: FlaskClient, pages: PageServer
) -> None:
    pages.page("/harbour", simple_page())
    article = check(fetch(client, pages.url("/harbour")), 201)
    alias = article["aliases"][0]
    patched = client.patch(
        f"/articles/{article['id']}", json={"url": alias}, headers={"If-Match": '"1"'}
    )
    assert check(patched, 200)["url"] == pages.url("/harbour")
    current = check(client.get(f"/articles/{article['id']}"), 200)
    deleted = client.delete(
        f"/articles/{article['id']}", headers={"If-Match": f'"{current["version"]}"'}
    )
    assert deleted.status_code == 204, deleted.get_data(as_text=True)
    check(client.post("/articles", json={"url": alias, "title": "Harbour report"}), 201)


def test_the_page_a_redirect_ends_at_is_fetched_and_joins_the_aliases(
    client: FlaskClient, pages: PageServer
) -> None:
    pages.redirect("/short", "/long/harbour")
    pages.page("/long/harbour", simple_page())
    article = check(fetch(client, pages.url("/short")), 201)
    assert article["url"] == pages.url("/short")
    assert pages.url("/long/harbour") in article["aliases"], article["aliases"]
    assert pages.paths() == ["/short", "/long/harbour"]


def test_a_fetched_article_lists_its_aliases_without_extra_statements_per_article(
    client: FlaskClient, pages: PageServer
) -> None:
    pages.page("/harbour", simple_page())
    check(fetch(client, pages.url("/harbour")), 201)
    items = check(client.get("/articles"), 200)["items"]
    assert items[0]["aliases"] == ["https://news.example.org/harbour-report"]


# ------------------------------------------------------------------ failures


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_server_that_never_answers_times_out_as_configured(
    app: Flask, client: FlaskClient, pages: PageServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "FETCH_TIMEOUT_SECONDS", 2)
    pages.hang("/slow")
    body = problem(fetch(client, pages.url("/slow")), 502, PROBLEM_FETCH_FAILED)
    assert body["reason"] == "timeout" and "2 seconds" in body["detail"], body


@pytest.mark.parametrize("streamed", [False, True], ids=["declared", "streamed"])
def test_a_page_larger_than_the_limit_is_refused_while_reading(
    app: Flask,
    client: FlaskClient,
    pages: PageServer,
    monkeypatch: pytest.MonkeyPatch,
    streamed: bool,
) -> None:
    monkeypatch.setitem(app.config, "FETCH_MAX_BYTES", 10_000)
    if streamed:
        pages.stream("/big", 50_000)
    else:
        pages.page("/big", simple_page(PARAGRAPHS * 100))
    body = problem(fetch(client, pages.url("/big")), 502, PROBLEM_FETCH_FAILED)
    assert body["reason"] == "too-large" and "10000 bytes" in body["detail"], body


def redirect_chain(server: PageServer) -> None:
    """/p → /p1 → /p2 → … one hop more than is followed."""
    server.redirect("/p", "/p1")
    for hop in range(1, 7):
        server.redirect(f"/p{hop}", f"/p{hop + 1}")


@pytest.mark.parametrize(
    ("setup", "reason", "words"),
    [
        (lambda server: server.page("/p", "gone", status=404), "upstream-status", "404"),
        (lambda server: server.page("/p", "oops", status=500), "upstream-status", "500"),
        (
            lambda server: server.page("/p", '{"a": 1}', content_type="application/json"),
            "not-html",
            "application/json",
        ),
        (lambda server: server.page("/p", "<html><body></body></html>"), "no-text", "text"),
        (redirect_chain, "too-many-redirects", "5 times"),
    ],
    ids=["404", "500", "not-html", "no-text", "redirect-loop"],
)
def test_every_failed_fetch_is_a_502_problem_saying_why(
    client: FlaskClient, pages: PageServer, setup: Any, reason: str, words: str
) -> None:
    setup(pages)
    body = problem(fetch(client, pages.url("/p")), 502, PROBLEM_FETCH_FAILED)
    assert body["reason"] == reason and words in body["detail"], body
    assert check(client.get("/articles"), 200)["items"] == [], "nothing was stored"


def test_a_refused_connection_and_an_unknown_host_are_502_problems(
    client: FlaskClient, pages: PageServer
) -> None:
    refused = problem(
        fetch(client, f"http://127.0.0.1:{closed_port()}/x"), 502, PROBLEM_FETCH_FAILED
    )
    assert refused["reason"] == "connection-refused", refused
    unknown = problem(fetch(client, "http://no-such-host.invalid/x"), 502, PROBLEM_FETCH_FAILED)
    assert unknown["reason"] == "dns" and "no-such-host.invalid" in unknown["detail"], unknown


def test_a_url_whose_host_is_no_name_is_refused_not_a_server_error(client: FlaskClient) -> None:
    """Found by schemathesis: a host of unpaired surrogates broke the URL parser (500)."""
    body = '{"url": "http://\\udaed\\udfe8o\\u0099\\u00b3", "fetch": true}'
    response = client.post("/articles", data=body, content_type="application/json")
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"


# ------------------------------------------------------------------ SSRF


def test_loopback_is_refused_unless_the_operator_allows_the_host(
    app: Flask, client: FlaskClient, pages: PageServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages.page("/harbour", simple_page())
    monkeypatch.setitem(app.config, "FETCH_ALLOWED_HOSTS", "")
    body = problem(fetch(client, pages.url("/harbour")), 422, PROBLEM_FETCH_REFUSED)
    assert body["reason"] == "loopback-address" and "127.0.0.1" in body["detail"], body
    assert pages.seen == [], "a refused address is never sent a request"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://10.1.2.3/admin", "private-address"),
        ("http://192.168.0.1/", "private-address"),
        ("http://169.254.169.254/latest/meta-data/", "link-local-address"),
        ("http://[::1]:8080/", "loopback-address"),
        ("http://[fe80::1]/", "link-local-address"),
        ("http://224.0.0.1/", "multicast-address"),
        ("http://0.0.0.0:8000/", "unspecified-address"),
        ("http://240.0.0.1/", "reserved-address"),
        ("http://[::ffff:127.0.0.1]/", "loopback-address"),
        ("http://[2002:7f00:1::]/", "loopback-address"),
        ("http://localhost/", "loopback-address"),
    ],
)
def test_private_link_local_and_reserved_addresses_are_refused_without_a_request(
    client: FlaskClient, pages: PageServer, url: str, reason: str
) -> None:
    body = problem(fetch(client, url), 422, PROBLEM_FETCH_REFUSED)
    assert body["reason"] == reason, body
    assert "CLAIMS_FETCH_ALLOWED_HOSTS" in body["detail"], body


def test_a_redirect_to_a_refused_address_is_not_followed(
    client: FlaskClient, pages: PageServer
) -> None:
    # 127.0.0.1 is allowed; "localhost" is not, although it is the same machine.
    pages.redirect("/out", pages.url("/inside", host="localhost"))
    pages.page("/inside", simple_page())
    body = problem(fetch(client, pages.url("/out")), 502, PROBLEM_FETCH_FAILED)
    assert body["reason"] == "redirect-refused" and "loopback" in body["detail"], body
    assert pages.paths() == ["/out"], "the refused target was requested"


def test_only_http_and_https_urls_are_fetched(client: FlaskClient, pages: PageServer) -> None:
    body = check(fetch(client, "ftp://127.0.0.1/file"), 422)
    assert "url" in body["errors"], body


# ------------------------------------------------------------------ refreshing


def fetched(client: FlaskClient, pages: PageServer, **validators: str) -> dict[str, Any]:
    pages.page("/harbour", simple_page(), **validators)
    return check(fetch(client, pages.url("/harbour")), 201)


def test_a_page_answering_304_to_its_validators_is_unchanged(
    client: FlaskClient, pages: PageServer
) -> None:
    article = fetched(client, pages, etag='"v1"', last_modified="Fri, 01 Mar 2024 09:00:00 GMT")
    result = check(refresh(client, article["id"]), 200)
    assert (result["changed"], result["not_modified"]) == (False, True), result
    sent = pages.seen[-1].headers
    assert sent.get("If-None-Match") == '"v1"', sent
    assert sent.get("If-Modified-Since") == "Fri, 01 Mar 2024 09:00:00 GMT", sent
    assert result["article"]["body_version"] == 1
    assert result["article"]["fetched_at"] >= article["fetched_at"]


def test_a_page_served_again_with_the_same_text_is_unchanged(
    client: FlaskClient, pages: PageServer
) -> None:
    article = fetched(client, pages)
    result = check(refresh(client, article["id"]), 200)
    assert (result["changed"], result["not_modified"]) == (False, False), result
    versions = check(client.get(f"/articles/{article['id']}/versions"), 200)
    assert [v["number"] for v in versions] == [1]


def test_a_changed_page_is_the_next_version_and_claims_follow_it(
    client: FlaskClient, pages: PageServer
) -> None:
    article = fetched(client, pages, etag='"v1"')
    claim = check(
        client.post(
            "/claims",
            json={
                "article_id": article["id"],
                "text": "1,200 ships called at the port last year.",
                "kind": "quantity",
                "quote": {"exact": QUOTE},
                "quantity": {"value": 1200, "unit": "ships"},
            },
        ),
        201,
    )
    lead = "The port opened a new ferry terminal this week, the first in a decade."
    pages.page("/harbour", simple_page([lead, *PARAGRAPHS]), etag='"v2"')

    result = check(refresh(client, article["id"]), 200)

    assert (result["changed"], result["not_modified"]) == (True, False), result
    body = result["article"]["body"]
    assert body.startswith(lead) and result["article"]["body_version"] == 2
    versions = check(client.get(f"/articles/{article['id']}/versions"), 200)
    assert [(v["number"], v["origin"]) for v in versions] == [(1, "fetched"), (2, "refreshed")]
    moved = check(client.get(f"/claims/{claim['id']}"), 200)
    quote = moved["quote"]
    assert moved["anchor"]["state"] == "moved" and moved["anchor"]["version"] == 2, moved
    assert body[quote["start"] : quote["end"]] == QUOTE, quote
    assert quote["start"] > claim["quote"]["start"]


def test_a_refresh_that_fails_is_a_502_and_leaves_the_article(
    client: FlaskClient, pages: PageServer
) -> None:
    article = fetched(client, pages)
    pages.page("/harbour", "down", status=503)
    body = problem(refresh(client, article["id"]), 502, PROBLEM_FETCH_FAILED)
    assert body["reason"] == "upstream-status", body
    after = check(client.get(f"/articles/{article['id']}"), 200)
    assert (after["version"], after["fetched_at"]) == (article["version"], article["fetched_at"])


def test_refresh_takes_an_optional_if_match_and_only_fetched_articles(
    client: FlaskClient, pages: PageServer
) -> None:
    article = fetched(client, pages)
    stale = refresh(client, article["id"], **{"If-Match": f'"{article["version"] + 5}"'})
    problem(stale, 412, "urn:claims-api:problem:precondition-failed")
    current = refresh(client, article["id"], **{"If-Match": f'"{article["version"]}"'})
    check(current, 200)
    typed = check(
        client.post("/articles", json={"url": "https://example.org/typed", "title": "T"}), 201
    )
    problem(refresh(client, typed["id"]), 409, "urn:claims-api:problem:conflict")


def test_refresh_needs_a_contributor_key(
    app: Flask, client: FlaskClient, pages: PageServer
) -> None:
    article = fetched(client, pages)
    reader = client_for(app, "reader-1", "reader")
    check(refresh(reader, article["id"]), 403)


# ------------------------------------------------------------------ the commands


def invoke(database_url: str, *args: str) -> Result:
    env = {"DATABASE_URL": database_url, "CLAIMS_FETCH_ALLOWED_HOSTS": "127.0.0.1"}
    return CliRunner().invoke(cli.main, list(args), env=env, catch_exceptions=False)


def test_the_fetch_command_adds_each_url_and_reports_the_failures(
    client: FlaskClient, pages: PageServer, database_url: str
) -> None:
    pages.page("/harbour", simple_page())
    result = invoke(database_url, "fetch", pages.url("/harbour"), pages.url("/missing"))
    assert result.exit_code == 1, result.output
    assert re.search(r"/harbour: article \d+, \d+ characters: Harbour report", result.stderr)
    assert "/missing:" in result.stderr and "404" in result.stderr, result.stderr
    listed = check(client.get("/articles"), 200)["items"]
    assert [item["url"] for item in listed] == [pages.url("/harbour")]


def test_the_refresh_command_refreshes_the_articles_due(
    client: FlaskClient, pages: PageServer, database_url: str
) -> None:
    article = fetched(client, pages)
    assert (
        "0 changed, 0 unchanged, 0 failed"
        in invoke(database_url, "refresh", "--older-than", "1d").stderr
    )
    pages.page("/harbour", simple_page(PARAGRAPHS[::-1]))
    result = invoke(database_url, "refresh")
    assert result.exit_code == 0, result.output
    assert "1 changed, 0 unchanged, 0 failed" in result.stderr, result.stderr
    after = check(client.get(f"/articles/{article['id']}"), 200)
    assert after["body_version"] == 2 and after["body"].startswith(PARAGRAPHS[2])
    bad = invoke(database_url, "refresh", "--older-than", "soon")
    assert bad.exit_code == 2 and "span of time" in bad.output, bad.output

"""Exports: JSON Lines (the import format, one article per line) and a ClaimReview DataFeed.

The round trip (import, export, empty the database, import the export, export again)
must reproduce every article, claim (quote offsets and structured fields included),
source, link, stance and status, and give the same export line for line.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from benchmarks.corpus import write_jsonl
from claims_api.extensions import db
from claims_api.models import Claim
from claims_api.services.claimreview import short_form
from tests.conftest import empty_database
from tests.factories import SEED_FILE, check, client_for, review_claim, seed_document
from tests.imports.canonical import canonical_dump, differences
from tests.imports.helpers import (
    CLAIMREVIEW_EXAMPLES,
    border_document,
    cli_reports,
    embassy_document,
    import_json,
    jsonl,
    post_import,
    row_counts,
    run_cli,
    shared_sample,
    stored_claims,
)

ARTICLES, CLAIMS_PER_ARTICLE = 40, 6


def lines(text: str) -> list[str]:
    return text.splitlines()


def records(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines(text)]


def documents(text: str) -> list[dict[str, Any]]:
    """The article documents of an export, without the records beside them (entities,
    sources, relations)."""
    return [record for record in records(text) if "article" in record]


def cli_export(database_url: str, *options: str) -> str:
    result = run_cli(database_url, "export", *options)
    assert result.exit_code == 0, f"claims-api export failed: {result.output}"
    return result.stdout


def api_export(client: FlaskClient, **query: Any) -> tuple[Any, str]:
    response = client.get("/export", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response, response.get_data(as_text=True)


def load_round_trip_inputs(database_url: str, folder: Path) -> None:
    """The generated corpus, a body-less article with an unquoted claim, the seed file and
    the schema.org ClaimReview examples, each imported with the CLI."""
    corpus = write_jsonl(folder / "corpus.jsonl", ARTICLES, CLAIMS_PER_ARTICLE)
    extra = folder / "extra.jsonl"
    extra.write_text(jsonl([embassy_document(), border_document()]), encoding="utf-8")
    result = import_json(database_url, str(corpus), str(extra), str(SEED_FILE))
    assert result.exit_code == 0, result.output
    examples = str(shared_sample(CLAIMREVIEW_EXAMPLES))
    result = import_json(database_url, "--format", "html", examples)
    assert result.exit_code == 0, result.output


# --- JSON Lines -------------------------------------------------------------------------------


def test_api_export_streams_one_article_document_per_line(client: FlaskClient) -> None:
    body = jsonl([border_document(), embassy_document()])
    check(post_import(client, body, "application/x-ndjson"), 201)

    response = client.get("/export", query_string={"format": "jsonl"})

    assert response.status_code == 200, response.status_code
    assert response.is_streamed and "Content-Length" not in response.headers, (
        "the export should be streamed, not built in memory"
    )
    text = response.get_data(as_text=True)
    assert response.mimetype == "application/x-ndjson", response.mimetype
    exported = documents(text)
    assert [document["article"]["url"] for document in exported] == [
        border_document()["article"]["url"],
        embassy_document()["article"]["url"],
    ], "one line per article, in the order they were stored"
    assert [len(document["claims"]) for document in exported] == [3, 1]
    assert text.endswith("\n") and text.count("\n") == len(records(text)), "one per line"
    assert [next(iter(record)) for record in records(text)][-2:] == ["article", "article"], (
        "entity records first, then the articles"
    )


def test_cli_export_prints_the_same_lines_as_the_api(
    app: Flask, client: FlaskClient, database_url: str, tmp_path: Path
) -> None:
    check(post_import(client, json.dumps(seed_document()), "application/json"), 201)
    check(post_import(client, jsonl([embassy_document()]), "application/x-ndjson"), 201)

    printed = cli_export(database_url)
    output = tmp_path / "out.jsonl"
    cli_export(database_url, "-o", str(output))

    assert lines(printed) == lines(api_export(client)[1]), "CLI and API exports differ"
    assert output.read_text(encoding="utf-8") == printed, "-o FILE should hold the same export"


def test_export_of_an_empty_database_is_empty(app: Flask, client: FlaskClient) -> None:
    assert api_export(client, format="jsonl")[1] == ""


def test_round_trip_through_an_empty_database_reproduces_everything(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    load_round_trip_inputs(database_url, tmp_path)
    before = canonical_dump(app)
    counts = row_counts(app)
    first = cli_export(database_url)
    export_file = tmp_path / "export.jsonl"
    export_file.write_text(first, encoding="utf-8")

    empty_database(app)
    assert row_counts(app)["claims"] == 0
    result = import_json(database_url, str(export_file))
    second = cli_export(database_url)

    assert result.exit_code == 0, result.output
    assert cli_reports(result)[0]["error_count"] == 0, cli_reports(result)[0]["errors"]
    beside = [record for record in records(first) if {"entity", "relation"} & record.keys()]
    assert len(lines(first)) - len(beside) == ARTICLES + 3 + 2, "every article is exported"
    assert lines(second) == lines(first), "the export of the re-import differs from the first"
    after = canonical_dump(app)
    assert after == before, differences(before, after)
    assert {name: row_counts(app)[name] for name in counts if name != "revisions"} == {
        name: counts[name] for name in counts if name != "revisions"
    }


def test_api_round_trip_through_an_empty_database(app: Flask, client: FlaskClient) -> None:
    body = jsonl([border_document(), embassy_document(), seed_document()])
    check(post_import(client, body, "application/x-ndjson"), 201)
    before = canonical_dump(app)
    first = api_export(client)[1]

    empty_database(app)
    client = client_for(app)
    check(post_import(client, first, "application/x-ndjson", name="export.jsonl"), 201)

    assert lines(api_export(client)[1]) == lines(first)
    assert canonical_dump(app) == before, differences(before, canonical_dump(app))


def test_importing_an_export_into_the_same_database_changes_nothing(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    load_round_trip_inputs(database_url, tmp_path)
    counts = row_counts(app)
    export_file = tmp_path / "export.jsonl"
    export_file.write_text(cli_export(database_url), encoding="utf-8")

    (report,) = cli_reports(import_json(database_url, str(export_file)))

    assert report["error_count"] == 0, report["errors"]
    assert report["counts"].get("claims_updated", 0) == 0, report["counts"]
    assert report["counts"].get("claims_created", 0) == 0, report["counts"]
    assert row_counts(app) == counts


def test_export_keeps_an_unquoted_claim_of_a_body_less_article(
    app: Flask, client: FlaskClient
) -> None:
    check(post_import(client, jsonl([embassy_document()]), "application/x-ndjson"), 201)

    (document,) = documents(api_export(client)[1])

    assert document["article"]["body"] is None, document["article"]
    (claim,) = document["claims"]
    assert claim["quote"] is None and claim["status"] == "false", claim
    assert claim["sources"][0]["stance"] == "refutes", claim["sources"]


# --- Filters --------------------------------------------------------------------------------


def import_border_and_embassy(client: FlaskClient) -> None:
    body = jsonl([border_document(), embassy_document()])
    check(post_import(client, body, "application/x-ndjson"), 201)


def test_status_filter_exports_only_claims_with_that_status(
    client: FlaskClient, database_url: str
) -> None:
    import_border_and_embassy(client)

    for exported in (
        api_export(client, status="verified")[1],
        cli_export(database_url, "--status", "verified"),
    ):
        (document,) = documents(exported)
        assert document["article"]["url"] == border_document()["article"]["url"]
        assert [claim["key"] for claim in document["claims"]] == ["calm"], document["claims"]


def test_article_filter_exports_only_that_article(client: FlaskClient, database_url: str) -> None:
    import_border_and_embassy(client)
    embassy = next(
        claim for claim in stored_claims(client) if claim["article_url"].endswith("embassy-notes")
    )
    article_id = str(embassy["article_id"])

    for exported in (
        api_export(client, article_id=article_id)[1],
        cli_export(database_url, "--article-id", article_id),
    ):
        (document,) = documents(exported)
        assert document["article"]["title"] == "Embassy notes", document["article"]


def test_since_filter_exports_only_claims_changed_since(
    app: Flask, client: FlaskClient, database_url: str
) -> None:
    import_border_and_embassy(client)
    with app.app_context():
        db.session.execute(update(Claim).values(updated_at=datetime(2021, 1, 1, tzinfo=UTC)))
        db.session.execute(
            update(Claim)
            .where(Claim.key == "nato")
            .values(updated_at=datetime(2023, 6, 1, tzinfo=UTC))
        )
        db.session.commit()
        db.session.remove()

    for exported in (
        api_export(client, since="2023-01-01T00:00:00Z")[1],
        cli_export(database_url, "--since", "2023-01-01"),
    ):
        (document,) = documents(exported)
        assert [claim["key"] for claim in document["claims"]] == ["nato"], document["claims"]
    assert len(documents(cli_export(database_url, "--since", "2020-12-31"))) == 2


def test_deleted_claims_are_not_exported(client: FlaskClient) -> None:
    import_border_and_embassy(client)
    claim = next(claim for claim in stored_claims(client) if claim["key"] == "troops")
    deleted = client.delete(
        f"/claims/{claim['id']}", headers={"If-Match": f'"{claim["revision"]}"'}
    )
    assert deleted.status_code == 204, deleted.get_data(as_text=True)

    border = documents(api_export(client)[1])[0]

    assert [claim["key"] for claim in border["claims"]] == ["calm", "nato"], border["claims"]


def test_unknown_export_format_is_422(client: FlaskClient) -> None:
    check(client.get("/export", query_string={"format": "csv"}), 422)


# --- ClaimReview ------------------------------------------------------------------------------


def publish_verdict(client: FlaskClient, claim_id: int, status: str = "false") -> dict[str, Any]:
    """Review a claim to ``status`` through the reviews API and publish it."""
    claim = check(client.get(f"/claims/{claim_id}"), 200)
    check(review_claim(client, claim, "in_review"), 201)
    claim = check(client.get(f"/claims/{claim_id}"), 200)
    check(review_claim(client, claim, status), 201)
    claim = check(client.get(f"/claims/{claim_id}"), 200)
    published = client.post(
        f"/claims/{claim_id}/publish", headers={"If-Match": f'"{claim["revision"]}"'}
    )
    return check(published, 200)


def claimreview_world(client: FlaskClient) -> dict[str, Any]:
    """The ClaimReview examples (one rated, one not) and a seed claim with a published verdict."""
    page = shared_sample(CLAIMREVIEW_EXAMPLES).read_bytes()
    check(post_import(client, page, "text/html"), 201)
    check(post_import(client, json.dumps(seed_document()), "application/json"), 201)
    claims = stored_claims(client)
    troops = next(claim for claim in claims if claim["key"] == "troops-on-ukrainian-border")
    published = publish_verdict(client, troops["id"])
    return {"published": published, "claims": claims}


def feed_items(feed: dict[str, Any]) -> list[dict[str, Any]]:
    items = []
    for element in feed["dataFeedElement"]:
        item = element.get("item", element) if element.get("@type") == "DataFeedItem" else element
        items.extend(item if isinstance(item, list) else [item])
    return items


def test_claimreview_export_is_a_datafeed_of_our_published_verdicts(client: FlaskClient) -> None:
    world = claimreview_world(client)

    response, text = api_export(client, format="claimreview")

    assert response.mimetype == "application/ld+json", response.mimetype
    feed = json.loads(text)
    assert feed["@type"] == "DataFeed", feed.get("@type")
    reviewed = [item["claimReviewed"] for item in feed_items(feed)]
    assert reviewed == [short_form(world["published"]["text"])], (
        "the feed holds our published verdict only: not other fact-checkers' reviews, "
        "nothing unreviewed"
    )


def test_cli_claimreview_export_is_the_apis_byte_for_byte(
    client: FlaskClient, database_url: str
) -> None:
    claimreview_world(client)

    from_cli = cli_export(database_url, "--format", "claimreview")
    from_api = api_export(client, format="claimreview")[1]

    assert json.loads(from_cli)["@type"] == "DataFeed"
    assert from_cli == from_api, "CLI and HTTP ClaimReview exports differ"


def test_published_verdict_exports_its_workflow_rating(client: FlaskClient) -> None:
    published = claimreview_world(client)["published"]

    review = check(client.get(f"/claims/{published['id']}/claimreview"), 200)

    assert review["reviewRating"] == {
        "@type": "Rating",
        "alternateName": "False",
        "name": "False",
        "ratingValue": 1,
        "bestRating": 5,
        "worstRating": 1,
    }, review["reviewRating"]
    assert review["claimReviewed"] == short_form(published["text"]), review
    assert review["url"] == f"http://localhost:8000/claims/{published['id']}", review["url"]


def test_another_fact_checkers_review_is_not_republished_as_ours(client: FlaskClient) -> None:
    world = claimreview_world(client)
    politifact = next(c for c in world["claims"] if c["external_reviews"])

    problem = check(client.get(f"/claims/{politifact['id']}/claimreview"), 409)

    assert "no published verdict" in problem["detail"], problem


def test_unpublished_claim_has_no_claimreview(client: FlaskClient) -> None:
    world = claimreview_world(client)
    unrated = next(
        c
        for c in world["claims"]
        if not c["external_reviews"] and c["id"] != world["published"]["id"]
    )

    problem = check(client.get(f"/claims/{unrated['id']}/claimreview"), 409)

    assert "no published verdict" in problem["detail"], problem


def test_verdict_reviewed_but_not_published_has_no_claimreview(client: FlaskClient) -> None:
    check(post_import(client, json.dumps(seed_document()), "application/json"), 201)
    claim = stored_claims(client)[0]
    check(review_claim(client, claim, "in_review"), 201)
    claim = check(client.get(f"/claims/{claim['id']}"), 200)
    check(review_claim(client, claim, "verified"), 201)

    check(client.get(f"/claims/{claim['id']}/claimreview"), 409)


def test_claimreview_feed_imports_into_an_empty_database_as_external_reviews(
    app: Flask, client: FlaskClient
) -> None:
    world = claimreview_world(client)
    feed = api_export(client, format="claimreview")[1]

    empty_database(app)
    client = client_for(app)
    run = check(post_import(client, feed, "application/ld+json", name="feed.jsonld"), 201)

    assert run["error_count"] == 0, run["errors"]
    (claim,) = stored_claims(client)
    assert claim["text"] == short_form(world["published"]["text"]), claim["text"]
    assert (claim["status"], claim["rating"]) == ("unverified", None), (
        "a ClaimReview is a review by someone: importing one sets no verdict of ours"
    )
    (review,) = claim["external_reviews"]
    assert (review["reviewer"], review["rating"]["alternate_name"]) == ("claims-api", "False")


def test_claimreview_reimported_keeps_one_external_review(app: Flask, client: FlaskClient) -> None:
    page = shared_sample(CLAIMREVIEW_EXAMPLES).read_bytes()
    check(post_import(client, page, "text/html"), 201)
    counts = row_counts(app)

    run = check(post_import(client, page, "text/html"), 201)

    assert run["counts"]["claims_unchanged"] == 2, run["counts"]
    assert row_counts(app) == counts
    for claim in stored_claims(client):
        assert len(claim["external_reviews"]) == 1, claim["external_reviews"]


def test_only_a_whole_export_holds_entity_and_relation_records(
    app: Flask, client: FlaskClient
) -> None:
    """Entities and relations belong to a backup; a filtered export is article documents."""
    import_border_and_embassy(client)
    troops, calm = (
        next(claim for claim in stored_claims(client) if claim["key"] == key)
        for key in ("troops", "calm")
    )
    reviewer = client_for(app, "rita", "reviewer")
    body = {"claim_id": calm["id"], "relation": "related"}
    check(reviewer.post(f"/claims/{troops['id']}/relations", json=body), 201)

    kinds = [next(iter(record)) for record in records(api_export(client)[1])]
    filtered = records(api_export(client, article_id=troops["article_id"])[1])

    assert kinds[0] == "entity" and kinds[-1] == "relation", kinds
    assert kinds.count("relation") == 1 and "article" in kinds, kinds
    assert [next(iter(record)) for record in filtered] == ["article"], filtered

"""The schema.org samples in tests/data/schemaorg/: real inputs are inconsistent.

The ClaimReview examples file holds two reviews in <script type="application/ld+json">
blocks: PolitiFact's rates a claim 1 of 6 and names the rating "True" (kept exactly as
given, as PolitiFact's review: it says nothing about our verdict), and the other has
no rating at all. The MediaReview example is not a ClaimReview and must be reported,
not imported.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.factories import check
from tests.imports.helpers import (
    CLAIMREVIEW_EXAMPLES,
    MEDIAREVIEW_EXAMPLES,
    cli_reports,
    import_json,
    post_import,
    row_counts,
    run_cli,
    shared_sample,
    stored_claims,
)

POLITIFACT_URL = (
    "http://www.politifact.com/texas/statements/2014/jul/23/rick-perry/"
    "rick-perry-claim-about-3000-homicides-illegal-immi/"
)
PERRY_CLAIM = (
    'More than 3,000 homicides were committed by "illegal aliens" over the past six years.'
)
OBAMA_CLAIM = (
    "In the middle of the Cold War, the United States played a role in the overthrow "
    "of a democratically-elected Iranian government."
)


def import_examples(database_url: str, *options: str) -> dict[str, Any]:
    path = shared_sample(CLAIMREVIEW_EXAMPLES)
    result = import_json(database_url, "--format", "html", *options, str(path))
    assert result.exit_code == 0, f"the ClaimReview examples did not import: {result.output}"
    (report,) = cli_reports(result)
    return report


def claims_by_text(client: FlaskClient) -> dict[str, dict[str, Any]]:
    return {claim["text"]: claim for claim in stored_claims(client)}


def test_claimreview_examples_import_as_two_claims(
    app: Flask, client: FlaskClient, database_url: str
) -> None:
    report = import_examples(database_url)

    assert report["counts"]["claims_created"] == 2, report
    assert report["error_count"] == 0, report["errors"]
    assert sorted(claims_by_text(client)) == sorted([PERRY_CLAIM, OBAMA_CLAIM])
    assert row_counts(app)["revisions"] == 2, "each imported claim needs its revision 1"


def test_politifact_rating_1_of_6_named_true_is_kept_exactly(
    client: FlaskClient, database_url: str
) -> None:
    import_examples(database_url)

    (review,) = claims_by_text(client)[PERRY_CLAIM]["external_reviews"]
    rating = review["rating"]
    assert (rating["value"], rating["best"], rating["alternate_name"]) == (1, 6, "True"), rating
    assert review["url"] == POLITIFACT_URL, review
    assert (review["reviewer"], review["reviewer_url"]) == (None, "http://www.politifact.com/")
    assert review["published_at"].startswith("2014-07-23"), review


def test_their_rating_is_neither_our_status_nor_our_rating(
    client: FlaskClient, database_url: str
) -> None:
    import_examples(database_url)

    perry = claims_by_text(client)[PERRY_CLAIM]
    assert (perry["status"], perry["rating"]) == ("unverified", None), (
        "PolitiFact's rating became our verdict"
    )


def test_review_without_rating_is_imported_with_a_warning(
    client: FlaskClient, database_url: str
) -> None:
    report = import_examples(database_url)

    claim = claims_by_text(client)[OBAMA_CLAIM]
    (review,) = claim["external_reviews"]
    assert review["rating"] is None, review
    assert claim["status"] == "unverified", claim["status"]
    missing = [w for w in report["warnings"] if "no reviewRating" in w["reason"]]
    assert len(missing) == 1, f"expected a warning for the review without rating: {report}"
    assert missing[0]["location"].startswith("script 2 (line "), missing[0]


def test_claim_author_becomes_the_statements_speaker_and_role(
    client: FlaskClient, database_url: str
) -> None:
    import_examples(database_url)

    claims = claims_by_text(client)
    perry, obama = claims[PERRY_CLAIM], claims[OBAMA_CLAIM]
    assert perry["kind"] == "statement", perry["kind"]
    assert perry["statement"]["speaker"] == "Rich Perry", perry["statement"]
    assert perry["statement"]["speaker_role"] == "Former Governor of Texas", perry["statement"]
    assert obama["statement"]["speaker"] == "Barack Obama", obama["statement"]
    assert obama["article_url"] == "https://www.youtube.com/watch?v=B_889oBKkNU", (
        "a Clip's claim belongs to the video it is part of"
    )


def test_claimreview_examples_import_through_the_api_as_html(
    app: Flask, client: FlaskClient
) -> None:
    page = shared_sample(CLAIMREVIEW_EXAMPLES).read_bytes()

    run = check(post_import(client, page, "text/html", name=CLAIMREVIEW_EXAMPLES), 201)

    assert run["counts"]["claims_created"] == 2, run
    assert run["warning_count"] == 2, "appearance, missing rating"
    assert claims_by_text(client)[PERRY_CLAIM]["external_reviews"][0]["rating"]["best"] == 6


def test_mediareview_is_reported_as_an_error_naming_type(app: Flask, database_url: str) -> None:
    path = shared_sample(MEDIAREVIEW_EXAMPLES)

    result = import_json(database_url, "--format", "html", str(path))

    assert result.exit_code == 1, "a file that failed must exit non-zero"
    (report,) = cli_reports(result)
    (error,) = report["errors"]
    assert error["field"] == "@type", error
    assert "MediaReview" in error["reason"], error
    assert error["location"].startswith("script 1 (line "), error
    assert row_counts(app)["claims"] == 0


def test_partial_import_of_both_samples_fails_only_the_mediareview(
    client: FlaskClient, database_url: str
) -> None:
    claimreviews = shared_sample(CLAIMREVIEW_EXAMPLES)
    mediareview = shared_sample(MEDIAREVIEW_EXAMPLES)

    result = import_json(
        database_url, "--format", "html", "--partial", str(claimreviews), str(mediareview)
    )

    assert result.exit_code == 1, "the MediaReview failed: the exit status must say so"
    reports = {report["file"]: report for report in cli_reports(result)}
    assert reports[str(claimreviews)]["error_count"] == 0, reports[str(claimreviews)]
    assert [error["field"] for error in reports[str(mediareview)]["errors"]] == ["@type"]
    assert len(stored_claims(client)) == 2, "the two ClaimReviews should be imported"


def test_cli_summary_shows_the_warnings(app: Flask, database_url: str) -> None:
    path = shared_sample(CLAIMREVIEW_EXAMPLES)

    result = run_cli(database_url, "import", "--format", "html", str(path))

    assert result.exit_code == 0, result.output
    assert "2 created" in result.stderr, result.stderr
    assert "warning at script 2" in result.stderr, result.stderr
    assert "no reviewRating" in result.stderr, result.stderr

"""A Python client generated from /openapi.json (openapi-python-client) works as written.

The generator must run without a warning, and the client it writes must type what
the service sends: claims with their nested quote, errors as problem details with
their extension members, ClaimReview as JSON-LD.
"""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from flask import Flask

from tests.factories import client_for, issue_token, seed_document

GENERATOR = shutil.which("openapi-python-client", path=str(Path(sys.executable).parent))
# The generator reads bodies of these types as files (bytes it sends as they are).
CONFIG = """\
content_type_overrides:
  application/x-ndjson: application/octet-stream
  application/jsonl: application/octet-stream
  text/html: application/octet-stream
"""


@pytest.fixture
def generated(app: Flask, tmp_path: Path) -> Iterator[ModuleType]:
    """The client package generated from the app's document, importable as ``claims_client``."""
    if GENERATOR is None:
        pytest.skip("openapi-python-client is not installed")
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(app.test_client().get("/openapi.json").get_json()))
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG)
    completed = subprocess.run(
        [
            GENERATOR,
            "generate",
            "--path",
            str(document),
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / "claims_client"),
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    assert "Warning" not in output and "WARNING" not in output, output
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module("claims_client")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name.startswith("claims_client")]:
            del sys.modules[name]


def module(package: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{package.__name__}.{name}")


def test_a_generated_client_drives_the_walkthrough_with_typed_values_and_problems(
    app: Flask, generated: ModuleType
) -> None:
    models = module(generated, "models")
    client = generated.AuthenticatedClient(
        base_url="http://claims.test",
        token=issue_token(app, "alice", "admin"),
        httpx_args={"transport": httpx.WSGITransport(app=app)},
    )
    article_fields = {
        key: value for key, value in seed_document()["article"].items() if value is not None
    }
    create_article = module(generated, "api.articles.create_article")
    article = create_article.sync(client=client, body=models.ArticlePost.from_dict(article_fields))
    assert isinstance(article, models.Article), article
    duplicate = create_article.sync(
        client=client, body=models.ArticlePost.from_dict(article_fields)
    )
    assert isinstance(duplicate, models.Problem), duplicate
    assert duplicate.status == 409
    assert duplicate.type_ == models.ProblemType("urn:claims-api:problem:conflict")
    assert duplicate.article_id == article.id
    assert duplicate.detail

    created = module(generated, "api.claims.create_claim").sync(
        client=client,
        body=models.ClaimCreate.from_dict(
            {
                "article_id": article.id,
                "text": "Ukraine is not a member of NATO.",
                "kind": "membership",
                "quote": {"exact": "Ukraine has not joined NATO"},
                "membership": {
                    "member": "Ukraine",
                    "organization": "NATO",
                    "relation": "not_member",
                },
            }
        ),
    )
    assert isinstance(created, models.Claim), created
    claim = module(generated, "api.claims.get_claim").sync(created.id, client=client)
    assert isinstance(claim, models.Claim)
    assert isinstance(claim.quote, models.Quote)
    assert claim.quote.exact == "Ukraine has not joined NATO"
    assert claim.membership.organization == "NATO"

    invalid = module(generated, "api.claims.update_claim").sync(
        claim.id,
        client=client,
        body=models.ClaimPatch.from_dict({"priority": 9}),
        if_match=f'"{claim.revision}"',
    )
    assert isinstance(invalid, models.Problem), invalid
    assert invalid.status == 422
    assert invalid.type_ == models.ProblemType("urn:claims-api:problem:invalid-input")
    assert "priority" in invalid.errors.additional_properties

    unanchored = module(generated, "api.claims.get_claim_review").sync(claim.id, client=client)
    assert isinstance(unanchored, models.Problem)
    assert unanchored.status == 409


def test_a_generated_client_imports_json_and_json_lines_and_reads_the_report(
    app: Flask, generated: ModuleType
) -> None:
    models = module(generated, "models")
    types = module(generated, "types")
    create_import = module(generated, "api.imports.create_import")
    client = generated.AuthenticatedClient(
        base_url="http://claims.test",
        token=issue_token(app, "alice", "admin"),
        httpx_args={"transport": httpx.WSGITransport(app=app)},
    )
    document = seed_document()
    run = create_import.sync(
        client=client, body=models.ImportDocument.from_dict(document), name="seed.json"
    )
    assert isinstance(run, models.ImportRun), run
    assert run.status == "succeeded" and run.source_name == "seed.json"
    assert run.counts["claims_created"] == len(document["claims"])

    lines = (json.dumps(document) + "\n").encode()
    again = create_import.sync(
        client=client,
        body=types.File(payload=lines, file_name="seed.jsonl"),
        name="seed.jsonl",
    )
    assert isinstance(again, models.ImportRun), again
    assert again.counts["claims_unchanged"] == len(document["claims"])

    broken = create_import.sync(client=client, body=models.ImportDocument.from_dict({}))
    assert isinstance(broken, models.Problem), broken
    assert broken.status == 422 and broken.import_errors


def test_a_generated_client_reads_a_published_claimreview_and_the_exports(
    app: Flask, generated: ModuleType
) -> None:
    from tests.api.test_published_ratings import published_claim

    claim = published_claim(client_for(app))
    client = generated.AuthenticatedClient(
        base_url="http://claims.test",
        token=issue_token(app, "reader", "reader"),
        httpx_args={"transport": httpx.WSGITransport(app=app)},
    )
    review = module(generated, "api.claims.get_claim_review").sync(claim["id"], client=client)
    assert not isinstance(review, module(generated, "models").Problem), review
    published = review.to_dict()
    assert published["@type"] == "ClaimReview"
    assert published["reviewRating"]["alternateName"] == claim["rating"]["alternate_name"]

    export_claims = module(generated, "api.export.export_claims")
    # JSON Lines is a stream to the generator: the client hands over its bytes.
    lines = export_claims.sync(client=client)
    assert isinstance(lines, bytes), lines
    documents = [json.loads(line) for line in lines.splitlines() if line]
    # Entity and relation records stand beside the article documents.
    exported = {item["text"] for doc in documents for item in doc.get("claims", [])}
    assert claim["text"] in exported
    feed = export_claims.sync(
        client=client, format_=module(generated, "models").ExportClaimsFormat.CLAIMREVIEW
    )
    assert isinstance(feed, bytes), feed
    assert json.loads(feed)["dataFeedElement"], feed

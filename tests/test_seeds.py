"""The seed file, its documented format, and loading it with ``claims-api seed``."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator

from claims_api import cli
from tests.factories import SEED_FILE, check, seed_document

REPO_ROOT = Path(__file__).resolve().parents[1]
SCHEMA_FILE = REPO_ROOT / "docs" / "seed-format.schema.json"
FORMAT_DOC = REPO_ROOT / "docs" / "seed-format.md"
SEED_CLAIMS = 34
CONTEXT = 32


def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_errors(document: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in validator().iter_errors(document)
    ]


def strip_line_comments(text: str) -> str:
    """Drop ``// ...`` comments outside JSON strings (the doc's example annotates fields)."""
    out: list[str] = []
    in_string = escaped = False
    index = 0
    while index < len(text):
        char = text[index]
        if in_string:
            out.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
            out.append(char)
        elif text.startswith("//", index):
            while index < len(text) and text[index] != "\n":
                index += 1
            continue
        else:
            out.append(char)
        index += 1
    return "".join(out)


def documented_example() -> dict[str, Any]:
    """The article document example (the doc also shows entity and relation records)."""
    blocks = re.findall(r"```json\n(.*?)```", FORMAT_DOC.read_text(encoding="utf-8"), re.S)
    examples = [json.loads(strip_line_comments(block)) for block in blocks]
    documents = [example for example in examples if "article" in example]
    assert len(documents) == 1, (
        f"expected one article document example in {FORMAT_DOC.name}, found {len(documents)}"
    )
    return documents[0]


def quote_problems(document: dict[str, Any]) -> list[str]:
    body = document["article"]["body"]
    problems = []
    for index, claim in enumerate(document["claims"]):
        quote = claim["quote"]
        start, end = quote["start"], quote["end"]
        where = f"claims[{index}] ({claim.get('key')})"
        if body[start:end] != quote["exact"]:
            problems.append(f"{where}: body[{start}:{end}] is {body[start:end]!r}")
        if quote.get("prefix") != body[max(0, start - CONTEXT) : start]:
            problems.append(f"{where}: prefix is not the {CONTEXT} characters before start")
        if quote.get("suffix") != body[end : end + CONTEXT]:
            problems.append(f"{where}: suffix is not the {CONTEXT} characters after end")
    return problems


# ------------------------------------------------------------ the files themselves


def test_seed_format_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))


def test_seed_file_validates_against_the_seed_format_schema() -> None:
    errors = schema_errors(seed_document())
    assert not errors, f"{SEED_FILE.name} breaks the schema:\n" + "\n".join(errors)


def test_schema_requires_offsets_when_the_article_has_a_body() -> None:
    document = copy.deepcopy(seed_document())
    del document["claims"][3]["quote"]["start"], document["claims"][3]["quote"]["end"]
    assert schema_errors(document), "a quote without offsets in a bodied article was accepted"


def test_schema_rejects_unknown_properties() -> None:
    document = copy.deepcopy(seed_document())
    document["claims"][0]["confidence"] = 0.9
    assert schema_errors(document), "an unknown claim property was accepted"


def test_schema_rejects_a_structured_object_of_another_kind() -> None:
    document = copy.deepcopy(seed_document())
    event = next(claim for claim in document["claims"] if claim["kind"] == "event")
    event["quantity"] = {"value": 1}
    assert schema_errors(document), "an event claim carrying a quantity was accepted"


def test_seed_file_holds_34_claims() -> None:
    assert len(seed_document()["claims"]) == SEED_CLAIMS


def test_every_seed_quote_reads_exact_at_its_offsets_with_32_characters_of_context() -> None:
    problems = quote_problems(seed_document())
    assert not problems, "seed quotes do not match the body:\n" + "\n".join(problems)


def test_seed_claim_keys_are_unique() -> None:
    keys = [claim["key"] for claim in seed_document()["claims"]]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    assert not duplicates, f"keys used by more than one claim: {duplicates}"


def test_every_seed_claim_cites_its_article_first_as_context() -> None:
    document = seed_document()
    article_url = document["article"]["url"]
    wrong = [
        claim["key"]
        for claim in document["claims"]
        if not claim["sources"]
        or (claim["sources"][0]["url"], claim["sources"][0]["stance"]) != (article_url, "context")
    ]
    assert not wrong, f"claims whose first source is not the article as context: {wrong}"


def test_documented_example_validates_against_the_schema() -> None:
    errors = schema_errors(documented_example())
    assert not errors, f"the example in {FORMAT_DOC.name} breaks the schema:\n" + "\n".join(errors)


def test_documented_example_quote_reads_exact_at_its_offsets() -> None:
    problems = quote_problems(documented_example())
    assert not problems, f"the example in {FORMAT_DOC.name} is mis-anchored:\n" + "\n".join(
        problems
    )


# ------------------------------------------------------------ claims-api seed


def run_seed(database_url: str, *paths: Path) -> Result:
    return CliRunner().invoke(
        cli.main,
        ["seed", *map(str, paths)],
        env={"DATABASE_URL": database_url},
        catch_exceptions=False,
    )


def seed_ok(database_url: str, *paths: Path) -> Result:
    result = run_seed(database_url, *paths)
    assert result.exit_code == 0, f"seed failed ({result.exit_code}): {result.output}"
    return result


def all_claims(client: FlaskClient) -> list[dict[str, Any]]:
    page = check(client.get("/claims?limit=200"), 200)
    assert page["next_cursor"] is None, "more than 200 claims: the test expects one page"
    return page["items"]


def all_revisions(client: FlaskClient) -> list[dict[str, Any]]:
    page = check(client.get("/revisions?limit=200"), 200)
    assert page["next_cursor"] is None, "more than 200 revisions: the test expects one page"
    return page["items"]


def all_articles(client: FlaskClient) -> list[dict[str, Any]]:
    return check(client.get("/articles?limit=200"), 200)["items"]


def write_document(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def broken_document() -> dict[str, Any]:
    """The seed with claim 20's offsets shifted by one, so they no longer match its exact."""
    document = copy.deepcopy(seed_document())
    document["claims"][20]["quote"]["start"] += 1
    document["claims"][20]["quote"]["end"] += 1
    return document


def test_seed_loads_every_claim_at_revision_one_citing_its_article(
    client: FlaskClient, database_url: str
) -> None:
    seed_ok(database_url, SEED_FILE)
    claims = all_claims(client)
    assert len(claims) == SEED_CLAIMS, f"expected {SEED_CLAIMS} claims, got {len(claims)}"
    assert {claim["key"] for claim in claims} == {
        claim["key"] for claim in seed_document()["claims"]
    }, "the loaded claims are not the seed file's"
    assert {claim["revision"] for claim in claims} == {1}, "seeded claims must be at revision 1"
    article_url = seed_document()["article"]["url"]
    not_citing = [
        claim["key"]
        for claim in claims
        if not any(
            source["url"] == article_url and source["stance"] == "context"
            for source in claim["sources"]
        )
    ]
    assert not not_citing, f"claims not citing the article as context: {not_citing}"


def test_seed_loads_the_article_with_its_body_and_quotes_anchored(
    client: FlaskClient, database_url: str
) -> None:
    seed_ok(database_url, SEED_FILE)
    articles = all_articles(client)
    assert [article["url"] for article in articles] == [seed_document()["article"]["url"]]
    article = check(client.get(f"/articles/{articles[0]['id']}"), 200)
    assert article["body"] == seed_document()["article"]["body"], "the body was not kept as is"
    expected = {claim["key"]: claim["quote"] for claim in seed_document()["claims"]}
    wrong = [
        claim["key"] for claim in all_claims(client) if claim["quote"] != expected[claim["key"]]
    ]
    assert not wrong, f"claims whose stored quote differs from the seed file: {wrong}"


def test_seed_reports_the_claims_it_created_on_stderr(database_url: str, app: Flask) -> None:
    result = seed_ok(database_url, SEED_FILE)
    assert f"{SEED_FILE.name}: claims 34 created, 0 updated, 0 unchanged" in result.stderr, (
        f"unexpected summary: {result.stderr!r}"
    )


def test_seeding_again_changes_nothing_and_writes_no_revision(
    client: FlaskClient, database_url: str
) -> None:
    seed_ok(database_url, SEED_FILE)
    revisions = len(all_revisions(client))
    result = seed_ok(database_url, SEED_FILE)
    assert "0 created, 0 updated, 34 unchanged" in result.stderr, (
        f"a second load should change nothing: {result.stderr!r}"
    )
    assert len(all_revisions(client)) == revisions == SEED_CLAIMS, "a second load wrote revisions"
    assert {claim["revision"] for claim in all_claims(client)} == {1}


def test_seeding_an_edited_copy_updates_only_the_edited_claim(
    client: FlaskClient, database_url: str, tmp_path: Path
) -> None:
    seed_ok(database_url, SEED_FILE)
    document = copy.deepcopy(seed_document())
    edited = document["claims"][7]
    edited["text"] = edited["text"].rstrip(".") + ", according to the article."
    copy_file = write_document(tmp_path / "001_edited.json", document)

    result = seed_ok(database_url, copy_file)

    assert "0 created, 1 updated, 33 unchanged" in result.stderr, result.stderr
    revisions = {claim["key"]: claim["revision"] for claim in all_claims(client)}
    assert revisions == {
        claim["key"]: 2 if claim["key"] == edited["key"] else 1
        for claim in seed_document()["claims"]
    }, f"only {edited['key']!r} should be at revision 2: {revisions}"
    claim = next(claim for claim in all_claims(client) if claim["key"] == edited["key"])
    assert claim["text"] == edited["text"]
    latest = check(client.get(f"/claims/{claim['id']}/revisions"), 200)["items"][0]
    assert (latest["number"], latest["actor"]) == (2, "seed"), latest
    assert latest["reason"].startswith("seed 001_edited.json (import "), (
        f"revision 2 should record the seed file and its import run: {latest}"
    )
    assert set(latest["changes"]) == {"text"}, f"revision 2 changed more: {latest['changes']}"


def test_broken_seed_file_exits_non_zero_naming_the_file_and_field(
    database_url: str, app: Flask, tmp_path: Path
) -> None:
    broken = write_document(tmp_path / "broken.json", broken_document())
    result = run_seed(database_url, broken)
    assert result.exit_code != 0, "a file with mis-anchored quotes was reported as loaded"
    assert "broken.json" in result.stderr and "nothing was imported" in result.stderr, result.stderr
    assert "quote.exact" in result.stderr, f"the error does not name the field: {result.stderr!r}"


def test_broken_seed_file_writes_nothing_to_an_empty_database(
    client: FlaskClient, database_url: str, tmp_path: Path
) -> None:
    broken = write_document(tmp_path / "broken.json", broken_document())
    assert run_seed(database_url, broken).exit_code != 0
    assert all_claims(client) == [], "claims before the broken one were kept"
    assert all_articles(client) == [], "the article of a rejected file was kept"
    assert all_revisions(client) == [], "revisions of a rejected file were kept"


def test_broken_seed_file_leaves_loaded_claims_as_they_were(
    client: FlaskClient, database_url: str, tmp_path: Path
) -> None:
    seed_ok(database_url, SEED_FILE)
    before = all_claims(client)
    document = broken_document()
    document["claims"][0]["text"] = "An edit that must not be applied."
    broken = write_document(tmp_path / "broken.json", document)

    assert run_seed(database_url, broken).exit_code != 0

    assert all_claims(client) == before, "a rejected file changed loaded claims"
    assert len(all_revisions(client)) == SEED_CLAIMS, "a rejected file wrote revisions"


def test_seed_error_for_a_mis_anchored_quote_names_the_claim(
    database_url: str, app: Flask, tmp_path: Path
) -> None:
    broken = write_document(tmp_path / "broken.json", broken_document())
    result = run_seed(database_url, broken)
    assert "claims.20.quote.exact" in result.stderr, (
        "with 34 claims in a file, the error must say which claim's quote is wrong "
        "(claims.20.quote.exact, as schema errors say claims.20.quote.end); got "
        f"{result.stderr!r}"
    )


def test_seed_rejects_a_file_in_which_two_claims_share_a_key(
    client: FlaskClient, database_url: str, tmp_path: Path
) -> None:
    document = copy.deepcopy(seed_document())
    document["claims"][1]["key"] = document["claims"][0]["key"]
    duplicate = write_document(tmp_path / "duplicate.json", document)

    result = run_seed(database_url, duplicate)

    assert result.exit_code != 0, (
        "a file whose claims 0 and 1 share a key was loaded (claim 1 overwrote claim 0): "
        f"{result.stderr!r}"
    )
    assert "key" in result.stderr, f"the error does not name the key: {result.stderr!r}"
    assert all_claims(client) == [], "claims of a rejected file were kept"


def test_seeding_a_file_without_keys_creates_every_claim(
    client: FlaskClient, database_url: str, tmp_path: Path
) -> None:
    # Keys are optional; several claims may share one quote (docs/seed-format.md).
    document = copy.deepcopy(seed_document())
    for claim in document["claims"]:
        del claim["key"]
    keyless = write_document(tmp_path / "keyless.json", document)

    result = seed_ok(database_url, keyless)

    assert "claims 34 created, 0 updated, 0 unchanged" in result.stderr, (
        f"claims without keys that share a kind and quote were merged: {result.stderr!r}"
    )
    assert len(all_claims(client)) == SEED_CLAIMS


def test_seeding_a_file_without_keys_again_changes_nothing(
    client: FlaskClient, database_url: str, tmp_path: Path
) -> None:
    document = copy.deepcopy(seed_document())
    for claim in document["claims"]:
        del claim["key"]
    keyless = write_document(tmp_path / "keyless.json", document)
    seed_ok(database_url, keyless)
    revisions = len(all_revisions(client))

    result = seed_ok(database_url, keyless)

    assert "0 created, 0 updated, 34 unchanged" in result.stderr, (
        f"loading the same keyless file again changed claims: {result.stderr!r}"
    )
    assert len(all_revisions(client)) == revisions, "loading it again wrote revisions"


@pytest.mark.parametrize("content", ["{not json", '{"article": {}}', "[]"])
def test_seed_file_that_is_not_an_article_document_exits_non_zero(
    client: FlaskClient, database_url: str, tmp_path: Path, content: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    result = run_seed(database_url, bad)
    assert result.exit_code != 0, f"{content!r} was accepted as a seed file"
    assert "bad.json: nothing was imported" in result.stderr, result.stderr
    assert all_claims(client) == []

"""The bulk path's msgspec validator agrees with the API's marshmallow schema.

``decoding.decode_document`` (bytes for JSON Lines, a dict for JSON and ClaimReview)
and ``ArticleDocumentSchema().load`` must either both accept a document, with the
same output, or both reject it: for the seed file, the generated corpus, and
mutations of a valid document. Datetimes are generated as RFC 3339 with an offset and
numbers as JSON ints and finite floats only.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError, fields

from benchmarks.corpus import article_documents
from claims_api import create_app
from claims_api.errors import InvalidInput
from claims_api.extensions import db
from claims_api.schemas.documents import ArticleDocumentSchema
from claims_api.services.imports.decoding import decode_document
from tests.factories import seed_document
from tests.imports.helpers import BODY, border_document, embassy_document

Path_ = tuple[str | int, ...]
SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def workflow_app() -> Iterator[Flask]:
    """An app for its workflow (the status check reads it); no database is touched."""
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})
    yield app
    with app.app_context():
        db.engine.dispose()


@dataclass(frozen=True)
class Rejected:
    errors: Any


def canonical(value: Any) -> str:
    """Comparable text: 1 and 1.0 differ, enums read as their values, datetimes as text."""
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def outcomes(document: Any) -> dict[str, Any]:
    """What each validator makes of ``document``: its canonical output, or Rejected."""
    results: dict[str, Any] = {}
    for name, load in (
        ("msgspec(bytes)", lambda raw: decode_document(json.dumps(raw).encode())),
        ("msgspec(dict)", lambda raw: decode_document(raw)),
        ("marshmallow", lambda raw: ArticleDocumentSchema().load(raw)),
    ):
        try:
            results[name] = canonical(load(copy.deepcopy(document)))
        except (InvalidInput, ValidationError) as error:
            messages = getattr(error, "errors", None) or getattr(error, "messages", None)
            results[name] = Rejected(messages)
    return results


def first_difference(left: Any, right: Any, path: str = "") -> str:
    """Where two decoded documents first differ, and how."""
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(left.keys() | right.keys()):
            if left.get(key, "<absent>") != right.get(key, "<absent>"):
                return first_difference(
                    left.get(key, "<absent>"), right.get(key, "<absent>"), f"{path}.{key}"
                )
    if isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        for index, (one, other) in enumerate(zip(left, right, strict=True)):
            if one != other:
                return first_difference(one, other, f"{path}.{index}")
    return f"{path.lstrip('.') or '(document)'}: {left!r} != {right!r}"


def describe(results: dict[str, Any]) -> str:
    return "; ".join(
        f"{name} rejects with {result.errors}"
        if isinstance(result, Rejected)
        else f"{name} accepts"
        for name, result in results.items()
    )


def assert_agree(app: Flask, document: Any) -> dict[str, Any]:
    with app.app_context():
        results = outcomes(document)
    accepted = {name: not isinstance(result, Rejected) for name, result in results.items()}
    assert len(set(accepted.values())) == 1, (
        f"the validators disagree on whether to accept the document: {describe(results)}"
    )
    if all(accepted.values()):
        decoded = {name: json.loads(result) for name, result in results.items()}
        reference = decoded["marshmallow"]
        for name, value in decoded.items():
            assert value == reference and results[name] == results["marshmallow"], (
                f"both accept the document but {name} and marshmallow give different data: "
                f"{first_difference(value, reference)}"
            )
    return results


def assert_both_reject(app: Flask, document: Any) -> None:
    results = assert_agree(app, document)
    assert all(isinstance(result, Rejected) for result in results.values()), (
        f"the document should be rejected: {results}"
    )


# --- A valid document using every field, and its paths ---------------------------------------


def full_document() -> dict[str, Any]:
    document = border_document()
    troops, calm, nato = document["claims"]
    troops["quote"].update(prefix=BODY[: troops["quote"]["start"]][-32:], suffix=" are deployed")
    troops["quantity"].update(
        lower_bound=100_000,
        upper_bound=150_000,
        subject="Russian troops",
        location="Ukrainian border",
        as_of="2022-02-14",
    )
    troops["rating"] = {
        "value": 4,
        "best": 5,
        "worst": 1,
        "alternate_name": "Mostly true",
        "explanation": "Matches the briefing.",
        "review_url": "https://factcheck.example.org/r/1",
        "reviewed_by": "Example Fact Check",
        "reviewed_at": "2022-02-20T00:00:00+00:00",
    }
    troops["external_reviews"] = [
        {
            "reviewer": "Example Fact Check",
            "reviewer_url": "https://factcheck.example.org",
            "url": "https://factcheck.example.org/r/2",
            "published_at": "2022-02-20T09:00:00+01:00",
            "rating": {
                "value": "4",
                "best": 5.0,
                "worst": 1,
                "alternate_name": "Mostly true",
                "name": "Mostly accurate",
            },
        },
        {"reviewer": "Another Checker"},
    ]
    troops["sources"][0].update(
        publisher="U.S. Department of Defense",
        archived_url="https://archive.example.org/pentagon",
        accessed_at="2022-02-15T10:00:00+01:00",
        excerpt="About 130,000 troops.",
        note="Briefing transcript.",
    )
    troops["reason"] = "imported from the newsroom sheet"
    troops["reviews"] = [
        {
            "reviewer": "rita",
            "from_status": "unverified",
            "to_status": "in_review",
            "created_at": "2022-02-16T09:00:00+00:00",
        },
        {
            "reviewer": "sam",
            "from_status": "in_review",
            "to_status": "mostly_true",
            "created_at": "2022-02-17T09:00:00+01:00",
            "rationale": "Matches the briefing.",
            "rating": "Roughly right",
            "evidence": [{"url": "https://sources.example.org/pentagon", "stance": "supports"}],
            "correction": False,
            "published_at": "2022-02-18T09:00:00+00:00",
            "public": True,
        },
    ]
    # An export's body history, with an alias and a quote that followed a figure's change.
    document["article"]["aliases"] = ["https://example.org/news/troops-canonical"]
    document["article"]["versions"] = [
        {
            "number": number,
            "body": body,
            "body_sha256": hashlib.sha256(body.encode()).hexdigest(),
            "origin": origin,
            "actor": "rita",
            "created_at": f"2022-02-1{number}T09:00:00+01:00",
        }
        for number, body, origin in ((1, "An earlier text.", "created"), (2, BODY, "edited"))
    ]
    troops["anchor"] = {"state": "fuzzy", "version": 2, "score": 91, "previous_exact": "150,000"}
    troops["needs_review"] = {"reason": "its numbers changed", "since": "2022-02-12T09:00:00Z"}
    calm["statement"]["attribution"] = "according to Chinese sources"
    nato["membership"]["as_of"] = "2022-02-01"
    nato["sources"] = [{"source_id": 7, "stance": "supports", "excerpt": None, "note": "Map"}]
    nato["tags"] = ["NATO", "Ukraine"]
    document["claims"].append(
        {"text": "The embassy was evacuated.", "kind": "event", "quote": {"exact": "evacuated"}}
    )
    return document


FULL = full_document()


def paths(value: Any, prefix: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """Every (path, value) below ``value``, containers included."""
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, item in items:
        yield (*prefix, key), item
        yield from paths(item, (*prefix, key))


ALL_PATHS = list(paths(FULL))
DICT_PATHS = [()] + [path for path, value in ALL_PATHS if isinstance(value, dict)]
STRING_PATHS = [path for path, value in ALL_PATHS if isinstance(value, str)]
KEY_PATHS = [path for path, value in ALL_PATHS if isinstance(path[-1], str)]
INT_FIELDS = {"start", "end", "source_id"}
NUMBER_FIELDS = {"value", "lower_bound", "upper_bound", "best", "worst"}
BOOL_FIELDS = {"approximate", "verbatim", "correction", "public"}
REQUIRED = [
    ("article",),
    ("article", "url"),
    ("article", "title"),
    ("claims", 0, "text"),
    ("claims", 1, "kind"),
    ("claims", 0, "quote", "exact"),
    ("claims", 2, "membership", "member"),
    ("claims", 2, "membership", "organization"),
    ("claims", 2, "membership", "relation"),
    ("claims", 1, "statement", "speaker"),
    ("claims", 0, "sources", 1, "stance"),
    ("claims", 0, "sources", 0, "url"),
    ("claims", 2, "sources", 0, "source_id"),
    ("claims", 0, "reviews", 0, "reviewer"),
    ("claims", 0, "reviews", 0, "from_status"),
    ("claims", 0, "reviews", 1, "to_status"),
    ("claims", 0, "reviews", 1, "created_at"),
    ("claims", 0, "reviews", 1, "evidence", 0, "url"),
    ("claims", 0, "reviews", 1, "evidence", 0, "stance"),
]


def get_at(document: Any, path: Path_) -> Any:
    for key in path:
        document = document[key]
    return document


def set_at(document: Any, path: Path_, value: Any) -> Any:
    changed = copy.deepcopy(document)
    get_at(changed, path[:-1])[path[-1]] = value
    return changed


def drop_at(document: Any, path: Path_) -> Any:
    changed = copy.deepcopy(document)
    del get_at(changed, path[:-1])[path[-1]]
    return changed


# --- Values ---------------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)
BOOLEAN_WORDS = {str(word).lower() for word in fields.Boolean.truthy | fields.Boolean.falsy}


def json_type(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def coercible(field: str | int, replacement: Any) -> bool:
    """Whether marshmallow would coerce ``replacement`` into the field's type: those cases
    are the subject of test_coercible_value_is_treated_alike, not of the random search."""
    if field in BOOL_FIELDS:
        return replacement in (0, 1) or (
            isinstance(replacement, str) and replacement.strip().lower() in BOOLEAN_WORDS
        )
    if field in INT_FIELDS | NUMBER_FIELDS and isinstance(replacement, str | float):
        try:
            float(replacement)
        except ValueError:
            return False
        return True
    return False


# --- Fixed inputs ---------------------------------------------------------------------------


def test_seed_file_is_accepted_alike(workflow_app: Flask) -> None:
    results = assert_agree(workflow_app, seed_document())

    assert not isinstance(results["marshmallow"], Rejected), results


def test_corpus_documents_are_accepted_alike(workflow_app: Flask) -> None:
    for document in article_documents(15, 5):
        results = assert_agree(workflow_app, document)
        assert not isinstance(results["marshmallow"], Rejected), results


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(FULL, id="every-field"),
        pytest.param(border_document(), id="border"),
        pytest.param(embassy_document(), id="no-body"),
        pytest.param({"article": {"url": "https://e.org/a", "title": "A"}}, id="no-claims"),
    ],
)
def test_valid_document_is_accepted_with_the_same_output(
    workflow_app: Flask, document: dict[str, Any]
) -> None:
    results = assert_agree(workflow_app, document)

    assert not isinstance(results["marshmallow"], Rejected), results


def test_surrounding_white_space_is_stripped_alike(workflow_app: Flask) -> None:
    document = set_at(FULL, ("article", "title"), "  Border report \n")
    document = set_at(document, ("claims", 0, "tags"), [" Russia ", "Ukraine\t"])
    document = set_at(document, ("claims", 1, "statement", "speaker"), " Wang Yi ")

    assert_agree(workflow_app, document)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        pytest.param(("claims", 0, "quote", "start"), "29", id="int-as-string"),
        pytest.param(("claims", 0, "quote", "start"), 15.0, id="int-as-integral-float"),
        pytest.param(("claims", 0, "quote", "start"), 15.7, id="int-as-fraction"),
        pytest.param(("claims", 2, "sources", 0, "source_id"), "7", id="id-as-string"),
        pytest.param(("claims", 0, "quantity", "approximate"), 1, id="bool-as-int"),
        pytest.param(("claims", 0, "quantity", "approximate"), "yes", id="bool-as-word"),
        pytest.param(("claims", 1, "statement", "verbatim"), "true", id="bool-as-string"),
        pytest.param(("claims", 0, "quantity", "value"), "130000", id="number-as-string"),
        pytest.param(("claims", 0, "rating", "best"), " 5 ", id="rating-as-string"),
    ],
)
def test_coercible_value_is_treated_alike(workflow_app: Flask, path: Path_, value: Any) -> None:
    """A value of the wrong JSON type that marshmallow would coerce (a string for a number,
    1 for true) is accepted by both validators with the same data, or rejected by both."""
    assert_agree(workflow_app, set_at(FULL, path, value))


def test_claim_priority_is_treated_alike(workflow_app: Flask) -> None:
    """The API's document schema knows a claim's "priority"; the bulk validator must too,
    or both must refuse it."""
    assert_agree(workflow_app, set_at(FULL, ("claims", 0, "priority"), 2))


def test_duplicate_claim_keys_are_rejected_by_both(workflow_app: Flask) -> None:
    document = set_at(FULL, ("claims", 1, "key"), FULL["claims"][0]["key"])

    assert_both_reject(workflow_app, document)


def test_duplicate_json_object_keys_read_alike(workflow_app: Flask) -> None:
    """The same object key twice in a JSON Lines line: msgspec reads the bytes, the API
    reads what json.loads made of them; both must keep the same (last) value."""
    raw = json.dumps(embassy_document()).replace(
        '"title": "Embassy notes"', '"title": "First title", "title": "Embassy notes"'
    )
    assert raw.count('"title"') == 2
    with workflow_app.app_context():
        fast = decode_document(raw.encode())
        slow = ArticleDocumentSchema().load(json.loads(raw))

    assert canonical(fast) == canonical(slow), (fast, slow)


# --- Mutations --------------------------------------------------------------------------------


@SETTINGS
@given(path=st.sampled_from(REQUIRED))
def test_dropping_a_required_field_is_rejected_by_both(workflow_app: Flask, path: Path_) -> None:
    assert_both_reject(workflow_app, drop_at(FULL, path))


@SETTINGS
@given(path=st.sampled_from(KEY_PATHS))
def test_dropping_any_field_keeps_the_validators_in_agreement(
    workflow_app: Flask, path: Path_
) -> None:
    assert_agree(workflow_app, drop_at(FULL, path))


@SETTINGS
@given(data=st.data(), path=st.sampled_from([path for path, _ in ALL_PATHS]))
def test_wrongly_typed_value_is_treated_alike(
    workflow_app: Flask, data: st.DataObject, path: Path_
) -> None:
    current = get_at(FULL, path)
    replacement = data.draw(
        json_values.filter(
            lambda value: json_type(value) != json_type(current) and not coercible(path[-1], value)
        ),
        label="replacement",
    )
    assert_agree(workflow_app, set_at(FULL, path, replacement))


int_paths = [path for path, _ in ALL_PATHS if path[-1] in INT_FIELDS]
number_paths = [path for path, _ in ALL_PATHS if path[-1] in NUMBER_FIELDS]


@SETTINGS
@given(
    data=st.data(),
    path=st.sampled_from(int_paths + number_paths),
)
def test_out_of_range_number_is_treated_alike(
    workflow_app: Flask, data: st.DataObject, path: Path_
) -> None:
    extreme = st.integers(min_value=-(2**80), max_value=2**80)
    edges = st.sampled_from([-1, 0, 1, 2**31 - 1, 2**31, 2**63, -(2**63) - 1, 10**30])
    numbers = st.one_of(extreme, edges)
    if path[-1] in NUMBER_FIELDS:
        numbers = st.one_of(numbers, st.floats(allow_nan=False, allow_infinity=False))
    assert_agree(workflow_app, set_at(FULL, path, data.draw(numbers, label="number")))


@SETTINGS
@given(
    path=st.sampled_from(STRING_PATHS),
    blank=st.sampled_from(["", " ", "   ", "\t", "\n", "\u00a0", "\u2003 \r\n"]),
)
def test_blank_string_is_treated_alike(workflow_app: Flask, path: Path_, blank: str) -> None:
    assert_agree(workflow_app, set_at(FULL, path, blank))


@SETTINGS
@given(path=st.sampled_from(STRING_PATHS), extra=st.integers(min_value=1, max_value=3))
def test_over_long_string_is_treated_alike(workflow_app: Flask, path: Path_, extra: int) -> None:
    limits = [100, 200, 300, 500, 1000, 2000, 2048, 10_000]
    current = get_at(FULL, path)
    length = next((limit for limit in limits if limit >= len(current)), 10_000)
    for size in {length, length + extra}:
        assert_agree(workflow_app, set_at(FULL, path, "x" * size))


@SETTINGS
@given(data=st.data(), where=st.sampled_from(DICT_PATHS), value=json_values)
def test_unknown_field_is_rejected_by_both(
    workflow_app: Flask, data: st.DataObject, where: Path_, value: Any
) -> None:
    target = get_at(FULL, where)
    name = data.draw(
        st.text(min_size=1, max_size=12).filter(
            lambda key: key not in target and key != "priority"
        ),
        label="name",
    )
    changed = copy.deepcopy(FULL)
    get_at(changed, where)[name] = value
    assert_both_reject(workflow_app, changed)


@SETTINGS
@given(
    which=st.sampled_from(["start", "end"]),
    offset=st.integers(min_value=0, max_value=len(BODY)),
    other=st.sampled_from(["absent", "null"]),
)
def test_quote_with_only_one_offset_is_rejected_by_both(
    workflow_app: Flask, which: str, offset: int, other: str
) -> None:
    quote: dict[str, Any] = {"exact": "Around", which: offset}
    if other == "null":
        quote["end" if which == "start" else "start"] = None
    assert_both_reject(workflow_app, set_at(FULL, ("claims", 0, "quote"), quote))


@SETTINGS
@given(start=st.integers(min_value=0, max_value=200), end=st.integers(min_value=0, max_value=200))
def test_quote_offsets_are_checked_alike(workflow_app: Flask, start: int, end: int) -> None:
    quote = {"exact": "Around", "start": start, "end": end}
    results = assert_agree(workflow_app, set_at(FULL, ("claims", 0, "quote"), quote))
    if end <= start:
        assert isinstance(results["marshmallow"], Rejected), "end <= start must be refused"


bound = st.one_of(
    st.none(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
)


@SETTINGS
@given(value=bound, lower=bound, upper=bound)
def test_quantity_bounds_are_checked_alike(
    workflow_app: Flask, value: Any, lower: Any, upper: Any
) -> None:
    quantity = {**FULL["claims"][0]["quantity"], "value": value}
    quantity.update(lower_bound=lower, upper_bound=upper)
    results = assert_agree(workflow_app, set_at(FULL, ("claims", 0, "quantity"), quantity))
    if lower is not None and upper is not None and lower > upper:
        assert isinstance(results["marshmallow"], Rejected), "lower_bound > upper_bound"


@SETTINGS
@given(
    reference=st.sampled_from(["both", "neither", "id-with-description"]),
    source_id=st.integers(min_value=1, max_value=2**31 - 1),
    described=st.sampled_from(["title", "publisher", "kind", "archived_url", "accessed_at"]),
)
def test_source_reference_rules_are_checked_alike(
    workflow_app: Flask, reference: str, source_id: int, described: str
) -> None:
    link: dict[str, Any] = {"stance": "supports"}
    if reference == "both":
        link.update(source_id=source_id, url="https://sources.example.org/x")
    elif reference == "id-with-description":
        values = {
            "title": "T",
            "publisher": "P",
            "kind": "news",
            "archived_url": "https://archive.example.org/x",
            "accessed_at": "2022-02-15T10:00:00+00:00",
        }
        link.update(source_id=source_id, **{described: values[described]})
    assert_both_reject(workflow_app, set_at(FULL, ("claims", 2, "sources"), [link]))


def rfc3339_offset(moment: datetime) -> bool:
    """RFC 3339 offsets are whole minutes (some historic zones are not: +00:53:28)."""
    offset = moment.utcoffset()
    return offset is not None and offset.total_seconds() % 60 == 0


@SETTINGS
@given(
    moment=st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.timezones(),
    ).filter(rfc3339_offset),
    where=st.sampled_from(
        [("article", "published_at"), ("claims", 0, "sources", 0, "accessed_at")]
    ),
)
def test_rfc3339_timestamps_are_read_alike(workflow_app: Flask, moment: Any, where: Path_) -> None:
    assert_agree(workflow_app, set_at(FULL, where, moment.isoformat()))


@SETTINGS
@given(
    status=st.one_of(
        st.sampled_from(["unverified", "in_review", "verified", "false", "disputed"]),
        st.text(max_size=12),
    ),
    kind=st.one_of(
        st.sampled_from(["quantity", "membership", "statement", "event", "other"]),
        st.text(max_size=10),
    ),
    stance=st.one_of(st.sampled_from(["supports", "refutes", "context"]), st.text(max_size=8)),
)
def test_vocabulary_values_are_checked_alike(
    workflow_app: Flask, status: str, kind: str, stance: str
) -> None:
    document = set_at(FULL, ("claims", 3, "status"), status)
    document = set_at(document, ("claims", 3, "kind"), kind)
    document = set_at(document, ("claims", 0, "sources", 1, "stance"), stance)
    assert_agree(workflow_app, document)


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        pytest.param(
            lambda doc: doc["article"]["versions"][1].update(number=3),
            "article.versions.1.number",
            id="gap",
        ),
        pytest.param(
            lambda doc: doc["article"]["versions"][0].update(body="Another text."),
            "article.versions.0.body_sha256",
            id="digest",
        ),
        pytest.param(
            lambda doc: doc["article"].update(body=doc["article"]["versions"][0]["body"]),
            "article.body",
            id="body-not-last",
        ),
        pytest.param(
            lambda doc: doc["claims"][0]["anchor"].update(version=3),
            "claims.0.anchor.version",
            id="anchor-beyond",
        ),
    ],
)
def test_a_broken_body_history_is_rejected_alike_naming_the_field(
    workflow_app: Flask, mutate: Any, field: str
) -> None:
    document = copy.deepcopy(FULL)
    mutate(document)

    assert_both_reject(workflow_app, document)
    with workflow_app.app_context(), pytest.raises(InvalidInput) as raised:
        decode_document(document)
    assert field in raised.value.errors, raised.value.errors

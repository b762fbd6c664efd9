"""Records larger than IMPORT_MAX_RECORD_BYTES are errors at their location; the rest stream."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace
from typing import IO, Any

import ijson
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims_api.services.imports import readers
from claims_api.services.imports.readers import ReadError, Record, read_records
from tests.factories import check
from tests.imports.helpers import border_document, embassy_document, post_import

LIMIT = 4096
BIG = "x" * (LIMIT * 4)
# As long as the default limit is to the record limit: the shapes of benchmarks/import_memory.py.
GIANT = "All work and no play. " * (LIMIT * 256 // 22)


def outcome(data: bytes, input_format: str) -> list[tuple[str, str]]:
    return [
        (result.location, "error" if isinstance(result, ReadError) else "record")
        for result in read_records(io.BytesIO(data), input_format, LIMIT)
        if isinstance(result, ReadError | Record)
    ]


@pytest.mark.parametrize(
    ("data", "input_format", "expected"),
    [
        (
            f'{{"a": 1}}\n"{BIG}"\n{{"b": 2}}\n'.encode(),
            "jsonl",
            [("line 1", "record"), ("line 2", "error"), ("line 3", "record")],
        ),
        (
            f'[{{"a": 1}}, {{"b": "{BIG}"}}, {{"c": 2}}]'.encode(),
            "json",
            [("/0", "record"), ("/1", "error"), ("/2", "record")],
        ),
        (
            f'{{"@graph": [{{"b": "{BIG}"}}, {{"c": 2}}]}}'.encode(),
            "json",
            [("/@graph/0", "error"), ("/@graph/1", "record")],
        ),
        (
            f'{{"dataFeedElement": [{{"item": {{"a": 1}}}}, {{"item": "{BIG}"}}]}}'.encode(),
            "json",
            [("/dataFeedElement/0/item", "record"), ("/dataFeedElement/1", "error")],
        ),
        (f'{{"b": "{BIG}"}}'.encode(), "json", [("/", "error")]),
        (f'["{BIG}", {{"c": 2}}]'.encode(), "json", [("/0", "error"), ("/1", "record")]),
        (
            f'{{"@context": "{BIG}", "@graph": [{{"c": 2}}]}}'.encode(),
            "json",
            [("/@graph/0", "record")],
        ),
        (
            (
                f'<script type="application/ld+json">"{BIG}"</script>'
                '<script type="application/ld+json">{"a": 1}</script>'
            ).encode(),
            "html",
            [("script 1 (line 1)", "error"), ("script 2 (line 1)", "record")],
        ),
    ],
    ids=["jsonl", "array", "graph", "datafeed", "object", "string", "long-context", "html"],
)
def test_a_record_over_the_limit_is_an_error_and_the_rest_is_read(
    data: bytes, input_format: str, expected: list[tuple[str, str]]
) -> None:
    assert outcome(data, input_format) == expected


@pytest.mark.parametrize(
    ("data", "input_format", "location"),
    [
        (b'{"a": ["ok", "\\ud800"]}', "json", "/a/1"),
        (
            b'<script type="application/ld+json">[{"a": "\\ud800"}]</script>',
            "html",
            "script 1 (line 1)/0/a",
        ),
    ],
    ids=["json", "html"],
)
def test_an_unpaired_surrogate_is_an_error_naming_where_it_is(
    data: bytes, input_format: str, location: str
) -> None:
    results = list(read_records(io.BytesIO(data), input_format))
    assert [(r.location, type(r).__name__) for r in results] == [(location, "ReadError")]


class _Recording:
    """A file that counts the bytes the parser was handed."""

    def __init__(self, stream: IO[bytes], handed: list[int]) -> None:
        self.stream, self.handed = stream, handed
        handed.append(0)

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.handed[-1] += len(data)
        return data


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"article": {"url": "https://example.org/g", "body": GIANT}}, [("/", "error")]),
        (
            {"@context": GIANT, "@graph": [{"a": 1}, {"b": GIANT}, GIANT, {"c": 2}]},
            [
                ("/@graph/0", "record"),
                ("/@graph/1", "error"),
                ("/@graph/2", "error"),
                ("/@graph/3", "record"),
            ],
        ),
    ],
    ids=["giant-document", "graph"],
)
def test_the_parser_is_never_handed_a_string_much_longer_than_the_limit(
    monkeypatch: pytest.MonkeyPatch, document: Any, expected: list[tuple[str, str]]
) -> None:
    """yajl builds a string whole: a 1 MiB one read in full costs that much, twice."""
    handed: list[int] = []

    def recorded(read: Any) -> Any:
        def call(source: Any, *args: Any, **kwargs: Any) -> Any:
            if hasattr(source, "read"):
                source = _Recording(source, handed)
            return read(source, *args, **kwargs)

        return call

    spy = SimpleNamespace(
        parse=recorded(ijson.parse), items=recorded(ijson.items), JSONError=ijson.JSONError
    )
    monkeypatch.setattr(readers, "ijson", spy)
    data = json.dumps(document).encode()

    assert outcome(data, "json") == expected
    assert handed, "the document was not parsed with ijson"
    assert max(handed) < 8 * LIMIT, (
        f"the parser read {max(handed)} bytes of a {len(data)}-byte document: "
        "strings past the limit reach it whole"
    )


_STRING_PARTS = [
    b"a",
    b"\xc3\xa9",
    b"\xe2\x82\xac",
    b"\xf0\x9f\x98\x80",
    b"\\n",
    b"\\\\",
    b'\\"',
    b"\\u0041",
    b"\\ud83d\\ude00",
    b"\\ud800",
]
# Each invalid in a string, in its own way.
_BROKEN_PARTS = [
    b"\x01",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xc0\x80",
    b"\\q",
    b"\\u12",
    b"\\udc00",
    b"\\",
    b'"',
]
_long_strings = st.tuples(
    st.lists(st.sampled_from(_STRING_PARTS), max_size=600),
    st.lists(st.sampled_from(_BROKEN_PARTS), max_size=2),
    st.lists(st.sampled_from(_STRING_PARTS), max_size=200),
).map(lambda parts: b'"' + b"".join(parts[0] + parts[1] + parts[2]) + b'"')
_values = st.one_of(_long_strings, st.sampled_from([b"1", b"[]", b'{"k": "v"}', b'"@graph"']))
_documents = st.one_of(
    st.lists(_values, max_size=5).map(lambda values: b"[" + b",".join(values) + b"]"),
    st.lists(st.tuples(_long_strings, _values), max_size=4).map(
        lambda pairs: b"{" + b",".join(key + b":" + value for key, value in pairs) + b"}"
    ),
)


def _parsed(source: Any, buffer: int) -> tuple[list[Any], str]:
    events: list[Any] = []
    try:
        events.extend(ijson.parse(source, use_float=True, buf_size=buffer))
    except (ijson.JSONError, ValueError) as error:
        return events, f"{type(error).__name__}: {readers.first_line(error)}"
    return events, ""


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(_documents, st.integers(min_value=1, max_value=600))
def test_cutting_long_strings_changes_no_error_and_no_value_within_the_limit(
    data: bytes, limit: int
) -> None:
    cut = readers._ShortStrings(io.BytesIO(data), limit)
    whole_events, whole_error = _parsed(io.BytesIO(data), cut.buffer)
    cut_events, cut_error = _parsed(cut, cut.buffer)

    assert cut_error == whole_error, data
    assert len(cut_events) == len(whole_events), data
    for whole, shortened in zip(whole_events, cut_events, strict=True):
        if whole != shortened:
            assert whole[1] in ("string", "map_key"), (whole[:2], shortened[:2])
            assert len(whole[2].encode("utf-8", "surrogatepass")) > limit, whole[:2]
            assert whole[2].startswith(shortened[2].rstrip("?")), whole[:2]


def test_an_import_reads_every_record_within_the_limit_and_reports_each_one_over_it(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "IMPORT_MAX_RECORD_BYTES", LIMIT * 16)
    giant = {"article": {"url": "https://example.org/giant", "title": "Giant", "body": GIANT}}
    records = [border_document(), giant, GIANT, embassy_document()]
    body = json.dumps({"@graph": records})

    run = check(post_import(client, body, "application/ld+json", partial=True), 201)

    assert run["counts"]["claims_created"] == 4, run["counts"]
    assert [(error["location"], error["reason"]) for error in run["errors"]] == [
        ("/@graph/1", readers.too_large(LIMIT * 16)),
        ("/@graph/2", readers.too_large(LIMIT * 16)),
    ], run["errors"]

"""Records larger than IMPORT_MAX_RECORD_BYTES are errors at their location; the rest stream."""

from __future__ import annotations

import io

import pytest

from claims_api.services.imports.readers import ReadError, Record, read_records

LIMIT = 4096
BIG = "x" * (LIMIT * 4)


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
        (
            (
                f'<script type="application/ld+json">"{BIG}"</script>'
                '<script type="application/ld+json">{"a": 1}</script>'
            ).encode(),
            "html",
            [("script 1 (line 1)", "error"), ("script 2 (line 1)", "record")],
        ),
    ],
    ids=["jsonl", "array", "graph", "datafeed", "object", "html"],
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

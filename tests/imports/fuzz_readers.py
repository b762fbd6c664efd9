"""Reads adversarial inputs with every import reader; run in a child process.

A reader that crashes the interpreter (ijson's C backend did, with SIGSEGV)
kills only this process, so the test that runs it fails instead of the test run.
Every input must end in records and read errors: any exception is a failure.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims_api.services.imports.readers import FORMATS, ReadError, Record, read_records

CORPUS = Path(__file__).with_name("adversarial")
# The second limit is small enough for generated strings to be cut past it.
LIMITS = (64 * 1024, 16)


def read_all(data: bytes, input_format: str) -> int:
    """How many records and errors the reader gave; raises on anything else."""
    count = 0
    for limit in LIMITS:
        results = list(read_records(io.BytesIO(data), input_format, limit))
        assert all(isinstance(result, Record | ReadError) for result in results), results
        count += len(results)
    return count


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(["@graph", "dataFeedElement", "item", "a"]), children)
    ),
    max_leaves=20,
)
# Valid documents, then documents broken at the byte level around the dangerous tokens.
pieces = st.sampled_from(
    [
        b"[",
        b"]",
        b"{",
        b"}",
        b",",
        b":",
        b'"',
        b"\\ud800",
        b"\\u",
        b"\\",
        b"\x00",
        b"\xff",
        b"\xef\xbb\xbf",
        b"1" * 5000,
        b"x" * 300,
        "\u00e9\U0001f600".encode() * 60,
        b"\\ud83d\\ude00" * 30,
        b"1e999",
        b"-",
        b".",
        b"\n",
        b'<script type="application/ld+json">',
        b"</script>",
        b"<!--",
        b'"@graph"',
        b'"dataFeedElement"',
        b"null",
    ]
)
inputs = st.one_of(
    json_values.map(lambda value: json.dumps(value).encode()),
    st.lists(st.one_of(pieces, st.binary(max_size=20)), max_size=30).map(b"".join),
    st.binary(max_size=200),
)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(inputs, st.sampled_from(FORMATS))
def fuzz(data: bytes, input_format: str) -> None:
    read_all(data, input_format)


def main() -> None:
    for path in sorted(CORPUS.iterdir()):
        for input_format in FORMATS:
            read_all(path.read_bytes(), input_format)
    fuzz()
    print("readers survived", file=sys.stderr)


if __name__ == "__main__":
    main()

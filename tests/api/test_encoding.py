"""Bodies encoded by msgspec (``dumped``) are the bytes Flask's JSON gives, to the byte.

Pages and claims are sent through ``dumped``; flask-smorest sends every other
response through the app's JSON provider. A client must not see two encodings.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims_api.resources.common import dumped

# Text of every kind a claim can hold: non-ASCII, past the BMP, control characters,
# DEL, and words that look like numbers in exponent form.
texts = st.text(st.characters(codec="utf-8", exclude_characters="\x00")) | st.sampled_from(
    ["1e5", "2e-3", "0.00001", "e-mail", "\x7f", "é", "😀", "\u2028"]
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=500, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=documents)
def test_dumped_bodies_are_the_bytes_flask_json_writes(app: Flask, document: Any) -> None:
    with app.test_request_context():
        sent = dumped(document)
        assert sent.mimetype == "application/json"
        assert sent.get_data() == app.json.response(document).get_data()


def test_floats_in_exponent_form_are_written_as_python_writes_them(app: Flask) -> None:
    with app.test_request_context():
        body = dumped({"values": [1e16, 1e-05, 1.5e-7, -2.5e300, 0.0001, 12.5]}).get_data()
    assert body == b'{"values":[1e+16,1e-05,1.5e-07,-2.5e+300,0.0001,12.5]}\n'


def test_non_ascii_text_is_escaped_as_python_escapes_it(app: Flask) -> None:
    with app.test_request_context():
        body = dumped({"text": "Zürich 😀 \x7f\n", "b": 1, "a": None}).get_data()
    assert body == b'{"a":null,"b":1,"text":"Z\\u00fcrich \\ud83d\\ude00 \\u007f\\n"}\n'

"""anchor_quote: a claim's quote pinned to code point offsets in its article body."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from claims_api.errors import InvalidInput
from claims_api.services.anchoring import CONTEXT_LENGTH, anchor_quote
from tests.factories import seed_body

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)

TROOPS = "around 130,000 Russian troops now deployed on the Ukrainian border"


def rejection(body: str | None, quote: dict[str, Any]) -> InvalidInput:
    with pytest.raises(InvalidInput) as raised:
        anchor_quote(body, quote)
    return raised.value


def test_quote_with_explicit_offsets_gets_32_characters_of_context() -> None:
    body = seed_body()
    start = body.index(TROOPS)
    end = start + len(TROOPS)
    anchored = anchor_quote(body, {"exact": TROOPS, "start": start, "end": end})
    assert anchored == {
        "exact": TROOPS,
        "start": start,
        "end": end,
        "prefix": body[start - 32 : start],
        "suffix": body[end : end + 32],
    }, "the anchored quote does not carry the given offsets and 32 characters either side"
    assert len(anchored["prefix"]) == len(anchored["suffix"]) == CONTEXT_LENGTH == 32


def test_quote_given_only_exact_is_found_when_it_occurs_once() -> None:
    body = seed_body()
    anchored = anchor_quote(body, {"exact": TROOPS})
    start = body.index(TROOPS)
    assert (anchored["start"], anchored["end"]) == (start, start + len(TROOPS)), (
        "a quote that occurs once was not anchored where the body says it"
    )
    assert body[anchored["start"] : anchored["end"]] == TROOPS


def test_quote_at_the_start_of_the_body_has_a_short_prefix() -> None:
    body = "Beijing urged calm.\nWashington disagreed."
    anchored = anchor_quote(body, {"exact": "Beijing", "start": 0, "end": 7})
    assert anchored["prefix"] == "", "a quote at offset 0 must have an empty prefix"
    assert anchored["suffix"] == " urged calm.\nWashington disagree"


def test_quote_at_the_end_of_the_body_has_a_short_suffix() -> None:
    body = "Beijing urged calm.\nWashington disagreed."
    anchored = anchor_quote(body, {"exact": "disagreed."})
    assert anchored["end"] == len(body)
    assert anchored["suffix"] == "", "a quote at the end of the body must have an empty suffix"


def test_offsets_count_code_points_not_bytes_or_utf16_units() -> None:
    body = "Café 😀 crowds\u00a0gathered — “calm” urged."
    exact = "“calm”"
    start = body.index(exact)
    anchored = anchor_quote(body, {"exact": exact})
    assert anchored["start"] == start == 25, f"expected code point offset 25, got {anchored}"
    assert anchored["end"] == 31


def test_quote_given_with_matching_prefix_and_suffix_is_accepted() -> None:
    body = seed_body()
    anchored = anchor_quote(body, {"exact": TROOPS})
    assert anchor_quote(body, anchored) == anchored, (
        "re-anchoring a quote with its own offsets, prefix and suffix must change nothing"
    )


def test_quote_not_in_the_body_is_rejected_on_exact() -> None:
    error = rejection(seed_body(), {"exact": "around 140,000 Russian troops"})
    assert error.errors == {"quote.exact": ["does not occur in the article body"]}, error.errors


def test_ambiguous_quote_is_rejected_saying_how_often_it_occurs() -> None:
    body = "NATO met. NATO agreed. NATO left."
    error = rejection(body, {"exact": "NATO"})
    assert set(error.errors or {}) == {"quote.exact"}, error.errors
    assert "3 times" in error.errors["quote.exact"][0], (
        f"the message should say the quote occurs 3 times: {error.errors}"
    )
    assert "start and end" in error.errors["quote.exact"][0], "should say how to resolve it"


def test_ambiguous_message_counts_overlapping_occurrences() -> None:
    # "ha ha" occurs at offsets 0 and 3 of "ha ha ha"; str.count sees only one of them.
    error = rejection("ha ha ha", {"exact": "ha ha"})
    message = (error.errors or {}).get("quote.exact", [""])[0]
    assert "2 times" in message, (
        f"the quote occurs twice (overlapping) but the message says {message!r}"
    )


def test_quote_whose_offsets_do_not_match_is_rejected_saying_what_the_body_reads() -> None:
    body = seed_body()
    start = body.index(TROOPS) + 1
    error = rejection(body, {"exact": TROOPS, "start": start, "end": start + len(TROOPS)})
    assert set(error.errors or {}) == {"quote.exact"}, error.errors
    message = error.errors["quote.exact"][0]
    assert repr(body[start : start + len(TROOPS)]) in message, (
        f"the message should quote what the body reads at the offsets: {message!r}"
    )


def test_quote_ending_past_the_body_is_rejected_on_end() -> None:
    body = "Short body."
    error = rejection(body, {"exact": "body.", "start": 6, "end": 12})
    assert set(error.errors or {}) == {"quote.end"}, error.errors
    assert "11 characters" in error.errors["quote.end"][0], error.errors


def test_quote_starting_past_the_body_is_rejected() -> None:
    error = rejection("Short body.", {"exact": "x", "start": 40, "end": 41})
    assert set(error.errors or {}) == {"quote.end"}, error.errors


def test_quote_with_a_wrong_prefix_is_rejected_on_prefix() -> None:
    body = seed_body()
    quote = {**anchor_quote(body, {"exact": TROOPS}), "prefix": "something else entirely"}
    error = rejection(body, quote)
    assert set(error.errors or {}) == {"quote.prefix"}, error.errors


def test_quote_with_a_wrong_suffix_is_rejected_on_suffix() -> None:
    body = seed_body()
    quote = {**anchor_quote(body, {"exact": TROOPS}), "suffix": " and nowhere else"}
    error = rejection(body, quote)
    assert set(error.errors or {}) == {"quote.suffix"}, error.errors


def test_offsets_for_an_article_without_body_are_rejected_on_start() -> None:
    error = rejection(None, {"exact": "Wang Yi", "start": 0, "end": 7})
    assert set(error.errors or {}) == {"quote.start"}, error.errors
    assert "no body" in error.errors["quote.start"][0], error.errors


def test_quote_of_an_article_without_body_keeps_exact_only() -> None:
    anchored = anchor_quote(
        None, {"exact": "Wang Yi urged restraint", "prefix": "x", "suffix": "y"}
    )
    assert anchored == {
        "exact": "Wang Yi urged restraint",
        "start": None,
        "end": None,
        "prefix": None,
        "suffix": None,
    }, "a body-less article's quote must keep exact and nothing that could not be checked"


def test_rejection_is_an_invalid_input_error_naming_the_field() -> None:
    error = rejection("Body.", {"exact": "absent"})
    assert error.status == 422
    assert str(error).startswith("quote.exact:"), str(error)


# ---------------------------------------------------------------- properties

BODY_CHARS = st.one_of(
    st.characters(codec="utf-8"),
    st.sampled_from(["\n", "\r\n", "\u00a0", "😀", "é", "e\u0301", "“", "”", "—", "\t", " "]),
)
BODIES = st.lists(BODY_CHARS, min_size=1, max_size=200).map("".join)


@st.composite
def body_and_slice(draw: st.DrawFn) -> tuple[str, int, int]:
    body = draw(BODIES)
    start = draw(st.integers(0, len(body) - 1))
    end = draw(st.integers(start + 1, len(body)))
    return body, start, end


@PROPERTY_SETTINGS
@given(case=body_and_slice())
def test_any_slice_with_its_offsets_is_anchored_at_those_offsets(
    case: tuple[str, int, int],
) -> None:
    body, start, end = case
    anchored = anchor_quote(body, {"exact": body[start:end], "start": start, "end": end})
    assert anchored == {
        "exact": body[start:end],
        "start": start,
        "end": end,
        "prefix": body[max(0, start - 32) : start],
        "suffix": body[end : end + 32],
    }, f"slice {start}:{end} was not anchored as given: {anchored}"


@PROPERTY_SETTINGS
@given(case=body_and_slice())
def test_anchored_quote_is_accepted_again_unchanged(case: tuple[str, int, int]) -> None:
    body, start, end = case
    anchored = anchor_quote(body, {"exact": body[start:end], "start": start, "end": end})
    assert anchor_quote(body, anchored) == anchored, "an anchored quote did not re-anchor as is"


@PROPERTY_SETTINGS
@given(case=body_and_slice())
def test_unique_slice_given_without_offsets_is_found_at_its_place(
    case: tuple[str, int, int],
) -> None:
    body, start, end = case
    exact = body[start:end]
    first = body.find(exact)
    assume(body.find(exact, first + 1) < 0)
    anchored = anchor_quote(body, {"exact": exact})
    assert (anchored["start"], anchored["end"]) == (first, first + len(exact)), anchored


@st.composite
def body_and_any_quote(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A body and a quote that may or may not fit it: offsets off by a little, context wrong."""
    body = draw(BODIES)
    start = draw(st.integers(0, len(body) + 2))
    end = draw(st.integers(start + 1, len(body) + 3))
    exact = draw(st.one_of(st.just(body[start:end]), st.text(min_size=1, max_size=5)))
    assume(exact)
    quote: dict[str, Any] = {"exact": exact}
    if draw(st.booleans()):
        shift = draw(st.integers(-2, 2))
        quote["start"], quote["end"] = max(0, start + shift), max(1, end + shift)
        assume(quote["end"] > quote["start"])
    for field, context in (
        ("prefix", body[max(0, start - 32) : start]),
        ("suffix", body[end : end + 32]),
    ):
        choice = draw(st.sampled_from(["absent", "right", "other"]))
        if choice == "right":
            quote[field] = context
        elif choice == "other":
            quote[field] = draw(st.text(max_size=5))
    return body, quote


@PROPERTY_SETTINGS
@given(case=body_and_any_quote())
def test_accepted_quote_always_reads_exact_at_its_offsets(
    case: tuple[str, dict[str, Any]],
) -> None:
    body, quote = case
    try:
        anchored = anchor_quote(body, quote)
    except InvalidInput as error:
        assert error.errors and len(error.errors) == 1, "a rejection must name one quote field"
        assert next(iter(error.errors)).startswith("quote."), error.errors
        return
    start, end = anchored["start"], anchored["end"]
    assert 0 <= start < end <= len(body), f"accepted offsets {start}:{end} outside the body"
    assert body[start:end] == anchored["exact"] == quote["exact"], (
        f"accepted quote {quote} does not read exact at {start}:{end}"
    )
    assert anchored["prefix"] == body[max(0, start - 32) : start], "prefix is not the body's"
    assert anchored["suffix"] == body[end : end + 32], "suffix is not the body's"

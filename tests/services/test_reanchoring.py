"""Re-anchoring a quote in an edited body: the states, and that a quote never lands on
different words without its state saying so."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from claims_api.models.vocabulary import AnchorState
from claims_api.services.anchoring import changed_facts, reanchor, selector

WORDS = st.sampled_from(
    ["the", "troops", "border", "NATO", "said", "130,000", "not", "Kyiv", "talks", "in", "a"]
)
TEXT = st.lists(WORDS, min_size=0, max_size=40).map(" ".join)
QUOTE = st.lists(WORDS, min_size=3, max_size=8).map(" ".join)


@st.composite
def edited_side(draw: st.DrawFn, text: str) -> str:
    """``text`` after a few random insertions, deletions and replacements."""
    for _ in range(draw(st.integers(0, 3))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 20)))
        text = text[:start] + draw(TEXT) + text[end:]
    return text


def quote_in(before: str, exact: str, after: str) -> tuple[str, dict[str, object]]:
    body = f"{before} {exact} {after}"
    start = len(before) + 1
    return body, selector(body, start, start + len(exact))


@settings(max_examples=300, deadline=None)
@given(before=TEXT, exact=QUOTE, after=TEXT, data=st.data())
def test_edits_outside_a_quote_keep_it_on_its_words(
    before: str, exact: str, after: str, data: st.DataObject
) -> None:
    old_body, quote = quote_in(before, exact, after)
    assume(old_body.count(exact) == 1)
    new_before, new_after = data.draw(edited_side(before)), data.draw(edited_side(after))
    new_body, _ = quote_in(new_before, exact, new_after)
    result = reanchor(old_body, new_body, quote)
    copies = new_body.count(exact)
    if copies == 1:
        same_place = len(new_before) == len(before)
        assert result.state == (AnchorState.ANCHORED if same_place else AnchorState.MOVED)
        assert result.quote is not None
        assert result.quote["start"] == len(new_before) + 1
        assert new_body[result.quote["start"] : result.quote["end"]] == exact
    else:
        assert result.state == AnchorState.AMBIGUOUS, "an edit made a second copy"
        assert result.quote is None


@settings(max_examples=300, deadline=None)
@given(before=TEXT, exact=QUOTE, after=TEXT, data=st.data())
def test_any_edit_never_moves_a_quote_to_other_words_silently(
    before: str, exact: str, after: str, data: st.DataObject
) -> None:
    old_body, quote = quote_in(before, exact, after)
    new_body = data.draw(edited_side(old_body))
    result = reanchor(old_body, new_body, quote)
    if result.quote is None:
        assert result.state in {AnchorState.AMBIGUOUS, AnchorState.ORPHANED}
        return
    landed = new_body[result.quote["start"] : result.quote["end"]]
    assert landed == result.quote["exact"]
    if result.state in {AnchorState.ANCHORED, AnchorState.MOVED}:
        assert landed == exact
    else:
        assert result.state == AnchorState.FUZZY
        assert result.score is not None and result.score >= 85


def test_a_quote_repeated_in_the_old_body_is_told_apart_by_its_context() -> None:
    body = "First, troops massed at the border. Later, troops massed at the border again."
    start = body.rindex("troops massed")
    quote = selector(body, start, start + len("troops massed"))
    edited = "Update. " + body
    result = reanchor(body, edited, quote)
    assert result.state == AnchorState.MOVED
    assert result.quote is not None and result.quote["start"] == start + len("Update. ")


def test_changed_facts_names_numbers_and_negation() -> None:
    assert changed_facts("150,000 troops", "100,000 troops") == (
        "its numbers changed (150,000 → 100,000)"
    )
    assert changed_facts("Ukraine has joined NATO", "Ukraine has not joined NATO") == (
        "its negation changed"
    )
    assert changed_facts("troops massed", "troops gathered") is None

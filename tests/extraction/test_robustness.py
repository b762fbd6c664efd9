"""Any text at all: the extractor never fails and every quote it proposes anchors."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from claims_api.extraction import extract_claims
from claims_api.services.anchoring import anchor_quote

WORDS = st.sampled_from(
    [
        "NATO",
        "Ukraine",
        "has",
        "not",
        "joined",
        "said",
        "told",
        "“",
        "”",
        '"',
        ",",
        ".",
        "around",
        "130,000",
        "troops",
        "thirty",
        "more than",
        "and",
        "which",
        "the",
        "Wang",
        "Chinese foreign minister Wang Yi",
        "he",
        "urged",
        "\n\n",
        "By",
        "Image:",
        "(",
        ")",
        "between",
        "up to",
        "a third",
        "three in four",
        "include",
        "members",
        "of",
        "€2",
    ]
)
TEXTS = st.one_of(
    st.text(max_size=300),
    st.lists(WORDS, max_size=60).map(" ".join),
)


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_any_text_gives_candidates_whose_quotes_anchor_in_it(body: str) -> None:
    for candidate in extract_claims(body, min_score=0):
        exact = body[candidate.span.start : candidate.span.end]
        assert exact, f"empty quote for {candidate}"
        anchor_quote(
            body, {"exact": exact, "start": candidate.span.start, "end": candidate.span.end}
        )
        assert 0 <= candidate.score <= 1
        assert candidate.text

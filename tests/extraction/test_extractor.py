"""The extractor's rules on short texts: lists, negation, speakers, bylines, evaluation."""

from __future__ import annotations

from claims_api.extraction import Candidate, extract_claims
from claims_api.extraction.segments import sentences


def of_kind(body: str, kind: str) -> list[Candidate]:
    return [candidate for candidate in extract_claims(body) if candidate.kind.value == kind]


def quote(body: str, candidate: Candidate) -> str:
    return body[candidate.span.start : candidate.span.end]


def test_a_list_of_members_gives_one_claim_per_member_and_expands_named_groups() -> None:
    body = "NATO today has extended to include the three Baltic states, Poland, and Romania."
    members = [candidate.details["member"] for candidate in of_kind(body, "membership")]
    assert members == ["Estonia", "Latvia", "Lithuania", "Poland", "Romania"]
    assert {quote(body, candidate) for candidate in of_kind(body, "membership")} == {
        "the three Baltic states",
        "Poland",
        "Romania",
    }


def test_negated_membership_is_not_member_for_each_organisation() -> None:
    body = "Ukraine is not a member of NATO or the European Union."
    facts = [
        (c.details["member"], c.details["organization"], c.details["relation"])
        for c in of_kind(body, "membership")
    ]
    assert facts == [
        ("Ukraine", "NATO", "not_member"),
        ("Ukraine", "European Union", "not_member"),
    ]
    assert of_kind(body, "membership")[1].text == "Ukraine is not a member of the European Union."


def test_has_not_joined_is_a_not_member_fact() -> None:
    body = "Although Ukraine has not joined NATO, most Ukrainians support its entry."
    (fact,) = of_kind(body, "membership")
    assert (fact.details["member"], fact.details["relation"]) == ("Ukraine", "not_member")
    assert quote(body, fact) == "Ukraine has not joined NATO"


def test_short_name_after_a_quote_resolves_to_the_full_name_and_role() -> None:
    body = (
        "Chinese foreign minister Wang Yi spoke to Secretary of State Antony Blinken.\n\n"
        "“Concerns should be resolved,” Wang told Blinken, according to Chinese sources."
    )
    (statement,) = of_kind(body, "statement")
    assert statement.details == {
        "speaker": "Wang Yi",
        "speaker_role": "Chinese foreign minister",
        "audience": "Antony Blinken",
        "attribution": "according to Chinese sources",
        "verbatim": True,
    }
    assert statement.text == (
        "“Concerns should be resolved,” Wang Yi told Antony Blinken, according to Chinese sources."
    )


def test_in_the_words_of_names_the_speaker_of_the_quotation_it_frames() -> None:
    body = (
        "Her skin broke every time her parents changed her clothes, and in the words of the "
        'Crown prosecutor, Mark Tedeschi, "Gloria spent the last five months of her life crying."'
    )
    speakers = {s.details["speaker"] for s in of_kind(body, "statement")}
    assert "Mark Tedeschi" in speakers
    assert "parents" not in " ".join(speakers)


def test_the_report_is_the_one_study_the_article_named() -> None:
    body = (
        "The results of the National Iodine Nutrition Study were published this week. "
        "The report says the decline in iodine intake is due to changes in the dairy industry."
    )
    (statement,) = of_kind(body, "statement")
    assert statement.details["speaker"] == "National Iodine Nutrition Study"


def test_a_group_such_as_a_named_body_is_spoken_for_by_that_body() -> None:
    body = "Critics such as the Electronic Frontier Foundation said the law was far too broad."
    (statement,) = of_kind(body, "statement")
    assert statement.details["speaker"] == "Electronic Frontier Foundation"


def test_pronoun_speaker_is_the_person_speaking_before() -> None:
    body = (
        "Kremlin spokesman Dmitry Peskov said Russia had no plans to attack. "
        "He said the troops were on Russian soil and that their movements were nobody's business."
    )
    statements = of_kind(body, "statement")
    assert [s.details["speaker"] for s in statements] == ["Dmitry Peskov"] * 3
    assert statements[1].text == "Dmitry Peskov said the troops were on Russian soil."


def test_reported_speech_with_elided_subject_keeps_the_subject() -> None:
    body = "U.S. officials have refused to block it, claiming that the decision is Kyiv's alone."
    (statement,) = of_kind(body, "statement")
    assert statement.details["speaker"] == "U.S. officials"
    assert statement.text.startswith("U.S. officials said: claiming that")
    assert [c.kind.value for c in extract_claims(body)] == ["event", "statement"]


def test_trailing_attribution_is_a_statement_and_its_figure_a_quantity() -> None:
    body = "Three in four of them are women and children, the UN refugee agency says."
    kinds = {c.kind.value: c for c in extract_claims(body)}
    assert kinds["statement"].details["speaker"] == "UN refugee agency"
    assert quote(body, kinds["quantity"]) == "Three in four of them are women and children"


def test_advice_to_citizens_is_an_event_not_a_statement() -> None:
    body = "The White House has urged all U.S. citizens to leave Ukraine."
    assert [c.kind.value for c in extract_claims(body)] == ["event"]


def test_bylines_credits_headlines_and_datelines_are_not_claims() -> None:
    body = (
        "Embassies move staff out of Kyiv\n\n"
        "By Marta Kovalenko and Piotr Nowak\n\n"
        "KYIV, Feb 14 (Northgate Wire) - Dutch airline KLM suspended flights to Ukraine.\n\n"
        "Marta Kovalenko is a correspondent for Northgate Wire.\n\n"
        "(Reporting by Marta Kovalenko; Editing by Ian Reed)\n\n"
        "Image: Reuters."
    )
    assert [s.text for s in sentences(body)] == ["Dutch airline KLM suspended flights to Ukraine."]
    (event,) = extract_claims(body)
    assert quote(body, event) == "Dutch airline KLM suspended flights to Ukraine"


def test_hedged_or_evaluative_sentences_score_below_their_plain_versions() -> None:
    pairs = [
        (
            "Beijing appears sympathetic to Moscow's concerns.",
            "Beijing is sympathetic to Moscow's concerns.",
        ),
        (
            "Wang's statement was perhaps China's most pointed statement yet.",
            "Wang's statement was China's first statement on the matter.",
        ),
    ]
    for hedged, plain in pairs:
        (low,) = extract_claims(hedged, min_score=0)
        (high,) = extract_claims(plain, min_score=0)
        assert low.score < high.score, (low, high)
        assert "hedged or speculative" in low.features, low


def test_every_candidate_quote_reads_exact_in_the_body_and_scores_within_0_and_1() -> None:
    body = (
        "With around 130,000 troops on the border and thousands more in Belarus, China urged calm."
    )
    for candidate in extract_claims(body, min_score=0):
        assert 0 <= candidate.score <= 1
        assert 0 <= candidate.span.start < candidate.span.end <= len(body)


def test_extraction_is_deterministic() -> None:
    body = (
        "Ukraine is not a member of NATO. Russia has massed up to 130,000 troops, officials said."
    )
    assert extract_claims(body) == extract_claims(body)


def test_a_transcript_label_makes_its_paragraphs_statements_of_the_named_speaker() -> None:
    body = (
        "Treasury Secretary Janet Yellen spoke at the event.\n\n"
        "THE PRESIDENT: Thank you. We created 10 million jobs last year.\n\n"
        "The deficit fell by $1.7 trillion over two years.\n\n"
        "SECRETARY YELLEN: The economy grew 5.7 percent in 2021, the fastest in decades."
    )
    said = [(c.details["speaker"], quote(body, c)) for c in of_kind(body, "statement")]
    assert ("President", "We created 10 million jobs last year") in said
    assert ("President", "The deficit fell by $1.7 trillion over two years") in said
    assert ("Janet Yellen", "The economy grew 5.7 percent in 2021, the fastest in decades") in said
    assert not any("THE PRESIDENT" in text or "YELLEN:" in text for _, text in said)


def test_a_relative_pronoun_speaks_for_its_antecedent_and_they_for_a_body() -> None:
    body = (
        "The Home Office said the rules would change. Its minister, Jane Roe, disagreed. "
        "Former official Tom Devocht, who told reporters the plan had failed, resigned. "
        "They claimed the figures were wrong."
    )
    speakers = {quote(body, c): c.details["speaker"] for c in of_kind(body, "statement")}
    assert any(s == "Tom Devocht" and "plan had failed" in q for q, s in speakers.items())
    assert any(s == "Home Office" and "figures were wrong" in q for q, s in speakers.items())


def test_happenings_under_way_or_scheduled_are_events_trends_are_not() -> None:
    assert of_kind("YouTube is complying with the church's requests to remove the video.", "event")
    assert of_kind("On Wednesday, Mohamed and his father are to travel to New York.", "event")
    assert not of_kind("Internet Explorer's market share is slipping.", "event")

"""Numbers: approximation, bounds and spelled-out forms, read from the words around them."""

from __future__ import annotations

import pytest

from claims_api.extraction.numbers import number_value, quantities


def only(text: str) -> dict[str, object]:
    found = quantities(text)
    assert len(found) == 1, f"expected one quantity in {text!r}, got {found}"
    quantity = found[0]
    return {"quote": text[quantity.start : quantity.end], **quantity.as_fields()}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "around 130,000 Russian troops now deployed",
            {"value": 130000, "approximate": True, "unit": "troops"},
        ),
        ("thousands more in neighboring Belarus", {"value": None, "lower_bound": 2000}),
        ("decline over the past thirty years", {"value": 30, "unit": "years"}),
        ("killed more than 14,000 people", {"value": None, "lower_bound": 14000}),
        ("up to 30,000 in Belarus", {"value": None, "upper_bound": 30000}),
        ("at least six embassies", {"lower_bound": 6, "unit": "embassies"}),
        ("between 100,000 and 130,000 troops", {"lower_bound": 100000, "upper_bound": 130000}),
        ("nearly a third of the jets", {"value": 33.3, "upper_bound": 33.3, "unit": "percent"}),
        ("three in four of them", {"value": 75, "unit": "percent"}),
        ("More than a dozen countries", {"lower_bound": 12, "unit": "countries"}),
        ("yields rose above 12%", {"lower_bound": 12, "unit": "percent"}),
        ("most Ukrainians support it", {"lower_bound": 50, "unit": "percent"}),
        ("Some 1.5 million people", {"value": 1500000, "approximate": True, "unit": "people"}),
    ],
)
def test_quantity_reads_value_approximation_and_bounds(
    text: str, expected: dict[str, object]
) -> None:
    found = only(text)
    wrong = {name: found[name] for name, value in expected.items() if found[name] != value}
    assert not wrong, f"{text!r}: expected {expected}, got {found}"


def test_a_conversion_in_brackets_belongs_to_the_number_before_it() -> None:
    assert only("about 540 km (335 miles) west")["quote"] == "about 540 km (335 miles)"


@pytest.mark.parametrize(
    "text",
    [
        "its weakest level since 2015",
        "ratified on Feb. 10 in Kyiv",
        "talks between the two sides",
        "include the three Baltic states",
        "no one expected it",
    ],
)
def test_years_dates_and_definite_numbers_are_not_quantities(text: str) -> None:
    assert quantities(text) == [], f"{text!r} should hold no checkable number"


@pytest.mark.parametrize(
    ("words", "value"),
    [("thirty", 30), ("two hundred and fifty", 250), ("thirty-five", 35), ("1.7 billion", 1.7e9)],
)
def test_spelled_out_and_scaled_numbers_have_their_value(words: str, value: float) -> None:
    assert number_value(words) == value

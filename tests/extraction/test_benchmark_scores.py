"""The extractor on the development set of real articles, and how little edits of form cost it.

Floors a little below what the extractor measured when they were set (``python -m
benchmarks.extraction --set dev``): a change that loses claims, kinds or speakers on
text nobody on the project wrote fails here. The held-out set is never scored in tests
(it is for reporting only; see benchmarks/data/extraction/README.md).
"""

from __future__ import annotations

from functools import cache

import pytest

from benchmarks.extraction import PERTURBATIONS, SETS, evaluate_set, micro, perturbation_deltas

# Measured: precision 0.74, recall 0.76, kind 0.87, speaker 0.86 (micro-averaged, 9 articles,
# with the check-worthiness model's default cut).
DEV_FLOORS = {"precision": 0.71, "recall": 0.73, "kind": 0.84, "speaker": 0.82}
# Issue 11: no edit of form costs more than 0.03 of any micro-averaged figure.
MOST_AN_EDIT_MAY_COST = 0.03


@cache
def deltas() -> dict[str, dict[str, float]]:
    return perturbation_deltas(SETS["dev"]())


def test_development_set_scores_stay_above_their_floors() -> None:
    achieved = micro("dev", evaluate_set("dev")).figures()
    below = {
        name: f"{achieved[name]:.3f} < {floor:.2f}"
        for name, floor in DEV_FLOORS.items()
        if achieved[name] < floor
    }
    assert not below, f"the development set fell below its floors: {below}"


@pytest.mark.parametrize("edit", PERTURBATIONS)
def test_an_edit_of_form_costs_at_most_three_hundredths(edit: str) -> None:
    costly = {
        figure: f"{change:+.3f}"
        for figure, change in deltas()[edit].items()
        if change < -MOST_AN_EDIT_MAY_COST
    }
    assert not costly, f"{edit} costs more than {MOST_AN_EDIT_MAY_COST}: {costly}"


def test_perturbed_gold_quotes_still_read_exact_in_the_edited_body() -> None:
    from benchmarks.extraction import load, perturbed

    for path in SETS["dev"]():
        for edits in PERTURBATIONS.values():
            document = perturbed(load(path), edits)
            body = document["article"]["body"]
            for claim in document["claims"]:
                quote = claim["quote"]
                assert body[quote["start"] : quote["end"]] == quote["exact"], (path.stem, quote)

"""The verification workflow as data: statuses, allowed transitions and ClaimReview ratings.

A deployment replaces the default with ``CLAIMS_WORKFLOW`` (the document itself,
as JSON) or ``CLAIMS_WORKFLOW_FILE`` (a path to a JSON file). The document is
checked when the app starts, so a mistake stops the service instead of
surfacing as odd answers later.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app

STATUS_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
DOCUMENT_KEYS = {"initial", "statuses", "transitions"}
STATUS_KEYS = {"verdict", "rating"}
# The integer fields of a rating, as the document names them, and their defaults.
RATING_NUMBERS = {"ratingValue": None, "bestRating": 5, "worstRating": 1}
RATING_KEYS = {"alternateName", *RATING_NUMBERS}

VERDICT_RATINGS = {
    "verified": ("True", 5),
    "mostly_true": ("Mostly true", 4),
    "misleading": ("Misleading", 2),
    "false": ("False", 1),
    # Neither a place on the truth scale: schema.org allows a rating named only.
    "unverifiable": ("Unverifiable", None),
    "disputed": ("Disputed", None),
}
DEFAULT_WORKFLOW: dict[str, Any] = {
    "initial": "unverified",
    "statuses": {
        "unverified": {"verdict": False},
        "in_review": {"verdict": False},
        **{
            name: {"verdict": True, "rating": {"alternateName": label, "ratingValue": value}}
            for name, (label, value) in VERDICT_RATINGS.items()
        },
    },
    "transitions": {
        "unverified": ["in_review"],
        "in_review": list(VERDICT_RATINGS),
        # Any verdict can be reopened.
        **{name: ["in_review"] for name in VERDICT_RATINGS},
    },
}


class WorkflowError(ValueError):
    """The configured workflow is not usable; raised when the app starts."""


@dataclass(frozen=True)
class Rating:
    """A status as a schema.org ClaimReview ``reviewRating``."""

    alternate_name: str
    rating_value: int | None
    best_rating: int = 5
    worst_rating: int = 1

    def as_schema_org(self) -> dict[str, Any]:
        rating: dict[str, Any] = {"@type": "Rating", "alternateName": self.alternate_name}
        if self.rating_value is not None:
            rating["ratingValue"] = self.rating_value
            rating["bestRating"] = self.best_rating
            rating["worstRating"] = self.worst_rating
        return rating


@dataclass(frozen=True)
class Workflow:
    initial: str
    # Status name -> its rating; verdicts have one, statuses awaiting review do not.
    ratings: Mapping[str, Rating | None]
    transitions: Mapping[str, tuple[str, ...]]

    @property
    def statuses(self) -> tuple[str, ...]:
        return tuple(self.ratings)

    @property
    def verdicts(self) -> tuple[str, ...]:
        return tuple(name for name, rating in self.ratings.items() if rating is not None)

    @property
    def awaiting_review(self) -> tuple[str, ...]:
        """The statuses of claims in the review queue: every status that is not a verdict."""
        return tuple(name for name, rating in self.ratings.items() if rating is None)

    def unknown_status(self, status: str) -> str | None:
        """Why ``status`` is not one of this workflow's (None when it is): the one message
        every validator of a claim's status gives."""
        if status in self.ratings:
            return None
        return f"Must be one of: {', '.join(self.statuses)}."

    def is_verdict(self, status: str) -> bool:
        return self.ratings.get(status) is not None

    def allowed_from(self, status: str) -> tuple[str, ...]:
        return self.transitions.get(status, ())

    def rating_for(self, status: str) -> Rating | None:
        return self.ratings.get(status)


def _fail(where: str, message: str) -> WorkflowError:
    return WorkflowError(f"invalid workflow: {where}: {message}")


def _check_keys(where: str, value: Any, allowed: set[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(where, "must be an object")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise _fail(where, f"unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    return value


def _rating(where: str, value: Any) -> Rating:
    value = _check_keys(where, value, RATING_KEYS)
    name = value.get("alternateName")
    if not isinstance(name, str) or not name.strip():
        raise _fail(f"{where}.alternateName", "a verdict's rating needs a non-empty name")
    numbers = {key: value.get(key, default) for key, default in RATING_NUMBERS.items()}
    for key, number in numbers.items():
        if number is not None and (isinstance(number, bool) or not isinstance(number, int)):
            raise _fail(f"{where}.{key}", "must be an integer")
    best, worst, score = numbers["bestRating"], numbers["worstRating"], numbers["ratingValue"]
    if best is None or worst is None or best <= worst:
        raise _fail(where, "bestRating must be greater than worstRating")
    if score is not None and not worst <= score <= best:
        raise _fail(f"{where}.ratingValue", f"must lie between {worst} and {best}")
    return Rating(name.strip(), score, best, worst)


def parse_workflow(document: Any) -> Workflow:
    """Check a workflow document and build the workflow; WorkflowError names what is wrong."""
    document = _check_keys("(document)", document, DOCUMENT_KEYS)
    statuses = document.get("statuses")
    if not isinstance(statuses, Mapping) or not statuses:
        raise _fail("statuses", "must be an object naming at least one status")
    ratings: dict[str, Rating | None] = {}
    for name, spec in statuses.items():
        where = f"statuses.{name}"
        if not STATUS_NAME.fullmatch(name):
            raise _fail(where, "names are lower-case letters, digits and _, at most 40")
        spec = _check_keys(where, spec, STATUS_KEYS)
        if not isinstance(spec.get("verdict"), bool):
            raise _fail(f"{where}.verdict", "must be true or false")
        if spec["verdict"]:
            ratings[name] = _rating(f"{where}.rating", spec.get("rating"))
        elif spec.get("rating") is not None:
            raise _fail(f"{where}.rating", "only verdicts carry a rating")
        else:
            ratings[name] = None
    initial = document.get("initial")
    if initial not in ratings:
        raise _fail("initial", f"{initial!r} is not one of the statuses")
    if ratings[initial] is not None:
        raise _fail("initial", "a new claim cannot start with a verdict")
    transitions: dict[str, tuple[str, ...]] = {}
    raw = _check_keys("transitions", document.get("transitions"), set(ratings))
    for source, targets in raw.items():
        where = f"transitions.{source}"
        if not isinstance(targets, list) or not all(isinstance(item, str) for item in targets):
            raise _fail(where, "must be a list of status names")
        unknown = sorted(set(targets) - set(ratings))
        if unknown:
            raise _fail(where, f"unknown status(es) {unknown}")
        if source in targets:
            raise _fail(where, "a status cannot move to itself")
        transitions[source] = tuple(dict.fromkeys(targets))
    unreachable = sorted(set(ratings) - _reachable(initial, transitions))
    if unreachable:
        raise _fail("transitions", f"no path from {initial!r} reaches {unreachable}")
    return Workflow(initial, ratings, transitions)


def _reachable(start: str, transitions: Mapping[str, tuple[str, ...]]) -> set[str]:
    seen, pending = {start}, [start]
    while pending:
        for target in transitions.get(pending.pop(), ()):
            if target not in seen:
                seen.add(target)
                pending.append(target)
    return seen


def load_workflow(config: Mapping[str, Any]) -> Workflow:
    """The workflow the app's configuration names: WORKFLOW, WORKFLOW_FILE, or the default."""
    document, origin = config.get("WORKFLOW"), "CLAIMS_WORKFLOW"
    if document is None and config.get("WORKFLOW_FILE"):
        origin = f"CLAIMS_WORKFLOW_FILE ({config['WORKFLOW_FILE']})"
        try:
            document = json.loads(Path(config["WORKFLOW_FILE"]).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise WorkflowError(f"{origin}: cannot read the workflow: {error}") from None
    if document is None:
        return DEFAULT
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError as error:
            raise WorkflowError(f"{origin}: not JSON: {error}") from None
    try:
        return parse_workflow(document)
    except WorkflowError as error:
        raise WorkflowError(f"{origin}: {error}") from None


DEFAULT = parse_workflow(DEFAULT_WORKFLOW)


def current() -> Workflow:
    """The running app's workflow."""
    workflow: Workflow = current_app.extensions["claims_workflow"]
    return workflow


def rating_for(status: str) -> Rating | None:
    """The ClaimReview rating of ``status`` in the running app's workflow (None: no verdict)."""
    return current().rating_for(status)

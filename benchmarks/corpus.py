"""A deterministic corpus of article documents (the import format), for tests and benchmarks."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SUBJECTS = [
    "Russian troops",
    "NATO members",
    "Chinese diplomats",
    "Ukrainian officials",
    "U.S. envoys",
]
PLACES = ["the Ukrainian border", "Belarus", "the Baltic states", "Poland", "Kyiv", "Brussels"]
SPEAKERS = [
    ("Wang Yi", "Chinese foreign minister"),
    ("Antony Blinken", "U.S. Secretary of State"),
    ("Vladimir Putin", "Russian president"),
    ("Jens Stoltenberg", "NATO secretary general"),
]
STATUSES = [
    "unverified",
    "in_review",
    "verified",
    "mostly_true",
    "misleading",
    "false",
    "unverifiable",
    "disputed",
]
TAGS = ["NATO", "Ukraine", "Russia", "China", "United States", "Belarus", "Poland"]
STANCES = ["supports", "refutes", "context"]


def _claim_sentence(rng: random.Random, index: int) -> tuple[str, dict[str, Any]]:
    """A sentence of the article and the claim (without its quote offsets) it carries."""
    kind = ["quantity", "membership", "statement", "event", "other"][index % 5]
    if kind == "quantity":
        value = rng.randrange(1_000, 200_000, 1_000)
        subject, place = rng.choice(SUBJECTS), rng.choice(PLACES)
        sentence = f"Around {value:,} {subject} were counted near {place} in report {index}."
        detail = {
            "value": value,
            "unit": "people",
            "approximate": True,
            "lower_bound": None,
            "upper_bound": None,
            "subject": subject,
            "location": place,
            "as_of": "2022-02-14",
        }
        text = f"About {value:,} {subject} were near {place}."
    elif kind == "membership":
        member = rng.choice(["Ukraine", "Poland", "Estonia", "Finland", "Georgia"])
        relation = rng.choice(["member", "not_member", "candidate", "applicant"])
        sentence = (
            f"{member} has the status {relation.replace('_', ' ')} in NATO, note {index} says."
        )
        detail = {"member": member, "organization": "NATO", "relation": relation, "as_of": None}
        text = f"{member} is {relation.replace('_', ' ')} of NATO."
    elif kind == "statement":
        speaker, role = rng.choice(SPEAKERS)
        sentence = f"\u201cWe call for calm, number {index},\u201d {speaker} told reporters."
        detail = {
            "speaker": speaker,
            "speaker_role": role,
            "audience": "reporters",
            "attribution": None,
            "verbatim": True,
        }
        text = f"{speaker} called for calm (statement {index})."
    else:
        detail = None
        sentence = f"Officials reported event number {index} near {rng.choice(PLACES)} on Monday."
        text = f"Officials reported event {index}."
    claim: dict[str, Any] = {"text": text, "kind": kind}
    if detail is not None:
        claim[kind] = detail
    return sentence, claim


RARE_TAG = "Kaliningrad"
RARE_WORD = "Kaliningrad"  # in no other claim's text


def article_documents(
    articles: int,
    claims_per_article: int,
    *,
    sources: int = 2_000,
    seed: int = 7,
    rare_every: int | None = None,
) -> Iterator[dict[str, Any]]:
    """``articles`` documents of ``claims_per_article`` claims, two source links each.

    ``rare_every``: every so many claims also carry the tag RARE_TAG and the word
    RARE_WORD in their text (a filter matching a known share of rows, 1% for 100).
    """
    rng = random.Random(seed)
    for number in range(articles):
        sentences, claims = [], []
        for index in range(claims_per_article):
            sentence, claim = _claim_sentence(rng, number * claims_per_article + index)
            sentences.append(sentence)
            claims.append(claim)
        body = f"Dispatch {number}.\n\n" + " ".join(sentences) + "\n"
        position = len(f"Dispatch {number}.\n\n")
        for offset, (sentence, claim) in enumerate(zip(sentences, claims, strict=True)):
            start, end = position, position + len(sentence)
            claim["quote"] = {"exact": sentence, "start": start, "end": end}
            claim["key"] = f"c{start}"
            claim["tags"] = sorted(rng.sample(TAGS, 2))
            if rare_every and (number * claims_per_article + offset) % rare_every == 0:
                claim["tags"] = sorted([*claim["tags"], RARE_TAG])
                claim["text"] += f" Also {RARE_WORD}."
            claim["status"] = rng.choice(STATUSES)
            picked = rng.sample(range(sources), 2)
            claim["sources"] = [
                {
                    "url": f"https://sources.example.org/doc/{source}",
                    "title": f"Source document {source}",
                    "publisher": f"Publisher {source % 40}",
                    "kind": "news",
                    "stance": rng.choice(STANCES),
                    "excerpt": f"excerpt {rng.randrange(1000)}",
                    "note": None,
                }
                for source in picked
            ]
            position = end + 1
        yield {
            "article": {
                "url": f"https://news.example.org/{number}/dispatch",
                "title": f"Dispatch {number}",
                "publisher": f"Outlet {number % 25}",
                "authors": [f"Reporter {number % 60}"],
                "published_at": f"2022-02-{1 + number % 28:02d}T08:00:00+00:00",
                "language": "en",
                "body": body,
            },
            "claims": claims,
        }


def write_jsonl(path: Path, articles: int, claims_per_article: int, **options: Any) -> Path:
    with path.open("w", encoding="utf-8") as output:
        for document in article_documents(articles, claims_per_article, **options):
            output.write(json.dumps(document, ensure_ascii=False) + "\n")
    return path

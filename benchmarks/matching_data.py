"""Claims for the matching benchmark: the project's real annotated claims, and written
variants of them (negations, other numbers, other countries, other speakers).

Shared by the pair set's builder (benchmarks/data/matching/build.py) and the pool of
look-alikes that benchmarks/matching.py generates, so both vary claims the same way.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

EXTRACTION = Path(__file__).resolve().parent / "data" / "extraction"

COUNTRIES = [
    "Afghanistan",
    "Armenia",
    "Australia",
    "Brazil",
    "Canada",
    "Chile",
    "China",
    "Colombia",
    "Egypt",
    "France",
    "Georgia",
    "Germany",
    "Greece",
    "India",
    "Indonesia",
    "Iran",
    "Iraq",
    "Israel",
    "Italy",
    "Japan",
    "Kenya",
    "Malawi",
    "Mali",
    "Mexico",
    "New Zealand",
    "Nigeria",
    "North Korea",
    "Pakistan",
    "Palestine",
    "Philippines",
    "Poland",
    "Russia",
    "Saudi Arabia",
    "South Korea",
    "Spain",
    "Syria",
    "Taiwan",
    "Thailand",
    "Turkey",
    "Ukraine",
    "United Kingdom",
    "United States",
    "Zambia",
    "Hong Kong",
    "Myanmar",
    "Scotland",
]
AUXILIARIES = r"\b(is|are|was|were|has|have|had|will|would|can|could|should|must)\b"


def load_extraction() -> dict[str, list[tuple[dict[str, Any], dict[str, Any]]]]:
    """Per split: (article, claim) of every annotated claim."""
    found: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for split in ("dev", "heldout", "heldout-second"):
        for path in sorted((EXTRACTION / split).glob("*.json")):
            document = json.loads(path.read_text(encoding="utf-8"))
            article = dict(document["article"], file=f"{split}/{path.name}")
            found.setdefault(split, []).extend((article, claim) for claim in document["claims"])
    return found


def claim_only(claim: dict[str, Any]) -> dict[str, Any]:
    """The claim fields the import takes, without its anchor in the original body."""
    kept = {
        key: claim[key]
        for key in ("text", "kind", "quantity", "membership", "statement", "tags")
        if key in claim
    }
    return json.loads(json.dumps(kept))


def reworded(one: str, other: str) -> bool:
    """Whether two wordings differ by more than punctuation and a word or two."""
    a, b = (set(re.findall(r"\w+", text.lower())) for text in (one, other))
    return len(a ^ b) >= 3


def negate(text: str) -> str | None:
    """The claim with its first auxiliary negated ("was" → "was not", "is not" → "is"), or
    None where that would not read as the plain opposite (other negations, a clause-final
    auxiliary)."""
    aux = re.search(AUXILIARIES + r" (?=[\w\"“])", text)
    if not aux or aux.start() > 80:
        return None
    if text[aux.end() - 1 : aux.end() + 4] == " not ":
        rest = text[aux.end() + 4 :]
        if re.search(r"\b(not|no|never|none|nobody|n't)\b|n’t", rest):
            return None
        return text[: aux.end()] + rest
    if re.search(r"\b(not|no|never|none|nobody|nothing)\b|n't|n’t", text):
        return None
    if re.search(r"\b(may|might|can|could|would|should|must|will)\s*$", text[: aux.start()]):
        return None
    return text[: aux.end()] + "not " + text[aux.end() :]


def number_forms(value: float) -> list[str]:
    whole = int(value) if float(value).is_integer() else None
    if whole is None:
        return [str(value)]
    return [f"{whole:,}", str(whole)]


def other_number(claim: dict[str, Any], factor: float) -> dict[str, Any] | None:
    quantity = claim.get("quantity") or {}
    value = quantity.get("value")
    if value is None or value == 0:
        return None
    for form in number_forms(value):
        if re.search(rf"(?<![\d,.]){re.escape(form)}(?![\d,])", claim["text"]):
            new = round(value * factor) if float(value).is_integer() else round(value * factor, 1)
            if new == value:
                return None
            text = re.sub(
                rf"(?<![\d,.]){re.escape(form)}(?![\d,])",
                f"{new:,}" if "," in form or new >= 10000 else str(new),
                claim["text"],
                count=1,
            )
            changed = claim_only(claim)
            changed["text"] = text
            changed["quantity"] = dict(
                quantity, value=new, approximate=quantity.get("approximate", False)
            )
            return changed
    return None


def changes_over_time(claim: dict[str, Any]) -> bool:
    """Whether a later, other number for this claim reads as an update: not a fact about
    a past year or someone's age (those only contradict)."""
    text = claim["text"]
    return not re.search(r"\b(1[89]|20)\d\d\b|years? old|-year-old|\bborn\b", text)


def other_country(claim: dict[str, Any], rng: random.Random) -> dict[str, Any] | None:
    """The claim about another country, where the name stands alone (not inside a longer
    name such as "Dark Ravens Armenia" or "Hong Kong Island")."""
    text = claim["text"]
    if "North and South" in text:
        return None
    for country in sorted(COUNTRIES, key=len, reverse=True):
        found = re.search(rf"(\b[Tt]he )?\b{re.escape(country)}\b", text)
        if not found:
            continue
        before = text[: found.start()].split()
        after = text[found.end() :].split()
        if (before and before[-1][:1].isupper() and not before[-1].endswith(".")) or (
            after and after[0][:1].isupper()
        ):
            return None
        replacement = rng.choice([c for c in COUNTRIES if c != country and c not in text])
        article = (
            "the " if replacement in ("Philippines", "United States", "United Kingdom") else ""
        )
        if found.group(1):
            # "the New Zealand government" keeps its article; "the Philippines" takes the new one.
            kept = (
                after and after[0][:1].islower() and not after[0].startswith(("and", "over", "in"))
            )
            article = (
                found.group(1) if kept else (found.group(1)[0] + article[1:]) if article else ""
            )
        changed = claim_only(claim)
        rest = re.sub(rf"\b{re.escape(country)}\b", replacement, text[found.end() :])
        changed["text"] = text[: found.start()] + article + replacement + rest
        changed["text"] = changed["text"][:1].upper() + changed["text"][1:]
        changed["tags"] = sorted(
            {replacement if tag == country else tag for tag in claim.get("tags", [])}
        )
        if changed.get("quantity") and changed["quantity"].get("location"):
            changed["quantity"]["location"] = changed["quantity"]["location"].replace(
                country, replacement
            )
        return changed
    return None


def other_speaker(
    claim: dict[str, Any], speakers: list[str], rng: random.Random
) -> dict[str, Any] | None:
    speaker = (claim.get("statement") or {}).get("speaker")
    if not speaker or not claim["text"].startswith(speaker):
        return None
    names = [name for name in speakers if name[:1].isupper() and not name.startswith("The ")]
    replacement = rng.choice(
        [name for name in names if name != speaker and name not in claim["text"]]
    )
    changed = claim_only(claim)
    changed["text"] = claim["text"].replace(speaker, replacement)
    changed["statement"] = dict(claim["statement"], speaker=replacement, speaker_role=None)
    changed["tags"] = sorted(
        {replacement if tag == speaker else tag for tag in claim.get("tags", [])}
    )
    return changed

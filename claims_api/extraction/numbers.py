"""Numbers in a clause, with their approximation and bounds, read from the words around them.

Figures ("130,000", "2.5%", "$2.3 billion"), spelled-out numbers ("thirty",
"eight"; parsed by number-parser), vague counts ("thousands more"), shares
("nearly a third", "three in four", "most Ukrainians") and the phrases that
bound them ("more than", "up to", "between N and M"). Years, dates and the
definite "the two sides" are not quantities a fact-checker checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from number_parser import parse_number

NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen"
    "|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty"
    "|ninety|hundred|thousand|million|billion"
)
SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "trillion": 10**12}
VAGUE_COUNTS = {
    "dozens": 24,
    "scores": 40,
    "hundreds": 200,
    "thousands": 2_000,
    "tens of thousands": 20_000,
    "hundreds of thousands": 200_000,
    "millions": 2_000_000,
}
FRACTIONS = {
    "half": 50.0,
    "a third": 33.3,
    "one third": 33.3,
    "a quarter": 25.0,
    "one quarter": 25.0,
    "two-thirds": 66.7,
    "two thirds": 66.7,
    "three-quarters": 75.0,
    "three quarters": 75.0,
}
CURRENCIES = {"$": "dollars", "£": "pounds", "€": "euros"}
MONTHS = (
    r"Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|January|February|March|April|June"
    r"|July|August|September|October|November|December"
)

_spelled = rf"(?:{NUMBER_WORDS})(?:[\s-]+(?:and\s+)?(?:{NUMBER_WORDS}))*"
_figure = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_scale = r"(?:\s+(?:thousand|million|billion|trillion))?"
_fraction = "|".join(sorted(map(re.escape, FRACTIONS), key=len, reverse=True))
_vague = "|".join(sorted(map(re.escape, VAGUE_COUNTS), key=len, reverse=True))

MODIFIER = (
    r"(?P<mod>about|around|roughly|approximately|some|an estimated|nearly|almost|close to"
    r"|up to|as many as|more than|over|above|at least|fewer than|less than|under|below"
    r"|as few as|between)\s+"
)
NUMBER = re.compile(
    rf"(?:{MODIFIER})?"
    rf"(?:(?P<ratio>(?:{_spelled}|\d+) in (?:{_spelled}|\d+))"
    rf"|(?P<fraction>{_fraction})(?= of\b)"
    rf"|(?P<dozen>a dozen)"
    rf"|(?P<currency>[$£€])?(?P<figure>{_figure}){_scale}(?P<percent>%|\s+per\s?cent)?"
    rf"|(?P<vague>{_vague})(?P<more>\s+more)?"
    rf"|(?P<spelled>{_spelled}))"
    rf"(?:\s+and\s+(?P<upper>{_figure}{_scale}|{_spelled}))?",
    re.IGNORECASE,
)
MOST = re.compile(r"\bmost (?=[A-Z][a-z]+s\b|of (?:the|its|their) )")
YEAR = re.compile(r"(?:1[89]|20)\d\d")
DATE_BEFORE = re.compile(rf"\b(?:{MONTHS})\.?\s+$")
# "in 1989", "since 2014": a preposition before a year-like figure makes it a date.
YEAR_BEFORE = re.compile(r"\b(?:in|since|of|from|until|by|to|between|and)\s+$")
# "a 14-year-old boy", "a two-minute clip", "an 18-fold increase", "some 40-odd people".
HYPHENATED = re.compile(
    rf"\b(?P<number>\d+(?:\.\d+)?|{_spelled})-(?:(?P<unit>year|month|week|day|hour|minute|second"
    rf"|mile|metre|meter|kilometre|kilometer|storey|story|man|member|nation|point)s?"
    rf"(?P<old>-old)?|(?P<fold>fold)|(?P<odd>odd))\b",
    re.IGNORECASE,
)
DEFINITE_BEFORE = re.compile(r"\b(?:the|both|all|these|those)\s+$", re.IGNORECASE)
UNIT_WORDS = re.compile(
    r"(?:km|kilometres|kilometers|miles|metres|meters|tonnes|tons|barrels|percent"
    r"|people|children|men|women|personnel|staff|[a-z]+s)\b(?!')"
)
# Words that end in "s" without being plural nouns: never a unit.
NOT_UNITS = frozenset({"has", "was", "is", "its", "this", "thus", "us", "as", "across", "perhaps"})
PARENTHETICAL = re.compile(r"\s*\([^)]*\d[^)]*\)")


@dataclass(frozen=True)
class Quantity:
    """A number as the text gives it; offsets are relative to the text searched."""

    start: int
    end: int
    value: float | None
    unit: str | None
    approximate: bool
    lower_bound: float | None
    upper_bound: float | None
    subject: str | None

    def as_fields(self) -> dict[str, object]:
        return {
            "value": _plain(self.value),
            "unit": self.unit,
            "approximate": self.approximate,
            "lower_bound": _plain(self.lower_bound),
            "upper_bound": _plain(self.upper_bound),
            "subject": self.subject,
            "location": None,
            "as_of": None,
        }


def _plain(number: float | None) -> int | float | None:
    """130000.0 → 130000: counts read back as the integers they are."""
    if number is not None and float(number).is_integer():
        return int(number)
    return number


def number_value(words: str) -> float | None:
    """The value of a figure or spelled-out number: "130,000", "1.7 billion", "thirty"."""
    words = words.strip().lower()
    match = re.fullmatch(rf"({_figure})\s*(thousand|million|billion|trillion)?", words)
    if match:
        return float(match.group(1).replace(",", "")) * SCALES.get(match.group(2) or "", 1)
    parsed = parse_number(words.replace("-", " "))
    return float(parsed) if parsed is not None else None


def _unit_after(text: str, end: int) -> tuple[str | None, str | None, int]:
    """The unit noun after a number, the noun phrase it heads, and where that phrase ends."""
    words = list(re.finditer(r"[\w’'-]+", text[end : end + 60]))
    for index, word in enumerate(words[:4]):
        token = word.group()
        if token.lower() in {"of", "in", "on", "to", "from", "for", "and", "the", "with"}:
            break
        if token.lower() not in NOT_UNITS and UNIT_WORDS.fullmatch(token):
            phrase = text[end : end + word.end()].strip()
            return token.lower(), phrase, end + word.end()
        if index == 0 and token.lower() == "more":
            continue
    return None, None, end


def _bounds(modifier: str, value: float) -> tuple[float | None, bool, float | None, float | None]:
    """(value, approximate, lower_bound, upper_bound) for a number and the word before it."""
    if modifier in {"more than", "over", "above", "at least"}:
        return None, False, value, None
    if modifier in {"up to", "as many as", "fewer than", "less than", "under", "below"}:
        return None, False, None, value
    if modifier in {"nearly", "almost", "close to"}:
        return value, True, None, value
    if modifier in {"about", "around", "roughly", "approximately", "some", "an estimated"}:
        return value, True, None, None
    return value, False, None, None


def quantities(text: str) -> list[Quantity]:
    """Every checkable number in ``text``."""
    found: list[Quantity] = []
    for match in NUMBER.finditer(text):
        quantity = _quantity(text, match)
        if quantity is not None and not any(q.start <= match.start() < q.end for q in found):
            found.append(quantity)
    for match in HYPHENATED.finditer(text):
        if any(q.start <= match.start() < q.end for q in found):
            continue
        value = number_value(match.group("number"))
        if value is None:
            continue
        unit = "times" if match.group("fold") else (match.group("unit") or "").lower() or None
        if unit and not unit.endswith("s") and unit != "times":
            unit = f"{unit}s"
        approximate = bool(match.group("odd"))
        found.append(
            Quantity(match.start(), match.end(), value, unit, approximate, None, None, None)
        )
    for match in MOST.finditer(text):
        unit_end = text.find(" ", match.end())
        found.append(
            Quantity(
                match.start(),
                unit_end if unit_end > 0 else len(text),
                None,
                "percent",
                False,
                50,
                None,
                text[match.end() : unit_end if unit_end > 0 else None],
            )
        )
    return sorted(found, key=lambda quantity: quantity.start)


def _quantity(text: str, match: re.Match[str]) -> Quantity | None:
    before = text[: match.start()]
    if not re.search(r"(?:^|[\s(“\"$£€-])$", before) or re.match(r"[\w-]", text[match.end() :]):
        return None
    modifier = (match.group("mod") or "").lower()
    groups = match.groupdict()
    approximate, unit, upper_bound = False, None, None
    if groups["ratio"]:
        numerator, denominator = re.split(r"\s+in\s+", groups["ratio"])
        top, bottom = number_value(numerator), number_value(denominator)
        if not top or not bottom:
            return None
        raw, unit = round(100 * top / bottom, 1), "percent"
    elif groups["fraction"]:
        raw, unit = FRACTIONS[groups["fraction"].lower()], "percent"
    elif groups["dozen"]:
        raw = 12.0
    elif groups["vague"]:
        lower: float | None = VAGUE_COUNTS[groups["vague"].lower()]
        end = match.end()
        unit, phrase, _ = _unit_after(text, end)
        return Quantity(match.start(), end, None, unit, True, lower, None, phrase)
    else:
        words = groups["figure"] or groups["spelled"]
        figure = groups["figure"]
        if figure and YEAR.fullmatch(figure) and not groups["currency"]:
            return None
        year_like = bool(figure and YEAR.fullmatch(figure))
        if not groups["currency"] and (
            DATE_BEFORE.search(before) or (year_like and YEAR_BEFORE.search(before))
        ):
            return None
        if groups["spelled"] and (
            (
                re.fullmatch(r"one", words, re.IGNORECASE)
                and not re.match(r"\s+(?:per\s?cent|percent)\b", text[match.end() :])
                and not groups["percent"]
            )
            or (DEFINITE_BEFORE.search(before) and not modifier)
        ):
            return None
        number_text = match.group(0)[len(match.group("mod") or "") :].strip()
        number_text = re.sub(r"^[$£€]|%$|\s+per\s?cent$", "", number_text)
        if groups["upper"]:
            number_text = re.split(r"\s+and\s+", number_text)[0]
        value = number_value(number_text)
        if value is None:
            return None
        raw = value
        if groups["percent"]:
            unit = "percent"
        elif groups["currency"]:
            unit = CURRENCIES[groups["currency"]]
        if groups["upper"]:
            upper_bound = number_value(groups["upper"])
    end = match.end()
    parenthetical = PARENTHETICAL.match(text, end)
    phrase = None
    if unit is None:
        unit, phrase, unit_end = _unit_after(text, end)
        end = unit_end if unit else end
        parenthetical = PARENTHETICAL.match(text, end)
    if parenthetical:
        end = parenthetical.end()
    if modifier == "between" and upper_bound is not None:
        return Quantity(match.start(), end, None, unit, approximate, raw, upper_bound, phrase)
    value, approximate, lower, upper = _bounds(modifier, raw)
    return Quantity(match.start(), end, value, unit, approximate, lower, upper, phrase)

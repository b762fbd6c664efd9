"""Names the extractor knows: organisations, groups of countries, and what tags to give."""

from __future__ import annotations

import re
from collections.abc import Sequence

# Named groups whose members a membership claim lists one by one.
COUNTRY_GROUPS = {
    "baltic states": ("Estonia", "Latvia", "Lithuania"),
    "baltic countries": ("Estonia", "Latvia", "Lithuania"),
    "nordic countries": ("Denmark", "Finland", "Iceland", "Norway", "Sweden"),
    "benelux countries": ("Belgium", "Luxembourg", "Netherlands"),
    "visegrad countries": ("Czech Republic", "Hungary", "Poland", "Slovakia"),
}
ORGANIZATIONS = {
    "NATO": "NATO",
    "the EU": "European Union",
    "EU": "European Union",
    "the European Union": "European Union",
    "European Union": "European Union",
    "the UN": "United Nations",
    "the United Nations": "United Nations",
    "OSCE": "OSCE",
    "the OSCE": "OSCE",
    "CSTO": "CSTO",
    "the CSTO": "CSTO",
    "the G7": "G7",
    "the G20": "G20",
    "the WTO": "WTO",
    "OPEC": "OPEC",
}
ORGANIZATION_PATTERN = "|".join(sorted(map(re.escape, ORGANIZATIONS), key=len, reverse=True))
# Entity tags, by the words that name them in text (demonyms included).
TAG_WORDS = {
    "NATO": "NATO",
    "alliance": "NATO",
    "European Union": "European Union",
    "EU": "European Union",
    "United Nations": "United Nations",
    "UN": "United Nations",
    "U.S.": "United States",
    "United States": "United States",
    "Washington": "United States",
    "White House": "United States",
    "State Department": "United States",
    "American": "United States",
    "Russia": "Russia",
    "Russian": "Russia",
    "Russians": "Russia",
    "Moscow": "Russia",
    "Kremlin": "Russia",
    "Ukraine": "Ukraine",
    "Ukrainian": "Ukraine",
    "Ukrainians": "Ukraine",
    "Kyiv": "Ukraine",
    "Kiev": "Ukraine",
    "China": "China",
    "Chinese": "China",
    "Beijing": "China",
    "Belarus": "Belarus",
    "Britain": "United Kingdom",
    "British": "United Kingdom",
    "Germany": "Germany",
    "German": "Germany",
    "France": "France",
    "French": "France",
    "Poland": "Poland",
    "Polish": "Poland",
    "Finland": "Finland",
    "Finnish": "Finland",
    "Sweden": "Sweden",
    "Swedish": "Sweden",
    "Baltic states": "Baltic states",
}
_TAG_PATTERN = re.compile(
    r"(?<![\w.])(?:"
    + "|".join(sorted(map(re.escape, TAG_WORDS), key=len, reverse=True))
    + r")(?!\w)"
)


def tags_in(text: str, people: Sequence[str] = ()) -> list[str]:
    """The entities ``text`` names, as tags spelled one way in every claim."""
    found = {TAG_WORDS[match.group()] for match in _TAG_PATTERN.finditer(text)}
    found.update(name for name in people if name in text)
    return sorted(found)

"""Who is who in an article: people named with their roles, and the short names that follow.

An article introduces "Chinese foreign minister Wang Yi" once and then writes
"Wang"; this register maps every part of a full name back to it, so that a
claim's text and its speaker can name the person in full.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

NAME_TOKEN = r"[A-Z][\w’'-]*[a-zà-ÿ][\w’'-]*"
FULL_NAME = rf"{NAME_TOKEN}(?: {NAME_TOKEN}){{1,2}}"
ROLE_NOUN = (
    r"(?:[Ss]ecretary of [Ss]tate|[Ss]ecretary[- ][Gg]eneral|[Pp]rime [Mm]inister|[Mm]inister"
    r"|[Pp]resident|[Ss]ecretary|[Ss]pokes(?:man|woman|person)|[Cc]hancellor|[Aa]mbassador"
    r"|[Ee]nvoy|[Aa]dvis[eo]r|[Cc]ommander|[Cc]hief|[Dd]irector|[Pp]remier|[Gg]eneral"
    r"|[Ll]eader|[Kk]ing|[Qq]ueen|[Oo]fficial)"
)
ROLE_MODIFIER = re.compile(
    r"^(?:[A-Z][\w’'.-]*|foreign|defen[cs]e|finance|interior|deputy|former|vice|prime|press"
    r"|senior|top)$"
)
NOT_MODIFIERS = frozenset(
    {"In", "At", "On", "During", "After", "With", "The", "A", "An", "And", "But", "By", "As"}
)
ROLE_THEN_NAME = re.compile(rf"(?P<role>{ROLE_NOUN})\s+(?P<name>{FULL_NAME})")
NAME_THEN_ROLE = re.compile(
    rf"(?P<name>{FULL_NAME}),\s+(?:the\s+)?(?P<role>(?:[\w’'-]+\s+){{0,3}}{ROLE_NOUN}),"
)
ROLE_COMMA_NAME = re.compile(
    rf"(?P<role>(?:[\w’'-]+\s+){{0,3}}{ROLE_NOUN}),\s+(?P<name>{FULL_NAME}),"
)
PRONOUNS = frozenset({"he", "she", "they", "him", "her"})


@dataclass
class People:
    """Full names with their roles, and which short name stands for whom."""

    roles: dict[str, str] = field(default_factory=dict)
    short_names: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, role: str | None) -> None:
        if name not in self.roles or (role and not self.roles[name]):
            self.roles[name] = role or ""
        for part in name.split():
            owner = self.short_names.setdefault(part, name)
            if owner != name:
                self.short_names[part] = ""  # ambiguous: two people share it

    def full_name(self, name: str) -> str | None:
        """``name`` in full if it is a person the article introduced."""
        if name in self.roles:
            return name
        return self.short_names.get(name) or None

    def role(self, name: str) -> str | None:
        return self.roles.get(name) or None

    def spell_out(self, text: str) -> str:
        """``text`` with each person's first short mention written as the full name."""
        done: set[str] = set()

        def replace(match: re.Match[str]) -> str:
            word, full = match.group(0), self.short_names.get(match.group(0))
            if not full or full in done:
                return word
            done.add(full)
            written_in_full = any(
                text[index : index + len(full)] == full
                for index in range(max(0, match.end() - len(full)), match.start() + 1)
            )
            return word if written_in_full else full

        return re.sub(NAME_TOKEN, replace, text)


def _role_start(text: str, role_start: int) -> int:
    """Extend a role to the left over its modifiers: "Chinese foreign minister"."""
    start = role_start
    for word in reversed(list(re.finditer(r"[\w’'.-]+", text[:role_start]))):
        between = text[word.end() : start]
        token = word.group()
        sentence_end = token.endswith(".") and token.count(".") == 1
        if between.strip() or "\n" in between or token in NOT_MODIFIERS or sentence_end:
            break
        if not ROLE_MODIFIER.match(token):
            break
        start = word.start()
    return start


def find_people(body: str) -> People:
    """Every person the article names together with a role."""
    people = People()
    for pattern in (ROLE_THEN_NAME, NAME_THEN_ROLE, ROLE_COMMA_NAME):
        for match in pattern.finditer(body):
            role_start = match.start("role")
            if pattern is not NAME_THEN_ROLE:
                role_start = _role_start(body, role_start)
            role = body[role_start : match.end("role")].strip()
            role = re.sub(r"^(?:the|a|an)\s+", "", role)
            people.add(match.group("name"), role)
    return people


@dataclass(frozen=True)
class Speaker:
    name: str
    role: str | None


def parse_speaker(subject: str, people: People) -> Speaker | None:
    """The speaker a subject phrase names: "Chinese foreign minister Wang Yi" → Wang Yi."""
    subject = subject.strip(" ,")
    subject = re.sub(r"^(?:[Tt]he|[Aa]n?)\s+", "", subject)
    if not subject or subject.lower() in PRONOUNS:
        return None
    for name in sorted(people.roles, key=len, reverse=True):
        if subject.endswith(name) or f"{name}," in subject:
            return Speaker(name, people.role(name))
    last = subject.split()[-1]
    full = people.full_name(last)
    if full and len(subject.split()) == 1:
        return Speaker(full, people.role(full))
    return Speaker(subject, None)

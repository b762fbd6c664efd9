"""Who speaks: a speaker's name span from the parse, resolved to the fullest name the article gives.

An article introduces "Chinese foreign minister Wang Yi" once and then writes
"Wang", "Mr Wang" or "he". ``Names`` collects every person and body the
article names (spaCy's entities), with the role words around each person's
first full mention, so a later short form resolves to the full name and role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz
from spacy.tokens import Doc, Span, Token

NAMED = frozenset({"PERSON", "ORG", "NORP", "GPE", "FAC", "WORK_OF_ART", "PRODUCT"})
# Courtesy titles name no role: "Mr Wang" is Wang.
HONORIFICS = frozenset(
    {"mr", "mrs", "ms", "miss", "dr", "mr.", "mrs.", "ms.", "dr.", "sir", "dame"}
)
# What a speaker's name span keeps from the subject's subtree: its modifiers, not its clauses.
NAME_DEPS = frozenset({"compound", "amod", "poss", "case", "nummod", "nmod", "quantmod"})
DOCUMENTS = frozenset(
    {"analysis", "report", "study", "statement", "survey", "website", "blog", "post", "article",
     "research", "review", "paper", "data", "figures", "release", "letter", "result", "finding",
     "posting"}
)  # fmt: skip
NAMED_DOCUMENTS = frozenset({"study", "report", "survey", "review", "census", "poll", "inquiry"})
PRONOUNS = frozenset({"he", "she", "they", "it", "him", "her", "them"})
FIRST_PERSON = frozenset({"i", "we", "me", "us"})
RELATIVE = frozenset({"who", "which", "that", "whom", "whose"})


@dataclass(frozen=True)
class Speaker:
    name: str
    role: str | None = None
    person: bool = False


@dataclass
class Names:
    """Full names in the article and the short forms that stand for them."""

    roles: dict[str, str] = field(default_factory=dict)
    short: dict[str, str] = field(default_factory=dict)
    acronyms: dict[str, str] = field(default_factory=dict)
    # Named studies, reports and surveys, in the order the article names them.
    documents: list[str] = field(default_factory=list)

    def add_person(self, name: str, role: str | None) -> None:
        if len(name.split()) < 2:
            return
        if name not in self.roles or (role and not self.roles[name]):
            self.roles[name] = role or ""
        for part in name.split():
            owner = self.short.setdefault(part, name)
            if owner != name and len(owner) < len(name) and owner in name:
                self.short[part] = name
            elif owner != name and name not in owner:
                self.short[part] = ""  # two people share it

    def full(self, name: str) -> str:
        """``name`` as the article gives it in full: "Mr Wang" → "Wang Yi"."""
        words = [word for word in name.split() if word.lower() not in HONORIFICS]
        plain = " ".join(words)
        if plain in self.roles:
            return plain
        if len(words) == 1:
            known = self.short.get(words[0]) or self.acronyms.get(words[0])
            return known or self._misspelt(words[0]) or self._document(words[0]) or plain
        return plain

    def _misspelt(self, surname: str) -> str | None:
        """A surname the article misspells once ("Bauchtman" for "Buchtmann")."""
        if not surname[:1].isupper():
            return None
        close = [
            name
            for name in self.roles
            if name.split()[-1][:1] == surname[:1] and fuzz.ratio(name.split()[-1], surname) >= 80
        ]
        return close[0] if len(close) == 1 else None

    def _document(self, noun: str) -> str | None:
        """ "The report" or "the study": the one the article named, if it named one; with
        one named document only, the report is that study ("the Iodine Nutrition Study")."""
        noun = noun.lower()
        named = [name for name in self.documents if name.split()[-1].lower() == noun]
        if named:
            return named[-1]
        if noun in NAMED_DOCUMENTS and len(set(self.documents)) == 1:
            return self.documents[0]
        return None

    def role(self, name: str) -> str | None:
        return self.roles.get(name) or None

    def spell_out(self, text: str) -> str:
        """``text`` with a person's short name written in full once."""
        done: set[str] = set()

        def replace(match: re.Match[str]) -> str:
            word = match.group(0)
            full = self.short.get(word)
            if not full or full in done or full in text:
                return word
            done.add(full)
            return full

        return re.sub(r"\b[A-Z][\w’'-]+\b", replace, text)


# A transcript's speaker label opening a paragraph: "THE PRESIDENT:", "MR. KIRBY:",
# "VICE PRESIDENT HARRIS:". Capitals only, so that "Note:" or "Update:" is no speaker.
LABEL = re.compile(r"^(?P<label>[A-Z][A-Z.'’-]*(?: [A-Z][A-Z.'’-]*){0,4}):(?:\s+|$)")
# Role words that make a different office of the same title: "Vice President" is not "President".
OTHER_OFFICE = frozenset({"vice", "deputy", "former", "acting", "assistant", "first"})


def label_speaker(label: str, names: Names) -> Speaker:
    """The person a transcript label names, resolved against the article's names and roles:
    "MR. KIRBY" → "John Kirby", "THE PRESIDENT" → whoever the article calls "President"."""
    words = [word.capitalize() for word in label.split() if word.lower() not in {"the"}]
    plain = [word for word in words if word.lower() not in HONORIFICS]
    if plain:
        full = names.full(plain[-1])
        if full in names.roles:
            return Speaker(full, names.role(full), True)
    title = " ".join(words).lower()
    for name, role in names.roles.items():
        role_words = role.lower().split()
        if not role_words or not " ".join(role_words).endswith(title):
            continue
        before = role_words[: len(role_words) - len(title.split())]
        if not (set(before[-1:]) & OTHER_OFFICE):
            return Speaker(name, role, True)
    return Speaker(" ".join(words), None, True)


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip(" ,;:-–—()\"'“”‘’")
    return re.sub(r"^(?:[Tt]he|[Aa]n?)\s+", "", text)


def role_of(person: Span) -> str | None:
    """The role words written with a person's name: "Chinese foreign minister", or an appositive."""
    doc = person.doc
    head = person.root
    start = person.start
    while start > 0:
        previous = doc[start - 1]
        if previous.dep_ in {"compound", "amod", "nmod", "poss", "case"} and previous.head.i in {
            head.i,
            *(token.i for token in doc[start - 1 : person.end]),
        }:
            start = previous.left_edge.i if previous.dep_ != "case" else start - 1
            continue
        break
    role = doc[start : person.start].text if start < person.start else ""
    if not role:
        appositive = next(
            (child for child in head.children if child.dep_ == "appos" and child.i > head.i), None
        )
        if appositive is not None and appositive.ent_type_ != "PERSON":
            tokens = [token for token in appositive.subtree if token.dep_ != "relcl"]
            role = doc[tokens[0].i : tokens[-1].i + 1].text
            if len(role.split()) > 12:
                role = ""
    role = _clean(role)
    role = re.sub(r"^(?:[Mm]r|[Mm]rs|[Mm]s|[Dd]r)\.?$", "", role)
    return role or None


def collect(docs: list[Doc]) -> Names:
    """Every person named with at least two words, with their role; acronyms in brackets."""
    names = Names()
    for doc in docs:
        for entity in doc.ents:
            last = entity.text.split()[-1].lower()
            if entity.label_ in {"ORG", "WORK_OF_ART", "EVENT"} and last in NAMED_DOCUMENTS:
                names.documents.append(_clean(entity.text))
            if entity.label_ == "PERSON":
                text = " ".join(
                    word for word in entity.text.split() if word.lower() not in HONORIFICS
                )
                text = re.sub(r"[’']s$", "", text)
                names.add_person(text, role_of(entity))
        for match in re.finditer(
            r"((?:[A-Z][\w-]+ )(?:(?:of|for|the|and) |[A-Z][\w-]+ )+)\((\w+)\)", doc.text
        ):
            full, short = match.group(1).strip(), match.group(2)
            if short.isupper() and len(short) >= 2:
                names.acronyms[short] = full
    return names


def _entity_of(token: Token) -> Span | None:
    doc = token.doc
    if not token.ent_type_ or token.ent_type_ not in NAMED:
        return None
    return next((entity for entity in doc.ents if entity.start <= token.i < entity.end), None)


def name_span(head: Token) -> tuple[str, str | None]:
    """The name a subject phrase gives, without adverbs, auxiliaries or relative clauses,
    and any role written with it."""
    entity = _entity_of(head)
    if entity is None:
        # "A spokesman, John Smith, said": the appositive is the name, the head its role.
        appositive = next(
            (
                child
                for child in head.children
                if child.dep_ == "appos" and child.ent_type_ == "PERSON"
            ),
            None,
        )
        if appositive is not None and (person := _entity_of(appositive)) is not None:
            role = " ".join(
                token.text for token in head.subtree if token.i < appositive.left_edge.i
            )
            return _clean(person.text), _clean(role) or None
    if entity is not None:
        if entity.label_ == "PERSON":
            return _clean(entity.text), role_of(entity)
        # "the UN refugee agency": the body is the whole noun phrase, not just "UN".
        if head.i >= entity.end:
            entity = None
        else:
            return _clean(entity.text), None
    # "The Internet security firm Secunia.com": the proper name is the body, the noun its kind.
    proper = next(
        (
            child
            for child in head.children
            if child.dep_ in {"appos", "npadvmod", "nmod"} and child.pos_ == "PROPN"
        ),
        None,
    )
    if head.pos_ == "NOUN" and proper is not None:
        return _clean(proper.doc[proper.left_edge.i : proper.i + 1].text), None
    # "Other sites such as Gawker.com have stated": the one named is who is reported.
    example = next(
        (
            grandchild
            for child in head.children
            if child.dep_ == "prep"
            and child.lower_ == "as"
            and any(c.lower_ == "such" for c in child.children)
            for grandchild in child.children
            if grandchild.dep_ == "pobj"
            and grandchild.pos_ == "PROPN"
            and all(c.dep_ != "conj" for c in grandchild.children)
        ),
        None,
    )
    if head.pos_ == "NOUN" and example is not None:
        return name_span(example)
    # "PC World's analysis", "the ministry's statement": a document speaks for its author.
    owner = next((child for child in head.children if child.dep_ == "poss"), None)
    if head.lemma_.lower() in DOCUMENTS and owner is not None and owner.pos_ == "PROPN":
        owner_entity = _entity_of(owner)
        text = owner_entity.text if owner_entity is not None else owner.text
        return _clean(re.sub(r"[’']s?$", "", text)), None
    # "Results of the study", "Posts on the message board for X": the source is the pobj.
    if head.lemma_.lower() in DOCUMENTS:
        for child in head.children:
            if child.dep_ == "prep" and child.lower_ in {"of", "in", "on", "from", "by"}:
                source = next((g for g in child.children if g.dep_ == "pobj"), None)
                if source is not None and source.pos_ in {"NOUN", "PROPN"}:
                    return name_span(source)
    tokens = [head]
    for child in head.children:
        if (child.i < head.i and child.dep_ in NAME_DEPS | {"det"}) or (
            child.i > head.i and child.dep_ == "prep" and child.lower_ in {"of", "for", "at"}
        ):
            tokens.extend(child.subtree)
    tokens = [token for token in tokens if token.dep_ not in {"advmod", "aux", "relcl", "punct"}]
    start, end = min(token.i for token in tokens), max(token.i for token in tokens)
    text = head.doc[start : end + 1].text
    return _clean(text), None


def speaker_of(
    subject: Token,
    names: Names,
    last: Speaker | None,
    default: Speaker | None,
    last_person: Speaker | None = None,
    last_group: Speaker | None = None,
) -> Speaker | None:
    """The speaker a subject token names; a pronoun is the one before ("he" and "she" the last
    person), "I"/"we" the transcript's."""
    lower = subject.lower_
    if lower in FIRST_PERSON:
        return default or last
    if lower in {"he", "she", "him", "her"}:
        return last_person or last
    if (
        lower in RELATIVE
        and subject.head.dep_ == "relcl"
        and subject.head.head.pos_
        in {
            "PROPN",
            "NOUN",
        }
    ):
        # "Devocht, who had told Montalvo ...": the speaker is the clause's antecedent.
        return speaker_of(subject.head.head, names, last, default, last_person)
    if lower in {"they", "them"} and last is not None and last.person and last_group is not None:
        # "They" is not the one person quoted last, but the body or group before.
        return last_group
    if lower in PRONOUNS or lower in RELATIVE:
        return last
    name, role = name_span(subject)
    if not name:
        return last
    full = names.full(name)
    person = (
        full in names.roles
        or subject.ent_type_ == "PERSON"
        or (subject.pos_ == "PROPN" and not subject.ent_type_ and len(full.split()) >= 2)
    )
    return Speaker(full, role or names.role(full), person)

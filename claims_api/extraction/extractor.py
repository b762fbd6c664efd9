"""From an article body to candidate claims: the rules that tie the pieces together.

Per sentence: a quotation with its speaker is one statement; membership
facts come next; then each clause gives its quantities, a statement when it
reports what someone said or holds, and otherwise an event or another
checkable fact. Short names and pronouns are resolved across sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from claims_api.entities.gazetteer import ORGANIZATION_PATTERN, ORGANIZATIONS, tags_in
from claims_api.extraction.candidates import Candidate, Span
from claims_api.extraction.membership import memberships
from claims_api.extraction.numbers import Quantity, quantities
from claims_api.extraction.people import PRONOUNS, People, Speaker, find_people, parse_speaker
from claims_api.extraction.scoring import check_worthiness
from claims_api.extraction.segments import Clause, Sentence, clauses, sentences
from claims_api.extraction.speech import (
    Speech,
    attribution_in,
    direct_quote,
    reported_speech,
    trailing_attribution,
)
from claims_api.models.vocabulary import ClaimKind

DEFAULT_MIN_SCORE = 0.4
EVENT_TRIGGERS = re.compile(
    r"\b(?:(?:telephone |phone |video )?call with|talks|meeting|met|meet|summit|visit(?:ed)?"
    r"|drawdown|evacuat\w+|ratifi\w+|signed|offered|refused|suspended|ordered|withdr[ae]w\w*"
    r"|launched|imposed|announced|sent|deployed|attacked|invaded|arrived|voted|approved"
    r"|rejected|closed|resolved|agreed|expelled|news conference|press conference"
    r"|(?:urged|told) (?:all |non-emergency |their |its )*(?:\S+ )?(?:citizens|nationals|staff))\b"
)
PASSIVE = re.compile(r"\bbeen (?:\w+ )?(?:offered|sent|approved|rejected|signed)\b")
# Clauses that only frame the sentence ("With ... troops deployed") state no fact of their own.
FRAMING = re.compile(r"^(?:With|Including|including|according to|as)\b")
ORGANIZATION = re.compile(ORGANIZATION_PATTERN)


@dataclass
class Context:
    """What the article has said so far that later sentences refer back to."""

    people: People
    last_person: Speaker | None = None
    last_organization: str | None = None
    candidates: list[Candidate] = field(default_factory=list)


def extract_claims(body: str, min_score: float = DEFAULT_MIN_SCORE) -> list[Candidate]:
    """Candidate claims of ``body``, in reading order, scored at least ``min_score``."""
    context = Context(find_people(body))
    for sentence in sentences(body):
        _sentence_candidates(body, sentence, context)
    kept = [candidate for candidate in context.candidates if candidate.score >= min_score]
    return sorted(kept, key=lambda candidate: (candidate.span.start, candidate.span.end))


def _add(
    context: Context,
    body: str,
    kind: ClaimKind,
    span: Span,
    text: str,
    details: dict[str, object] | None = None,
    *,
    verbatim: bool = False,
) -> None:
    quote = body[span.start : span.end]
    score, features = check_worthiness(kind, quote, verbatim=verbatim)
    tags = tags_in(f"{quote} {text}", list(context.people.roles))
    context.candidates.append(Candidate(kind, text, span, details, tags, score, features))


def _sentence_text(text: str) -> str:
    text = text.strip().rstrip(",;:")
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!", "”", '"')) else f"{text}."


def _speaker(subject: str, context: Context, fallback: Speaker | None) -> Speaker | None:
    """The speaker a subject names; a pronoun or no subject at all is the one before."""
    subject = subject.strip()
    if not subject or subject.lower() in PRONOUNS:
        return fallback
    return parse_speaker(subject, context.people)


def _statement(
    context: Context,
    body: str,
    span: Span,
    speech: Speech,
    speaker: Speaker,
    sentence: Sentence,
    text: str,
) -> None:
    audience = speech.audience
    if audience:
        audience = context.people.spell_out(audience)
    details: dict[str, object] = {
        "speaker": speaker.name,
        "speaker_role": speaker.role,
        "audience": audience,
        "attribution": attribution_in(sentence.text),
        "verbatim": speech.verbatim,
    }
    _add(context, body, ClaimKind.STATEMENT, span, text, details, verbatim=speech.verbatim)
    if speaker.name in context.people.roles:
        context.last_person = speaker


ORGANIZATION_ARTICLE = re.compile(r"^(?:European|United|African|World)\b")
MEMBERSHIP_VERBS = {
    "member": "is a member of",
    "not_member": "is not a member of",
    "candidate": "is a candidate for membership of",
    "applicant": "has applied to join",
}


def _membership_candidates(body: str, sentence: Sentence, context: Context) -> list[Span]:
    """Add the sentence's membership facts; return the spans they take."""
    taken: list[Span] = []
    base = sentence.span.start
    for fact in memberships(sentence.text, context.last_organization):
        span = Span(base + fact.start, base + fact.end)
        organization = fact.organization
        if ORGANIZATION_ARTICLE.match(organization):
            organization = f"the {organization}"
        text = _sentence_text(
            f"{fact.member} {MEMBERSHIP_VERBS[fact.relation.value]} {organization}"
        )
        details: dict[str, object] = {
            "member": fact.member,
            "organization": fact.organization,
            "relation": fact.relation.value,
            "as_of": None,
        }
        _add(context, body, ClaimKind.MEMBERSHIP, span, text, details)
        taken.append(span)
    for organization in ORGANIZATION.findall(sentence.text):
        context.last_organization = ORGANIZATIONS[organization]
    return taken


def _sentence_candidates(body: str, sentence: Sentence, context: Context) -> None:
    quoted = direct_quote(sentence.text)
    if quoted is not None:
        speaker = _speaker(quoted.subject, context, context.last_person)
        if speaker is not None:
            told = f" told {quoted.audience}" if quoted.audience else " said"
            text = f"{speaker.name}{context.people.spell_out(told)}: “{quoted.inner}.”"
            base = sentence.span.start
            span = Span(base + quoted.start, base + quoted.end)
            _statement(context, body, span, quoted, speaker, sentence, text)
            return
    taken = _membership_candidates(body, sentence, context)
    state = ClauseState()
    for clause in clauses(body, sentence):
        _clause_candidates(body, sentence, clause, context, taken, state)


@dataclass
class ClauseState:
    """What a clause passes to the next one of its sentence."""

    # The subject, for a next clause that omits it ("... and has urged both sides").
    subject: str = ""
    # Who is speaking, when the clause reported speech ("He said X and that Y").
    speaker: Speaker | None = None


def _extended(text: str, numbers: list[Quantity], index: int, end: int) -> tuple[int, int]:
    """A number's phrase, running on to the next number: "around 130,000 troops now deployed
    on the border" rather than "around 130,000 troops"."""
    number = numbers[index]
    stop = numbers[index + 1].start if index + 1 < len(numbers) else end
    phrase = text[number.start : stop]
    phrase = re.sub(r"(?:\s+(?:and|or|for|of|in|to|with|but|that|which))*[\s,;(]*$", "", phrase)
    return number.start, number.start + max(len(phrase), number.end - number.start)


def _clause_candidates(
    body: str,
    sentence: Sentence,
    clause: Clause,
    context: Context,
    taken: list[Span],
    state: ClauseState,
) -> None:
    """Add the clause's candidates and update ``state`` for the next clause."""
    text = clause.text
    offset = clause.span.end - len(text)
    elided = bool(VERB_FIRST.match(text)) and bool(state.subject)
    previous_subject, continued_speaker = state.subject, state.speaker
    state.subject = previous_subject if elided else _leading_subject(text)
    state.speaker = None

    def restated(words: str, speaker: Speaker | None = None) -> str:
        if clause.relative:
            words = body[clause.span.start : clause.span.end]
        words = re.sub(r"^that\s+", "", words)
        words = re.sub(r"^(claim|say|add)ing that\b", r"\1s that", words)
        if speaker is not None:
            words = re.sub(r"^(?:he|she|they|He|She|They)\b", speaker.name, words)
        if elided:
            words = f"{previous_subject} {words}"
        return _sentence_text(context.people.spell_out(words))

    numbers = [
        number
        for number in quantities(text)
        if not any(Span(offset + number.start, offset + number.end).within(span) for span in taken)
    ]
    framing = bool(FRAMING.match(text))
    trailing = trailing_attribution(text)
    speech = None if framing else trailing or reported_speech(text)
    if speech is None and continued_speaker is not None and text.startswith("that "):
        # "He said X and that Y": Y is said too.
        speech = Speech(0, len(text), "", "said", None, False)
    content_end = text.rfind(",") if trailing else len(text)
    if speech is not None:
        fallback = continued_speaker or _speaker(previous_subject, context, context.last_person)
        speaker = _speaker(speech.subject, context, fallback)
        if speaker is not None:
            if trailing:
                restatement = _sentence_text(
                    f"{trailing.subject} {trailing.verb} {text[:content_end]}"
                )
            elif not speech.subject and continued_speaker is not None:
                restatement = _sentence_text(f"{speaker.name} said {text}")
            else:
                restatement = restated(text, speaker)
            _statement(context, body, clause.span, speech, speaker, sentence, restatement)
        state.subject = speech.subject or previous_subject
        state.speaker = speaker
    for index, number in enumerate(numbers):
        whole_clause = len(numbers) == 1 and not framing
        start, end = (
            (0, content_end) if whole_clause else _extended(text, numbers, index, content_end)
        )
        span = Span(offset + start, offset + end)
        _add(context, body, ClaimKind.QUANTITY, span, restated(text[start:end]), number.as_fields())
    if speech is not None or framing or len(numbers) == 1 or len(text.split()) < 3:
        return
    if continued_speaker is not None and elided:
        return  # "... told reporters that X and was sending Y": Y belongs to the statement
    inside_membership = any(clause.span.within(span) or span.within(clause.span) for span in taken)
    if inside_membership and not clause.relative:
        return
    is_event = (
        bool(EVENT_TRIGGERS.search(text)) and not PASSIVE.search(text) and not clause.relative
    )
    if numbers and not is_event:
        return
    kind = ClaimKind.EVENT if is_event else ClaimKind.OTHER
    _add(context, body, kind, clause.span, restated(text))


VERB_FIRST = re.compile(
    r"(?:has|have|had|is|are|was|were|will|would|claiming|saying|adding|accused|urged|said"
    r"|told|denied|repeated)\b"
)


def _leading_subject(text: str) -> str:
    """The words before a clause's first verb, when the clause opens with a subject."""
    if VERB_FIRST.match(text):
        return ""
    match = re.match(r"(.+?)\s+(?:has|have|had|is|are|was|were|will|would|did|does|do)\b", text)
    if match and len(match.group(1).split()) <= 8:
        return match.group(1)
    return ""

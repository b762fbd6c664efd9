"""From an article body to candidate claims, read from spaCy's parse of each sentence.

Per sentence (boilerplate left out by ``segments.sentences``): every verb that
attributes (a nominal subject and a clausal or quoted complement, or
"according to") gives a statement, one per conjoined complement; a quotation
with no verb of its own continues the last speaker; what remains is cut into
clauses (the root and each conjoined verb with its own subject, and
non-restrictive relative clauses), and each clause is, in priority, its
quantities, a membership fact, an event (a past or scheduled happening) or
another checkable fact.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from spacy.tokens import Doc, Token

from claims_api.entities import Mention, country_of, find_mentions, resolve
from claims_api.entities.gazetteer import ORGANIZATION_PATTERN, ORGANIZATIONS
from claims_api.extraction.candidates import Candidate, Span
from claims_api.extraction.membership import memberships
from claims_api.extraction.numbers import Quantity, quantities
from claims_api.extraction.parsing import parse
from claims_api.extraction.scoring import check_worthiness
from claims_api.extraction.segments import Sentence, sentences
from claims_api.extraction.speakers import (
    LABEL,
    Names,
    Speaker,
    collect,
    label_speaker,
    name_span,
    speaker_of,
)
from claims_api.models.vocabulary import ClaimKind

# Chosen on the check-worthiness model's validation split (its file's "threshold"; a test
# keeps the two equal): it keeps 95% of the check-worthy sentences there.
DEFAULT_MIN_SCORE = 0.09
ORGANIZATION = re.compile(ORGANIZATION_PATTERN, re.IGNORECASE)

SUBJECTS = frozenset({"nsubj", "nsubjpass", "csubj", "expl"})
# Verbs that take a clause without reporting anyone's words or views.
NOT_ATTRIBUTING = frozenset(
    {
        "be", "have", "do", "make", "ensure", "learn", "hear", "seem", "appear", "mean", "want",
        "wish", "let",
        "allow", "help", "need", "become", "get", "go", "come", "see", "look", "cause", "like",
        "remain", "hope", "take", "give", "wonder", "ask", "decide", "determine",
    }
)  # fmt: skip
# Speech acts that report words through an object and an infinitive ("urged X to Y").
DIRECTIVE = frozenset({"urge", "call", "warn", "advise", "encourage", "appeal", "ask", "implore"})
# States rather than happenings: a clause on them is ``other``, whatever its tense.
STATIVE = frozenset(
    {
        "be", "have", "seem", "appear", "remain", "include", "contain", "consist", "know", "belong",
        "exist", "own", "lie", "resemble", "mean", "need", "want", "like", "depend", "involve",
        "represent", "continue", "tend", "cost", "lack", "deserve", "matter", "concern", "use",
    }
)  # fmt: skip
# Verbs of cause, change of state and decision: they describe, they do not report a happening.
NOT_HAPPENINGS = frozenset(
    {"lead", "prompt", "inspire", "improve", "worsen", "decide", "consider", "support",
     "exclude", "motivate", "cause", "result", "enable", "focus", "outlive", "account", "fix",
     "grow", "gain", "spread", "affect", "reduce", "increase", "influence", "mark", "drive"}
)  # fmt: skip
# Where the document or channel of a statement is named: "in a statement", "on Twitter".
CHANNELS = frozenset(
    {"statement", "interview", "tweet", "post", "letter", "report", "release", "twitter",
     "briefing", "conference", "blog", "speech", "email", "broadcast", "television"}
)  # fmt: skip
DEMONSTRATIVES = frozenset({"this", "that", "these", "those", "which", "what", "there", "it"})
# Whom an order or advisory goes to: its object, when the verb is an event, not speech.
OWN_PEOPLE = frozenset({"citizen", "national", "staff", "resident", "personnel", "diplomat"})
# Speech acts whose content is a noun phrase: "denied the claim", "confirmed the deal".
NOMINAL_SPEECH = frozenset(
    {"deny", "confirm", "dismiss", "acknowledge", "admit", "claim", "predict", "demand",
     "express", "voice", "reject", "allege", "praise", "criticise", "criticize", "condemn"}
)  # fmt: skip
QUOTE_PAIRS = {"“": "”", "‘": "’", '"': '"', "'": "'"}
NAMES_WITH_NUMBERS = frozenset(
    {"ORG", "PERSON", "PRODUCT", "EVENT", "WORK_OF_ART", "FAC", "LAW", "GPE", "LOC", "NORP"}
)


def quote_ranges(text: str) -> list[tuple[int, int]]:
    """Quotations in ``text`` as (start, end), marks included, in any style.

    A single straight or curly mark between letters is an apostrophe ("don't",
    "Ukraine's"). An opening mark never closed runs to the end (the quotation
    goes on in the next sentence); a closing mark never opened starts at 0.
    """
    ranges: list[tuple[int, int]] = []
    index = 0
    while index < len(text):
        char = text[index]
        before = text[index - 1] if index else " "
        if (
            char in QUOTE_PAIRS
            and (before.isspace() or before in "([—–-:/")
            and not (char in "'’" and index + 1 < len(text) and text[index + 1].isspace())
        ):
            closing = QUOTE_PAIRS[char]
            end = index + 1
            while end < len(text):
                after = text[end + 1] if end + 1 < len(text) else " "
                if text[end] == closing and not (closing in "'’" and after.isalpha()):
                    break
                end += 1
            ranges.append((index, min(end + 1, len(text))))
            index = end + 1
            continue
        if char in '”’"' and not ranges and not (before.isalpha() and char in "’"):
            after = text[index + 1] if index + 1 < len(text) else " "
            if not after.isalpha() and re.search(r"[,.!?]$", text[:index]):
                ranges.append((0, index + 1))
        index += 1
    return ranges


def _inside(token: Token, ranges: Sequence[tuple[int, int]]) -> bool:
    return any(start < token.idx < end for start, end in ranges)


@dataclass
class Attribution:
    """A verb (or "according to") that attributes, its speaker and what it attributes."""

    verb: Token
    speaker_token: Token | None
    contents: list[Token]
    audience: str | None = None
    channel: str | None = None
    # "according to X" / "in the words of X": a phrase, not a verb, names the source.
    frame: str | None = None


def _subject(verb: Token) -> Token | None:
    subject = next((child for child in verb.children if child.dep_ in {"nsubj", "csubj"}), None)
    shares = verb.dep_ == "conj" or (verb.dep_ in {"advcl", "xcomp"} and verb.tag_ == "VBG")
    if subject is None and shares and verb.head is not verb:
        # "..., claiming that ..." / "... and has urged": the subject is the head verb's.
        return _subject(verb.head)
    return subject


def _channel(verb: Token) -> str | None:
    for child in verb.children:
        if child.dep_ == "prep" and child.lower_ in {"in", "on", "via", "through"}:
            objects = [token for token in child.children if token.dep_ == "pobj"]
            if objects and objects[0].lemma_.lower() in CHANNELS:
                return verb.doc[child.i : objects[0].right_edge.i + 1].text
    return None


def attributions(doc: Doc, quotes: Sequence[tuple[int, int]]) -> list[Attribution]:
    """Every attributing verb in a sentence, by the parse rather than by a list of verbs."""
    found: list[Attribution] = []
    for token in doc:
        source = _framing_source(token)
        if source is not None:
            head = token.head if token.head is not token else token.sent.root
            frame = doc[token.i : source.right_edge.i + 1].text
            found.append(Attribution(token, source, [head], frame=frame))
            continue
        # A root with a subject is a verb whatever its tag ("The Department notes, ...").
        verbal = token.pos_ in {"VERB", "AUX"} or token.dep_ == "ROOT"
        if not verbal or _inside(token, quotes):
            continue
        if token.lemma_.lower() in NOT_ATTRIBUTING:
            continue
        subject = _subject(token)
        if subject is None or _inside(subject, quotes):
            continue
        if subject.lower_ in DEMONSTRATIVES or subject.pos_ not in {"PROPN", "NOUN", "PRON", "NUM"}:
            continue
        clauses = [
            c
            for c in token.children
            if (c.dep_ == "ccomp" and not _after_semicolon(c))
            or (c.dep_ == "parataxis" and c.i < token.i)
        ]
        # "told LA Weekly in a statement that ...": the clause hangs on the channel.
        clauses += [
            clause
            for c in token.children
            if c.dep_ == "prep"
            for noun in c.children
            if noun.dep_ == "pobj" and noun.lemma_.lower() in CHANNELS
            for clause in noun.children
            if clause.dep_ in {"acl", "relcl"} and clause.left_edge.lower_ == "that"
        ]
        # "As Heald told The Huffington Post, X": the attribution frames the main clause.
        if token.dep_ == "advcl" and any(
            c.lower_ == "as" and c.dep_ == "mark" for c in token.children
        ):
            clauses.append(token.head)
        quoted = [
            c
            for c in token.children
            if c.dep_ not in SUBJECTS
            and (
                _inside(c, quotes)
                or (c.dep_ == "prep" and any(_inside(g, quotes) for g in c.children))
            )
        ]
        if token.dep_ in {"parataxis", "ccomp"} and _inside(token.head, quotes):
            quoted.append(token.head)
        directive = token.lemma_.lower() in DIRECTIVE and (
            any(c.dep_ == "xcomp" for c in token.children)
            or any(c.dep_ == "prep" and c.lower_ in {"for", "on"} for c in token.children)
        )
        objects = [c for c in token.children if c.dep_ in {"dobj", "dative"}]
        if directive and objects and objects[0].lemma_.lower() in OWN_PEOPLE:
            # An order or advisory to one's own people is an event: "urged all citizens to leave".
            continue
        # "X has denied any such plan", "views NATO as a threat", "expressed concerns".
        stance = bool(objects) and (
            token.lemma_.lower() in NOMINAL_SPEECH
            or (
                any(c.dep_ == "prep" and c.lower_ == "as" for c in token.children)
                and token.lemma_.lower()
                in {
                    "view",
                    "regard",
                    "see",
                    "describe",
                    "consider",
                    "characterize",
                    "characterise",
                    "brand",
                    "label",
                }
            )
        )
        clauses = clauses or ([token] if stance else [])
        if not (clauses or quoted or directive):
            continue
        audience = None
        objects = [
            c for c in token.children if c.dep_ in {"dobj", "dative"} and not _inside(c, quotes)
        ]
        if objects and (clauses or directive):
            audience = name_span(objects[0])[0] or None
        contents = clauses or quoted or [token]
        found.append(Attribution(token, subject, contents, audience, _channel(token)))
    return found


def _framing_source(token: Token) -> Token | None:
    """The source that "according to X", "in the words of X" or "in X's words" names."""
    doc = token.doc
    if token.lower_ == "according" and token.i + 1 < len(doc) and doc[token.i + 1].lower_ == "to":
        return next((c for c in doc[token.i + 1].children if c.dep_ in {"pobj", "pcomp"}), None)
    if token.lower_ != "in" or token.dep_ != "prep":
        return None
    words = next((c for c in token.children if c.dep_ == "pobj" and c.lower_ == "words"), None)
    if words is None:
        return None
    owner = next((c for c in words.children if c.dep_ == "poss"), None)
    if owner is not None:
        return owner
    of = next((c for c in words.children if c.dep_ == "prep" and c.lower_ == "of"), None)
    return None if of is None else next((c for c in of.children if c.dep_ == "pobj"), None)


def _after_semicolon(token: Token) -> bool:
    """A clause after a semicolon is a sentence of its own, not a complement."""
    edge = token.left_edge.i
    return edge > 0 and token.doc[edge - 1].text in {";", ":"}


def _char_span(tokens: Sequence[Token], base: int) -> Span:
    tokens = sorted(tokens, key=lambda token: token.i)
    while (
        tokens
        and (
            tokens[0].is_punct or (tokens[0].dep_ in {"cc", "mark"} and tokens[0].lower_ != "that")
        )
        and tokens[0].text not in QUOTE_PAIRS
    ):
        tokens = tokens[1:]
    while tokens and (
        (tokens[-1].is_punct and tokens[-1].text not in "”\"’'") or tokens[-1].dep_ == "cc"
    ):
        tokens = tokens[:-1]
    if not tokens:
        return Span(base, base)
    start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
    return Span(base + start, base + end)


def _clause_heads(doc: Doc) -> list[Token]:
    """The verbs that head a clause of their own: each root, each conjoined verb with its own
    subject, and each non-restrictive relative clause ("X, which ...")."""
    heads: list[Token] = []
    for sent in doc.sents:
        heads.append(sent.root)
        for token in sent:
            if (
                token.dep_ == "conj"
                and token.pos_ in {"VERB", "AUX"}
                and token.head.pos_ in {"VERB", "AUX"}
            ):
                # "X has refrained from A and has urged B": two assertions; "Police
                # arrested and questioned him" one (the first verb has no complement).
                if any(child.dep_ in SUBJECTS for child in token.children) or (
                    _has_complement(token) and _has_complement(token.head)
                ):
                    heads.append(token)
            elif (token.dep_ in {"parataxis", "ccomp"} and _after_semicolon(token)) or (
                (
                    token.dep_ == "relcl"
                    and token.left_edge.i > 0
                    and doc[token.left_edge.i - 1].text == ","
                )
                and (
                    token.left_edge.lower_ in {"which", "where", "who"}
                    and len(list(token.subtree)) >= 4
                )
            ):
                heads.append(token)
    return heads


COMPLEMENTS = frozenset({"dobj", "prep", "xcomp", "ccomp", "attr", "acomp", "oprd", "dative"})


def _has_complement(verb: Token) -> bool:
    return any(child.dep_ in COMPLEMENTS and child.i > verb.i for child in verb.children)


def _clause_tokens(head: Token, heads: Sequence[Token]) -> list[Token]:
    """A clause head's subtree less the clauses of the heads below it."""
    inner: set[int] = set()
    for other in heads:
        if other is not head and head.is_ancestor(other):
            inner.update(token.i for token in other.subtree)
    return [token for token in head.subtree if token.i not in inner]


@dataclass
class Context:
    """What the article has said so far that later sentences refer back to."""

    names: Names
    published: date | None
    default_speaker: Speaker | None = None
    last_speaker: Speaker | None = None
    last_person: Speaker | None = None
    last_group: Speaker | None = None
    last_organization: str | None = None
    open_quote: bool = False
    # The sentence being read, and the known entities it mentions (offsets in the body).
    sentence: Sentence | None = None
    mentions: list[Mention] | None = None
    candidates: list[Candidate] = field(default_factory=list)


def _published(published_at: str | None) -> date | None:
    if not published_at:
        return None
    try:
        return date.fromisoformat(str(published_at)[:10])
    except ValueError:
        return None


def _first_person_share(docs: Sequence[Doc]) -> float:
    if not docs:
        return 0.0
    first = sum(
        1
        for doc in docs
        if any(
            token.lower_ in {"i", "we"} and token.dep_ in {"nsubj", "nsubjpass"} for token in doc
        )
        and not quote_ranges(doc.text)
    )
    return first / len(docs)


def extract_claims(
    body: str,
    min_score: float = DEFAULT_MIN_SCORE,
    *,
    published_at: str | None = None,
    authors: Sequence[str] = (),
) -> list[Candidate]:
    """Candidate claims of ``body``, in reading order, scored at least ``min_score``.

    ``published_at`` (ISO date) dates what the text dates relative to it;
    ``authors`` name the speaker of a transcript (a text in the first person).
    """
    found, labels = _without_labels(list(sentences(body)))
    docs = list(parse(sentence.text for sentence in found))
    context = Context(collect(docs), _published(published_at))
    if authors and _first_person_share(docs) >= 0.25:
        context.default_speaker = Speaker(authors[0])
    paragraph = -1
    for index, (sentence, doc) in enumerate(zip(found, docs, strict=True)):
        if sentence.paragraph != paragraph:
            paragraph = sentence.paragraph
            context.open_quote = False
        if index in labels:
            # A transcript: the labelled speaker says all that follows, up to the next label.
            context.default_speaker = label_speaker(labels[index], context.names)
        if sentence.text:
            _sentence_candidates(body, sentence, doc, context)
    kept = [candidate for candidate in context.candidates if candidate.score >= min_score]
    return sorted(kept, key=lambda candidate: (candidate.span.start, candidate.span.end))


def _without_labels(found: list[Sentence]) -> tuple[list[Sentence], dict[int, str]]:
    """Sentences with a transcript's speaker labels cut off, and the label each opens with.

    Only a paragraph's first sentence can open with a label ("THE PRESIDENT: Thank you").
    """
    kept: list[Sentence] = []
    labels: dict[int, str] = {}
    previous = -1
    for sentence in found:
        label = LABEL.match(sentence.text) if sentence.paragraph != previous else None
        previous = sentence.paragraph
        if label is not None and len(label.group("label").replace(".", "")) >= 2:
            labels[len(kept)] = label.group("label")
            start = sentence.span.start + label.end()
            sentence = Sentence(
                Span(start, sentence.span.end), sentence.text[label.end() :], sentence.paragraph
            )
        kept.append(sentence)
    return kept, labels


def _sentence_text(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip().rstrip(",;:")
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!", "”", '"', "’")) else f"{text}."


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
    if span.end <= span.start:
        return
    quote = body[span.start : span.end]
    if len(quote.split()) < 2 and kind is not ClaimKind.MEMBERSHIP:
        return
    score, features = check_worthiness(kind, quote, verbatim=verbatim)
    tags = _tags(context, span, f"{quote} {text}")
    context.candidates.append(Candidate(kind, text, span, details, tags, score, features))


def _tags(context: Context, span: Span, text: str) -> list[str]:
    """The entities the claim names, spelled one way whatever the text's spelling ("Nato").

    A place or national body is tagged with its country; a person with the full name.
    """
    if context.mentions is None:
        # Found once per sentence, and only for a sentence that gives a claim.
        sentence = context.sentence
        base = sentence.span.start if sentence else 0
        context.mentions = [
            Mention(base + mention.start, base + mention.end, mention.surface, mention.entity)
            for mention in find_mentions(sentence.text if sentence else "")
        ]
    found = {
        (country_of(mention.entity) or mention.entity).name
        for mention in context.mentions
        if span.start <= mention.start and mention.end <= span.end
    }
    found.update(name for name in context.names.roles if name in text)
    return sorted(found)


def _statement(
    context: Context,
    body: str,
    span: Span,
    speaker: Speaker,
    text: str,
    *,
    verbatim: bool,
    audience: str | None = None,
    attribution: str | None = None,
) -> None:
    details: dict[str, object] = {
        "speaker": speaker.name,
        "speaker_role": speaker.role,
        "audience": context.names.full(audience) if audience else None,
        "attribution": attribution,
        "verbatim": verbatim,
    }
    _add(context, body, ClaimKind.STATEMENT, span, text, details, verbatim=verbatim)
    context.last_speaker = speaker
    if speaker.person:
        context.last_person = speaker
    else:
        context.last_group = speaker


HANDLE = re.compile(r"^(?P<handle>@\w+):\s+")


def _asserts_nothing(text: str, doc: Doc) -> bool:
    """A question, a line that introduces what follows, or a sentence not in English."""
    bare = text.rstrip("”\"’' )")
    if bare.endswith(("?", ":")):
        return True
    words = [token for token in doc if token.is_alpha]
    return len(words) >= 6 and sum(token.is_stop for token in words) < 0.1 * len(words)


def _sentence_candidates(body: str, sentence: Sentence, doc: Doc, context: Context) -> None:
    base = sentence.span.start
    text = sentence.text
    if _asserts_nothing(text, doc):
        return
    handle = HANDLE.match(text)
    if handle is not None:
        # "@user: text": a post, stated by the handle that posted it.
        speaker = Speaker(handle.group("handle"))
        span = _trim(body, Span(base + handle.start(), base + len(text)))
        if len(text[handle.end() :].split()) >= 4:
            _statement(context, body, span, speaker, _sentence_text(text), verbatim=True)
        return
    context.sentence = sentence
    context.mentions = None
    quotes = quote_ranges(text)
    if context.open_quote:
        # The quotation opened in an earlier sentence goes on up to its closing mark.
        closing = re.search(r"[”\"’](?=\s|$|[,.;])", text)
        end = closing.end() if closing else len(text)
        if not any(start == 0 for start, _ in quotes):
            quotes = [(0, end), *[(s, e) for s, e in quotes if s >= end]]
        context.open_quote = closing is None
    if (
        quotes
        and quotes[-1][1] >= len(text)
        and text[quotes[-1][0]] in QUOTE_PAIRS
        and not re.search(r"[”\"’][.!?]?$", text)
    ):
        context.open_quote = True
    found = attributions(doc, quotes)
    verbs = [a for a in found if a.frame is None]
    framed = [a for a in found if a.frame is not None]
    reporting = {a.verb.i for a in verbs}
    if verbs and framed and all(a.contents[0].i in reporting for a in framed):
        # "..., Wang told Blinken, according to Chinese sources": the verb names the speaker.
        channel = framed[0].frame
        for attribution in verbs:
            attribution.channel = attribution.channel or channel
        found = verbs
    elif framed:
        # "..., and in the words of the prosecutor, "...": the phrase frames the quotation,
        # which no verb of the sentence reports.
        framed_heads = {a.contents[0].i for a in framed}
        found = framed + [a for a in verbs if not {c.i for c in a.contents} & framed_heads]
    quoted_chars = sum(end - start for start, end in quotes)
    if not found and quotes and quoted_chars >= 0.6 * len(text) and context.last_speaker:
        speaker = context.last_speaker
        for piece in _sentence_pieces(doc, base, _trim(body, Span(base, base + len(text)))):
            words = f"{speaker.name} said: {body[piece.start : piece.end]}"
            _statement(context, body, piece, speaker, words, verbatim=True)
        return
    taken = _membership_candidates(body, sentence, context)
    taken += _parsed_memberships(body, base, doc, context, taken)
    heads = _clause_heads(doc)
    covered: set[int] = set()
    for attribution in found:
        _attributed(body, base, attribution, quotes, heads, context, covered)
    for head in heads:
        if head.i in covered:
            continue
        tokens = [token for token in _clause_tokens(head, heads) if token.i not in covered]
        if not tokens:
            continue
        if context.default_speaker is not None:
            # A transcript: each sentence is a statement of its speaker (not "Thank you").
            span = _trim(body, Span(base, base + len(text)))
            if len(text.split()) < 4:
                return
            covered.update(token.i for token in doc)
            _statement(
                context,
                body,
                span,
                context.default_speaker,
                _sentence_text(body[span.start : span.end]),
                verbatim=True,
            )
            continue
        _clause_candidates(body, base, head, tokens, doc, context, taken)


def _sentence_pieces(doc: Doc, base: int, span: Span) -> list[Span]:
    """A quotation of several sentences, one span per sentence: each is its own assertion."""
    pieces = []
    for sent in doc.sents:
        start = max(span.start, base + sent.start_char)
        end = min(span.end, base + sent.end_char)
        if end > start and len(doc.text[start - base : end - base].split()) >= 4:
            pieces.append(Span(start, end))
    if len(pieces) < 2:
        return [span]
    pieces[0] = Span(span.start, pieces[0].end)
    pieces[-1] = Span(pieces[-1].start, span.end)
    return pieces


def _trim(body: str, span: Span) -> Span:
    start, end = span.start, span.end
    while end > start and body[end - 1] in " .,;:":
        end -= 1
    return Span(start, end)


def _attributed(
    body: str,
    base: int,
    attribution: Attribution,
    quotes: Sequence[tuple[int, int]],
    heads: Sequence[Token],
    context: Context,
    covered: set[int],
) -> None:
    """One statement per conjoined complement of an attributing verb."""
    verb = attribution.verb
    doc = verb.doc
    if attribution.speaker_token is None:
        return
    speaker = speaker_of(
        attribution.speaker_token,
        context.names,
        context.last_speaker,
        context.default_speaker,
        context.last_person,
        context.last_group,
    )
    if speaker is None:
        return
    # "Both the district and the police have asserted ...": one statement per speaker.
    speakers = [speaker] + [
        other
        for conjunct in attribution.speaker_token.conjuncts
        if conjunct.i > attribution.speaker_token.i
        and (other := speaker_of(conjunct, context.names, None, None)) is not None
    ]
    # The verb's own clause: its subtree less other clauses conjoined to it.
    framing = attribution.frame is not None or any(
        content.is_ancestor(verb) for content in attribution.contents
    )
    if framing:
        # "According to X, ..." / "As X told Y, ...": the statement is the clause it frames.
        clause_head = next(
            (head for head in reversed(heads) if head.is_ancestor(verb) or head is verb), None
        )
        clause_head = clause_head or verb.sent.root
        tokens = _clause_tokens(clause_head, heads)
        covered.add(clause_head.i)
        attribution_text = attribution.frame or attribution.channel
    else:
        tokens = _clause_tokens(verb, [h for h in heads if h is not verb])
        covered.add(verb.i)
        attribution_text = attribution.channel
    # "He said A and that B": each conjoined complement is its own statement.
    pieces: list[list[Token]] = []
    for content in attribution.contents:
        conjuncts = [
            child
            for child in content.children
            if child.dep_ == "conj"
            and child.pos_ in {"VERB", "AUX"}
            and any(c.dep_ in SUBJECTS or c.lower_ == "that" for c in child.children)
        ]
        for conjunct in conjuncts:
            pieces.append(list(conjunct.subtree))
    split_off = {token.i for piece in pieces for token in piece}
    first = [token for token in tokens if token.i not in split_off]
    spans = [_char_span(first, base)] + [_char_span(piece, base) for piece in pieces]
    for index, span in enumerate(spans):
        # A quotation that the verb introduces or closes belongs to the statement.
        for start, end in quotes:
            if index == 0 and (
                Span(base + start, base + end).overlaps(span)
                or abs(base + end - span.start) <= 3
                or abs(span.end - base - start) <= 3
            ):
                span = Span(min(span.start, base + start), max(span.end, base + end))
        span = _trim(body, span)
        # Verbatim: what is attributed is in quotation marks, not just a phrase of it.
        verbatim = (index == 0 and all(_inside(c, quotes) for c in attribution.contents)) or any(
            Span(base + s, base + e).overlaps(span) and e - s > 0.5 * (span.end - span.start)
            for s, e in quotes
        )
        pieces_of_quote = _sentence_pieces(doc, base, span) if verbatim else [span]
        for piece_index, piece in enumerate(pieces_of_quote):
            piece_text = body[piece.start : piece.end]
            subject_inside = span.start <= base + attribution.speaker_token.idx < span.end
            if index == 0 and piece_index == 0 and subject_inside:
                words = piece_text
            else:
                words = f"{speaker.name} said: {piece_text}"
            for each in speakers:
                restated = _sentence_text(context.names.spell_out(_restated_subject(words, each)))
                _statement(
                    context,
                    body,
                    piece,
                    each,
                    restated,
                    verbatim=verbatim,
                    audience=attribution.audience,
                    attribution=attribution_text,
                )
        covered.update(token.i for token in doc if span.start <= base + token.idx < span.end)
        if (
            index == 0
            and not verbatim
            and (framing or verb.i > max(c.i for c in attribution.contents))
        ):
            # "Some 1.5 million people have been displaced, the UN says": the article
            # asserts the figure too, so it is also a quantity.
            frame = {t.i for t in verb.subtree} if framing else {verb.i}
            content_tokens = (
                [t for t in first if t.i not in frame]
                if framing
                else [t for c in attribution.contents for t in c.subtree if t.i not in split_off]
            )
            content_span = _char_span(content_tokens, base)
            if content_span.end > content_span.start:
                _quantity_candidates(body, base, content_span, doc, context)
    _occasions(body, base, verb, context)
    covered.update(token.i for token in tokens)
    covered.update(split_off)


OCCASIONS = frozenset(
    {"conference", "meeting", "call", "summit", "interview", "briefing", "visit", "talks",
     "rally", "hearing", "debate", "session", "speech", "address", "remarks", "ceremony"}
)  # fmt: skip


def _occasions(body: str, base: int, verb: Token, context: Context) -> None:
    """The meeting, call or news conference a statement was made at: an event of its own."""
    for child in verb.children:
        if child.dep_ != "prep" or child.lower_ not in {"at", "in", "during", "on"}:
            continue
        for noun in child.children:
            if noun.dep_ == "pobj" and noun.lemma_.lower() in OCCASIONS:
                span = _char_span(list(noun.subtree), base)
                text = _sentence_text(f"There was {body[span.start : span.end]}")
                _add(context, body, ClaimKind.EVENT, span, text)


def _restated_subject(words: str, speaker: Speaker) -> str:
    return re.sub(r"^(?:he|she|they|He|She|They|I|We)\b", speaker.name, words)


def _clause_candidates(
    body: str,
    base: int,
    head: Token,
    tokens: list[Token],
    doc: Doc,
    context: Context,
    taken: list[Span],
) -> None:
    span = _char_span(tokens, base)
    if span.end <= span.start:
        return
    clause_text = body[span.start : span.end]
    # A clause a membership fact already quotes (most of it) gives nothing more.
    if any(
        span.within(other) or (other.within(span) and _share(other, span) >= 0.6) for other in taken
    ):
        return
    if len([token for token in tokens if not token.is_punct]) < 3:
        return
    if clause_text.rstrip().endswith("?") or not _has_subject(head):
        return
    restated = _sentence_text(context.names.spell_out(clause_text))
    if _quantity_candidates(body, base, span, doc, context):
        return
    kind = ClaimKind.EVENT if _is_event(head) else ClaimKind.OTHER
    _add(context, body, kind, span, restated)


def _quantity_candidates(body: str, base: int, span: Span, doc: Doc, context: Context) -> bool:
    """Add the quantities of a clause; whether its one number makes the whole clause one.

    One number that the clause asserts ("Britain withdrew about 30 soldiers") is the
    clause's claim; several, or one that only describes ("a 14-year-old boy", "Sam, 42"),
    are each their own phrase beside the clause's own claim.
    """
    clause_text = body[span.start : span.end]
    offset = span.start - base
    numbers = [
        number
        for number in quantities(clause_text)
        if not _is_name_number(doc, offset + number.start)
    ]
    if len(numbers) == 1 and not _modifier_number(doc, offset + numbers[0].start):
        restated = _sentence_text(context.names.spell_out(clause_text))
        fields = _quantity_fields(numbers[0], clause_text, context)
        _add(context, body, ClaimKind.QUANTITY, span, restated, fields)
        return True
    for number in numbers:
        number_span = Span(span.start + number.start, span.start + number.end)
        if len(body[number_span.start : number_span.end].split()) < 2:
            number_span = _noun_phrase(doc, base, offset + number.start, number_span)
        words = body[number_span.start : number_span.end]
        fields = _quantity_fields(number, clause_text, context)
        _add(context, body, ClaimKind.QUANTITY, number_span, _sentence_text(words), fields)
    return False


def _share(part: Span, whole: Span) -> float:
    return (part.end - part.start) / max(1, whole.end - whole.start)


def _has_subject(head: Token) -> bool:
    if any(child.dep_ in SUBJECTS for child in head.children):
        return True
    # A conjoined verb shares its head's subject: "Police arrested and questioned him".
    if head.dep_ == "conj":
        return _has_subject(head.head)
    # A subject the parser attached elsewhere ("As of 15:11 GMT the site was ..."); an
    # imperative (a bare verb with nothing nominal before it) has none.
    return head.tag_ != "VB" and any(
        token.pos_ in {"NOUN", "PROPN", "PRON"} for left in head.lefts for token in left.subtree
    )


def _token_at(doc: Doc, offset: int) -> Token | None:
    return next(
        (token for token in doc if token.idx <= offset < token.idx + len(token.text) + 1), None
    )


def _is_name_number(doc: Doc, offset: int) -> bool:
    """A number inside a name ("Fan Expo Canada 2016", "Internet Explorer 6") or an ordinal."""
    token = _token_at(doc, offset)
    if token is None:
        return False
    if token.ent_type_ in NAMES_WITH_NUMBERS or token.ent_type_ in {"ORDINAL", "TIME"}:
        return True
    if re.fullmatch(r"\d{1,2}:\d{2}", token.text):
        return True  # a clock time, "15:11"
    # "Internet Explorer 6": a figure right after a proper name is part of it.
    if token.i > 0 and doc[token.i - 1].pos_ == "PROPN" and token.head.pos_ == "PROPN":
        return True
    return token.tag_ == "NNP" and token.like_num is False


def _modifier_number(doc: Doc, offset: int) -> bool:
    """A number that only describes ("a 14-year-old boy", an appositive): its own claim."""
    token = _token_at(doc, offset)
    if token is None:
        return False
    for ancestor in [token, *token.ancestors]:
        if ancestor.dep_ in {"appos", "acl"}:
            return True
        if ancestor.pos_ in {"VERB", "AUX"}:
            break
    return "-" in doc.text[offset : offset + 12].split(" ")[0]


def _noun_phrase(doc: Doc, base: int, offset: int, fallback: Span) -> Span:
    token = _token_at(doc, offset)
    if token is None:
        return fallback
    if token.dep_ in {"appos", "npadvmod", "amod"} and token.head.pos_ == "PROPN":
        # "Thomas Sam, 42": an age given beside a name is about the person named.
        start = token.head.left_edge.idx
        return Span(base + start, base + token.idx + len(token.text))
    head = token
    while (
        head.dep_ in {"nummod", "quantmod", "compound", "amod", "npadvmod"}
        and head.head is not head
    ):
        head = head.head
    tokens = [t for t in head.subtree if t.dep_ not in {"relcl", "punct"} or t.i < token.i]
    if not tokens:
        return fallback
    start = min(t.idx for t in tokens)
    end = max(t.idx + len(t.text) for t in tokens)
    if end - start > 120:
        return fallback
    return Span(base + start, base + end)


# Gradual changes of degree: in the progressive they describe a trend, not a happening.
TRENDS = frozenset(
    {"slip", "decline", "rise", "fall", "grow", "shrink", "drop", "climb", "sink",
     "hold", "keep", "stay", "wane", "fade", "surge", "soar"}
)  # fmt: skip
SCHEDULING = frozenset({"plan", "schedule", "expect", "set", "due", "intend", "prepare"})


def _is_event(head: Token) -> bool:
    """A happening: a past or scheduled event verb with a subject, not a state or a cause.

    A future ("will") is an event only when the clause dates it: a scheduled happening,
    not a prediction.
    """
    lemma = head.lemma_.lower()
    dated = any(token.ent_type_ in {"DATE", "TIME"} for token in head.subtree)
    scheduled = next(
        (
            child
            for child in head.children
            if child.dep_ == "xcomp" and any(c.lower_ == "to" for c in child.children)
        ),
        None,
    )
    if scheduled is not None and (lemma in SCHEDULING or lemma == "be"):
        # "plans to meet X tomorrow", "are to travel on Wednesday": a happening scheduled.
        happening = scheduled.lemma_.lower() not in STATIVE | NOT_HAPPENINGS
        return dated and happening and scheduled.pos_ == "VERB"
    if lemma == "be" and head.tag_ == "VBD" and dated:
        # "was a guest at the fair this weekend", "as of 15:11 the site was accessible".
        return True
    if lemma in STATIVE | NOT_HAPPENINGS or head.pos_ != "VERB":
        return False
    auxiliaries = {child.lower_ for child in head.children if child.dep_ in {"aux", "auxpass"}}
    if head.tag_ == "VBD":
        return True
    if head.tag_ == "VBN" and auxiliaries & {"has", "have", "had", "was", "were", "been"}:
        return True
    if head.tag_ == "VBG" and auxiliaries & {"is", "are", "was", "were", "am"}:
        # "YouTube is complying", "are undergoing trial": a happening under way, not a
        # trend ("market share is slipping").
        return lemma not in TRENDS
    if "will" in auxiliaries or ("to" in auxiliaries and head.head.lemma_ in SCHEDULING):
        return dated
    return False


def _quantity_fields(number: Quantity, clause: str, context: Context) -> dict[str, object]:
    fields = number.as_fields()
    fields["as_of"] = _as_of(clause, context.published)
    return fields


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip


def _as_of(text: str, published: date | None) -> str | None:
    """The date a clause gives, resolved against the article's date: "on Monday", "September 14"."""
    if published is None:
        return None
    from datetime import timedelta

    lower = text.lower()
    for index, day in enumerate(WEEKDAYS):
        if re.search(rf"\b(?:on |last )?{day}\b", lower):
            back = (published.weekday() - index) % 7
            return (published - timedelta(days=back)).isoformat()
    if re.search(r"\byesterday\b", lower):
        return (published - timedelta(days=1)).isoformat()
    if re.search(r"\btoday\b", lower):
        return published.isoformat()
    month = re.search(
        r"\b(" + "|".join(MONTH_NAMES) + r")\.? (\d{1,2})(?:st|nd|rd|th)?(?:,? (\d{4}))?\b", lower
    )
    if month:
        year = int(month.group(3)) if month.group(3) else published.year
        try:
            return date(
                year, MONTH_NAMES.index(month.group(1)) + 1, int(month.group(2))
            ).isoformat()
        except ValueError:
            return None
    return None


MEMBERSHIP_VERBS = {
    "member": "is a member of",
    "not_member": "is not a member of",
    "candidate": "is a candidate for membership of",
    "applicant": "has applied to join",
}
ORGANIZATION_ARTICLE = re.compile(r"^(?:European|United|African|World)\b")


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
            "as_of": _as_of(sentence.text, context.published),
        }
        _add(context, body, ClaimKind.MEMBERSHIP, span, text, details)
        taken.append(span)
    for organization in ORGANIZATION.findall(sentence.text):
        context.last_organization = _organization_name(organization)
    return taken


# Common nouns that name a body one can belong to.
BODIES = frozenset(
    {"alliance", "bloc", "union", "party", "team", "club", "group", "organization",
     "organisation", "church", "league", "association", "coalition", "federation", "council"}
)  # fmt: skip
MEMBER_NOUNS = frozenset({"member", "signatory", "affiliate"})
FORMER = frozenset({"former", "ex", "expelled"})
HOPEFUL = frozenset({"prospective", "aspiring", "would-be", "candidate", "future"})
SEEKING = frozenset({"want", "seek", "hope", "apply", "bid", "aim", "try", "wait", "push", "plan"})


def _phrase(token: Token) -> str:
    tokens = [t for t in token.subtree if t.dep_ not in {"relcl", "acl", "punct", "appos"}]
    tokens = [t for t in tokens if t.i <= token.i or t.dep_ in {"prep", "pobj", "compound"}]
    text = token.doc[min(t.i for t in tokens) : max(t.i for t in tokens) + 1].text
    return re.sub(r"^(?:[Tt]he|[Aa]n?)\s+", "", text).strip(" ,")


def _organization_of(noun: Token) -> Token | None:
    """The organisation a membership noun or verb names: "member of X", "X members", "join X"."""
    for child in noun.children:
        if child.dep_ == "prep" and child.lower_ in {"of", "in", "to"}:
            objects = [g for g in child.children if g.dep_ == "pobj"]
            if objects:
                return objects[0]
        if child.dep_ in {"compound", "nmod"} and child.i < noun.i and child.pos_ == "PROPN":
            return child
        if child.dep_ == "dobj":
            return child
    return None


def _members_of(subject: Token) -> list[Token]:
    """A subject and the subjects coordinated with it: "Poland, Slovakia and Romania"."""
    return [subject, *(t for t in subject.subtree if t.dep_ == "conj" and t.head.i >= subject.i)]


def _parsed_memberships(
    body: str, base: int, doc: Doc, context: Context, taken: Sequence[Span]
) -> list[Span]:
    """Membership facts the parse shows in any phrasing: "X is a member of Y", "X joined Y",
    "X, a member of Y", "X left Y", "X is waiting to be admitted to Y"."""
    found: list[Span] = []
    for token in doc:
        lemma = token.lemma_.lower()
        organization: Token | None = None
        members: list[Token] = []
        relation = "member"
        start = token
        if lemma in MEMBER_NOUNS and token.pos_ == "NOUN":
            organization = next((c for c in _organization_of_noun(token)), None)
            if token.dep_ == "attr":
                subject = next((c for c in token.head.children if c.dep_ in SUBJECTS), None)
                members = _members_of(subject) if subject is not None else []
                if any(c.dep_ == "neg" for c in token.head.children):
                    relation = "not_member"
            elif token.dep_ == "appos":
                members = [token.head]
            else:
                # "former members of X, including A and B": one fact per member named.
                including = [
                    g
                    for c in token.children
                    if c.dep_ == "prep" and c.lower_ == "including"
                    for g in c.children
                    if g.dep_ == "pobj"
                ]
                members = _members_of(including[0]) if including else []
            modifiers = {c.lower_ for c in token.children if c.dep_ in {"amod", "compound"}}
            if modifiers & FORMER:
                relation = "not_member"
            elif modifiers & HOPEFUL:
                relation = "candidate"
        elif token.pos_ == "VERB" and lemma in {"join", "leave", "quit", "admit", "rejoin"}:
            organization = _organization_of(token) if lemma != "admit" else None
            if lemma == "admit":
                preps = [
                    c for c in token.children if c.dep_ == "prep" and c.lower_ in {"to", "into"}
                ]
                objects = [g for p in preps for g in p.children if g.dep_ == "pobj"]
                organization = objects[0] if objects else None
            verb = token
            while verb.dep_ in {"xcomp", "advcl", "pcomp", "conj"} and _subject(verb) is None:
                verb = verb.head
            subject = next((c for c in verb.children if c.dep_ in SUBJECTS), None)
            if verb.dep_ == "pobj" or verb.head.dep_ == "prep":
                subject = next((c for c in verb.head.head.children if c.dep_ in SUBJECTS), subject)
            members = _members_of(subject) if subject is not None else []
            chain = [token, *token.ancestors]
            negated = any(c.dep_ == "neg" for v in chain[:2] for c in v.children)
            seeking = any(v.lemma_.lower() in SEEKING for v in chain[1:3])
            if lemma in {"leave", "quit"}:
                relation = "not_member"
            elif seeking or (lemma == "admit" and negated):
                relation = "candidate"
            elif negated:
                relation = "not_member"
            if organization is not None and organization.ent_type_ != "ORG":
                # Leaving or joining a place is not membership: the object must be a body.
                appositive = [
                    c for c in organization.children if c.dep_ == "appos" and c.ent_type_ == "ORG"
                ]
                if not appositive and organization.lemma_.lower() not in BODIES:
                    continue
                organization = appositive[0] if appositive else organization
        else:
            continue
        if organization is None or not members:
            continue
        organization_name = _organization_name(_phrase(organization))
        if not organization_name or organization_name.lower() in {"it", "them", "its"}:
            continue
        for member in members:
            left = min(member.left_edge.i, start.left_edge.i, token.i)
            if token.dep_ == "appos" or member.i > token.i:
                left = token.left_edge.i
            right = max(organization.right_edge.i, token.i)
            span = _char_span(list(doc[left : right + 1]), base)
            if any(span.overlaps(other) for other in taken):
                continue
            member_name = context.names.full(_phrase(member))
            text = _sentence_text(f"{member_name} {MEMBERSHIP_VERBS[relation]} {organization_name}")
            details: dict[str, object] = {
                "member": member_name,
                "organization": organization_name,
                "relation": relation,
                "as_of": _as_of(doc.text, context.published),
            }
            _add(context, body, ClaimKind.MEMBERSHIP, span, text, details)
            found.append(span)
    return found


def _organization_of_noun(noun: Token) -> list[Token]:
    found = _organization_of(noun)
    return [found] if found is not None and found.dep_ != "dobj" else []


def _organization_name(written: str) -> str:
    known = resolve(written)
    if known is not None:
        return known.name
    for name, canonical in ORGANIZATIONS.items():
        if name.lower() == written.lower():
            return canonical
    return written

"""Parsing for the extractor: spaCy's docs from the one pipeline of the process.

Every caller goes through ``parse``; the pipeline is ``nlp.pipeline()`` (checked,
loaded once per process, or ``NlpUnavailable``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from spacy.tokens import Doc

from claims_api.extraction import nlp


def parse(texts: Iterable[str]) -> Iterator[Doc]:
    """Tagged, parsed, lemmatised docs with named entities, one per text, in order."""
    docs: Iterator[Doc] = nlp.pipeline().pipe(texts, batch_size=64)
    return docs

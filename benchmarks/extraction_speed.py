"""Extraction speed: the spaCy pipeline and ``extract_claims`` over the benchmark articles.

    python -m benchmarks.extraction_speed [--rounds 7] [--data DIR]

Loads the pipeline as the service does (``claims_api.extraction.nlp.pipeline``: meta
check, SHA-256 of its files, load) and prints that time on its own: it is paid once per
process, never per request. Then, for several rounds, parses every article body of
``benchmarks/data/extraction/dev/*.json`` (``article.body``) with the pipeline, and runs
``extract_claims`` on it, each timed per article. Prints the median over rounds of each,
in milliseconds per 1,000 words (words: whitespace-separated tokens of the body). The
issue's target is at most 1,000 ms per 1,000 words, model included. Asserts nothing.

``CLAIMS_NLP_MODEL`` names another installed pipeline, as for the service.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from claims_api.extraction import DEFAULT_MIN_SCORE, extract_claims, nlp

DEV_DIR = Path(__file__).resolve().parent / "data" / "extraction" / "dev"


def article_bodies(directory: Path) -> dict[str, str]:
    bodies = {}
    for path in sorted(directory.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        bodies[path.stem] = document["article"]["body"]
    return bodies


def per_thousand_words(seconds: float, words: int) -> float:
    return seconds * 1000 / words * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--data", type=Path, default=DEV_DIR)
    args = parser.parse_args()

    bodies = article_bodies(args.data)
    words = sum(len(body.split()) for body in bodies.values())
    if not bodies:
        raise SystemExit(f"no articles in {args.data}")

    started = time.perf_counter()
    pipeline = nlp.pipeline()
    load_seconds = time.perf_counter() - started
    from spacy.about import __version__ as SPACY_VERSION

    model = nlp.configured_model() or nlp.DEFAULT_PACKAGE
    print(
        f"pipeline {model} ({pipeline.meta.get('name')} {pipeline.meta.get('version')}, "
        f"components {', '.join(pipeline.pipe_names)}), spaCy {SPACY_VERSION}"
    )
    print(
        f"load (import of spaCy, checks, weights; once per process): {load_seconds * 1000:.0f} ms"
    )
    if model == nlp.DEFAULT_PACKAGE:
        started = time.perf_counter()
        nlp.directory_digest(nlp._package_dir(model) / nlp.DEFAULT_DATA_DIR)
        digest_ms = (time.perf_counter() - started) * 1000
        print(f"  of which the SHA-256 of its files, read again: {digest_ms:.0f} ms")
    print(f"{len(bodies)} articles, {words} words, {args.rounds} rounds, cpus {os.cpu_count()}")

    parse_rounds: list[float] = []
    extract_rounds: list[float] = []
    for _ in range(args.rounds):
        parse_seconds = extract_seconds = 0.0
        for body in bodies.values():
            started = time.perf_counter()
            pipeline(body)
            parse_seconds += time.perf_counter() - started
            started = time.perf_counter()
            extract_claims(body, DEFAULT_MIN_SCORE)
            extract_seconds += time.perf_counter() - started
        parse_rounds.append(parse_seconds)
        extract_rounds.append(extract_seconds)

    parse = per_thousand_words(statistics.median(parse_rounds), words)
    extract = per_thousand_words(statistics.median(extract_rounds), words)
    print(f"pipeline (parse, tag, NER, lemmas): {parse:.0f} ms per 1,000 words (median)")
    print(f"extract_claims as it is:            {extract:.0f} ms per 1,000 words (median)")
    print(f"both, one after the other:          {parse + extract:.0f} ms per 1,000 words")
    print("target: at most 1,000 ms per 1,000 words")


if __name__ == "__main__":
    main()

"""How pairs.json was made (run once, by hand; the benchmark reads the committed file).

    python -m benchmarks.data.matching.build

Three kinds of pair, each marked in its ``variant``:

- real pairs across Global Voices posts of May 2012 that report the same events
  (claims written from the posts' sentences, hand-labelled; ``synthetic: false``);
- real pairs inside the extraction benchmark's articles: two annotations of the same
  quote (heldout vs heldout-second, written independently: ``second_annotation``,
  ``same``) and two claims of one article about the same speaker or subject
  (``same_article``, ``related``);
- written variants of real claims (``synthetic: true``): the article's own words
  for the claim re-reported elsewhere (``article_words``, ``same``), a negation, another
  number at the same time (``contradicts``), another number later (``updates``),
  another speaker or another country (``none``).

The split is drawn here, once, with a fixed seed, stratified by relation, before any
matching code was written or tuned; it is never redrawn.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from benchmarks.matching_data import (
    EXTRACTION,
    changes_over_time,
    claim_only,
    load_extraction,
    negate,
    other_country,
    other_number,
    other_speaker,
    reworded,
)

HERE = Path(__file__).resolve().parent
SPLIT_SEED = 12
HELDOUT_SHARE = 0.45
GV = "Global Voices"
VARIANT_OUTLET = "Synthetic variant (claims-api matching benchmark)"


# Claims written from the Global Voices posts, and the hand-labelled pairs among them.
REAL_DATA = json.loads((HERE / "real_claims.json").read_text(encoding="utf-8"))
REAL: dict[str, tuple[str, dict[str, Any]]] = {
    key: (claim["article"], {field: value for field, value in claim.items() if field != "article"})
    for key, claim in REAL_DATA["claims"].items()
}
REAL_PAIRS = [
    (pair["a"], pair["b"], pair["relation"], pair["newer"], pair["note"])
    for pair in REAL_DATA["pairs"]
]


# Same-article pairs that a reading found to say one thing twice: `same`, not `related`.
SAME_ON_READING = {
    frozenset(
        {
            "heldout/wikinews-asylum.json#jeff-rathke-the-state-department-spokesperson-said",
            "heldout/wikinews-asylum.json#rathke-also-asked-the-governments-of-south",
        }
    ),
    frozenset(
        {
            "heldout/wikinews-taxes.json#nunzio-galantino-has-called-the-sentence-dangerous",
            "heldout/wikinews-taxes.json#nunzio-galantino-said-we-face-a-dangerous",
        }
    ),
    frozenset(
        {
            "heldout/wikinews-imprisoned.json#the-church-of-scientology-said-valeska-paris",
            "heldout/wikinews-imprisoned.json#the-church-of-scientology-claimed-valeska-paris",
        }
    ),
}


def side_article(article: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": article["title"],
        "published_at": article["published_at"],
        "outlet": article.get("publisher") or article.get("outlet"),
        "url": article["url"],
    }


def article_day(article: dict[str, Any]) -> date:
    return date.fromisoformat(article["published_at"][:10])


def variant_article(article: dict[str, Any], number: int, *, later_days: int = 0) -> dict[str, Any]:
    published = (article_day(article) + timedelta(days=later_days)).isoformat()
    return {
        "title": f"Re-report {number}: {article['title']}"[:300],
        "published_at": f"{published}T12:00:00+00:00",
        "outlet": VARIANT_OUTLET,
        "url": f"https://variants.claims-api.invalid/matching/{number}",
    }


def build() -> list[dict[str, Any]]:
    rng = random.Random(SPLIT_SEED)
    real_articles = REAL_DATA["articles"]
    pairs: list[dict[str, Any]] = []

    def add(
        a: dict[str, Any],
        b: dict[str, Any],
        relation: str,
        newer: str | None,
        note: str,
        variant: str,
        synthetic: bool,
    ) -> None:
        pairs.append(
            {
                "a": a,
                "b": b,
                "relation": relation,
                "newer": newer,
                "note": note,
                "variant": variant,
                "synthetic": synthetic,
            }
        )

    def gv_side(key: str) -> dict[str, Any]:
        article_key, claim = REAL[key]
        article = real_articles[article_key]
        return {
            "claim": claim_only(claim),
            "article": {
                "title": article["title"],
                "published_at": article["published_at"],
                "outlet": GV,
                "url": article["url"],
            },
            "origin": f"globalvoices:{article_key}#{key}",
        }

    for a, b, relation, newer, note in REAL_PAIRS:
        add(gv_side(a), gv_side(b), relation, newer, note, "cross_post", False)

    extraction = load_extraction()

    def ex_side(article: dict[str, Any], claim: dict[str, Any]) -> dict[str, Any]:
        return {
            "claim": claim_only(claim),
            "article": side_article(article),
            "origin": f"extraction:{article['file']}#{claim['key']}",
        }

    # Two independent annotations of the same quote: real restatements of one claim.
    first = {
        (article["url"], claim["quote"]["start"], claim["quote"]["end"], claim["kind"]): (
            article,
            claim,
        )
        for article, claim in extraction["heldout"]
    }
    second_pairs = []
    for article, claim in extraction["heldout-second"]:
        key = (article["url"], claim["quote"]["start"], claim["quote"]["end"], claim["kind"])
        if key in first and first[key][1]["text"] != claim["text"]:
            second_pairs.append((first[key], (article, claim)))
    for (a_article, a_claim), (b_article, b_claim) in rng.sample(
        second_pairs, min(35, len(second_pairs))
    ):
        add(
            ex_side(a_article, a_claim),
            ex_side(b_article, dict(b_claim, key=b_claim["key"])),
            "same",
            None,
            "the same quote annotated twice, independently (same article)",
            "second_annotation",
            False,
        )

    claims = (
        extraction["dev"]
        + extraction["heldout"]
        + [
            (
                real_articles[k_article] | {"publisher": GV, "file": f"gv:{k_article}"},
                dict(claim, key=key),
            )
            for key, (k_article, claim) in REAL.items()
        ]
    )
    speakers = sorted({c["statement"]["speaker"] for _, c in claims if c.get("statement")})
    number = 0

    def variant_side(
        article: dict[str, Any], claim: dict[str, Any], origin: str, later_days: int = 0
    ) -> dict[str, Any]:
        nonlocal number
        number += 1
        return {
            "claim": claim,
            "article": variant_article(article, number, later_days=later_days),
            "origin": origin,
        }

    def origin(article: dict[str, Any], claim: dict[str, Any]) -> str:
        return f"variant of {article['file']}#{claim['key']}"

    shuffled = claims[:]
    rng.shuffle(shuffled)
    # The article's own words, re-reported: a real wording of the same claim.
    words = 0
    for article, claim in shuffled:
        exact = (claim.get("quote") or {}).get("exact", "")
        if (
            words < 30
            and claim["kind"] in ("event", "other", "quantity")
            and len(exact.split()) >= 6
            and reworded(exact, claim["text"])
        ):
            b = claim_only(claim)
            b["text"] = exact[0].upper() + exact[1:] + ("" if exact.endswith(".") else ".")
            add(
                ex_side(article, claim),
                variant_side(article, b, origin(article, claim)),
                "same",
                None,
                "the article's own words for the claim, re-reported the same day",
                "article_words",
                True,
            )
            words += 1
    # Negations: the same proposition, opposite polarity.
    negations = 0
    for article, claim in shuffled:
        # Not quantities: their structured value would still assert what the text denies.
        if negations >= 45 or claim["kind"] not in ("event", "other", "statement"):
            continue
        text = negate(claim["text"])
        if text:
            b = claim_only(claim)
            b["text"] = text
            add(
                ex_side(article, claim),
                variant_side(article, b, origin(article, claim)),
                "contradicts",
                None,
                "negation of a real claim, same day",
                "negation",
                True,
            )
            negations += 1
    quantities = [(article, claim) for article, claim in shuffled if claim["kind"] == "quantity"]
    # Another number at the same time; then other numbers a month or more later.
    made = {"other_number": 0, "later_number": 0}
    for index, (article, claim) in enumerate(quantities):
        factor = [1.5, 0.5, 3, 0.7][index % 4]
        b = other_number(claim, factor)
        if b is not None and made["other_number"] < 36:
            add(
                ex_side(article, claim),
                variant_side(article, b, origin(article, claim)),
                "contradicts",
                None,
                f"another number (x{factor}) for the same subject and time",
                "other_number",
                True,
            )
            made["other_number"] += 1
        if not changes_over_time(claim):
            continue
        for later, factor in (
            (60 + index % 90, 1.4),
            (200 + index % 150, 0.6),
            (400 + index % 200, 2),
        ):
            b = other_number(claim, factor)
            if b is None or made["later_number"] >= 76:
                continue
            if b["quantity"].get("as_of"):
                b["quantity"]["as_of"] = (
                    date.fromisoformat(b["quantity"]["as_of"]) + timedelta(days=later)
                ).isoformat()
            add(
                ex_side(article, claim),
                variant_side(article, b, origin(article, claim), later_days=later),
                "updates",
                "b",
                f"another number (x{factor}) for the same subject, {later} days later",
                "later_number",
                True,
            )
            made["later_number"] += 1
    # Memberships: the opposite relation the same day; a later stage later.
    for article, claim in shuffled:
        membership = claim.get("membership")
        if not membership:
            continue
        flipped = {
            "member": "not_member",
            "not_member": "member",
            "candidate": "not_member",
            "applicant": "not_member",
        }[membership["relation"]]
        b = claim_only(claim)
        b["membership"] = dict(membership, relation=flipped)
        b["text"] = negate(claim["text"]) or f"It is not true that {claim['text']}"
        add(
            ex_side(article, claim),
            variant_side(article, b, origin(article, claim)),
            "contradicts",
            None,
            f"membership {membership['relation']} against {flipped}, same day",
            "membership_flip",
            True,
        )
    # Other speakers and other countries: look-alikes that are other claims.
    nones = {"other_speaker": 0, "other_country": 0}
    for article, claim in shuffled:
        for variant, make in (
            ("other_country", lambda c: other_country(c, rng)),
            ("other_speaker", lambda c: other_speaker(c, speakers, rng)),
        ):
            b = make(claim)
            if b is not None and b["text"] != claim["text"] and nones[variant] < 35:
                add(
                    ex_side(article, claim),
                    variant_side(article, b, origin(article, claim)),
                    "none",
                    None,
                    f"{variant.replace('_', ' ')}: the same words about someone else",
                    variant,
                    True,
                )
                nones[variant] += 1
                break
    # Two claims of one article about the same speaker or subject: related, not the same.
    by_article: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for article, claim in extraction["dev"] + extraction["heldout"]:
        by_article.setdefault(article["url"], []).append((article, claim))
    # Same speaker, or two shared tags and one kind; not the same quantity subject, which
    # in one article is mostly the same figure annotated twice. At most five per article.
    related = []
    for members in by_article.values():
        candidates = []
        for left in range(len(members)):
            for right in range(left + 1, len(members)):
                (article, x), (_, y) = members[left], members[right]
                sx, sy = (
                    (x.get("statement") or {}).get("speaker"),
                    (y.get("statement") or {}).get("speaker"),
                )
                shared = set(x.get("tags", [])) & set(y.get("tags", []))
                if (sx and sx == sy) or (len(shared) >= 2 and x["kind"] == y["kind"]):
                    candidates.append((article, x, y))
        related.extend(rng.sample(candidates, min(5, len(candidates))))
    for article, x, y in rng.sample(related, min(60, len(related))):
        if frozenset({f"{article['file']}#{x['key']}", f"{article['file']}#{y['key']}"}) in (
            SAME_ON_READING
        ):
            relation, note = "same", "same article: one statement reported twice (on reading)"
        else:
            relation, note = "related", "same article, same speaker or subject, another fact"
        add(ex_side(article, x), ex_side(article, y), relation, None, note, "same_article", False)

    # The split: fixed seed, stratified by relation, drawn before any matching code ran.
    for relation in ("same", "contradicts", "updates", "related", "none"):
        members = [pair for pair in pairs if pair["relation"] == relation]
        rng.shuffle(members)
        cut = round(len(members) * HELDOUT_SHARE)
        for index, pair in enumerate(members):
            pair["split"] = "heldout" if index < cut else "dev"
    for index, pair in enumerate(pairs, start=1):
        pair["id"] = index
    return [
        {
            key: pair[key]
            for key in (
                "id",
                "split",
                "relation",
                "newer",
                "variant",
                "synthetic",
                "note",
                "a",
                "b",
            )
        }
        for pair in pairs
    ]


GV_ORIGIN = {
    "repository": "https://github.com/OpenGenderTracking/globalvoices",
    "path": "data/full/globalvoicesonline.wordpress.2012-may.xml",
    "commit": "3f146b51fdcb59f0cd6fb76246cf79763787d34d",
}


def sources(pairs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every real article a pair quotes, by URL: outlet, licence and where its text came from."""
    extraction = json.loads((EXTRACTION / "sources.json").read_text(encoding="utf-8"))
    authors = {}
    for split in ("dev", "heldout"):
        for path in sorted((EXTRACTION / split).glob("*.json")):
            article = json.loads(path.read_text(encoding="utf-8"))["article"]
            authors[article["url"]] = article.get("authors") or []
    by_url = {
        entry["url"]: dict(entry, file=f"benchmarks/data/extraction/{name}")
        for name, entry in extraction.items()
    }
    real_articles = REAL_DATA["articles"]
    for article in real_articles.values():
        by_url[article["url"]] = {
            "url": article["url"],
            "outlet": GV,
            "authors": [article["author"]],
            "title": article["title"],
            "date": article["published_at"],
            "licence": "CC BY 3.0",
            "licence_url": "https://creativecommons.org/licenses/by/3.0/",
            "obtained_from": GV_ORIGIN,
        }
    found: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        for side in (pair["a"], pair["b"]):
            url = side["article"]["url"]
            if side["article"]["outlet"] != VARIANT_OUTLET:
                entry = by_url[url]
                entry.setdefault("authors", authors.get(url, []))
                found[url] = {
                    key: entry[key]
                    for key in (
                        "outlet",
                        "authors",
                        "title",
                        "date",
                        "licence",
                        "licence_url",
                        "obtained_from",
                    )
                }
                if "file" in entry:
                    found[url]["annotated_in"] = entry["file"]
    return dict(sorted(found.items()))


def main() -> None:
    pairs = build()
    (HERE / "pairs.json").write_text(
        json.dumps(pairs, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    (HERE / "sources.json").write_text(
        json.dumps(sources(pairs), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    from collections import Counter

    print(Counter((pair["split"], pair["relation"]) for pair in pairs), len(pairs))


if __name__ == "__main__":
    main()

"""Limits shared by the models, the marshmallow schemas and the msgspec structs.

One home so that the API, the bulk import and the columns cannot drift apart:
where a limit is a column's width, the model's ``String(n)`` reads it from here,
and so do the API's ``Length`` validators and the bulk import's ``Meta(max_length)``.
Lengths count characters (Unicode code points).
"""

from __future__ import annotations

# Article and source URLs (and archive and review URLs), once normalised: a column width.
MAX_URL_LENGTH = 2048
# A claim's key: unique within its article.
MAX_KEY_LENGTH = 200
# Long free text: a claim's text, its quote, a source link's excerpt and note.
MAX_TEXT_LENGTH = 10_000
# The context kept either side of a quote.
MAX_QUOTE_CONTEXT_LENGTH = 200
# Article and source titles (an article's title is a column width).
MAX_TITLE_LENGTH = 1000
# Names: publishers, authors, speakers, members, organisations, subjects, places
# (publisher and speaker are column widths).
MAX_NAME_LENGTH = 300
# A statement's attribution ("according to Chinese sources").
MAX_ATTRIBUTION_LENGTH = 500
# A quantity's unit.
MAX_UNIT_LENGTH = 100
# One tag (a column width), and the tags of one claim.
MAX_TAG_LENGTH = 100
MAX_TAGS = 50
# A workflow status's name: a column width.
MAX_STATUS_LENGTH = 40
# A BCP 47 language tag: a column width.
MAX_LANGUAGE_LENGTH = 35
# A reviewer's own wording of a verdict's rating: a column width.
MAX_RATING_WORDING_LENGTH = 200
# Who made a change: an API key's name, a reviewer (a column width).
MAX_ACTOR_LENGTH = 200
# Why a reviewer decided as they did, and the evidence of one review.
MAX_RATIONALE_LENGTH = 20_000
MAX_EVIDENCE = 50
# Why a change was made, as recorded in its revision.
MAX_REASON_LENGTH = 2000
# A timestamp written as text (a rating's review date).
MAX_TIMESTAMP_LENGTH = 40
# Items of one document: authors of an article, sources of a claim, claims of an article.
MAX_AUTHORS = 100
MAX_SOURCES_PER_CLAIM = 100
MAX_EXTERNAL_REVIEWS = 100
# The reviews one claim's document carries (its verdict history, in an export).
MAX_REVIEWS_PER_CLAIM = 1000
MAX_CLAIMS_PER_DOCUMENT = 10_000
# The body versions and the other URLs (aliases) an article's document carries (an export's).
MAX_VERSIONS_PER_ARTICLE = 1000
MAX_ALIASES = 100
# Names of one entity in an entity record (a reference entity's demonyms, merged names).
MAX_ENTITY_ALIASES = 1000
# Decisions in one relation record's history.
MAX_DECISIONS_PER_RELATION = 1000
# A claim's review priority: 1 is the most urgent, 5 the least.
MIN_PRIORITY, MAX_PRIORITY = 1, 5
# A rating's number given as text by another fact-checker ("4", "Four").
MAX_RATING_TEXT = 100

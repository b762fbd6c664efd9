"""Limits shared by the models, the marshmallow schemas and the msgspec structs.

One home so that the API, the bulk import and the columns cannot drift apart.
"""

from __future__ import annotations

# Article and source URLs (and archive URLs) once normalised: the column width.
MAX_URL_LENGTH = 2048
# A rating's number given as text by another fact-checker ("4", "Four").
MAX_RATING_TEXT = 100

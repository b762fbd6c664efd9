"""The published JSON Schema of the article document, generated from the msgspec structs
that validate imports (decoding.py), so that the two cannot drift apart.

Regenerate the committed copy after changing the structs or the limits they read:

    python -m claims_api.services.imports.schema > docs/seed-format.schema.json

tests/imports/test_document_schema.py fails while the committed file differs.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import msgspec

from claims_api.services.imports.decoding import Document

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "urn:claims-api:schema:seed-format"


def document_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one article document."""
    generated: dict[str, Any] = msgspec.json.schema(Document)
    return {
        "$schema": DRAFT,
        "$id": SCHEMA_ID,
        "title": "claims-api article document",
        "description": "One news article and the discrete, checkable claims it makes: the "
        "format of seeds/, of imports and of the JSON Lines export. See docs/seed-format.md. "
        "Generated from claims_api/services/imports/decoding.py; do not edit by hand.",
        **generated,
    }


def schema_text() -> str:
    """The schema as committed in docs/seed-format.schema.json."""
    return json.dumps(document_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(schema_text())

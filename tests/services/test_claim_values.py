"""The column values of a claim, computed without a database (the bulk importer's path)."""

from __future__ import annotations

import pytest

from claims_api.errors import InvalidInput
from claims_api.models.vocabulary import ClaimKind
from claims_api.services.claims import claim_values


def test_a_new_claim_without_a_kind_is_invalid_input_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as raised:
        claim_values(None, None, None, {"text": "Ukraine is not a member of NATO."}, new=True)
    assert raised.value.errors == {"kind": ["Missing data for required field."]}


def test_an_edit_without_a_kind_keeps_the_claim_kind() -> None:
    values = claim_values(ClaimKind.EVENT, None, None, {"text": "Talks began."}, new=False)
    assert values["kind"] is ClaimKind.EVENT

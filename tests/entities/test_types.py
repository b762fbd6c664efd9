"""The rule that types a name as an Organization or a Person (claims_api/entities/types.py)."""

from __future__ import annotations

import pytest

from claims_api.entities.types import entity_type


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("NATO", "Organization"),
        ("the EU", "Organization"),
        ("European Union", "Organization"),
        ("the Chinese government", "Organization"),
        ("The Kremlin", "Organization"),
        ("WHO", "Organization"),
        ("Russian Defence Ministry", "Organization"),
        ("Foreign Office", "Organization"),
        ("Wang Yi", "Person"),
        ("Chinese foreign ministry spokesperson Zhao Lijian", "Person"),
        ("Jane Doe", "Person"),
        ("Obama", "Person"),
    ],
)
def test_a_name_is_typed_by_the_documented_rule(name: str, kind: str) -> None:
    assert entity_type(name) == kind

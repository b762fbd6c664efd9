"""Reading one row by its id: the 404 every resource answers, and the lock its writers take."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select

from claims_api.errors import NotFound
from claims_api.extensions import db

Row = TypeVar("Row")


def get_by_id(model: type[Row], row_id: int, noun: str, *, for_update: bool = False) -> Row:
    """The ``model`` row ``row_id``, or a 404 naming the ``noun``; with ``for_update``
    locked and read afresh (a writer sees what the lock protects, not a cached copy)."""
    entity: Any = model
    statement = select(model).where(entity.id == row_id)
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    found = db.session.scalars(statement).one_or_none()
    if found is None:
        raise NotFound(f"There is no {noun} {row_id}.")
    return found

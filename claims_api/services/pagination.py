"""Keyset pagination: pages cost the same wherever they are in the table."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from claims_api.errors import InvalidInput
from claims_api.extensions import db
from claims_api.schemas.common import MAX_ID

T = TypeVar("T")


@dataclass(frozen=True)
class SortOrder:
    """A total order over rows: one column, then the primary key to break ties."""

    name: str
    column: InstrumentedAttribute[Any]
    tiebreak: InstrumentedAttribute[Any]
    descending: bool = False

    @classmethod
    def parse(
        cls, sort: str, columns: dict[str, InstrumentedAttribute[Any]], tiebreak: Any
    ) -> SortOrder:
        """``"-updated_at"`` → updated_at, descending."""
        name = sort.removeprefix("-")
        return cls(sort, columns[name], tiebreak, descending=sort.startswith("-"))


@dataclass(frozen=True)
class PageRequest:
    limit: int
    cursor: str | None = None


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(order: SortOrder, item: Any) -> str:
    value = getattr(item, order.column.key)
    position = value.isoformat() if isinstance(value, datetime) else value
    payload = json.dumps([order.name, position, getattr(item, order.tiebreak.key)])
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(order: SortOrder, cursor: str) -> tuple[Any, Any]:
    """The position a cursor of this list and sort order points after; 422 for any other."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, position, tiebreak = json.loads(raw)
        if name != order.name or not _is_id(tiebreak):
            raise ValueError("cursor of another list")
        if order.column.type.python_type is datetime:
            position = datetime.fromisoformat(position)
            if position.tzinfo is None:
                raise ValueError("naive timestamp")
            position = position.astimezone(UTC)
        elif not _is_id(position):
            raise ValueError("bad position")
    except (
        ValueError,
        TypeError,
        OverflowError,
        binascii.Error,
        UnicodeDecodeError,
        RecursionError,
    ):
        raise InvalidInput(
            "The cursor is not one this list gave out.",
            errors={"cursor": ["Not a cursor of this list with this sort order."]},
        ) from None
    return position, tiebreak


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ID


def keyset_page(statement: Select[T], order: SortOrder, request: PageRequest) -> Page[T]:
    """Run ``statement`` for one page, ordered by ``order``, after ``request.cursor``."""
    return merged_keyset_page([statement], order, request)


def merged_keyset_page(
    statements: list[Select[Any]], order: SortOrder, request: PageRequest, *, rows: bool = False
) -> Page[Any]:
    """One page of the rows of several statements that select disjoint rows, in one order.

    Each statement is run for a page of its own, served by its own index, and the
    pages merged: a list whose condition is an OR that no one index serves (the review
    queue: claims awaiting review, or flagged) stays as cheap as each part. With
    ``rows``, the statements select columns and the page holds their rows; else each
    selects one entity and the page holds the objects.
    """
    keys = tuple_(order.column, order.tiebreak)
    position = decode_cursor(order, request.cursor) if request.cursor else None
    found: list[Any] = []
    for statement in statements:
        if position is not None:
            statement = statement.where(keys < position if order.descending else keys > position)
        if order.descending:
            statement = statement.order_by(order.column.desc(), order.tiebreak.desc())
        else:
            statement = statement.order_by(order.column.asc(), order.tiebreak.asc())
        statement = statement.limit(request.limit + 1)
        if rows:
            # Core rows, on the session's connection: no ORM result machinery at all.
            found.extend(db.session.connection().execute(statement).all())
        else:
            found.extend(db.session.scalars(statement))
    if len(statements) > 1:
        found.sort(
            key=lambda row: (getattr(row, order.column.key), getattr(row, order.tiebreak.key)),
            reverse=order.descending,
        )
    items = found[: request.limit]
    has_more = len(found) > request.limit
    return Page(items, encode_cursor(order, items[-1]) if has_more else None)

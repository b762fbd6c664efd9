"""Keyset pagination: pages cost the same wherever they are in the table."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, func, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from claims_api.errors import InvalidInput
from claims_api.extensions import db
from claims_api.schemas.common import MAX_ID

T = TypeVar("T")


@dataclass(frozen=True)
class SortOrder:
    """A total order over rows: one column, then the primary key to break ties; or the
    primary key alone (``column`` is ``tiebreak``).

    ``continues`` is a former sort order of the list whose cursors this one reads by
    their row id: a link followed after the default changed keeps paging. ``keys`` are
    the rows' attributes the cursor is made of, when the columns the statement is
    ordered by are another table's (``along``), and ``row_id`` the row's own id column,
    equal to the one walked.
    """

    name: str
    column: Any
    tiebreak: Any
    descending: bool = False
    continues: SortOrder | None = None
    keys: tuple[str, str] | None = None
    row_id: Any = None

    @property
    def item_keys(self) -> tuple[str, str]:
        return self.keys or (self.column.key, self.tiebreak.key)

    @property
    def by_id(self) -> bool:
        return self.column is self.tiebreak

    def along(self, column: Any) -> SortOrder:
        """This id order, walked along ``column``: an id column equal to the row's id in
        an index that leads with the filter (a tag's claim_id, the FTS table's rowid).
        Ordered and bounded by that column, the database reads the page off that index
        and stops when it is full, however many rows match."""
        assert self.by_id, "only an id order can be walked along another id column"
        return replace(
            self, column=column, tiebreak=column, keys=self.item_keys, row_id=self.column
        )

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
    key, tiebreak = order.item_keys
    value = getattr(item, key)
    position = value.isoformat() if isinstance(value, datetime) else value
    payload = json.dumps([order.name, position, getattr(item, tiebreak)])
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(order: SortOrder, cursor: str) -> tuple[Any, Any]:
    """The position a cursor of this list and sort order points after; 422 for any other."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, position, tiebreak = json.loads(raw)
        if not _is_id(tiebreak):
            raise ValueError("cursor of another list")
        if name == order.name:
            position = _position(order, position)
        elif order.continues is not None and name == order.continues.name:
            _position(order.continues, position)
            position = tiebreak
        else:
            raise ValueError("cursor of another sort order")
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


def _position(order: SortOrder, position: Any) -> Any:
    """A cursor's position in ``order`` as its column's value; ValueError if it is not one
    that ``encode_cursor`` writes (an aware ISO timestamp, or an id)."""
    if order.column.type.python_type is datetime:
        moment = datetime.fromisoformat(position)
        if moment.tzinfo is None:
            raise ValueError("naive timestamp")
        return moment.astimezone(UTC)
    if not _is_id(position):
        raise ValueError("bad position")
    return position


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
    return walked_keyset_page([(statement, order) for statement in statements], request, rows=rows)


def walked_keyset_page(
    parts: list[tuple[Select[Any], SortOrder]], request: PageRequest, *, rows: bool = False
) -> Page[Any]:
    """``merged_keyset_page`` for parts each ordered by its own columns: the same order
    (name, direction, row keys), walked along the index that serves the part."""
    order = parts[0][1]
    position = decode_cursor(order, request.cursor) if request.cursor else None
    found: list[Any] = []
    ranges = 0
    for statement, walked in parts:
        for after in _after(walked, position):
            ranged = statement.where(*after).order_by(*_ordering(walked))
            ranged = ranged.limit(request.limit + 1)
            ranges += 1
            if rows:
                # Core rows, on the session's connection: no ORM result machinery at all.
                found.extend(db.session.connection().execute(ranged).all())
            else:
                found.extend(db.session.scalars(ranged))
    if ranges > 1:
        key, tiebreak = order.item_keys
        found.sort(
            key=lambda row: (getattr(row, key), getattr(row, tiebreak)), reverse=order.descending
        )
    items = found[: request.limit]
    has_more = len(found) > request.limit
    return Page(items, encode_cursor(order, items[-1]) if has_more else None)


def windowed_keyset_page(
    statement: Select[T],
    condition: ColumnElement[bool],
    order: SortOrder,
    request: PageRequest,
    *,
    window: int,
) -> Page[T]:
    """A page of the rows of ``statement`` meeting ``condition``, in an id ``order``, when
    the planner cannot tell how many rows meet it (text in bodies too wide for
    PostgreSQL's statistics: a word in most articles is planned as a rare one, whose
    every match is collected through the trigram index and sorted).

    First the next ``window`` rows of the order are read off its index and tested, which
    fills the page of a common condition from as many rows as it needs; only a page that
    stays short reads the rest, the rows after the window, through the condition's own
    index, and those are few when it is rare. Either way the cost follows the page and
    the window, not the table.
    """
    assert order.by_id and not order.descending, "a window is a run of ascending ids"
    position = decode_cursor(order, request.cursor) if request.cursor else None
    [after] = _after(order, position)
    # The condition is a column of the window, so no index can serve it: it is tested on
    # the window's rows, in order, until the page is full. The table's own id is bounded
    # too, or a merge join reads it from the start (see _after).
    ids = (
        select(order.column.label("id"), condition.label("hit"))
        .where(*after)
        .order_by(order.column)
        .limit(window)
        .subquery()
    )
    first = statement.join(ids, order.column == ids.c.id).where(ids.c.hit, *after)
    found: list[T] = list(db.session.scalars(first.order_by(ids.c.id).limit(request.limit + 1)))
    if len(found) <= request.limit:
        beyond = order.column > select(func.max(ids.c.id)).scalar_subquery()
        rest = statement.where(condition, beyond).order_by(order.column)
        found.extend(db.session.scalars(rest.limit(request.limit + 1 - len(found))))
    items = found[: request.limit]
    has_more = len(found) > request.limit
    return Page(items, encode_cursor(order, items[-1]) if has_more else None)


def _after(order: SortOrder, position: tuple[Any, Any] | None) -> list[list[ColumnElement[bool]]]:
    """The conditions for rows after ``position`` in ``order``: one list of them per
    range of the index that one seek serves (none for a first page).

    A (column, id) position is one row comparison on PostgreSQL, which seeks to it. SQLite
    seeks on the column alone and then steps through every row tied with the position
    (a bulk import's claims share their created_at: 5,000 rows stepped through on a
    page deep in a 100,000-claim review queue), so there it is two ranges, each a seek:
    the ties after the position's id, then the rows after its value.
    """
    if position is None:
        return [[]]
    value, tiebreak = position
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    if order.by_id:
        # PostgreSQL carries equalities across a join, not ranges: the row's own id is
        # bounded too, or a merge join reads the rows' key from the table's start.
        walked = [order.column] if sqlite or order.row_id is None else [order.column, order.row_id]
        return [[column < tiebreak if order.descending else column > tiebreak for column in walked]]
    if sqlite:
        later_id = order.tiebreak < tiebreak if order.descending else order.tiebreak > tiebreak
        later = order.column < value if order.descending else order.column > value
        return [[order.column == value, later_id], [later]]
    keys = tuple_(order.column, order.tiebreak)
    return [[keys < position if order.descending else keys > position]]


def _ordering(order: SortOrder) -> list[Any]:
    columns = [order.column] if order.by_id else [order.column, order.tiebreak]
    return [column.desc() if order.descending else column.asc() for column in columns]

"""The change feed: events written in the same transaction as the change they tell of.

Order and visibility. On PostgreSQL, transactions commit in any order, so an event
id handed out early can become visible late; a reader that moved its cursor past
it would skip it. Each event therefore carries the id of the transaction that
wrote it, and the feed is read in (transaction, id) order up to the oldest
transaction still running (``pg_snapshot_xmin``): everything below that horizon
has committed or never will, and every transaction that starts later gets a
larger id. A cursor names the last (transaction, id) read, so a consumer resumes
without gaps or duplicates. SQLite runs one writer at a time (BEGIN IMMEDIATE), so
ids are handed out in commit order and the transaction is always 0.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, delete, event, or_, select, text, tuple_

from claims_api.errors import Gone, InvalidInput
from claims_api.extensions import db
from claims_api.models import Event
from claims_api.models.base import utcnow
from claims_api.models.vocabulary import ADDRESSED_EVENT_TYPES, EventType
from claims_api.services.rows import insert_rows

_TRANSACTION_KEY = "claims_api.transaction_id"
_COLLECTED_KEY = "claims_api.collected_events"


def transaction_id() -> int:
    """The writing transaction's id (PostgreSQL), asked once per transaction; 0 on SQLite."""
    session = db.session()
    transaction = session.get_transaction()
    cached = session.info.get(_TRANSACTION_KEY)
    if cached is not None and cached[0] is transaction:
        return int(cached[1])
    if session.get_bind().dialect.name != "postgresql":
        return 0
    value = int(session.scalar(text("SELECT pg_current_xact_id()::text::bigint")) or 0)
    session.info[_TRANSACTION_KEY] = (transaction, value)
    return value


def event_row(
    type_: EventType,
    data: dict[str, Any],
    actor: str,
    now: datetime,
    *,
    claim_id: int | None = None,
    article_id: int | None = None,
) -> dict[str, Any]:
    """One event row; writers of many (imports, re-anchoring) insert them together."""
    return {
        "type": type_.value,
        "occurred_at": now,
        "actor": actor,
        "claim_id": claim_id,
        "article_id": article_id,
        "data": data,
    }


def record_events(rows: Iterable[dict[str, Any]]) -> None:
    """Write events in the caller's transaction, in one statement (COPY on PostgreSQL,
    as the bulk import writes its other rows); within ``collected``, on leaving it."""
    rows = list(rows)
    session = db.session()
    gathered = session.info.get(_COLLECTED_KEY)
    if gathered is not None:
        within = session.get_nested_transaction() or session.get_transaction()
        gathered.extend((within, row) for row in rows)
    elif rows:
        stamp = transaction_id()
        insert_rows(Event.__table__, [{**row, "txid": stamp} for row in rows])


@contextmanager
def collected() -> Iterator[None]:
    """Gather the events recorded within and write them together on leaving, in the
    order recorded: a bulk import's batch writes its sources', articles' and claims'
    events in one statement, not one each. Nothing in the writing transaction reads
    events back (the feed and webhooks read committed ones). The events of a savepoint
    rolled back within (a claim whose update failed) go with it; left by an error,
    nothing is written: the caller's savepoint takes back what they tell of."""
    session = db.session()
    outer = session.info.get(_COLLECTED_KEY)
    gathered: list[tuple[Any, dict[str, Any]]] = []

    def forget(_session: Any, rolled_back: Any) -> None:
        def inside(transaction: Any) -> bool:
            while transaction is not None:
                if transaction is rolled_back:
                    return True
                transaction = transaction.parent
            return False

        gathered[:] = [(within, row) for within, row in gathered if not inside(within)]

    session.info[_COLLECTED_KEY] = gathered
    event.listen(session, "after_soft_rollback", forget)
    try:
        yield
    finally:
        session.info[_COLLECTED_KEY] = outer
        event.remove(session, "after_soft_rollback", forget)
    record_events(row for _, row in gathered)


def record_event(
    type_: EventType, data: dict[str, Any], actor: str, now: datetime, **ids: Any
) -> None:
    record_events([event_row(type_, data, actor, now, **ids)])


@dataclass(frozen=True)
class Position:
    """Where a consumer stands in the feed: after this (transaction, id), read at ``at``."""

    transaction: int
    id: int
    at: datetime

    def encode(self) -> str:
        payload = json.dumps([self.transaction, self.id, self.at.isoformat()])
        return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> Position:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            transaction, event_id, at = json.loads(raw)
            position = cls(int(transaction), int(event_id), datetime.fromisoformat(at))
        except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
            message = "not a cursor of this feed; start without one, or use next_cursor"
            raise InvalidInput(message, errors={"after": [message]}) from None
        if position.at.tzinfo is None:
            message = "not a cursor of this feed"
            raise InvalidInput(message, errors={"after": [message]})
        return position


@dataclass
class FeedPage:
    items: list[Event]
    next_cursor: str


def retention() -> timedelta:
    return timedelta(days=current_app.config["EVENT_RETENTION_DAYS"])


def read_feed(after: str | None, types: list[EventType] | None, limit: int) -> FeedPage:
    """Events after the cursor, oldest first, up to the visibility horizon."""
    now = utcnow()
    position = Position(-1, 0, now)
    if after is not None:
        position = Position.decode(after)
        if position.at < now - retention():
            raise Gone(
                f"This cursor is from {position.at.isoformat()}, older than the feed keeps "
                f"events ({retention().days} days); start again without one."
            )
    items = events_after(position.transaction, position.id, types, limit)
    if items:
        position = Position(items[-1].txid, items[-1].id, now)
    return FeedPage(items, Position(position.transaction, position.id, now).encode())


def events_after(
    transaction: int, event_id: int, types: Iterable[str] | None, limit: int
) -> list[Event]:
    """The visible events after (transaction, id), in feed order: the one reading of the
    feed, for /events and for the webhooks' fan-out. Events addressed to one webhook
    (pings) are no part of it."""
    conditions: list[ColumnElement[bool]] = [
        tuple_(Event.txid, Event.id) > tuple_(transaction, event_id),
        Event.type.not_in([type_.value for type_ in ADDRESSED_EVENT_TYPES]),
    ]
    if db.session.get_bind().dialect.name == "postgresql":
        conditions.append(Event.txid < _visibility_horizon())
    wanted = [str(type_) for type_ in types or ()]
    if wanted:
        conditions.append(or_(*(Event.type == type_ for type_ in wanted)))
    query = select(Event).where(*conditions).order_by(Event.txid, Event.id).limit(limit)
    return list(db.session.scalars(query))


def feed_end() -> tuple[int, int]:
    """The (transaction, id) of the last visible event: a new consumer starts after it."""
    conditions: list[ColumnElement[bool]] = []
    if db.session.get_bind().dialect.name == "postgresql":
        conditions.append(Event.txid < _visibility_horizon())
    last = db.session.execute(
        select(Event.txid, Event.id)
        .where(*conditions)
        .order_by(Event.txid.desc(), Event.id.desc())
        .limit(1)
    ).first()
    return (int(last[0]), int(last[1])) if last is not None else (-1, 0)


# The oldest transaction still running that could write to this database: the
# snapshot's in-progress transactions, less those that pg_stat_activity shows
# running in other databases (transaction ids are shared by the whole server, and a
# long transaction elsewhere must not hold the feed back). A transaction it cannot
# place (it just ended, or the role may not see other sessions' transaction ids:
# grant pg_read_all_stats) counts as ours, which only delays, never skips. With none,
# the snapshot's xmax: every transaction that starts later gets a larger id.
# xip is 64-bit (epoch and xid), backend_xid 32-bit: compared modulo 2^32.
HORIZON = text(
    """
    WITH s AS (SELECT pg_current_snapshot() AS snapshot)
    SELECT coalesce(
        (SELECT min(x::text::bigint) FROM s, pg_snapshot_xip(s.snapshot) AS x
         WHERE x::text::bigint % 4294967296 NOT IN (
             SELECT backend_xid::text::bigint FROM pg_stat_activity
             WHERE backend_xid IS NOT NULL
               AND datname IS DISTINCT FROM current_database())),
        (SELECT pg_snapshot_xmax(s.snapshot)::text::bigint FROM s))
    """
)


def _visibility_horizon() -> int:
    """Events of transactions below this id have all committed (or never will)."""
    return int(db.session.scalar(HORIZON) or 0)


def prune(now: datetime | None = None) -> int:
    """Delete events older than the retention; how many went."""
    cutoff = (now or utcnow()) - retention()
    result = db.session.execute(delete(Event).where(Event.occurred_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)

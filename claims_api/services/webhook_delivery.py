"""Sending events to webhooks: at least once, in order per (webhook, claim), signed as
the Standard Webhooks specification says.

``deliver_due`` is one pass, for the worker's loop (``claims-api worker``, task webhooks):

1. Fan-out. Each enabled webhook has a cursor in the change feed; the events after it
   (read by the feed's own ``events_after``, in visibility order) become delivery rows,
   and the cursor moves, in one transaction per webhook whose row is locked, so two
   processes never fan out the same events twice.
2. Claim. Due pending deliveries are taken with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL;
   SQLite runs one writer at a time) and leased until ``now + WEBHOOK_LEASE_SECONDS``.
   A delivery is not due while an earlier delivery of the same claim to the same
   webhook is pending (being sent, or waiting for a retry): a claim's events arrive in
   order. A process killed mid-delivery loses nothing: its lease runs out and the
   delivery is taken again.
3. Send, outside any transaction, to the address the SSRF rule judged after resolving
   the host now; redirects are not followed. Then record the answer, if the lease is
   still ours: 2xx is delivered; anything else is retried after the next delay of
   ``WEBHOOK_RETRY_SCHEDULE`` (with jitter) and failed when the schedule is spent. A
   webhook whose every delivery has failed for ``WEBHOOK_DISABLE_AFTER_DAYS`` is
   disabled, and says why.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import random
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from flask import current_app
from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import aliased

from claims_api.config import setting_list
from claims_api.encryption import SecretUnreadable, decrypt
from claims_api.extensions import db
from claims_api.models import Event, Webhook, WebhookDelivery
from claims_api.models.base import utcnow
from claims_api.models.vocabulary import DeliveryStatus
from claims_api.schemas.events import EventSchema
from claims_api.services.events import events_after
from claims_api.services.fetching import user_agent
from claims_api.services.outbound import (
    AddressRefused,
    HostUnresolved,
    outbound_client,
    pinned_request,
)
from claims_api.services.webhooks import SECRET_PREFIX, delivery_address

log = logging.getLogger(__name__)
# The part of a receiver's error answer kept in last_error.
ERROR_EXCERPT = 200


@dataclass(frozen=True)
class DeliverySettings:
    timeout_seconds: float
    retry_delays: tuple[float, ...]
    lease: timedelta
    disable_after: timedelta

    @classmethod
    def from_config(cls) -> DeliverySettings:
        config = current_app.config
        schedule = config["WEBHOOK_RETRY_SCHEDULE"]
        entries = setting_list(str(schedule) if isinstance(schedule, int | float) else schedule)
        try:
            delays = tuple(float(entry) for entry in entries)
        except ValueError:
            raise ValueError(
                f"CLAIMS_WEBHOOK_RETRY_SCHEDULE {schedule!r}: comma-separated seconds"
            ) from None
        return cls(
            timeout_seconds=float(config["WEBHOOK_TIMEOUT_SECONDS"]),
            retry_delays=delays,
            lease=timedelta(seconds=float(config["WEBHOOK_LEASE_SECONDS"])),
            disable_after=timedelta(days=float(config["WEBHOOK_DISABLE_AFTER_DAYS"])),
        )


@dataclass(frozen=True)
class Job:
    """A claimed delivery, with all it needs to be sent outside a transaction."""

    delivery_id: int
    webhook_id: int
    lease_until: datetime
    attempts: int
    url: str
    secrets: tuple[str, ...]
    message_id: str
    body: bytes
    # Why it cannot be sent at all (its secret does not decrypt), if so.
    problem: str | None = None


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """One Standard Webhooks signature: ``v1,`` and the base64 HMAC-SHA256 of
    ``{id}.{timestamp}.{body}``, keyed with the secret's bytes (base64 after whsec_)."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signature_header(secrets: tuple[str, ...], message_id: str, timestamp: int, body: bytes) -> str:
    """Every signing secret's signature, space separated: the new one first."""
    return " ".join(sign(secret, message_id, timestamp, body) for secret in secrets)


def event_body(event: Event) -> bytes:
    """The event as the /events feed shows it, as compact JSON."""
    return json.dumps(EventSchema().dump(event), separators=(",", ":")).encode()


def deliver_due(limit: int = 100) -> int:
    """One pass: fan new events out, then send up to ``limit`` due deliveries. Runs in
    an app context; returns how many attempts it made (0: nothing was due)."""
    settings = DeliverySettings.from_config()
    fan_out(limit)
    jobs = claim_due(limit, settings)
    # A client per webhook URL's host and pass: making one (its TLS context) costs more
    # than a delivery, and a connection is never shared by two host names that happen to
    # have the same address (it was TLS-verified for one of them).
    attempts = 0
    with ExitStack() as clients:
        by_host: dict[str, httpx.Client] = {}
        for job in jobs:
            if utcnow() + timedelta(seconds=settings.timeout_seconds) > job.lease_until:
                # Slow receivers ate the lease: sending now could overlap another process
                # that takes the delivery when the lease ends. Hand it back instead.
                release(job)
                continue
            attempts += 1
            host = urlsplit(job.url).netloc.lower()
            if host not in by_host:
                by_host[host] = clients.enter_context(
                    outbound_client(settings.timeout_seconds, {"User-Agent": user_agent()})
                )
            record(job, send(by_host[host], job, settings), settings)
    return attempts


def fan_out(limit: int) -> int:
    """Turn the events after each enabled webhook's cursor into deliveries; how many."""
    made = 0
    webhook_ids = list(db.session.scalars(select(Webhook.id).where(Webhook.enabled)))
    db.session.commit()
    for webhook_id in webhook_ids:
        made += _fan_out_one(webhook_id, limit)
        db.session.commit()
    return made


def _fan_out_one(webhook_id: int, limit: int) -> int:
    webhook = db.session.scalars(
        select(Webhook)
        .where(Webhook.id == webhook_id, Webhook.enabled)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if webhook is None:
        return 0  # disabled or deleted meanwhile, or another process is at it
    events = events_after(webhook.cursor_txid, webhook.cursor_event_id, webhook.events, limit)
    if not events:
        return 0
    now = utcnow()
    db.session.add_all(
        WebhookDelivery(
            webhook_id=webhook.id,
            event_id=event.id,
            event_type=event.type,
            claim_id=event.claim_id,
            next_attempt_at=now,
            created_at=now,
        )
        for event in events
    )
    # A plain UPDATE: the cursor moving is not an edit (the ETag stays).
    db.session.execute(
        update(Webhook)
        .where(Webhook.id == webhook.id)
        .values(cursor_txid=events[-1].txid, cursor_event_id=events[-1].id)
        .execution_options(synchronize_session=False)
    )
    return len(events)


def claim_due(limit: int, settings: DeliverySettings) -> list[Job]:
    """Lease up to ``limit`` due deliveries to this process, each with its body signed-to-be."""
    now = utcnow()
    earlier = aliased(WebhookDelivery)
    held_back = exists().where(
        earlier.webhook_id == WebhookDelivery.webhook_id,
        earlier.claim_id == WebhookDelivery.claim_id,
        earlier.status == DeliveryStatus.PENDING,
        earlier.id < WebhookDelivery.id,
    )
    due = list(
        db.session.scalars(
            select(WebhookDelivery)
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(
                WebhookDelivery.status == DeliveryStatus.PENDING,
                WebhookDelivery.next_attempt_at <= now,
                or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now),
                Webhook.enabled,
                ~held_back,
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
            .with_for_update(of=WebhookDelivery, skip_locked=True)
            .execution_options(populate_existing=True)
        )
    )
    if not due:
        db.session.commit()
        return []
    webhooks = {
        webhook.id: webhook
        for webhook in db.session.scalars(
            select(Webhook).where(Webhook.id.in_({delivery.webhook_id for delivery in due}))
        )
    }
    events = {
        event.id: event
        for event in db.session.scalars(
            select(Event).where(Event.id.in_({delivery.event_id for delivery in due}))
        )
    }
    lease_until = now + settings.lease
    jobs = []
    for delivery in due:
        delivery.lease_until = lease_until
        delivery.attempts += 1
        webhook = webhooks[delivery.webhook_id]
        try:
            secrets, problem = _signing_secrets(webhook, now), None
        except SecretUnreadable as error:
            secrets, problem = (), f"Not sent: {error}"
        jobs.append(
            Job(
                delivery_id=delivery.id,
                webhook_id=webhook.id,
                lease_until=lease_until,
                attempts=delivery.attempts,
                url=webhook.url,
                secrets=secrets,
                message_id=str(delivery.event_id),
                body=event_body(events[delivery.event_id]),
                problem=problem,
            )
        )
    db.session.commit()
    return jobs


def _signing_secrets(webhook: Webhook, now: datetime) -> tuple[str, ...]:
    current = decrypt(webhook.secret_encrypted)
    expires = webhook.previous_secret_expires_at
    if webhook.previous_secret_encrypted and expires is not None and expires > now:
        return (current, decrypt(webhook.previous_secret_encrypted))
    return (current,)


def send(client: httpx.Client, job: Job, settings: DeliverySettings) -> Outcome:
    """POST the event, signed, to the address judged now; never raises for the network."""
    if job.problem is not None:
        return Outcome(None, job.problem)
    try:
        url, address = delivery_address(job.url)
    except (AddressRefused, HostUnresolved) as refusal:
        return Outcome(None, f"Not sent: {refusal.detail}")
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "webhook-id": job.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(job.secrets, job.message_id, timestamp, job.body),
    }
    try:
        request = pinned_request(client, "POST", url, address, headers, job.body)
        with _answer(client, request) as response:
            if 200 <= response.status_code < 300:
                return Outcome(response.status_code, None)
            excerpt = _excerpt(response)
            return Outcome(response.status_code, f"Answered {response.status_code}{excerpt}")
    except httpx.TimeoutException:
        return Outcome(None, f"No answer within {settings.timeout_seconds:g} seconds.")
    except httpx.HTTPError as error:
        return Outcome(None, f"{type(error).__name__}: {error}")


@contextmanager
def _answer(client: httpx.Client, request: httpx.Request) -> Iterator[httpx.Response]:
    """The response, streamed: a receiver's large body is never read whole."""
    response = client.send(request, stream=True)
    try:
        yield response
    finally:
        response.close()


def _excerpt(response: httpx.Response) -> str:
    """The start of an error answer's body, for last_error (redirects say so)."""
    if response.is_redirect:
        return " (a redirect: redirects are not followed; register the final URL)."
    start = b""
    for chunk in response.iter_bytes():
        start += chunk
        if len(start) >= ERROR_EXCERPT:
            break
    text = start[:ERROR_EXCERPT].decode("utf-8", "replace").strip()
    return f": {text}" if text else "."


def release(job: Job) -> None:
    """Give back a claimed delivery unsent: due again at once, its attempt not counted."""
    db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == job.delivery_id, WebhookDelivery.lease_until == job.lease_until
        )
        .values(lease_until=None, attempts=WebhookDelivery.attempts - 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def record(job: Job, outcome: Outcome, settings: DeliverySettings) -> None:
    """Write what came of an attempt, unless the lease was lost (another process has
    taken the delivery again: its answer is the one that counts)."""
    now = utcnow()
    ours = (WebhookDelivery.id == job.delivery_id, WebhookDelivery.lease_until == job.lease_until)
    if outcome.delivered:
        values: dict[str, object] = {
            "status": DeliveryStatus.DELIVERED,
            "delivered_at": now,
            "next_attempt_at": None,
        }
    elif job.attempts > len(settings.retry_delays):
        values = {"status": DeliveryStatus.FAILED, "next_attempt_at": None}
    else:
        delay = settings.retry_delays[job.attempts - 1]
        # Jitter spreads the retries of many deliveries that failed together.
        values = {"next_attempt_at": now + timedelta(seconds=delay * random.uniform(1, 1.2))}
    result = db.session.execute(
        update(WebhookDelivery)
        .where(*ours)
        .values(
            last_response_code=outcome.status_code,
            last_error=outcome.error,
            lease_until=None,
            **values,
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0):
        _record_streak(job.webhook_id, outcome, now, settings)
    db.session.commit()
    if not outcome.delivered:
        log.info(
            "webhook %s: delivery %s attempt %s failed: %s",
            job.webhook_id,
            job.delivery_id,
            job.attempts,
            outcome.error,
        )


def _record_streak(
    webhook_id: int, outcome: Outcome, now: datetime, settings: DeliverySettings
) -> None:
    """A 2xx ends a webhook's failing streak; a failure starts one or, past
    ``disable_after``, disables the webhook."""
    if outcome.delivered:
        db.session.execute(
            update(Webhook)
            .where(Webhook.id == webhook_id, Webhook.failing_since.is_not(None))
            .values(failing_since=None)
            .execution_options(synchronize_session=False)
        )
        return
    db.session.execute(
        update(Webhook)
        .where(Webhook.id == webhook_id, Webhook.failing_since.is_(None))
        .values(failing_since=now)
        .execution_options(synchronize_session=False)
    )
    cutoff = now - settings.disable_after
    disabled = db.session.execute(
        update(Webhook)
        .where(Webhook.id == webhook_id, Webhook.enabled, Webhook.failing_since <= cutoff)
        .values(
            enabled=False,
            disabled_reason=(
                f"Every delivery failed for {settings.disable_after.total_seconds() / 86400:g} "
                f"days (the last: {(outcome.error or '')[:ERROR_EXCERPT]}); fix the receiver, "
                "then enable the webhook again (PATCH with enabled: true)."
            ),
            version=Webhook.version + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(disabled, "rowcount", 0):
        log.warning("webhook %s disabled: every delivery failed since the cutoff", webhook_id)

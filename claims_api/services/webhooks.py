"""Managing webhooks: registration, the URL rule, secrets and their rotation, pings,
and the deliveries an admin reads and re-queues. Sending is services/webhook_delivery.py.

Secrets are ``whsec_`` and the base64 of 32 random bytes, as the Standard Webhooks
specification writes them. They are returned once (on registration and rotation),
stored encrypted, and never logged.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from flask import current_app
from sqlalchemy import select

from claims_api.encryption import encrypt
from claims_api.errors import Conflict, InvalidInput, NotFound
from claims_api.extensions import db
from claims_api.models import Event, Webhook, WebhookDelivery
from claims_api.models.base import utcnow
from claims_api.models.vocabulary import FEED_EVENT_TYPES, DeliveryStatus, EventType
from claims_api.services import outbound
from claims_api.services.events import feed_end, transaction_id
from claims_api.services.lookups import get_by_id
from claims_api.services.outbound import AddressRefused, HostUnresolved, IPAddress
from claims_api.services.pagination import Page, PageRequest, SortOrder, keyset_page
from claims_api.services.revisions import Precondition

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
ALLOWED_HOSTS_SETTING = "CLAIMS_WEBHOOK_ALLOWED_HOSTS"
EDITABLE = ("url", "events", "description", "enabled")


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def own_netlocs(request_host: str | None = None) -> set[tuple[str, int]]:
    """The service's own (host, port)s: the request's Host, and the public URLs it is
    configured with. A webhook there would have the service post to itself."""
    urls = [
        current_app.config.get("FACTCHECK_URL_TEMPLATE"),
        current_app.config.get("PUBLISHER_URL"),
    ]
    if request_host:
        urls.append(f"http://{request_host}/")
    netlocs = set()
    for url in urls:
        if isinstance(url, str):
            parts = urlsplit(url)
            if parts.hostname:
                default = 443 if parts.scheme == "https" else 80
                try:
                    netlocs.add((parts.hostname.lower(), parts.port or default))
                except ValueError:
                    continue
    return netlocs


def delivery_address(url: str, request_host: str | None = None) -> tuple[httpx.URL, IPAddress]:
    """Where a delivery to ``url`` may connect: the outbound rule (public addresses
    only, after DNS resolution, unless the host is in CLAIMS_WEBHOOK_ALLOWED_HOSTS),
    and never the service itself. AddressRefused or HostUnresolved otherwise."""
    parsed = outbound.parsed_url(url)
    host = parsed.raw_host.decode("ascii").lower()
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    if (host, port) in own_netlocs(request_host):
        raise AddressRefused(
            f"{host}:{port} is this service itself; a webhook must be another service.",
            "own-host",
        )
    allowed = outbound.host_set(current_app.config["WEBHOOK_ALLOWED_HOSTS"])
    return parsed, outbound.checked_address(parsed, allowed, ALLOWED_HOSTS_SETTING)


def _checked_url(url: str, request_host: str | None) -> str:
    try:
        delivery_address(url, request_host)
    except (AddressRefused, HostUnresolved) as refusal:
        raise InvalidInput(
            f"The webhook URL is refused: {refusal.detail}", errors={"url": [refusal.detail]}
        ) from None
    return url


def _checked_types(types: Iterable[str]) -> list[str]:
    """Event types a webhook may subscribe to, each once, in the order given."""
    unknown = [kind for kind in types if kind not in FEED_EVENT_TYPES]
    if unknown:
        message = f"unknown event types: {', '.join(map(repr, unknown))}"
        raise InvalidInput(f"events: {message}.", errors={"events": [message]})
    return list(dict.fromkeys(types))


def create_webhook(
    data: dict[str, Any], *, created_by: str, request_host: str | None = None
) -> tuple[Webhook, str]:
    """A new webhook and its secret, returned this once. It receives the events that
    become visible from now on."""
    secret = new_secret()
    transaction, event_id = feed_end()
    now = utcnow()
    webhook = Webhook(
        url=_checked_url(data["url"], request_host),
        events=_checked_types(data.get("events") or []),
        description=data.get("description"),
        secret_encrypted=encrypt(secret),
        cursor_txid=transaction,
        cursor_event_id=event_id,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    db.session.add(webhook)
    db.session.flush()
    return webhook, secret


def get_webhook(webhook_id: int, *, for_update: bool = False) -> Webhook:
    return get_by_id(Webhook, webhook_id, "webhook", for_update=for_update)


def list_webhooks(page: PageRequest) -> Page[Webhook]:
    return keyset_page(
        select(Webhook), SortOrder("created_at", Webhook.created_at, Webhook.id), page
    )


def update_webhook(
    webhook_id: int,
    data: dict[str, Any],
    precondition: Precondition,
    *,
    actor: str,
    request_host: str | None = None,
) -> Webhook:
    """Change a webhook's URL, event types, description, or whether it is enabled.
    Enabling it again clears why it was disabled and its failing streak; its pending
    deliveries resume."""
    webhook = get_webhook(webhook_id, for_update=True)
    precondition.check(webhook.version, f"Webhook {webhook_id}")
    if "url" in data:
        webhook.url = _checked_url(data["url"], request_host)
    if "events" in data:
        webhook.events = _checked_types(data["events"] or [])
    if "description" in data:
        webhook.description = data["description"]
    if "enabled" in data and data["enabled"] != webhook.enabled:
        webhook.enabled = data["enabled"]
        webhook.failing_since = None
        webhook.disabled_reason = None if webhook.enabled else f"Disabled by {actor}."
    if db.session.is_modified(webhook):
        webhook.updated_at = utcnow()
    db.session.flush()
    return webhook


def delete_webhook(webhook_id: int) -> None:
    """Delete a webhook and its deliveries; nothing more is sent to it."""
    db.session.delete(get_webhook(webhook_id, for_update=True))
    db.session.flush()


def rotate_secret(webhook_id: int) -> tuple[Webhook, str]:
    """A new secret, returned this once. The one it replaces keeps signing beside it for
    CLAIMS_WEBHOOK_SECRET_OVERLAP_HOURS, so the receiver can switch without a gap."""
    webhook = get_webhook(webhook_id, for_update=True)
    secret = new_secret()
    now = utcnow()
    hours = float(current_app.config["WEBHOOK_SECRET_OVERLAP_HOURS"])
    webhook.previous_secret_encrypted = webhook.secret_encrypted
    webhook.previous_secret_expires_at = now + timedelta(hours=hours)
    webhook.secret_encrypted = encrypt(secret)
    webhook.updated_at = now
    db.session.flush()
    return webhook, secret


def ping(webhook_id: int, *, actor: str) -> WebhookDelivery:
    """Queue a ``webhook.ping`` event for this webhook alone (the feed never shows it)."""
    webhook = get_webhook(webhook_id)
    now = utcnow()
    event = Event(
        txid=transaction_id(),
        type=EventType.WEBHOOK_PING.value,
        occurred_at=now,
        actor=actor,
        data={"webhook": {"id": webhook.id, "url": webhook.url}},
    )
    db.session.add(event)
    db.session.flush()
    delivery = WebhookDelivery(
        webhook_id=webhook.id,
        event_id=event.id,
        event_type=event.type,
        next_attempt_at=now,
        created_at=now,
    )
    db.session.add(delivery)
    db.session.flush()
    return delivery


def list_deliveries(webhook_id: int, page: PageRequest) -> Page[WebhookDelivery]:
    """A webhook's deliveries, newest first."""
    get_webhook(webhook_id)
    statement = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
    order = SortOrder("-id", WebhookDelivery.id, WebhookDelivery.id, descending=True)
    return keyset_page(statement, order, page)


def redeliver(webhook_id: int, delivery_id: int) -> WebhookDelivery:
    """Queue a delivery again, now, with the whole retry schedule ahead of it."""
    delivery = db.session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.webhook_id == webhook_id)
        .with_for_update()
    ).one_or_none()
    if delivery is None:
        raise NotFound(f"Webhook {webhook_id} has no delivery {delivery_id}.")
    now = utcnow()
    if delivery.lease_until is not None and delivery.lease_until > now:
        raise Conflict(
            f"Delivery {delivery_id} is being sent right now; redeliver it once it is done."
        )
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.lease_until = None
    delivery.delivered_at = None
    db.session.flush()
    return delivery

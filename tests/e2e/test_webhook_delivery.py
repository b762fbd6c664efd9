"""Webhook delivery under load and under failure: every event of 16 concurrent writers
reaches a verifying receiver, in order per claim; a delivery process killed outright
mid-delivery loses nothing once another one runs; SIGTERM stops it cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from claims_api.extensions import db
from claims_api.models import WebhookDelivery
from claims_api.models.vocabulary import DeliveryStatus
from claims_api.services.webhook_delivery import deliver_due
from tests.e2e.helpers import CLAIMS_API
from tests.factories import check, client_for, create_article, create_claim, patch_claim
from tests.webhook_receiver import Receiver, receiving

WRITERS = 16
EDITS_PER_CLAIM = 3
DEADLINE_SECONDS = 120


@pytest.fixture
def receiver(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_SCHEDULE", "1,1,1")
    with receiving() as running:
        yield running


def register(client: FlaskClient, receiver: Receiver) -> dict[str, Any]:
    webhook = check(client.post("/webhooks", json={"url": receiver.url}), 201)
    receiver.secrets.append(webhook["secret"])
    return webhook


def all_events(client: FlaskClient) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"limit": 200, **({"after": cursor} if cursor else {})}
        page = check(client.get("/events", query_string=query), 200)
        if not page["items"]:
            return events
        events.extend(page["items"])
        cursor = page["next_cursor"]


def test_every_event_of_16_concurrent_writers_arrives_in_order_per_claim(
    app: Flask, client: FlaskClient, receiver: Receiver
) -> None:
    register(client, receiver)
    writers_done = threading.Event()
    failures: list[BaseException] = []

    def write(number: int) -> None:
        try:
            writer = client_for(app, f"writer-{number}", "contributor")
            article = create_article(writer, url=f"https://example.org/load/{number}")
            claim = create_claim(writer, article["id"])
            for edit in range(EDITS_PER_CLAIM):
                claim = check(patch_claim(writer, claim, text=f"Edit {edit} by {number}."), 200)
        except BaseException as error:
            failures.append(error)

    def deliver() -> None:
        # Two delivery loops beside the writers, as two workers would run.
        try:
            while not (writers_done.is_set() and stop.is_set()):
                with app.app_context():
                    if deliver_due(20) == 0:
                        time.sleep(0.1)
        except BaseException as error:
            failures.append(error)

    stop = threading.Event()
    deliverers = [threading.Thread(target=deliver, daemon=True) for _ in range(2)]
    writers = [threading.Thread(target=write, args=(number,)) for number in range(WRITERS)]
    for thread in [*deliverers, *writers]:
        thread.start()
    try:
        for thread in writers:
            thread.join(DEADLINE_SECONDS)
        writers_done.set()
        assert not failures, failures
        feed = all_events(client)
        assert len(feed) == WRITERS * (2 + EDITS_PER_CLAIM), "every writer's events are in the feed"
        receiver.wait_for(
            lambda r: {d.message_id for d in r.accepted()} >= {str(e["id"]) for e in feed},
            DEADLINE_SECONDS,
        )
    finally:
        writers_done.set()
        stop.set()
        for thread in deliverers:
            thread.join(DEADLINE_SECONDS)
    assert not failures, failures
    assert receiver.bad == [], f"signatures that did not verify: {receiver.bad[:3]}"
    received = [delivery.event for delivery in receiver.accepted()]
    assert sorted(event["id"] for event in received) == sorted(event["id"] for event in feed), (
        "every event delivered once"
    )
    by_claim_feed: dict[int, list[int]] = defaultdict(list)
    by_claim_received: dict[int, list[int]] = defaultdict(list)
    for events, target in ((feed, by_claim_feed), (received, by_claim_received)):
        for event in events:
            if event["claim_id"] is not None:
                target[event["claim_id"]].append(event["id"])
    assert len(by_claim_feed) == WRITERS
    assert by_claim_received == by_claim_feed, "each claim's events arrive in the feed's order"


def stored_delivery(app: Flask) -> WebhookDelivery:
    with app.app_context():
        return db.session.scalars(select(WebhookDelivery)).one()


def delivery_process(database_url: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(
            [CLAIMS_API, "worker", "--tasks", "webhooks"],
            env={
                **os.environ,
                "DATABASE_URL": database_url,
                "CLAIMS_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
                "CLAIMS_WORKER_IDLE_SECONDS": "0.2",
                "CLAIMS_WEBHOOK_LEASE_SECONDS": "8",
                "CLAIMS_WEBHOOK_TIMEOUT_SECONDS": "5",
                "CLAIMS_WEBHOOK_RETRY_SCHEDULE": "1,1",
            },
            stdout=output,
            stderr=output,
            start_new_session=True,
        )


def test_a_delivery_process_killed_mid_delivery_loses_nothing(
    app: Flask,
    client: FlaskClient,
    receiver: Receiver,
    database_url: str,
    tmp_path: Path,
) -> None:
    log = tmp_path / "worker.log"
    register(client, receiver)
    article = create_article(client)
    receiver.hold.set()
    first = delivery_process(database_url, log)
    try:
        assert receiver.arrived.wait(60), f"nothing was sent: {log.read_text()[-2000:]}"
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(60)
    receiver.hold.clear()
    receiver.release.set()
    with app.app_context():
        held = db.session.scalars(select(WebhookDelivery)).one()
        assert held.status is DeliveryStatus.PENDING and held.lease_until is not None
    second = delivery_process(database_url, log)
    try:
        receiver.wait_for(lambda r: len(r.accepted()) == 1, 60)
        # The receiver has answered; the process records that a moment later.
        delivery = stored_delivery(app)
        deadline = time.monotonic() + 60
        while delivery.status is not DeliveryStatus.DELIVERED and time.monotonic() < deadline:
            time.sleep(0.1)
            delivery = stored_delivery(app)
        assert delivery.status is DeliveryStatus.DELIVERED
        assert delivery.attempts == 2, "the killed attempt and the one after it"
        os.killpg(second.pid, signal.SIGTERM)
        assert second.wait(60) == 0, f"SIGTERM stops it cleanly: {log.read_text()[-2000:]}"
    finally:
        if second.poll() is None:
            os.killpg(second.pid, signal.SIGKILL)
            second.wait(60)
    [delivered] = receiver.accepted()
    assert delivered.event["type"] == "article.created"
    assert delivered.event["article_id"] == article["id"]
    assert receiver.dropped == 1

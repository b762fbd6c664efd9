"""Webhooks: admins register them and get the secret once; events reach them signed
(Standard Webhooks), at least once, in order per claim, retried, and a webhook that
keeps failing is disabled. A loopback receiver verifies every signature."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from claims_api.extensions import db
from claims_api.models import Webhook, WebhookDelivery
from claims_api.models.base import utcnow
from claims_api.services.webhook_delivery import deliver_due
from tests.factories import check, client_for, create_article, create_claim, patch_claim
from tests.webhook_receiver import Receiver, receiving


@pytest.fixture
def receiver(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    """A verifying receiver on loopback, allowed as a webhook host; short retries."""
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_SCHEDULE", "1,1")
    with receiving() as running:
        yield running


def register(client: FlaskClient, receiver: Receiver, **fields: Any) -> dict[str, Any]:
    webhook = check(client.post("/webhooks", json={"url": receiver.url, **fields}), 201)
    receiver.secrets.append(webhook["secret"])
    return webhook


def deliver_until(app: Flask, done: Any, seconds: float = 60) -> None:
    """Run delivery passes, as a worker would, until ``done()``."""
    receiver_deadline = utcnow() + timedelta(seconds=seconds)
    while not done():
        assert utcnow() < receiver_deadline, "deliveries not done within the deadline"
        with app.app_context():
            if deliver_due() == 0:
                import time

                time.sleep(0.2)


def deliveries(client: FlaskClient, webhook: dict[str, Any]) -> list[dict[str, Any]]:
    return check(client.get(f"/webhooks/{webhook['id']}/deliveries"), 200)["items"]


def test_registering_returns_the_secret_once_and_never_again(
    client: FlaskClient, receiver: Receiver, app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    response = client.post("/webhooks", json={"url": receiver.url, "description": "CMS"})
    webhook = check(response, 201)
    secret = webhook["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    assert response.headers["Location"].endswith(f"/webhooks/{webhook['id']}")
    read = check(client.get(f"/webhooks/{webhook['id']}"), 200)
    listed = check(client.get("/webhooks"), 200)
    assert "secret" not in read and "secret" not in listed["items"][0]
    assert secret not in str(listed) and secret not in str(read)
    with app.app_context():
        stored = db.session.scalars(select(Webhook)).one()
        assert secret not in stored.secret_encrypted, "the secret is stored encrypted"
    rotated = check(client.post(f"/webhooks/{webhook['id']}/rotate-secret"), 200)
    assert rotated["secret"] != secret and rotated["secret"].startswith("whsec_")
    assert secret not in caplog.text and rotated["secret"] not in caplog.text


def test_only_admins_manage_webhooks(app: Flask, client: FlaskClient, receiver: Receiver) -> None:
    webhook = register(client, receiver)
    reviewer = client_for(app, "rita", "reviewer")
    for response in (
        reviewer.get("/webhooks"),
        reviewer.post("/webhooks", json={"url": receiver.url}),
        reviewer.get(f"/webhooks/{webhook['id']}"),
        reviewer.delete(f"/webhooks/{webhook['id']}"),
        reviewer.post(f"/webhooks/{webhook['id']}/ping"),
    ):
        assert response.status_code == 403, response.get_data(as_text=True)
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["required_role"] == "admin"


def test_unknown_event_types_are_refused_naming_the_field(
    client: FlaskClient, receiver: Receiver
) -> None:
    response = client.post(
        "/webhooks", json={"url": receiver.url, "events": ["claim.created", "claim.exploded"]}
    )
    problem = check(response, 422)
    assert "claim.exploded" in problem["errors"]["events"][0]
    ping = client.post("/webhooks", json={"url": receiver.url, "events": ["webhook.ping"]})
    assert ping.status_code == 422, "pings are sent to all webhooks, not subscribed to"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:9/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:192.168.0.1]/hook",
        "ftp://example.org/hook",
    ],
)
def test_private_and_loopback_urls_are_refused_at_registration(
    client: FlaskClient, url: str
) -> None:
    problem = check(client.post("/webhooks", json={"url": url}), 422)
    assert problem["errors"]["url"], problem


def test_an_allowed_host_may_be_loopback_but_never_the_service_itself(
    client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_HOSTS", "127.0.0.1,localhost")
    check(client.post("/webhooks", json={"url": "http://127.0.0.1:9/hook"}), 201)
    # The test client calls the service as http://localhost/.
    problem = check(client.post("/webhooks", json={"url": "http://localhost/hook"}), 422)
    assert "this service itself" in problem["errors"]["url"][0]


def test_editing_needs_if_match_and_enabling_again_clears_the_failure(
    client: FlaskClient, receiver: Receiver, app: Flask
) -> None:
    webhook = register(client, receiver)
    path = f"/webhooks/{webhook['id']}"
    assert client.patch(path, json={"description": "x"}).status_code == 428
    etag = client.get(path).headers["ETag"]
    off = check(client.patch(path, json={"enabled": False}, headers={"If-Match": etag}), 200)
    assert off["enabled"] is False and off["disabled_reason"] == "Disabled by tester."
    stale = client.patch(path, json={"enabled": True}, headers={"If-Match": etag})
    assert stale.status_code == 412
    etag = client.get(path).headers["ETag"]
    on = check(client.patch(path, json={"enabled": True}, headers={"If-Match": etag}), 200)
    assert on["enabled"] is True and on["disabled_reason"] is None
    refused = client.patch(
        path,
        json={"url": "http://10.0.0.1/"},
        headers={"If-Match": client.get(path).headers["ETag"]},
    )
    assert check(refused, 422)["errors"]["url"]
    assert client.delete(path).status_code == 204
    assert client.get(path).status_code == 404


def test_events_are_delivered_signed_in_feed_order(
    client: FlaskClient, receiver: Receiver, app: Flask
) -> None:
    webhook = register(client, receiver)
    article = create_article(client)
    claim = create_claim(client, article["id"])
    check(patch_claim(client, claim, text="Edited text."), 200)
    feed = check(client.get("/events"), 200)["items"]
    deliver_until(app, lambda: len(receiver.accepted()) == len(feed))
    got = [delivery.event for delivery in receiver.accepted()]
    assert got == feed, "each event arrives as /events shows it, in its order"
    assert [d.message_id for d in receiver.accepted()] == [str(event["id"]) for event in feed]
    assert receiver.bad == [], receiver.bad
    listed = deliveries(client, webhook)
    assert {item["status"] for item in listed} == {"delivered"}
    assert all(item["attempts"] == 1 and item["last_response_code"] == 200 for item in listed)
    assert [item["event_id"] for item in listed] == sorted(
        (event["id"] for event in feed), reverse=True
    ), "deliveries are listed newest first"


def test_a_webhook_receives_only_its_event_types_and_events_after_it_was_registered(
    client: FlaskClient, receiver: Receiver, app: Flask
) -> None:
    article = create_article(client)
    register(client, receiver, events=["claim.updated"])
    claim = create_claim(client, article["id"])
    check(patch_claim(client, claim, text="Edited text."), 200)
    deliver_until(app, lambda: len(receiver.accepted()) >= 1)
    with app.app_context():
        assert deliver_due() == 0
    assert [d.event["type"] for d in receiver.accepted()] == ["claim.updated"]


def test_a_receiver_answering_500_then_200_gets_the_event_again_with_the_same_id(
    client: FlaskClient, receiver: Receiver, app: Flask
) -> None:
    receiver.respond = lambda delivery, earlier: 500 if earlier == 0 else 200
    webhook = register(client, receiver)
    create_article(client)
    deliver_until(app, lambda: len(receiver.accepted()) == 1)
    first, second = receiver.deliveries
    assert (first.status, second.status) == (500, 200)
    assert first.message_id == second.message_id
    assert first.event == second.event
    [delivery] = deliveries(client, webhook)
    assert delivery["status"] == "delivered" and delivery["attempts"] == 2


def test_a_delivery_failing_through_its_schedule_is_failed_and_stops_holding_back_its_claim(
    client: FlaskClient, receiver: Receiver, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_SCHEDULE", "1")
    article = create_article(client)
    claim = create_claim(client, article["id"])
    webhook = register(client, receiver, events=["claim.updated"])
    failing = "First edit."

    def respond(delivery: Any, earlier: int) -> int:
        return 500 if delivery.event["data"]["claim"]["text"] == failing else 200

    receiver.respond = respond
    edited = check(patch_claim(client, claim, text=failing), 200)
    check(patch_claim(client, edited, text="Second edit."), 200)
    deliver_until(app, lambda: len(receiver.accepted()) == 1)
    texts = [d.event["data"]["claim"]["text"] for d in receiver.deliveries]
    assert texts == [failing, failing, "Second edit."], (
        "the second edit waited until the first was retried and failed"
    )
    statuses = [item["status"] for item in deliveries(client, webhook)]
    assert statuses == ["delivered", "failed"]


def test_rotation_signs_with_both_secrets_until_the_overlap_ends(
    client: FlaskClient, receiver: Receiver, app: Flask
) -> None:
    webhook = register(client, receiver)
    rotated = check(client.post(f"/webhooks/{webhook['id']}/rotate-secret"), 200)
    receiver.secrets.append(rotated["secret"])
    create_article(client)
    deliver_until(app, lambda: len(receiver.accepted()) == 1)
    assert receiver.accepted()[0].signatures == 2, "both secrets verified, each its own"
    with app.app_context():
        db.session.execute(update(Webhook).values(previous_secret_expires_at=utcnow()))
        db.session.commit()
    receiver.secrets.remove(webhook["secret"])
    create_article(client, url="https://example.org/another")
    deliver_until(app, lambda: len(receiver.accepted()) == 2)
    assert receiver.accepted()[1].signatures == 1


def test_a_ping_reaches_only_its_webhook_and_never_the_feed(
    client: FlaskClient, receiver: Receiver, app: Flask
) -> None:
    webhook = register(client, receiver)
    with receiving() as other:
        register(client, other)
        ping = check(client.post(f"/webhooks/{webhook['id']}/ping"), 202)
        assert ping["event_type"] == "webhook.ping" and ping["status"] == "pending"
        deliver_until(app, lambda: len(receiver.accepted()) == 1)
        with app.app_context():
            deliver_due()
        assert other.deliveries == []
    event = receiver.accepted()[0].event
    assert event["type"] == "webhook.ping" and event["data"]["webhook"]["id"] == webhook["id"]
    assert check(client.get("/events"), 200)["items"] == []


def test_redelivering_sends_a_delivered_event_again(
    client: FlaskClient, receiver: Receiver, app: Flask
) -> None:
    webhook = register(client, receiver)
    create_article(client)
    deliver_until(app, lambda: len(receiver.accepted()) == 1)
    [delivery] = deliveries(client, webhook)
    path = f"/webhooks/{webhook['id']}/deliveries/{delivery['id']}/redeliver"
    queued = check(client.post(path), 202)
    assert queued["status"] == "pending" and queued["attempts"] == 0
    deliver_until(app, lambda: len(receiver.accepted()) == 2)
    assert receiver.accepted()[0].message_id == receiver.accepted()[1].message_id
    assert client.post(f"/webhooks/{webhook['id']}/deliveries/999999/redeliver").status_code == 404


def test_a_webhook_failing_every_delivery_for_three_days_is_disabled(
    client: FlaskClient, receiver: Receiver, app: Flask
) -> None:
    receiver.respond = lambda delivery, earlier: 503
    webhook = register(client, receiver)
    with app.app_context():
        db.session.execute(
            update(Webhook).values(failing_since=utcnow() - timedelta(days=3, hours=1))
        )
        db.session.commit()
    create_article(client)
    deliver_until(app, lambda: len(receiver.deliveries) == 1)
    read = check(client.get(f"/webhooks/{webhook['id']}"), 200)
    assert read["enabled"] is False
    assert "Every delivery failed for 3 days" in read["disabled_reason"]
    assert "503" in read["disabled_reason"]
    create_article(client, url="https://example.org/later")
    with app.app_context():
        assert deliver_due() == 0, "a disabled webhook is sent nothing"


def test_a_success_ends_the_failing_streak(
    client: FlaskClient, receiver: Receiver, app: Flask
) -> None:
    webhook = register(client, receiver)
    with app.app_context():
        db.session.execute(update(Webhook).values(failing_since=utcnow() - timedelta(days=1)))
        db.session.commit()
    create_article(client)
    deliver_until(app, lambda: len(receiver.accepted()) == 1)
    assert check(client.get(f"/webhooks/{webhook['id']}"), 200)["failing_since"] is None


def test_the_address_is_judged_again_at_delivery(
    client: FlaskClient, receiver: Receiver, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    webhook = register(client, receiver)
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_HOSTS", "")
    create_article(client)
    with app.app_context():
        assert deliver_due() == 1
        delivery = db.session.scalars(select(WebhookDelivery)).one()
        assert delivery.last_response_code is None
        assert "loopback" in (delivery.last_error or "")
    assert receiver.deliveries == [], "nothing was sent to a refused address"
    assert deliveries(client, webhook)[0]["next_attempt_at"] is not None


def test_deliveries_are_paged_by_cursor(
    client: FlaskClient, receiver: Receiver, app: Flask
) -> None:
    webhook = register(client, receiver)
    for number in range(3):
        create_article(client, url=f"https://example.org/{number}")
    with app.app_context():
        from claims_api.services.webhook_delivery import fan_out

        fan_out(100)
    path = f"/webhooks/{webhook['id']}/deliveries"
    first = check(client.get(path, query_string={"limit": 2}), 200)
    rest = check(client.get(path, query_string={"limit": 2, "cursor": first["next_cursor"]}), 200)
    ids = [item["id"] for item in first["items"] + rest["items"]]
    assert len(ids) == 3 and ids == sorted(ids, reverse=True)
    assert rest["next_cursor"] is None


def test_the_readme_verifier_accepts_a_delivery_and_refuses_a_forgery(
    client: FlaskClient, receiver: Receiver, app: Flask, repo_root: Path
) -> None:
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    snippet = readme[readme.index("## Webhooks") :].split("```python\n")[1].split("```")[0]
    namespace: dict[str, Any] = {}
    exec(snippet, namespace)
    webhook = register(client, receiver)
    create_article(client)
    deliver_until(app, lambda: len(receiver.accepted()) == 1)
    [delivery] = receiver.accepted()
    verify = namespace["verify"]
    assert verify(webhook["secret"], delivery.headers, delivery.body)
    assert not verify(webhook["secret"], delivery.headers, delivery.body + b" ")
    assert not verify("whsec_" + "A" * 44, delivery.headers, delivery.body)


def test_the_worker_delivers_webhooks(
    client: FlaskClient, receiver: Receiver, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from claims_api import cli

    register(client, receiver)
    create_article(client)
    monkeypatch.setattr(cli, "create_app", lambda: app)
    result = CliRunner().invoke(cli.main, ["worker", "--once", "--tasks", "webhooks"])
    assert result.exit_code == 0, result.output
    assert len(receiver.accepted()) == 1
    help_text = CliRunner().invoke(cli.main, ["worker", "--help"]).output
    assert "webhooks" in help_text and "CLAIMS_WEBHOOK_LEASE_SECONDS" in help_text


def test_a_secret_that_no_longer_decrypts_fails_the_attempt_not_the_process(
    client: FlaskClient, receiver: Receiver, app: Flask
) -> None:
    register(client, receiver)
    with app.app_context():
        db.session.execute(update(Webhook).values(secret_encrypted="not a fernet token"))
        db.session.commit()
    create_article(client)
    with app.app_context():
        assert deliver_due() == 1
        delivery = db.session.scalars(select(WebhookDelivery)).one()
        assert "CLAIMS_SECRET_KEY" in (delivery.last_error or "")
    assert receiver.deliveries == []


def test_a_delivery_whose_lease_would_end_before_its_timeout_is_handed_back_unsent(
    client: FlaskClient, receiver: Receiver, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "WEBHOOK_LEASE_SECONDS", 5)
    monkeypatch.setitem(app.config, "WEBHOOK_TIMEOUT_SECONDS", 10)
    register(client, receiver)
    create_article(client)
    with app.app_context():
        assert deliver_due() == 0
        delivery = db.session.scalars(select(WebhookDelivery)).one()
        assert (delivery.lease_until, delivery.attempts) == (None, 0)
    assert receiver.deliveries == []

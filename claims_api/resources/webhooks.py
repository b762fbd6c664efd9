"""/webhooks: endpoints told of events, managed by admins. A secret appears once, in the
answer that issues it (registration, rotation)."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask.views import MethodView

from claims_api.auth import current_actor, requires
from claims_api.extensions import db
from claims_api.models.vocabulary import Role
from claims_api.resources.common import (
    ETAG_HEADER_DOC,
    LINK_HEADER_DOC,
    LOCATION_HEADER_DOC,
    Blueprint,
    Reply,
    page_request,
    page_response,
    precondition,
    versioned,
)
from claims_api.schemas.common import PageArgs, WriteHeaders
from claims_api.schemas.webhooks import (
    DeliveryPageSchema,
    DeliverySchema,
    IssuedWebhookSchema,
    WebhookCreateSchema,
    WebhookFieldsSchema,
    WebhookPageSchema,
    WebhookSchema,
)
from claims_api.services import webhooks as webhook_service

blp = Blueprint("webhooks", __name__, url_prefix="/webhooks", description="Webhooks (admins only).")


def issued(webhook: Any, secret: str) -> dict[str, Any]:
    """The webhook as read, and its secret: the one answer that carries it."""
    return {**{name: getattr(webhook, name) for name in WebhookSchema().fields}, "secret": secret}


@blp.route("")
class Webhooks(MethodView):
    @requires(Role.ADMIN)
    @blp.arguments(PageArgs, location="query", as_kwargs=False)
    @blp.response(200, WebhookPageSchema, headers=LINK_HEADER_DOC)
    @blp.doc(operationId="listWebhooks")
    def get(self, args: dict[str, Any]) -> Reply:
        """Every webhook, oldest first (never their secrets)."""
        return page_response(webhook_service.list_webhooks(page_request(args)))

    @requires(Role.ADMIN)
    @blp.arguments(WebhookCreateSchema)
    @blp.response(201, IssuedWebhookSchema, headers={**ETAG_HEADER_DOC, **LOCATION_HEADER_DOC})
    @blp.problems(422)
    @blp.doc(operationId="createWebhook")
    def post(self, data: dict[str, Any]) -> Reply:
        """Register a webhook; the answer holds its signing secret, not shown again.

        The URL must be http(s) and resolve to public addresses only (hosts listed in
        CLAIMS_WEBHOOK_ALLOWED_HOSTS excepted), and not be this service: 422 otherwise.
        It receives the events that become visible from now on.
        """
        webhook, secret = webhook_service.create_webhook(
            data, created_by=current_actor(), request_host=request.host
        )
        db.session.commit()
        location = url_for("webhooks.WebhookById", webhook_id=webhook.id)
        return versioned(issued(webhook, secret), webhook.version, 201, Location=location)


@blp.route("/<int:webhook_id>")
class WebhookById(MethodView):
    @requires(Role.ADMIN)
    @blp.response(200, WebhookSchema, headers=ETAG_HEADER_DOC)
    @blp.doc(operationId="getWebhook")
    def get(self, webhook_id: int) -> Reply:
        """One webhook (never its secret)."""
        webhook = webhook_service.get_webhook(webhook_id)
        return versioned(webhook, webhook.version)

    @requires(Role.ADMIN)
    @blp.arguments(WebhookFieldsSchema, required=False)
    @blp.arguments(WriteHeaders, location="headers")
    @blp.response(200, WebhookSchema, headers=ETAG_HEADER_DOC)
    @blp.problems(422)
    @blp.doc(operationId="updateWebhook")
    def patch(self, data: dict[str, Any], headers: dict[str, Any], webhook_id: int) -> Reply:
        """Change a webhook's URL, events, description or `enabled`; needs If-Match.

        Enabling a disabled webhook clears `disabled_reason` and `failing_since`; its
        pending deliveries resume.
        """
        webhook = webhook_service.update_webhook(
            webhook_id,
            data,
            precondition(headers),
            actor=current_actor(),
            request_host=request.host,
        )
        db.session.commit()
        return versioned(webhook, webhook.version)

    @requires(Role.ADMIN)
    @blp.response(204)
    @blp.doc(operationId="deleteWebhook")
    def delete(self, webhook_id: int) -> None:
        """Delete a webhook and its deliveries: nothing more is sent to it."""
        webhook_service.delete_webhook(webhook_id)
        db.session.commit()


@blp.route("/<int:webhook_id>/rotate-secret")
class WebhookSecret(MethodView):
    @requires(Role.ADMIN)
    @blp.response(200, IssuedWebhookSchema, headers=ETAG_HEADER_DOC)
    @blp.doc(operationId="rotateWebhookSecret")
    def post(self, webhook_id: int) -> Reply:
        """A new signing secret, shown this once. The old one keeps signing beside it
        (two signatures in `webhook-signature`) for CLAIMS_WEBHOOK_SECRET_OVERLAP_HOURS."""
        webhook, secret = webhook_service.rotate_secret(webhook_id)
        db.session.commit()
        return versioned(issued(webhook, secret), webhook.version)


@blp.route("/<int:webhook_id>/ping")
class WebhookPing(MethodView):
    @requires(Role.ADMIN)
    @blp.response(202, DeliverySchema)
    @blp.doc(operationId="pingWebhook")
    def post(self, webhook_id: int) -> Any:
        """Queue a `webhook.ping` event for this webhook alone; the answer is its delivery."""
        delivery = webhook_service.ping(webhook_id, actor=current_actor())
        db.session.commit()
        return delivery


@blp.route("/<int:webhook_id>/deliveries")
class WebhookDeliveries(MethodView):
    @requires(Role.ADMIN)
    @blp.arguments(PageArgs, location="query", as_kwargs=False)
    @blp.response(200, DeliveryPageSchema, headers=LINK_HEADER_DOC)
    @blp.doc(operationId="listWebhookDeliveries")
    def get(self, args: dict[str, Any], webhook_id: int) -> Reply:
        """The webhook's deliveries, newest first: status, attempts, last answer, next try."""
        return page_response(webhook_service.list_deliveries(webhook_id, page_request(args)))


@blp.route("/<int:webhook_id>/deliveries/<int:delivery_id>/redeliver")
class DeliveryRedelivery(MethodView):
    @requires(Role.ADMIN)
    @blp.response(202, DeliverySchema)
    @blp.doc(operationId="redeliverWebhookDelivery")
    def post(self, webhook_id: int, delivery_id: int) -> Any:
        """Queue a delivery again, now, with the whole retry schedule ahead of it (409 while
        it is being sent)."""
        delivery = webhook_service.redeliver(webhook_id, delivery_id)
        db.session.commit()
        return delivery

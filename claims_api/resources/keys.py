"""/keys: API keys, managed by admins. The token appears once, in the answer that issues it."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.views import MethodView

from claims_api.auth import current_actor, requires
from claims_api.extensions import db
from claims_api.models.vocabulary import Role
from claims_api.resources.common import (
    LINK_HEADER_DOC,
    LOCATION_HEADER_DOC,
    Blueprint,
    page_request,
    page_response,
)
from claims_api.schemas.common import PageArgs
from claims_api.schemas.keys import IssuedKeySchema, KeyCreateSchema, KeyPageSchema, KeySchema
from claims_api.services import keys as key_service

blp = Blueprint("keys", __name__, url_prefix="/keys", description="API keys (admins only).")

Reply = tuple[Any, int, dict[str, str]]


@blp.route("")
class Keys(MethodView):
    @requires(Role.ADMIN)
    @blp.arguments(PageArgs, location="query", as_kwargs=False)
    @blp.response(200, KeyPageSchema, headers=LINK_HEADER_DOC)
    @blp.doc(operationId="listKeys")
    def get(self, args: dict[str, Any]) -> Reply:
        """Every key, oldest first: names, roles, prefixes and dates (never tokens)."""
        return page_response(key_service.list_keys(page_request(args)))

    @requires(Role.ADMIN)
    @blp.arguments(KeyCreateSchema)
    @blp.response(201, IssuedKeySchema, headers=LOCATION_HEADER_DOC)
    @blp.doc(operationId="createKey")
    def post(self, data: dict[str, Any]) -> Reply:
        """Issue a key; the answer holds its token, which is not shown again."""
        key, token = key_service.create_key(
            data["name"], data["role"], data.get("expires_at"), issued_by=current_actor()
        )
        db.session.commit()
        body = {name: getattr(key, name) for name in KeySchema().fields}
        body["token"] = token
        return body, 201, {"Location": url_for("keys.KeyById", key_id=key.id)}


@blp.route("/<int:key_id>")
class KeyById(MethodView):
    @requires(Role.ADMIN)
    @blp.response(200, KeySchema)
    @blp.doc(operationId="getKey")
    def get(self, key_id: int) -> Any:
        """One key."""
        return key_service.get_key(key_id)

    @requires(Role.ADMIN)
    @blp.response(204)
    @blp.doc(operationId="revokeKey")
    def delete(self, key_id: int) -> None:
        """Revoke a key: requests with it are refused from now on (401).

        The last usable admin key cannot be revoked (409): issue another first.
        """
        key_service.revoke_key(key_id, revoked_by=current_actor())
        db.session.commit()

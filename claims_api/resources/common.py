"""What every resource module shares: the blueprint class, paging, ETags, the actor."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import flask_smorest
from flask import request
from marshmallow import RAISE
from webargs.flaskparser import FlaskParser

from claims_api.errors import PreconditionRequired
from claims_api.services.pagination import Page, PageRequest
from claims_api.services.revisions import ANY_VERSION, Change, Precondition

ANONYMOUS_ACTOR = "anonymous"


class StrictParser(FlaskParser):
    """Rejects unknown query parameters: a misspelt filter must not silently match everything."""

    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": RAISE,
        "querystring": RAISE,
    }


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = StrictParser()


def page_request(args: dict[str, Any]) -> PageRequest:
    """Take the paging arguments out of ``args``, leaving the filters."""
    return PageRequest(limit=args.pop("limit"), cursor=args.pop("cursor", None))


def page_response(page: Page[Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """The list envelope, with a ``Link: rel="next"`` header carrying the same filters."""
    headers = {}
    if page.next_cursor is not None:
        query = request.args.to_dict(flat=False)
        query["cursor"] = [page.next_cursor]
        headers["Link"] = f'<{request.base_url}?{urlencode(query, doseq=True)}>; rel="next"'
    return {"items": page.items, "next_cursor": page.next_cursor}, 200, headers


def etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


def precondition(headers: dict[str, Any], *, required: bool = True) -> Precondition:
    """The versions named by If-Match (RFC 9110: strong comparison, ``*`` matches any)."""
    value = headers.get("if_match")
    if value is None:
        if required:
            raise PreconditionRequired(
                "This change needs an If-Match header with the ETag you last read, "
                "so that it cannot overwrite someone else's change unseen."
            )
        return ANY_VERSION
    if value.strip() == "*":
        return ANY_VERSION
    versions = set()
    for tag in value.split(","):
        tag = tag.strip()
        if tag.startswith('"') and tag.endswith('"') and tag[1:-1].isdigit():
            versions.add(int(tag[1:-1]))
    return Precondition(frozenset(versions))


def change_from(headers: dict[str, Any], reason: str | None = None) -> Change:
    """The revision's actor (X-Actor) and reason (a ``reason`` field, else X-Reason)."""
    return Change(
        actor=headers.get("actor") or ANONYMOUS_ACTOR,
        reason=reason if reason is not None else headers.get("reason"),
    )


ETAG_HEADER_DOC = {
    "ETag": {"description": "The version to send back in If-Match", "schema": {"type": "string"}}
}

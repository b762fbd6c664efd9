"""What every resource module shares: the blueprint class, paging, ETags, the actor."""

from __future__ import annotations

import json
import re
from typing import Any, cast
from urllib.parse import urlencode

import flask_smorest
from flask import Request, request
from marshmallow import RAISE, Schema, ValidationError
from webargs.flaskparser import FlaskParser, abort
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import MultiDict

from claims_api.auth import current_actor
from claims_api.errors import PreconditionRequired
from claims_api.schemas.common import unstorable_paths
from claims_api.services.pagination import Page, PageRequest
from claims_api.services.revisions import ANY_VERSION, Change, Precondition

Reply = tuple[Any, int, dict[str, str]]
ETAG = re.compile(r'"[0-9]{1,10}"')


class StrictParser(FlaskParser):
    """Rejects unknown query parameters (a misspelt filter must not silently match
    everything), text no database can store (NUL characters, unpaired surrogates)
    anywhere in the input, and numbers Python will not convert."""

    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": RAISE,
        "querystring": RAISE,
    }

    def _raw_load_json(self, req: Request) -> Any:
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            # JSON nested deeper than the parser's stack: unparseable, like any bad JSON.
            abort(400, messages={"json": ["The JSON body is nested too deeply."]})
        except json.JSONDecodeError:
            raise  # webargs answers these itself
        except ValueError:
            # An integer past Python's limit of digits for int(), which json.loads
            # raises as a bare ValueError: no field takes a number that long.
            abort(400, messages={"json": ["A number in the JSON body has too many digits."]})

    def _load_location_data(self, *, schema: Schema, req: Request, location: str) -> Any:
        data = super()._load_location_data(schema=schema, req=req, location=location)
        if location in {"json", "query", "querystring"}:
            if isinstance(data, MultiDictProxy):
                # For the query string, webargs wraps the request's werkzeug MultiDict.
                query = cast(MultiDict[str, str], data.data)
                plain = {key: "".join(query.getlist(key)) for key in query}
            else:
                plain = data
            bad = {
                ".".join(map(str, path)) or "_body": reason
                for path, reason in unstorable_paths(plain)
            }
            if bad:
                raise ValidationError({name: [reason] for name, reason in sorted(bad.items())})
        return data


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = StrictParser()


def page_request(args: dict[str, Any]) -> PageRequest:
    """Take the paging arguments out of ``args``, leaving the filters."""
    return PageRequest(limit=args.pop("limit"), cursor=args.pop("cursor", None))


def page_response(page: Page[Any]) -> Reply:
    """The list envelope, with a ``Link: rel="next"`` header carrying the same filters."""
    headers = {}
    if page.next_cursor is not None:
        query = request.args.to_dict(flat=False)
        query["cursor"] = [page.next_cursor]
        headers["Link"] = f'<{request.base_url}?{urlencode(query, doseq=True)}>; rel="next"'
    return {"items": page.items, "next_cursor": page.next_cursor}, 200, headers


def etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


def versioned(resource: Any, version: int, status: int = 200, **headers: str) -> Reply:
    """A view's reply: the resource, its status, and its ETag (plus any other headers)."""
    return resource, status, {**etag(version), **headers}


def precondition(headers: dict[str, Any], *, required: bool = True) -> Precondition:
    """The versions named by If-Match; without it, 428 or (when optional) any version."""
    value = headers.get("if_match")
    if value is None:
        if required:
            raise PreconditionRequired(
                "This change needs an If-Match header with the ETag you last read, "
                "so that it cannot overwrite someone else's change unseen."
            )
        return ANY_VERSION
    return parse_if_match(value)


def parse_if_match(value: str) -> Precondition:
    """An If-Match value (RFC 9110: strong comparison, ``*`` matches any)."""
    if value.strip() == "*":
        return ANY_VERSION
    versions = set()
    for tag in value.split(","):
        tag = tag.strip()
        if ETAG.fullmatch(tag):
            versions.add(int(tag[1:-1]))
    return Precondition(frozenset(versions))


def change_from(headers: dict[str, Any], reason: str | None = None) -> Change:
    """The revision's actor (the API key's name) and reason (a ``reason`` field, else X-Reason)."""
    return Change(
        actor=current_actor(),
        reason=reason if reason is not None else headers.get("reason"),
    )


ETAG_HEADER_DOC = {
    "ETag": {"description": "The version to send back in If-Match", "schema": {"type": "string"}}
}

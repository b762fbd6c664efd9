"""What every resource module shares: the blueprint class, paging, ETags, the actor."""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable
from http import HTTPStatus
from importlib.resources import files
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

import flask_smorest
import msgspec
from flask import Flask, Request, Response, current_app, jsonify, request
from flask_smorest.utils import resolve_schema_instance
from marshmallow import RAISE, Schema, ValidationError
from webargs.flaskparser import FlaskParser, abort
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import MultiDict

from claims_api.auth import RequiredRole, current_actor, declared_role, default_role
from claims_api.errors import PreconditionRequired
from claims_api.models.vocabulary import Role
from claims_api.schemas.common import unstorable_paths
from claims_api.services.pagination import Page, PageRequest
from claims_api.services.revisions import ANY_VERSION, Change, Precondition

Reply = tuple[Any, int, dict[str, str]]
ETAG = re.compile(r'"[0-9]{1,10}"')
F = TypeVar("F", bound=Callable[..., Any])
BODY_METHODS = frozenset({"post", "put", "patch"})


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


EXAMPLES: dict[str, dict[str, Any]] = json.loads(
    files("claims_api").joinpath("openapi_examples.json").read_text(encoding="utf-8")
)
"""A request and response recorded from the service, by operationId; a test checks
each against the document's schemas."""


def add_examples(doc: dict[str, Any], operation_id: str | None) -> None:
    """The operation's recorded example on its request body and first success response."""
    example = EXAMPLES.get(operation_id or "", {})
    if "request" in example and "requestBody" in doc:
        for media in doc["requestBody"]["content"].values():
            media["example"] = example["request"]
    if "response" in example:
        success = min(status for status in doc["responses"] if int(status) < 300)
        for media in doc["responses"][success].get("content", {}).values():
            media["example"] = example["response"]


def if_match_field(doc: dict[str, Any]) -> Any:
    """The If-Match field of the operation's header schema, if it reads one."""
    for parameter in doc.get("parameters", []):
        schema = parameter.get("schema")
        if parameter.get("in") == "headers":
            return resolve_schema_instance(schema).fields.get("if_match")
    return None


def role_sentence(role: RequiredRole, anonymous_reads: bool) -> str:
    if not isinstance(role, Role):
        return "Least role: none (no API key needed)."
    if role == Role.READER and anonymous_reads:
        return "Least role: reader; anonymous reads are on: no key needed (one sent must be valid)."
    return f"Least role: {role.value} (an API key of that role or a higher one)."


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint, documenting from what each route declares: its
    least role (``@requires``) as ``security`` and ``x-required-role``, and the errors
    that every operation of its kind can answer (authentication, a busy database, an
    unknown id, a body the service cannot read). The errors particular to a route it
    declares itself with ``@blp.problems``."""

    ARGUMENTS_PARSER = StrictParser()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(self._prepare_access_doc)

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Any = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        super().add_url_rule(rule, endpoint, view_func, provide_automatic_options, **options)
        for method, doc in self._docs[self._endpoints[-1]].items():
            if method == "parameters":
                continue
            handler = getattr(view_func, method, view_func)
            role = declared_role(handler, method) or default_role(method)
            doc["access"] = {"role": role, "path_ids": "<" in rule}

    def problems(self, *statuses: int) -> Callable[[F], F]:
        """Document the problem+json responses a view answers beyond the common ones."""

        def decorate(view: F) -> F:
            for status in statuses:
                view = self.alt_response(status, HTTPStatus(status).name)(view)
            return view

        return decorate

    @staticmethod
    def _prepare_access_doc(
        doc: dict[str, Any], doc_info: dict[str, Any], *, app: Flask, method: str, **kwargs: Any
    ) -> dict[str, Any]:
        role: RequiredRole = doc_info["access"]["role"]
        responses = doc.setdefault("responses", {})
        statuses: list[int] = []
        if isinstance(role, Role):
            anonymous = role == Role.READER and app.config["ANONYMOUS_READS"]
            doc["security"] = [{"bearerAuth": []}, *([{}] if anonymous else [])]
            doc["x-required-role"] = role.value
            statuses += [401, 429, 503]
            if role != Role.READER:
                statuses.append(403)
        else:
            doc["security"] = []
            doc["x-required-role"] = "none"
        if doc_info["access"]["path_ids"]:
            statuses.append(404)
        if any(parameter.get("in") == "query" for parameter in doc.get("parameters", [])):
            # Long query strings pass the schema and not the server's request line limit.
            statuses.append(414)
        if method in BODY_METHODS:
            statuses.append(415)
            if "requestBody" in doc:
                statuses += [400, 413]
        if method != "get":
            # The database's constraints stop the second of two racing writes (409).
            statuses.append(409)
        if_match = if_match_field(doc)
        if if_match is not None:
            statuses.append(412)
            if if_match.metadata.get("documented_required"):
                statuses.append(428)
        for status in statuses:
            if status not in responses and str(status) not in responses:
                responses[status] = HTTPStatus(status).name
        add_examples(doc, doc_info.get("manual_doc", {}).get("operationId"))
        docstring = doc_info["docstring"]
        sentence = role_sentence(role, app.config["ANONYMOUS_READS"])
        docstring["description"] = " ".join(filter(None, [docstring.get("description"), sentence]))
        return doc


def page_request(args: dict[str, Any]) -> PageRequest:
    """Take the paging arguments out of ``args``, leaving the filters."""
    return PageRequest(limit=args.pop("limit"), cursor=args.pop("cursor", None))


def page_response(page: Page[Any], dump: Callable[[Any], Any] | None = None) -> Reply:
    """The list envelope, with a ``Link: rel="next"`` header carrying the same filters.

    With ``dump`` (the compiled form of the item schema the view documents), the
    items are dumped by it and sent as they are (``dumped``), not by the schema.
    """
    headers = {}
    if page.next_cursor is not None:
        query = request.args.to_dict(flat=False)
        query["cursor"] = [page.next_cursor]
        headers["Link"] = f'<{request.base_url}?{urlencode(query, doseq=True)}>; rel="next"'
    items = page.items if dump is None else [dump(item) for item in page.items]
    envelope = {"items": items, "next_cursor": page.next_cursor}
    return (envelope if dump is None else dumped(envelope)), 200, headers


def dumped(document: Any) -> Response:
    """A body dumped already, by a compiled schema dump (``compiled_dump``): sent as
    the bytes flask-smorest sends for a schema's dump (Flask's ``jsonify``: sorted
    keys, no spaces, ASCII escapes, a final newline); the view's ``@blp.response``
    schema still documents it.

    msgspec encodes it, several times faster than the standard library; the one
    thing it writes differently, a float in exponent form (``1e16``, ``0.00001``,
    where Python writes ``1e+16``, ``1e-05``), sends the document to ``jsonify``
    instead. ``tests/api/test_encoding.py`` checks the bytes against ``jsonify``.
    """
    body = _ENCODER.encode(document)
    if _maybe_exponent(body):
        return jsonify(document)
    if not body.isascii() or b"\x7f" in body:
        body = ascii_escaped(body)
    return current_app.response_class(body + b"\n", mimetype="application/json")


_ENCODER = msgspec.json.Encoder(order="sorted")
_EXPONENTS = (b"e-", *(b"e%d" % digit for digit in range(10)))
_DIGITS = frozenset(b"0123456789")


def _maybe_exponent(body: bytes) -> bool:
    """Whether msgspec may have written a float unlike Python's ``repr``: a digit
    followed by an exponent, or a decimal under 1e-4 (text like that inside a string
    only costs the slower encoder). Substring scans: a regular expression over a
    200-claim page would cost as much as the encoding saves."""
    if b"0.0000" in body:
        return True
    for exponent in _EXPONENTS:
        at = body.find(exponent, 1)
        while at != -1:
            if body[at - 1] in _DIGITS:
                return True
            at = body.find(exponent, at + 1)
    return False


def _escape_non_ascii(error: UnicodeError) -> tuple[str, int]:
    """JSON's \\uXXXX escapes (surrogate pairs past the BMP), as json.dumps writes them."""
    assert isinstance(error, UnicodeEncodeError)
    escaped = []
    for character in error.object[error.start : error.end]:
        code = ord(character)
        if code > 0xFFFF:
            code -= 0x10000
            escaped.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            escaped.append(f"\\u{code:04x}")
    return "".join(escaped), error.end


codecs.register_error("json_ascii", _escape_non_ascii)


def ascii_escaped(body: bytes) -> bytes:
    """UTF-8 JSON with every character past ASCII, and DEL, escaped as ``json.dumps``
    (``ensure_ascii``) escapes them. Outside strings JSON has no such character."""
    return body.decode("utf-8").replace("\x7f", "\\u007f").encode("ascii", "json_ascii")


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
LINK_HEADER_DOC = {
    "Link": {
        "description": 'The next page, as `<url>; rel="next"` (absent on the last page).',
        "schema": {"type": "string"},
    }
}
LOCATION_HEADER_DOC = {
    "Location": {"description": "The URL of the new resource.", "schema": {"type": "string"}}
}

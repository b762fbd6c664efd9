"""Domain errors and the one handler that turns every error into problem+json (RFC 9457)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from flask import Flask, Response, json
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

PROBLEM_MIMETYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:claims-api:problem:"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProblemType:
    """One kind of error: its ``type`` URI names it, its title never varies."""

    slug: str
    status: int
    title: str
    about: str

    @property
    def uri(self) -> str:
        return PROBLEM_TYPE_PREFIX + self.slug


PROBLEM_TYPES: dict[str, ProblemType] = {}
"""Every problem type the service answers with, by slug: docs/problems.md and the
OpenAPI document list these, and tests/api/test_problems.py checks they agree."""


def problem_type(slug: str, status: int, title: str, about: str) -> ProblemType:
    found = PROBLEM_TYPES.setdefault(slug, ProblemType(slug, status, title, about))
    if found != ProblemType(slug, status, title, about):
        raise ValueError(f"problem type {slug!r} is defined twice, differently")
    return found


class DomainError(Exception):
    """A rule of the service was broken; raised by services, which know nothing of HTTP."""

    status = 400
    title = "Bad request"
    slug = "bad-request"
    about: ClassVar[str] = "The request cannot be read: malformed JSON, for instance."

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "slug" in cls.__dict__ and "about" not in cls.__dict__:
            raise TypeError(f"{cls.__name__} defines a problem type: say when it is answered")
        problem_type(cls.slug, cls.status, cls.title, cls.about)

    def __init__(
        self,
        detail: str,
        *,
        errors: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = dict(errors) if errors else None
        self.headers = dict(headers) if headers else None
        self.extensions = extensions

    def within(self, prefix: str, **extensions: Any) -> DomainError:
        """The same error about a part of a document: ``quote.exact`` → ``claims.3.quote.exact``
        (with ``extensions`` added, such as the id of the part)."""
        errors = {f"{prefix}.{name}": texts for name, texts in (self.errors or {}).items()}
        return type(self)(
            f"{prefix}: {self.detail}",
            errors=errors or None,
            headers=self.headers,
            **{**self.extensions, **extensions},
        )


class NotFound(DomainError):
    status, title, slug = 404, "Not found", "not-found"
    about = "No such resource (or no route at that path)."


class Gone(DomainError):
    status, title, slug = 410, "Gone", "gone"
    about = "The resource was deleted; its history stays readable."


class Unauthenticated(DomainError):
    status, title, slug = 401, "Unauthorized", "unauthorized"
    about = "No API key, or one that is unknown, expired or revoked."


class Forbidden(DomainError):
    status, title, slug = 403, "Forbidden", "forbidden"
    about = "The key's role is below the one the operation needs (`required_role`)."


class TooManyRequests(DomainError):
    status, title, slug = 429, "Too many requests", "too-many-requests"
    about = "Too many failed authentications, or requests with one key; see Retry-After."


class Conflict(DomainError):
    status, title, slug = 409, "Conflict", "conflict"
    about = (
        "The change contradicts the current state: a duplicate URL, a status the workflow "
        "does not allow, a lease held by another reviewer, two writes racing."
    )


class PayloadTooLarge(DomainError):
    status, title, slug = 413, "Payload too large", "payload-too-large"
    about = "The body is larger than the service accepts (`limit`, when given, in bytes)."


class InvalidInput(DomainError):
    status, title, slug = 422, "Invalid input", "invalid-input"
    about = "The request failed validation; `errors` maps each field to its messages."


class LanguageNotSupported(InvalidInput):
    slug, title = "language-not-supported", "Language not supported"
    about = (
        "The extractor does not read the article's `language` (`supported_languages` lists "
        "those it does); it says so rather than guessing."
    )


class ExtractionUnavailable(DomainError):
    status, title, slug = 503, "Service unavailable", "extraction-unavailable"
    about = (
        "No NLP pipeline could be loaded, so the service cannot extract claims (the rest "
        "works); `detail` says why and `setting` names what the operator sets "
        "(CLAIMS_NLP_MODEL)."
    )


class PreconditionRequired(DomainError):
    status, title, slug = 428, "Precondition required", "precondition-required"
    about = "The change needs an If-Match header with the ETag last read."


class PreconditionFailed(DomainError):
    status, title, slug = 412, "Precondition failed", "precondition-failed"
    about = "The resource changed since the ETag sent in If-Match (`current_version`)."


problem_type(DomainError.slug, DomainError.status, DomainError.title, DomainError.about)
METHOD_NOT_ALLOWED = problem_type(
    "method-not-allowed", 405, "Method not allowed", "The path does not take that method (Allow)."
)
UNSUPPORTED_MEDIA_TYPE = problem_type(
    "unsupported-media-type",
    415,
    "Unsupported media type",
    "The body is not in a format the operation reads (JSON, or an import format).",
)
IMPORT_FAILED = problem_type(
    "import-failed",
    422,
    "Import failed",
    "The import found errors (`import_errors`); nothing was written unless it was partial.",
)
DATABASE_BUSY = problem_type(
    "database-busy", 503, "Service unavailable", "The database is busy; retry after Retry-After."
)
DATABASE_UNAVAILABLE = problem_type(
    "database-unavailable",
    503,
    "Service unavailable",
    "The database cannot be reached; retry after Retry-After.",
)
NOT_READY = problem_type(
    "not-ready",
    503,
    "Service unavailable",
    "The service cannot serve: its database is unreachable, not migrated, read-only or full.",
)
URI_TOO_LONG = problem_type(
    "uri-too-long",
    414,
    "URI too long",
    "The request line is longer than the server reads (8190 bytes): shorten the query.",
)
INTERNAL_ERROR = problem_type(
    "internal-error", 500, "Internal server error", "A fault of the service; it is logged."
)
HTTP_ERROR = problem_type(
    "http-error", 400, "HTTP error", "Any other HTTP error; its status and detail say which."
)


def problem_for_status(status: int) -> ProblemType:
    """The problem type of an HTTP error raised outside the services (Werkzeug, webargs)."""
    by_status = {
        problem.status: problem for problem in PROBLEM_TYPES.values() if problem is not HTTP_ERROR
    }
    by_status[422] = PROBLEM_TYPES[InvalidInput.slug]
    by_status[503] = DATABASE_UNAVAILABLE
    return by_status.get(status, INTERNAL_ERROR if status >= 500 else HTTP_ERROR)


def problem_body(
    problem: ProblemType,
    detail: str | None = None,
    *,
    status: int | None = None,
    errors: Mapping[str, Any] | None = None,
    **extensions: Any,
) -> dict[str, Any]:
    """An RFC 9457 problem document."""
    body: dict[str, Any] = {
        "type": problem.uri,
        "title": problem.title,
        "status": status or problem.status,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update(extensions)
    return body


def problem_response(
    problem: ProblemType,
    detail: str | None = None,
    *,
    status: int | None = None,
    headers: Mapping[str, str] | None = None,
    errors: Mapping[str, Any] | None = None,
    **extensions: Any,
) -> Response:
    body = problem_body(problem, detail, status=status, errors=errors, **extensions)
    response = Response(json.dumps(body), status=body["status"], mimetype=PROBLEM_MIMETYPE)
    response.headers.extend(headers or {})
    return response


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn marshmallow's nested error dict into ``{"quote.start": [...]}``.

    webargs nests messages under the request location ("json", "query",
    "headers"); that level is dropped, since the field name is what a client
    needs.
    """
    flat: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = str(key)
            if not prefix and name in {"json", "query", "querystring", "headers", "form"}:
                path = ""
            elif name == "_schema":
                path = prefix
            else:
                path = f"{prefix}.{name}" if prefix else name
            for field, texts in flatten_messages(value, path).items():
                flat.setdefault(field, []).extend(texts)
    elif isinstance(messages, list | tuple):
        if all(isinstance(item, str) for item in messages):
            flat[prefix or "_body"] = [str(item) for item in messages]
        else:
            for item in messages:
                for field, texts in flatten_messages(item, prefix).items():
                    flat.setdefault(field, []).extend(texts)
    else:
        flat[prefix or "_body"] = [str(messages)]
    return flat


def http_problem(error: HTTPException) -> Response:
    """problem+json for an HTTP error raised by Flask, Werkzeug or webargs."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    headers = dict(data.get("headers") or {})
    messages = data.get("errors") or data.get("messages")
    errors = flatten_messages(messages) if messages else None
    if status >= 500:
        detail, errors = "The server could not complete the request.", None
    elif errors and status == 400:
        # A body that could not be parsed at all: the message is the detail.
        detail = "; ".join(text for texts in errors.values() for text in texts)
        errors = None
    elif errors:
        detail = "The request failed validation; see errors."
    else:
        detail = str(data.get("message") or error.description or error.name)
    valid_methods = getattr(error, "valid_methods", None)
    if status == 405 and valid_methods:
        headers["Allow"] = ", ".join(valid_methods)
    return problem_response(
        problem_for_status(status), detail, status=status, errors=errors, headers=headers
    )


# SQLite's lock errors, and PostgreSQL's lock, deadlock, serialisation and timeout ones.
BUSY_SQLITE_ERRORS = frozenset({"SQLITE_BUSY", "SQLITE_LOCKED"})
BUSY_SQLSTATES = frozenset({"55P03", "40P01", "40001", "57014"})


def is_busy(error: OperationalError) -> bool:
    """Whether the database refused for contention, which passes, not for a fault."""
    cause = error.orig
    return (
        getattr(cause, "sqlite_errorname", None) in BUSY_SQLITE_ERRORS
        or getattr(cause, "sqlstate", None) in BUSY_SQLSTATES
    )


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError) -> Response:
        return problem_response(
            PROBLEM_TYPES[error.slug],
            error.detail,
            errors=error.errors,
            headers=error.headers,
            **error.extensions,
        )

    @app.errorhandler(StaleDataError)
    def handle_stale_data(error: StaleDataError) -> Response:
        return handle_domain_error(
            PreconditionFailed("The resource was changed by another request; fetch it again.")
        )

    @app.errorhandler(IntegrityError)
    def handle_integrity_error(error: IntegrityError) -> Response:
        # Services check the rules first; this answers the race where two requests
        # pass the check at once and the database's constraint stops the second.
        log.info("integrity error turned into 409: %s", error.orig)
        return handle_domain_error(
            Conflict("The change conflicts with data written at the same time; try again.")
        )

    @app.errorhandler(DataError)
    def handle_data_error(error: DataError) -> Response:
        # Validation bounds what clients send; this catches a value it missed.
        log.warning("database refused a value: %s", error.orig)
        return handle_domain_error(InvalidInput("A value is out of range or cannot be stored."))

    @app.errorhandler(OperationalError)
    def handle_operational_error(error: OperationalError) -> Response:
        if is_busy(error):
            # Expected under load: the writer waited its time out; no traceback.
            log.warning("database busy: %s", error.orig)
            return problem_response(
                DATABASE_BUSY,
                "The database is busy; try again.",
                headers={"Retry-After": "1"},
            )
        log.exception("database error")
        return problem_response(
            DATABASE_UNAVAILABLE,
            "The database is unavailable; try again later.",
            headers={"Retry-After": "5"},
        )

    @app.errorhandler(InternalServerError)
    def handle_internal_error(error: InternalServerError) -> Response:
        if error.original_exception is not None:
            log.error("unhandled error", exc_info=error.original_exception)
        return http_problem(error)

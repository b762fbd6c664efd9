"""The production server: gunicorn's threaded workers, configured for this API.

gunicorn answers some requests itself, before the app sees them (a request line
or header over its limits, a malformed header, a duplicate Content-Type). Its
worker here answers those with problem+json like the app does, and its logger
keeps every credential out of the access and error logs: the Authorization
header is never logged (gunicorn's ``%(u)s`` would decode a Basic one and log
the token), credential-like query parameters are masked, and anything shaped
like an API key is masked in any line.
"""

from __future__ import annotations

import json
import logging
import re
import socket
from collections.abc import Callable, MutableMapping
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qsl, urlencode

from flask import Flask
from flask.logging import default_handler
from gunicorn import glogging
from gunicorn.app.base import BaseApplication
from gunicorn.workers.gthread import ThreadWorker

from claims_api.errors import PROBLEM_MIMETYPE, problem_body, problem_for_status
from claims_api.services import extraction

if TYPE_CHECKING:
    from gunicorn._types import _WSGIAppType

    from claims_api.worker import EmbeddedWorker

# What gunicorn reads of a request before the app: the longest request line
# (method, path and query string), the number of headers and a header's size.
LIMIT_REQUEST_LINE = 8190
LIMIT_REQUEST_FIELDS = 100
LIMIT_REQUEST_FIELD_SIZE = 8190

ACCESS_LOG_FORMAT = '%(h)s - - %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'
REDACTED = "[redacted]"
# Query parameters whose values are credentials, by the words their names use.
CREDENTIAL_NAME = re.compile(
    r"token|key|secret|pass|auth|session|signature|sig$|credential|cookie|jwt|bearer", re.I
)
# An API key (``ck_<prefix>_<secret>``, see services.keys), in clear or as the
# start of a Basic credential (base64 of ``ck_`` is ``Y2tf``), wherever it is.
CREDENTIAL_TEXT = re.compile(r"ck_[A-Za-z0-9_-]{8,}|Y2tf[A-Za-z0-9+/=_-]{8,}")
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})


def redact_text(text: str) -> str:
    """``text`` with anything shaped like an API key masked."""
    return CREDENTIAL_TEXT.sub(REDACTED, text)


def redact_query(query: str) -> str:
    """A query string with the values of credential-like parameters masked."""
    if not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    masked = [(name, REDACTED if CREDENTIAL_NAME.search(name) else value) for name, value in pairs]
    return redact_text(urlencode(masked, safe="[]/:,"))


def redact_uri(uri: str) -> str:
    path, mark, query = uri.partition("?")
    return redact_text(path) + (mark + redact_query(query) if mark else "")


class RedactingLogger(glogging.Logger):
    """gunicorn's logger, minus the credentials a request may carry."""

    def atoms(
        self, resp: Any, req: Any, environ: MutableMapping[str, Any], request_time: Any
    ) -> Any:
        # A plain dict: gunicorn formats the access log line from any mapping.
        atoms: dict[str, Any] = dict(super().atoms(resp, req, environ, request_time))
        atoms["u"] = "-"
        atoms["r"] = "{} {} {}".format(
            environ.get("REQUEST_METHOD", "-"),
            redact_uri(environ.get("RAW_URI", "")),
            environ.get("SERVER_PROTOCOL", "-"),
        )
        atoms["q"] = redact_query(environ.get("QUERY_STRING") or "")
        atoms["f"] = redact_uri(environ.get("HTTP_REFERER", "-"))
        for name in list(atoms):
            lowered = name.lower()
            if lowered[1:-2] in SECRET_HEADERS or lowered[1:-2] == "http_authorization":
                atoms[name] = REDACTED
            elif isinstance(atoms[name], str):
                atoms[name] = redact_text(atoms[name])
        return atoms

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # gunicorn's own lines, and the app's (Flask logs through default_handler).
        for handler in (*self.error_log.handlers, *self.access_log.handlers, default_handler):
            handler.addFilter(RedactingFilter())


class RedactingFilter(logging.Filter):
    """Masks API keys in a log record's message and traceback before it is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact_text(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        return True


class _ProblemErrorPage:
    """The client socket, while gunicorn writes one of its error pages to it.

    gunicorn renders its errors as HTML in ``util.write_error`` and offers no hook
    for the body; this stands in for the socket in ``handle_error`` and sends the
    same status as problem+json instead.
    """

    def __init__(self, sock: socket.socket, error: BaseException) -> None:
        self._sock = sock
        self._error = error

    def sendall(self, data: bytes) -> None:
        status_line = data.split(b"\r\n", 1)[0].decode("latin-1")
        _, status_text, reason = [*status_line.split(" ", 2), "", ""][:3]
        status = int(status_text) if status_text.isdigit() else 500
        detail = (
            redact_text(str(self._error))
            if status < 500
            else "The server could not complete the request."
        )
        body = json.dumps(problem_body(problem_for_status(status), detail, status=status)).encode()
        head = (
            f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
            f"Content-Type: {PROBLEM_MIMETYPE}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self._sock.sendall(head.encode("latin-1") + body)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class ProblemThreadWorker(ThreadWorker):
    """gunicorn's threaded worker, answering its own errors with problem+json."""

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        # The page stands in for the client socket: gunicorn only sends through it.
        page = cast(socket.socket, _ProblemErrorPage(client, exc))
        super().handle_error(req, page, addr, exc)


class Server(BaseApplication):
    """The app under gunicorn, configured in code rather than a config file."""

    def __init__(self, app_factory: Callable[[], Flask], options: dict[str, Any]) -> None:
        self.app_factory = app_factory
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self) -> _WSGIAppType:
        # In each worker, after the fork: no database connection crosses it, and the NLP
        # pipeline loads (in the background) in the process that parses with it.
        # gunicorn hands the app a plain dict environ, which is what Flask takes; its stubs
        # type the environ as any mutable mapping.
        app = self.app_factory()
        extraction.warm_pipeline(app)
        return cast("_WSGIAppType", app)


def serve(
    app_factory: Callable[[], Flask],
    *,
    host: str,
    port: int,
    workers: int,
    threads: int,
    embedded: EmbeddedWorker | None = None,
) -> None:
    """Run the app made by ``app_factory`` under gunicorn until it is stopped, with
    ``embedded`` (a worker) started by the arbiter once it is ready and stopped when
    it exits: one for the server, however many gunicorn workers it runs."""
    hooks: dict[str, Any] = {}
    if embedded is not None:
        hooks = {
            "when_ready": lambda arbiter: embedded.start(),
            "on_exit": lambda arbiter: embedded.stop(),
        }
    Server(
        app_factory,
        {
            **hooks,
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": f"{__name__}.ProblemThreadWorker",
            "logger_class": f"{__name__}.RedactingLogger",
            "accesslog": "-",
            "access_log_format": ACCESS_LOG_FORMAT,
            "limit_request_line": LIMIT_REQUEST_LINE,
            "limit_request_fields": LIMIT_REQUEST_FIELDS,
            "limit_request_field_size": LIMIT_REQUEST_FIELD_SIZE,
        },
    ).run()

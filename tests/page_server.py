"""A loopback HTTP server in a thread, serving the pages and failures a test sets up.

Fetch tests point the service at it with CLAIMS_FETCH_ALLOWED_HOSTS=127.0.0.1: it is
the only server they talk to, and it records every request it gets, so a test can
tell that a refused URL was never fetched.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ARTICLES = Path(__file__).resolve().parent / "data" / "articles"
# How long a page that never answers holds its connection, at most.
HANG_SECONDS = 30

Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


@dataclass
class PageServer:
    routes: dict[str, Handler] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    port: int = 0

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def paths(self) -> list[str]:
        return [request.path for request in self.seen]

    # ------------------------------------------------------------ what a route does

    def page(
        self,
        path: str,
        html: str | bytes,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        content_type: str = "text/html; charset=utf-8",
        status: int = 200,
    ) -> None:
        """Serve ``html``, answering 304 to a request that holds its validators."""
        content = html.encode("utf-8") if isinstance(html, str) else html

        def handle(request: BaseHTTPRequestHandler) -> None:
            fresh = (etag and request.headers.get("If-None-Match") == etag) or (
                last_modified and request.headers.get("If-Modified-Since") == last_modified
            )
            request.send_response(304 if fresh else status)
            if etag:
                request.send_header("ETag", etag)
            if last_modified:
                request.send_header("Last-Modified", last_modified)
            if fresh:
                request.end_headers()
                return
            request.send_header("Content-Type", content_type)
            request.send_header("Content-Length", str(len(content)))
            request.end_headers()
            request.wfile.write(content)

        self.routes[path] = handle

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        def handle(request: BaseHTTPRequestHandler) -> None:
            request.send_response(status)
            request.send_header("Location", location)
            request.send_header("Content-Length", "0")
            request.end_headers()

        self.routes[path] = handle

    def stream(self, path: str, size: int) -> None:
        """An HTML body of ``size`` bytes with no Content-Length: only reading tells."""

        def handle(request: BaseHTTPRequestHandler) -> None:
            request.send_response(200)
            request.send_header("Content-Type", "text/html")
            request.end_headers()
            chunk = b"<p>" + b"x" * 1020 + b"</p>"
            for _ in range(size // len(chunk) + 1):
                request.wfile.write(chunk)
            request.close_connection = True

        self.routes[path] = handle

    def hang(self, path: str) -> None:
        """Accept the request and never answer (until the server stops)."""

        def handle(request: BaseHTTPRequestHandler) -> None:
            self.release.wait(HANG_SECONDS)

        self.routes[path] = handle


def article_html(name: str) -> bytes:
    return (ARTICLES / f"{name}.html").read_bytes()


def article_text(name: str) -> str:
    return (ARTICLES / f"{name}.txt").read_text(encoding="utf-8").strip()


@contextmanager
def serving() -> Iterator[PageServer]:
    server = PageServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server.seen.append(Seen(self.path, dict(self.headers.items())))
            route = server.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            route(self)

        def log_message(self, format: str, *args: object) -> None:
            pass  # the tests' output is theirs

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    server.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=HANG_SECONDS)

"""A webhook receiver on loopback, in a thread, that verifies every delivery's signature.

The verifier is written from the Standard Webhooks specification, not from the
service's code: the signed content is ``{webhook-id}.{webhook-timestamp}.{body}``,
the key is the base64 decoding of the secret after ``whsec_``, the signature is the
base64 HMAC-SHA256 prefixed ``v1,``, and ``webhook-signature`` may hold several,
space separated; one that matches is enough. The timestamp must be within five
minutes (the specification's tolerance, against replays).

Tests point webhooks at it with CLAIMS_WEBHOOK_ALLOWED_HOSTS=127.0.0.1.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOLERANCE_SECONDS = 5 * 60


class BadSignature(Exception):
    pass


def verify(secret: str, headers: dict[str, str], body: bytes) -> list[str]:
    """The signatures of ``webhook-signature`` that ``secret`` made; BadSignature if none,
    or if the timestamp is out of tolerance."""
    message_id = headers["webhook-id"]
    timestamp = headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        raise BadSignature(f"timestamp {timestamp} is out of tolerance")
    key = base64.b64decode(secret[len("whsec_") :])
    content = message_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    matching = []
    for entry in headers["webhook-signature"].split(" "):
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            matching.append(entry)
    if not matching:
        raise BadSignature(f"no signature of {headers['webhook-signature']!r} verifies")
    return matching


@dataclass
class Delivery:
    """One request the receiver got: its headers, its event, and what verified it."""

    message_id: str
    headers: dict[str, str]
    event: dict[str, Any]
    signatures: int
    status: int
    body: bytes = b""


# What the receiver answers to a delivery (given how many it got before): a status.
Responder = Callable[["Delivery", int], int]


@dataclass
class Receiver:
    secrets: list[str] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)
    respond: Responder = lambda delivery, count: 200
    # Set to make requests hang until released, then drop them unanswered and unrecorded
    # (the sender is presumed gone: a test kills it meanwhile).
    hold: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    dropped: int = 0
    arrived: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def accepted(self) -> list[Delivery]:
        with self.lock:
            return [delivery for delivery in self.deliveries if 200 <= delivery.status < 300]

    def wait_for(self, predicate: Callable[[Receiver], bool], seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while not predicate(self):
            assert time.monotonic() < deadline, (
                f"receiver still waiting after {seconds} s: {len(self.deliveries)} deliveries"
            )
            time.sleep(0.05)

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("Content-Length", "0")))
        headers = {name.lower(): value for name, value in request.headers.items()}
        self.arrived.set()
        if self.hold.is_set():
            self.release.wait(120)
            with self.lock:
                self.dropped += 1
            return
        try:
            signatures = self._verified(headers, body)
        except (BadSignature, KeyError, ValueError) as error:
            with self.lock:
                self.bad.append(str(error))
            request.send_response(400)
            request.end_headers()
            return
        delivery = Delivery(headers["webhook-id"], headers, json.loads(body), signatures, 0, body)
        with self.lock:
            earlier = sum(1 for seen in self.deliveries if seen.message_id == delivery.message_id)
            delivery.status = self.respond(delivery, earlier)
            self.deliveries.append(delivery)
        request.send_response(delivery.status)
        request.send_header("Content-Length", "0")
        request.end_headers()

    def _verified(self, headers: dict[str, str], body: bytes) -> int:
        """How many of the receiver's secrets signed the delivery; every one must have."""
        with self.lock:
            secrets = list(self.secrets)
        if not secrets:
            raise BadSignature("the receiver knows no secret yet")
        for secret in secrets:
            verify(secret, headers, body)
        return len(headers["webhook-signature"].split(" "))


@contextmanager
def receiving() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handle(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            receiver._handle(self)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()

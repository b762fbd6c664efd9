"""What the real server does with requests gunicorn answers itself, and what it logs."""

from __future__ import annotations

import base64
import json
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.e2e.test_server import create_key, server  # noqa: F401 - the fixture

DEADLINE = 60


def raw_request(base: str, data: bytes) -> tuple[int, str, bytes]:
    """Send bytes as they are; the status, the Content-Type and the body of the answer."""
    address = urlsplit(base)
    with socket.create_connection((address.hostname, address.port), timeout=DEADLINE) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered before reading all of a refused body
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), headers.get("Content-Type", ""), body


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /claims HTTP/1.1\r\nHost: x\r\nX-Note: a\x01b\r\n\r\n", 400),
        (
            b"POST /claims HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}",
            400,
        ),
    ],
    ids=["request-line-too-long", "control-character", "duplicate-content-type"],
)
def test_requests_gunicorn_refuses_get_problem_json(
    server: str,  # noqa: F811
    request_bytes: bytes,
    status: int,
) -> None:
    answered, content_type, body = raw_request(server, request_bytes)
    assert (answered, content_type) == (status, "application/problem+json"), body[:300]
    assert json.loads(body)["status"] == status


def test_a_chunked_body_over_the_limit_is_a_413(server: str, database_url: str) -> None:  # noqa: F811
    token = create_key(database_url, "chunked", "contributor")
    body = b'{"text": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(part), part)
        for part in (body[i : i + 65536] for i in range(0, len(body), 65536))
    )
    status, content_type, answer = raw_request(
        server,
        b"POST /claims HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer " + token.encode() + b"\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunks + b"0\r\n\r\n",
    )
    assert (status, content_type) == (413, "application/problem+json"), answer[:300]


def test_no_credential_reaches_the_servers_log(
    server: str,  # noqa: F811
    database_url: str,
    tmp_path: Path,
) -> None:
    token = create_key(database_url, "logged", "admin")
    basic = base64.b64encode(f"{token}:x".encode()).decode()
    session = requests.Session()
    sent = [
        session.get(f"{server}/claims", headers={"Authorization": f"Bearer {token}"}),
        session.get(f"{server}/claims", headers={"Authorization": f"Basic {basic}"}),
        session.get(f"{server}/claims", auth=(token, "x")),
        session.get(f"{server}/claims", params={"token": token}),
        session.get(f"{server}/claims", params={"api_key": token, "access_token": token}),
        session.get(f"{server}/claims", params={"anything": token}),
        session.get(f"{server}/claims", headers={"Referer": f"https://e.org/?k={token}"}),
        session.get(f"{server}/claims", headers={"Authorization": f"Bearer {token}x"}),
    ]
    assert all(response.status_code < 500 for response in sent)
    log = tmp_path / "server.log"
    deadline = time.monotonic() + DEADLINE
    while log.read_text().count('"GET /claims') < len(sent) and time.monotonic() < deadline:
        time.sleep(0.2)  # the access log is written after each response
    text = log.read_text()
    assert text.count('"GET /claims') >= len(sent), text[-2000:]
    for secret in (token, token.split("_")[-1], basic, basic[:40]):
        assert secret not in text, f"a credential is in the log: {text[-2000:]}"

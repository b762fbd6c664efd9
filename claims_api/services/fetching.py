"""Downloading article pages, bounded in time and size, and never from inside the
operator's network.

A URL someone posts is fetched by the server, from where it sits: without a guard, a
link to 127.0.0.1, 10.x or 169.254.169.254 would read the operator's own services
(SSRF). Every hop is checked before anything is sent to it, by the service's one
rule for outbound requests (services/outbound.py; hosts the operator lists in
``FETCH_ALLOWED_HOSTS`` pass). Redirects are followed by hand, at most
``MAX_REDIRECTS``, each hop checked the same.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

import httpx
from flask import current_app

from claims_api.errors import DomainError
from claims_api.services import outbound
from claims_api.services.outbound import (
    AddressRefused,
    HostUnresolved,
    IPAddress,
    host_set,
    outbound_client,
    parsed_url,
    pinned_request,
)

MAX_REDIRECTS = 5
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


class FetchFailed(DomainError):
    """The page could not be had: the other server, or the way to it, failed."""

    status, title, slug = 502, "Bad gateway", "fetch-failed"
    about = (
        "The page of a fetched article could not be had: its server, or the way to it, "
        "failed; `reason` says how (dns, timeout, too-large, upstream-status...)."
    )


class FetchRefused(DomainError):
    """The URL is one the service will not fetch (a private address, another scheme)."""

    status, title, slug = 422, "Fetch refused", "fetch-refused"
    about = (
        "The service will not fetch this URL: not http(s), or its host resolves to a "
        "private, loopback or otherwise non-public address (CLAIMS_FETCH_ALLOWED_HOSTS)."
    )


@dataclass(frozen=True)
class FetchSettings:
    timeout_seconds: float
    max_bytes: int
    allowed_hosts: frozenset[str]

    @classmethod
    def from_config(cls) -> FetchSettings:
        config = current_app.config
        hosts = str(config["FETCH_ALLOWED_HOSTS"] or "")
        return cls(
            timeout_seconds=float(config["FETCH_TIMEOUT_SECONDS"]),
            max_bytes=int(config["FETCH_MAX_BYTES"]),
            allowed_hosts=host_set(hosts),
        )


@dataclass(frozen=True)
class Page:
    """What a fetch brought back; ``content`` is None when the server said 304."""

    url: str
    content: bytes | None
    encoding: str | None
    etag: str | None
    last_modified: str | None


def user_agent() -> str:
    try:
        return f"claims-api/{version('claims-api')}"
    except PackageNotFoundError:
        return "claims-api"


def fetch_page(
    url: str,
    settings: FetchSettings,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Page:
    """GET ``url`` (conditionally, given the validators of an earlier fetch)."""
    conditional = {
        name: value
        for name, value in (("If-None-Match", etag), ("If-Modified-Since", last_modified))
        if value
    }
    deadline = time.monotonic() + settings.timeout_seconds
    try:
        current = parsed_url(url)
    except AddressRefused as refusal:
        raise FetchRefused(refusal.detail, reason=refusal.reason) from None
    with outbound_client(
        settings.timeout_seconds,
        {
            "User-Agent": user_agent(),
            "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
        },
    ) as client:
        for hop in range(MAX_REDIRECTS + 1):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _timed_out(current, settings)
            request = _pinned_request(client, current, settings, hop, conditional)
            # Redirects share the one deadline: each hop gets what is left of it.
            request.extensions["timeout"] = httpx.Timeout(remaining).as_dict()
            with _sent(client, request, current, settings) as response:
                location = response.headers.get("location")
                if response.is_redirect and location:
                    current = _redirect_target(current, location)
                    continue
                if response.status_code == 304 and conditional:
                    return Page(str(current), None, None, etag, last_modified)
                content = _html_body(response, current, settings, deadline)
                return Page(
                    str(current),
                    content,
                    response.charset_encoding,
                    response.headers.get("etag"),
                    response.headers.get("last-modified"),
                )
    raise FetchFailed(
        f"{url} redirected more than {MAX_REDIRECTS} times.", reason="too-many-redirects"
    )


def _redirect_target(url: httpx.URL, location: str) -> httpx.URL:
    try:
        return url.join(location)
    except httpx.InvalidURL as error:
        raise FetchFailed(
            f"{url} redirected to an invalid URL ({error}).", reason="bad-redirect"
        ) from None


def _pinned_request(
    client: httpx.Client,
    url: httpx.URL,
    settings: FetchSettings,
    hop: int,
    conditional: dict[str, str],
) -> httpx.Request:
    """A request for ``url`` sent to the one address that passed the checks."""
    try:
        address = checked_address(url, settings)
    except FetchRefused as refusal:
        if hop == 0:
            raise
        raise FetchFailed(
            f"The page redirected to {url}, which is refused: {refusal.detail}",
            reason="redirect-refused",
        ) from None
    return pinned_request(client, "GET", url, address, conditional)


def checked_address(url: httpx.URL, settings: FetchSettings) -> IPAddress:
    """The address to connect to for ``url``, by the outbound rule, as fetch errors."""
    try:
        return outbound.checked_address(url, settings.allowed_hosts, "CLAIMS_FETCH_ALLOWED_HOSTS")
    except AddressRefused as refusal:
        raise FetchRefused(refusal.detail, reason=refusal.reason) from None
    except HostUnresolved as failure:
        raise FetchFailed(failure.detail, reason="dns") from None


@contextmanager
def _sent(
    client: httpx.Client, request: httpx.Request, url: httpx.URL, settings: FetchSettings
) -> Iterator[httpx.Response]:
    """The response, streamed; failures of the connection as FetchFailed."""
    try:
        response = client.send(request, stream=True)
    except httpx.TimeoutException:
        raise _timed_out(url, settings) from None
    except httpx.ConnectError as error:
        if _caused_by(error, ConnectionRefusedError):
            raise FetchFailed(
                f"{url.host} refused the connection on port {request.url.port or 'default'}.",
                reason="connection-refused",
            ) from None
        raise FetchFailed(f"Could not connect to {url.host}: {error}", reason="connect") from None
    except httpx.HTTPError as error:
        raise FetchFailed(f"Fetching {url} failed: {error}", reason="connection") from None
    try:
        yield response
    finally:
        response.close()


def _html_body(
    response: httpx.Response, url: httpx.URL, settings: FetchSettings, deadline: float
) -> bytes:
    """The body of a 2xx HTML response, read up to the size limit and the deadline."""
    if not response.is_success:
        raise FetchFailed(
            f"{url} answered {response.status_code} {response.reason_phrase}.",
            reason="upstream-status",
            upstream_status=response.status_code,
        )
    media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in HTML_TYPES:
        raise FetchFailed(
            f"{url} is not an HTML page (Content-Type: {media_type or 'none'}).",
            reason="not-html",
        )
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > settings.max_bytes:
        raise _too_large(url, settings)
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > settings.max_bytes:
                raise _too_large(url, settings)
            if time.monotonic() > deadline:
                raise _timed_out(url, settings)
            chunks.append(chunk)
    except httpx.TimeoutException:
        raise _timed_out(url, settings) from None
    except httpx.HTTPError as error:
        raise FetchFailed(f"Reading {url} failed: {error}", reason="connection") from None
    return b"".join(chunks)


def _too_large(url: httpx.URL, settings: FetchSettings) -> FetchFailed:
    return FetchFailed(
        f"{url} is larger than {settings.max_bytes} bytes (CLAIMS_FETCH_MAX_BYTES).",
        reason="too-large",
    )


def _timed_out(url: httpx.URL, settings: FetchSettings) -> FetchFailed:
    return FetchFailed(
        f"{url} did not answer within {settings.timeout_seconds:g} seconds "
        "(CLAIMS_FETCH_TIMEOUT_SECONDS).",
        reason="timeout",
    )


def _caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False

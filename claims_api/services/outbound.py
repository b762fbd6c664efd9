"""The one rule for where the service may send a request of its own (SSRF).

Fetching article pages and delivering webhooks both send requests to URLs someone
gave the service. Without a guard, a URL naming 127.0.0.1, 10.x or 169.254.169.254
would reach the operator's own services from inside their network. So: the scheme
is http or https, every address the host resolves to must be public (unless the
operator lists the host), and the connection goes to the very address that was
judged (``pinned_request``), so a second DNS answer cannot swap in another one.
Callers turn the refusals into their own errors: a problem for the API, a failed
attempt for a delivery.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Mapping
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any

import httpx

from claims_api.config import setting_list

IPAddress = IPv4Address | IPv6Address


class AddressRefused(Exception):
    """The URL may not be sent to; ``reason`` is a short machine-readable kind."""

    def __init__(self, detail: str, reason: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.reason = reason


class HostUnresolved(Exception):
    """The URL's host has no address (DNS failed): not a refusal, a failure."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def host_set(setting: str | Iterable[str] | None) -> frozenset[str]:
    """A comma-separated list of host names or addresses, as compared with a URL's host."""
    return frozenset(host.lower().strip("[]") for host in setting_list(setting))


def parsed_url(url: str) -> httpx.URL:
    """``url`` as httpx reads it; AddressRefused for a host that is no name."""
    try:
        return httpx.URL(url)
    except httpx.InvalidURL as error:
        # Unpaired surrogates, a bad IDNA label: there is nothing to ask DNS about.
        raise AddressRefused(
            f"{url!r} is not a URL a request can go to ({error}).", "bad-url"
        ) from None


def checked_address(url: httpx.URL, allowed_hosts: frozenset[str], setting: str) -> IPAddress:
    """The address to connect to for ``url``. AddressRefused when any of the host's
    addresses is not public and the host is not in ``allowed_hosts`` (named, in
    messages, as the operator's ``setting``); HostUnresolved when it has none."""
    if url.scheme not in {"http", "https"}:
        raise AddressRefused(f"Only http and https URLs are allowed, not {url.scheme}:.", "scheme")
    host = url.raw_host.decode("ascii").lower()
    if not host:
        raise AddressRefused("The URL has no host.", "no-host")
    addresses = resolve(host, url.port or (443 if url.scheme == "https" else 80))
    if host not in allowed_hosts:
        for address in addresses:
            kind = refused_kind(address)
            if kind is not None:
                raise AddressRefused(
                    f"{host} resolves to {address}, a {kind} address; the service sends "
                    f"requests to public addresses only, and to hosts listed in {setting}.",
                    f"{kind}-address",
                )
    return addresses[0]


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address of ``host`` (itself, when it is an address)."""
    try:
        return [ip_address(host)]
    except ValueError:
        pass
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise HostUnresolved(f"The host {host} could not be resolved ({error}).") from None
    addresses = list(dict.fromkeys(ip_address(answer[4][0]) for answer in answers))
    if not addresses:
        raise HostUnresolved(f"The host {host} has no address.")
    return addresses


def refused_kind(address: IPAddress) -> str | None:
    """Why ``address`` is not one to send to (None: it is public)."""
    if isinstance(address, IPv6Address):
        # An IPv4 address carried inside an IPv6 one is judged as itself.
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is not None:
            address = embedded
    # Most specific first: 127.0.0.1 and 169.254.0.1 are "private" too.
    for kind, refused in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("non-public", not address.is_global),
    ):
        if refused:
            return kind
    return None


def pinned_request(
    client: httpx.Client,
    method: str,
    url: httpx.URL,
    address: IPAddress,
    headers: Mapping[str, str],
    content: bytes | None = None,
) -> httpx.Request:
    """A request for ``url`` sent to ``address``, the one that passed the checks."""
    extensions: dict[str, Any] = {}
    if url.scheme == "https":
        # TLS is still checked against the host name, not the address dialled.
        extensions["sni_hostname"] = url.raw_host.decode("ascii")
    netloc = url.netloc.decode("ascii")
    return client.build_request(
        method,
        url.copy_with(host=str(address)),
        headers={"Host": netloc, **headers},
        content=content,
        extensions=extensions,
    )


def outbound_client(timeout_seconds: float, headers: Mapping[str, str]) -> httpx.Client:
    """An httpx client for requests of the service's own: redirects are not followed
    (each hop would need judging), environment proxies are ignored (they would connect
    elsewhere than the address judged)."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout_seconds),
        follow_redirects=False,
        trust_env=False,
        headers=dict(headers),
    )

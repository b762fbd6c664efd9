"""The fetcher's address checks, on their own: every address a host resolves to is
judged, and the request goes to the address that was judged. Nothing is sent."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest

from claims_api.services import fetching, outbound
from claims_api.services.fetching import FetchRefused, FetchSettings, checked_address

SETTINGS = FetchSettings(timeout_seconds=15, max_bytes=1024, allowed_hosts=frozenset())
PUBLIC = "93.184.215.14"


def resolving_to(monkeypatch: pytest.MonkeyPatch, *addresses: str) -> None:
    """Make every host name resolve to ``addresses``, in that order."""

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    monkeypatch.setattr(outbound.socket, "getaddrinfo", getaddrinfo)


def test_a_host_with_one_private_address_among_public_ones_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resolving_to(monkeypatch, PUBLIC, "10.0.0.7")
    with pytest.raises(FetchRefused) as refused:
        checked_address(httpx.URL("https://news.example.org/a"), SETTINGS)
    assert refused.value.extensions["reason"] == "private-address"
    assert "10.0.0.7" in refused.value.detail


def test_an_allowed_host_skips_the_check_by_its_name_only(monkeypatch: pytest.MonkeyPatch) -> None:
    resolving_to(monkeypatch, "10.0.0.7")
    allowed = FetchSettings(15, 1024, frozenset({"intranet.example"}))
    assert str(checked_address(httpx.URL("http://intranet.example/"), allowed)) == "10.0.0.7"
    with pytest.raises(FetchRefused):
        checked_address(httpx.URL("http://other.example/"), allowed)


def test_the_request_goes_to_the_checked_address_with_the_host_name_for_http_and_tls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resolving_to(monkeypatch, PUBLIC)
    with httpx.Client() as client:
        request = fetching._pinned_request(
            client, httpx.URL("https://news.example.org:8443/a?b=1"), SETTINGS, 0, {}
        )
    assert str(request.url) == f"https://{PUBLIC}:8443/a?b=1"
    assert request.headers["Host"] == "news.example.org:8443"
    assert request.extensions["sni_hostname"] == "news.example.org"


def test_another_scheme_is_refused() -> None:
    with pytest.raises(FetchRefused) as refused:
        checked_address(httpx.URL("file:///etc/passwd"), SETTINGS)
    assert refused.value.extensions["reason"] == "scheme"

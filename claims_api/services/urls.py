"""URL normalisation: one article or source per address, however the URL was written."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Query parameters that identify a campaign or a click, never the document.
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "ocid",
        "cmpid",
        "smid",
        "sr_share",
    }
)
TRACKING_PREFIXES = ("utm_",)
DEFAULT_PORTS = {"http": 80, "https": 443}


class InvalidURL(ValueError):
    pass


def normalize_url(url: str) -> str:
    """The canonical form of an http(s) URL.

    Scheme and host are lower-cased (and the host IDNA-encoded), the default
    port, the fragment, tracking parameters and a trailing slash are dropped,
    percent-encoding is normalised and the remaining query parameters sorted.
    """
    stripped = url.strip()
    parts = urlsplit(stripped)
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
        raise InvalidURL("must be an absolute http or https URL")
    try:
        canonical = urlsplit(canonicalize_url(stripped))
        port = canonical.port
    except ValueError as error:
        raise InvalidURL(f"is not a valid URL ({error})") from None
    host = canonical.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != DEFAULT_PORTS[canonical.scheme]:
        host = f"{host}:{port}"
    query = urlencode(
        [
            (name, value)
            for name, value in parse_qsl(canonical.query, keep_blank_values=True)
            if name.lower() not in TRACKING_PARAMETERS
            and not name.lower().startswith(TRACKING_PREFIXES)
        ]
    )
    return urlunsplit((canonical.scheme, host, canonical.path.rstrip("/"), query, ""))

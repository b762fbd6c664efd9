"""URL normalisation: one article or source per address, however the URL was written."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from w3lib.url import canonicalize_url

from claims_api.limits import MAX_URL_LENGTH

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
    port, the fragment, tracking parameters and trailing slashes are dropped,
    percent-encoding is normalised and the remaining query parameters sorted.
    Dropping one part can expose another (``/page;/`` → ``/page;`` → ``/page``),
    so the steps repeat until the URL stops changing: the result is a fixed point.
    The length is checked here, after normalising, so every writer (API and bulk
    import) refuses a URL longer than the column holds.
    """
    current = url.strip()
    try:
        parts = urlsplit(current)
        hostname = parts.hostname
    except ValueError as error:
        raise InvalidURL(f"is not a valid URL ({error})") from None
    if parts.scheme.lower() not in DEFAULT_PORTS or not hostname:
        raise InvalidURL("must be an absolute http or https URL")
    for _ in range(MAX_PASSES):
        normalized = _normalize_once(current)
        if normalized == current:
            break
        current = normalized
    if len(current) > MAX_URL_LENGTH:
        raise InvalidURL(f"is longer than {MAX_URL_LENGTH} characters once normalised")
    return current


MAX_PASSES = 8


def _is_tracking(parameter: str) -> bool:
    name = parameter.split("=", 1)[0].lower()
    return name in TRACKING_PARAMETERS or name.startswith(TRACKING_PREFIXES)


def _normalize_once(url: str) -> str:
    try:
        canonical = urlsplit(canonicalize_url(url))
        port = canonical.port
    except ValueError as error:
        raise InvalidURL(f"is not a valid URL ({error})") from None
    host = canonical.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != DEFAULT_PORTS[canonical.scheme]:
        host = f"{host}:{port}"
    # Filtered as raw text: decoding and re-encoding would turn escapes that are
    # not UTF-8 (%FC) into U+FFFD and merge distinct URLs.
    query = "&".join(
        parameter
        for parameter in canonical.query.split("&")
        if parameter and not _is_tracking(parameter)
    )
    return urlunsplit((canonical.scheme, host, canonical.path.rstrip("/"), query, ""))

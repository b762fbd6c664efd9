"""normalize_url: one article or source per address, however the URL was written."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from claims_api.services.urls import TRACKING_PARAMETERS, InvalidURL, normalize_url

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        pytest.param(
            "HTTPS://Example.COM/News/Story",
            "https://example.com/News/Story",
            id="scheme-host-case",
        ),
        pytest.param("https://example.com:443/story", "https://example.com/story", id="port-443"),
        pytest.param("http://example.com:80/story", "http://example.com/story", id="port-80"),
        pytest.param(
            "http://example.com:8080/story", "http://example.com:8080/story", id="port-8080-kept"
        ),
        pytest.param(
            "https://example.com:80/story", "https://example.com:80/story", id="port-80-on-https"
        ),
        pytest.param(
            "https://example.com/story#comments", "https://example.com/story", id="fragment"
        ),
        pytest.param(
            "https://example.com/story?utm_source=tw&utm_medium=social&utm_campaign=x",
            "https://example.com/story",
            id="utm-only",
        ),
        pytest.param(
            "https://example.com/story?fbclid=IwAR0&gclid=Cj0&id=7",
            "https://example.com/story?id=7",
            id="fbclid-gclid",
        ),
        pytest.param(
            "https://example.com/story?UTM_Source=tw&FBCLID=x&id=7",
            "https://example.com/story?id=7",
            id="tracking-name-case",
        ),
        pytest.param(
            "https://example.com/story?z=1&utm_source=tw&b=2&a=3",
            "https://example.com/story?a=3&b=2&z=1",
            id="kept-params-sorted",
        ),
        pytest.param(
            "https://example.com/story?utm=1&utmx=2",
            "https://example.com/story?utm=1&utmx=2",
            id="utm-without-underscore-kept",
        ),
        pytest.param(
            "https://example.com/story?b=&a=", "https://example.com/story?a=&b=", id="blank-values"
        ),
        pytest.param("https://example.com/news/", "https://example.com/news", id="trailing-slash"),
        pytest.param("https://example.com/", "https://example.com", id="root-slash"),
        pytest.param(
            "https://bücher.example/straße", "https://xn--bcher-kva.example/stra%C3%9Fe", id="idn"
        ),
        pytest.param("https://BÜCHER.example/", "https://xn--bcher-kva.example", id="idn-case"),
        pytest.param(
            "https://example.com/%7euser/a%2fb",
            "https://example.com/~user/a%2Fb",
            id="percent-path",
        ),
        pytest.param(
            "https://example.com/%e2%82%ac", "https://example.com/%E2%82%AC", id="hex-case"
        ),
        pytest.param("https://example.com/€", "https://example.com/%E2%82%AC", id="raw-unicode"),
        pytest.param("https://example.com/a b", "https://example.com/a%20b", id="space-in-path"),
        pytest.param(
            "https://example.com/s?q=%41%42&r=a%26b",
            "https://example.com/s?q=AB&r=a%26b",
            id="percent-query",
        ),
        pytest.param(
            "  https://example.com/story  \n", "https://example.com/story", id="surrounding-space"
        ),
        pytest.param("http://[::1]:8080/x", "http://[::1]:8080/x", id="ipv6-host"),
    ],
)
def test_normalize_url_gives_the_canonical_form(written: str, canonical: str) -> None:
    assert normalize_url(written) == canonical, f"{written!r} was not normalised to {canonical!r}"


@pytest.mark.parametrize(
    "written",
    [
        "ftp://example.com/file",
        "mailto:editor@example.com",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "/news/story",
        "news/story",
        "example.com/news",
        "//example.com/news",
        "https://",
        "http:///news",
        "",
        "   ",
        "https://example.com:99999/x",
        "https://example.com:port/x",
    ],
)
def test_normalize_url_rejects_what_is_not_an_absolute_http_url(written: str) -> None:
    with pytest.raises(InvalidURL):
        normalize_url(written)


def test_invalid_url_is_a_value_error_with_a_message() -> None:
    with pytest.raises(ValueError, match="http"):
        normalize_url("ftp://example.com/file")


def test_normalize_url_is_idempotent_for_a_path_ending_in_an_empty_parameter() -> None:
    once = normalize_url("https://example.com/page;/")
    assert normalize_url(once) == once, (
        f"normalising 'https://example.com/page;/' gave {once!r}, which normalises again to "
        f"{normalize_url(once)!r}: a stored URL no longer matches its own normal form"
    )


def test_normalize_url_is_idempotent_for_a_repeated_parameter_with_a_non_utf8_escape() -> None:
    once = normalize_url("https://example.com/a?x=%80&x=%C3%A9")
    assert normalize_url(once) == once, (
        f"normalising 'https://example.com/a?x=%80&x=%C3%A9' gave {once!r}, which normalises "
        f"again to {normalize_url(once)!r}: the parameters were sorted before %80 was rewritten"
    )


def test_normalize_url_keeps_undecodable_query_escapes_distinct() -> None:
    # Legacy sites put Latin-1 bytes in query strings: M%FCller and M%E9ller are two pages.
    mueller = normalize_url("https://example.com/search?q=M%FCller")
    meller = normalize_url("https://example.com/search?q=M%E9ller")
    assert mueller != meller, (
        "two URLs that differ only in a non-UTF-8 percent escape of a query value were both "
        f"normalised to {mueller!r}: the bytes were replaced, so two pages share one URL"
    )
    assert mueller == "https://example.com/search?q=M%FCller", (
        "a percent escape that is not UTF-8 should be kept as it is (upper-case hex), "
        f"got {mueller!r}"
    )


# ---------------------------------------------------------------- properties

ASCII_LABEL = st.from_regex(r"\A[a-zA-Z0-9]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?\Z")
IDN_HOSTS = st.sampled_from(
    ["bücher.example", "BÜCHER.Example", "пример.рф", "例え.jp", "münchen.de", "xn--bcher-kva.de"]
)
ASCII_HOSTS = st.builds(
    lambda labels, tld: ".".join([*labels, tld]),
    st.lists(ASCII_LABEL, min_size=1, max_size=3),
    st.from_regex(r"\A[a-zA-Z]{2,6}\Z"),
)
IPV4_HOSTS = st.builds(
    lambda parts: ".".join(map(str, parts)), st.lists(st.integers(0, 255), min_size=4, max_size=4)
)
HOSTS = st.one_of(ASCII_HOSTS, IDN_HOSTS, IPV4_HOSTS)
PORTS = st.one_of(st.none(), st.sampled_from([80, 443, 8080, 8443]), st.integers(1, 65535))
SCHEMES = st.sampled_from(["http", "https", "HTTP", "Https"])

PERCENT_ESCAPE = st.builds(
    lambda byte, upper: f"%{byte:02X}" if upper else f"%{byte:02x}",
    st.integers(0, 255),
    st.booleans(),
)
# What people paste: unreserved and reserved characters, non-ASCII, escapes. (White space
# only escaped: normalize_url strips a pasted URL's surrounding white space on purpose.)
RAW_CHARS = st.sampled_from(list("aZ09-._~!$'()*,;:@+=é€中😀"))
PATH_SEGMENT = st.lists(st.one_of(RAW_CHARS, PERCENT_ESCAPE), max_size=8).map("".join)
PATHS = st.builds(
    lambda segments, trailing: "/" + "/".join(segments) + ("/" if trailing else ""),
    st.lists(PATH_SEGMENT, max_size=4),
    st.booleans(),
)
PARAM_NAME = st.from_regex(r"\A[a-zA-Z][a-zA-Z0-9_]{0,7}\Z").filter(
    lambda name: name.lower() not in TRACKING_PARAMETERS and not name.lower().startswith("utm_")
)
# Query text: anything but the separators '&' and '#', written raw or escaped.
QUERY_TEXT = st.lists(
    st.one_of(RAW_CHARS, st.sampled_from(list("/?")), PERCENT_ESCAPE), max_size=8
).map("".join)
PARAMS = st.lists(st.tuples(PARAM_NAME, QUERY_TEXT), max_size=4)

TRACKING_NAME = st.one_of(
    st.sampled_from(sorted(TRACKING_PARAMETERS)),
    st.from_regex(r"\Autm_[a-z]{0,10}\Z"),
).flatmap(lambda name: st.sampled_from([name, name.upper(), name.capitalize()]))
TRACKING_VALUE = st.text(max_size=20).map(lambda text: quote(text, safe=""))


def build_url(
    scheme: str,
    host: str,
    port: int | None,
    path: str,
    params: list[tuple[str, str]],
    fragment: str | None = None,
) -> str:
    url = f"{scheme}://{host}" + (f":{port}" if port is not None else "") + path
    if params:
        url += "?" + "&".join(f"{name}={value}" for name, value in params)
    if fragment is not None:
        url += "#" + fragment
    return url


URLS = st.builds(build_url, SCHEMES, HOSTS, PORTS, PATHS, PARAMS)


@PROPERTY_SETTINGS
@given(url=URLS)
@example(url="https://example.com/a?x=%80&x=%C3%A9")
@example(url="https://example.com/page;/")
def test_normalize_url_is_idempotent(url: str) -> None:
    once = normalize_url(url)
    assert normalize_url(once) == once, f"normalising {url!r} twice changed {once!r}"


@PROPERTY_SETTINGS
@given(url=URLS)
def test_normalized_url_is_lower_case_http_without_fragment_or_tracking(url: str) -> None:
    once = normalize_url(url)
    parts = urlsplit(once)
    assert parts.scheme in {"http", "https"}, f"{once!r} lost its lower-case http(s) scheme"
    assert parts.netloc == parts.netloc.lower(), f"{once!r} kept upper case in its host"
    assert "#" not in once, f"{once!r} kept a fragment"
    names = [name.lower() for name, _ in parse_qsl(parts.query, keep_blank_values=True)]
    tracking = [n for n in names if n in TRACKING_PARAMETERS or n.startswith("utm_")]
    assert not tracking, f"{once!r} kept the tracking parameters {tracking}"


@PROPERTY_SETTINGS
@given(
    scheme=SCHEMES,
    host=HOSTS,
    port=PORTS,
    path=PATHS,
    params=PARAMS,
    tracking=st.lists(st.tuples(TRACKING_NAME, TRACKING_VALUE), min_size=1, max_size=3),
    data=st.data(),
)
def test_adding_tracking_parameters_never_changes_the_normalized_url(
    scheme: str,
    host: str,
    port: int | None,
    path: str,
    params: list[tuple[str, str]],
    tracking: list[tuple[str, str]],
    data: st.DataObject,
) -> None:
    plain = build_url(scheme, host, port, path, params)
    tracked_params = list(params)
    for parameter in tracking:
        tracked_params.insert(data.draw(st.integers(0, len(tracked_params))), parameter)
    tracked = build_url(scheme, host, port, path, tracked_params)
    assert normalize_url(tracked) == normalize_url(plain), (
        f"tracking parameters changed the result: {tracked!r} -> {normalize_url(tracked)!r}, "
        f"but {plain!r} -> {normalize_url(plain)!r}"
    )


@PROPERTY_SETTINGS
@given(url=URLS, fragment=st.text(max_size=30))
def test_adding_a_fragment_never_changes_the_normalized_url(url: str, fragment: str) -> None:
    assert normalize_url(f"{url}#{fragment}") == normalize_url(url), (
        f"the fragment {fragment!r} changed the normalised form of {url!r}"
    )


def test_url_longer_than_the_column_once_normalised_is_refused() -> None:
    # 1,000 "é" are 1,019 characters as written and 6,019 once percent-encoded.
    written = "https://example.com/" + "é" * 1000

    with pytest.raises(InvalidURL, match="longer than 2048 characters once normalised"):
        normalize_url(written)


def test_url_at_the_column_width_once_normalised_is_kept() -> None:
    written = "https://example.com/" + "a" * (2048 - len("https://example.com/"))

    assert normalize_url(written) == written

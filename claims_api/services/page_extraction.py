"""An article's text and metadata out of its HTML page, with trafilatura and htmldate.

The text is the article body without the page around it (navigation, footers,
comments, cookie banners): trafilatura is built and benchmarked for exactly that.
Paragraphs are joined by blank lines, as bodies written by hand are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import htmldate
import trafilatura
from trafilatura.settings import Document
from trafilatura.utils import load_html

from claims_api.services.fetching import FetchFailed, Page
from claims_api.services.urls import InvalidURL, normalize_url

if TYPE_CHECKING:
    from lxml.html import HtmlElement

MAX_TITLE = 1000
MAX_NAME = 300
MAX_AUTHORS = 100
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"


@dataclass(frozen=True)
class ExtractedArticle:
    body: str
    # Article fields found in the page (title, authors, publisher, published_at).
    fields: dict[str, Any]
    modified_at: datetime | None
    # The page's own URLs for itself (rel=canonical, og:url), normalised.
    canonical_urls: list[str]


def extract_article(page: Page) -> ExtractedArticle:
    """The article in ``page``; FetchFailed when the page holds no article text."""
    assert page.content is not None
    html: str | bytes = page.content
    if page.encoding:
        html = page.content.decode(page.encoding, errors="replace")
    tree = load_html(html)
    if tree is None:
        raise FetchFailed(f"{page.url} could not be parsed as HTML.", reason="no-text")
    canonical = _canonical_urls(tree, page.url)
    # Each library parses the page itself: both clean the tree they are given in place.
    published = _date(html, original=True)
    modified = _date(html, original=False)
    document = trafilatura.bare_extraction(
        html,
        url=page.url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        favor_precision=True,
        deduplicate=False,
    )
    text = document.text if isinstance(document, Document) else None
    # NUL is text no database stores; a page may hold it.
    text = (text or "").replace("\x00", "")
    paragraphs = [line.strip() for line in text.splitlines() if line.strip()]
    if not isinstance(document, Document) or not paragraphs:
        raise FetchFailed(f"No article text was found in {page.url}.", reason="no-text")
    title = (document.title or page.url).replace("\x00", "").strip()
    fields: dict[str, Any] = {"title": title[:MAX_TITLE] or page.url[:MAX_TITLE]}
    authors = _authors(document.author)
    if authors:
        fields["authors"] = authors
    if document.sitename:
        fields["publisher"] = document.sitename.strip()[:MAX_NAME]
    if published is not None:
        fields["published_at"] = published
    return ExtractedArticle(
        body="\n\n".join(paragraphs),
        fields=fields,
        modified_at=modified if modified is not None and modified != published else None,
        canonical_urls=canonical,
    )


def _authors(names: str | None) -> list[str]:
    """trafilatura joins authors with "; "."""
    found = [name.strip()[:MAX_NAME] for name in (names or "").split(";") if name.strip()]
    return list(dict.fromkeys(found))[:MAX_AUTHORS]


def _canonical_urls(tree: HtmlElement, base: str) -> list[str]:
    hrefs = tree.xpath(
        '//link[contains(concat(" ", normalize-space(@rel), " "), " canonical ")]/@href'
        ' | //meta[@property="og:url"]/@content'
    )
    urls = []
    for href in hrefs:
        try:
            urls.append(normalize_url(urljoin(base, str(href).strip())))
        except (InvalidURL, ValueError):
            continue  # a page's own broken markup does not stop the fetch
    return list(dict.fromkeys(urls))


def _date(html: str | bytes, *, original: bool) -> datetime | None:
    """The publication date (``original``) or the last modification's, from the
    page's markup (meta tags, JSON-LD, time elements), not guessed from its text."""
    found = htmldate.find_date(
        html, original_date=original, extensive_search=False, outputformat=DATE_FORMAT
    )
    if not found:
        return None
    moment = datetime.fromisoformat(found)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

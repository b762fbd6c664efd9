"""Reading import inputs as a stream of records, whatever their format.

JSON Lines are read line by line; JSON arrays, ``@graph`` lists and DataFeeds
item by item with ijson, so memory does not grow with the file. HTML pages give
their ``<script type="application/ld+json">`` blocks. Each record carries where
it came from (``line 12``, a JSON pointer such as ``/@graph/3``) for the report.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import IO, Any

import ijson

HTML_CHUNK = 64 * 1024
FORMATS = ("jsonl", "json", "html")
MEDIA_TYPES = {
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/json": "json",
    "application/ld+json": "json",
    "text/html": "html",
}


@dataclass(frozen=True)
class Record:
    """One input record: parsed JSON, or the raw bytes of a JSON Lines line."""

    location: str
    data: Any


@dataclass(frozen=True)
class ReadError:
    location: str
    reason: str


def first_line(error: Exception) -> str:
    """A parser's message without the excerpt some parsers draw below it."""
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def detect_format(name: str, head: bytes) -> str:
    """The format of an input, from its name's extension or else its first bytes."""
    lowered = name.lower()
    for suffixes, found in (
        ((".jsonl", ".ndjson"), "jsonl"),
        ((".html", ".htm"), "html"),
        ((".json", ".jsonld"), "json"),
    ):
        if lowered.endswith(suffixes):
            return found
    text = head.lstrip()
    if text.startswith(b"<") or (text[:1] not in (b"{", b"[") and b"<script" in head.lower()):
        return "html"
    first_line, _, rest = text.partition(b"\n")
    if rest.strip():
        try:
            json.loads(first_line)
        except ValueError:
            return "json"
        return "jsonl"
    return "json"


def read_records(stream: IO[bytes], input_format: str) -> Iterator[Record | ReadError]:
    if stream.read(len(codecs.BOM_UTF8)) != codecs.BOM_UTF8:
        stream.seek(0)  # no byte-order mark to skip
    if input_format == "jsonl":
        yield from _json_lines(stream)
    elif input_format == "html":
        yield from _html(stream)
    else:
        yield from _json(stream)


def _json_lines(stream: IO[bytes]) -> Iterator[Record]:
    """Each non-blank line, still as bytes: it is parsed and validated in one step later."""
    for number, line in enumerate(stream, start=1):
        if line.strip():
            yield Record(f"line {number}", line)


MAX_DEPTH = 64


class TooDeep(ValueError):
    pass


def _top_level_keys(stream: IO[bytes]) -> set[str]:
    """The keys of the top-level object (if it is one), read as bare events.

    Also refuses nesting deeper than MAX_DEPTH before anything builds values:
    ijson's item paths grow with the square of the depth.
    """
    keys: set[str] = set()
    depth = 0
    for event, value in ijson.basic_parse(stream):
        if event in ("start_map", "start_array"):
            depth += 1
            if depth > MAX_DEPTH:
                raise TooDeep(f"nested deeper than {MAX_DEPTH} levels")
        elif event in ("end_map", "end_array"):
            depth -= 1
        elif event == "map_key" and depth == 1:
            keys.add(value)
    return keys


def _json(stream: IO[bytes]) -> Iterator[Record | ReadError]:
    """A JSON document: one object, an array of them, an @graph or a DataFeed."""
    start = stream.tell()
    try:
        keys = _top_level_keys(stream)
        stream.seek(start)
        if stream.read(64).lstrip()[:1] == b"[":
            stream.seek(start)
            yield from _items(stream, "item", "")
            return
        stream.seek(start)
        if "@graph" in keys:
            yield from _items(stream, "@graph.item", "/@graph")
        elif "dataFeedElement" in keys:
            yield from _data_feed(ijson.items(stream, "dataFeedElement.item", use_float=True), "")
        else:
            yield Record("/", json.load(stream))
    except TooDeep as error:
        yield ReadError("/", str(error))
    except (ijson.JSONError, ValueError, RecursionError) as error:
        yield ReadError("/", f"invalid JSON: {first_line(error)}")


def _items(stream: IO[bytes], prefix: str, pointer: str) -> Iterator[Record]:
    for index, item in enumerate(ijson.items(stream, prefix, use_float=True)):
        yield Record(f"{pointer}/{index}", item)


def _data_feed(elements: Iterator[Any], pointer: str) -> Iterator[Record]:
    """The items of a schema.org DataFeed: each element, or the item(s) it wraps."""
    for index, element in enumerate(elements):
        location = f"{pointer}/dataFeedElement/{index}"
        wrapped = element.get("item") if isinstance(element, dict) else None
        if wrapped is None:
            yield Record(location, element)
        elif isinstance(wrapped, list):
            for position, item in enumerate(wrapped):
                yield Record(f"{location}/item/{position}", item)
        else:
            yield Record(f"{location}/item", wrapped)


def expand_json_ld(value: Any, pointer: str) -> Iterator[Record]:
    """Records of an in-memory JSON-LD value: an object, an array, an @graph, a DataFeed."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from expand_json_ld(item, f"{pointer}/{index}")
    elif isinstance(value, dict) and isinstance(value.get("@graph"), list):
        yield from expand_json_ld(value["@graph"], f"{pointer}/@graph")
    elif isinstance(value, dict) and isinstance(value.get("dataFeedElement"), list):
        yield from _data_feed(iter(value["dataFeedElement"]), pointer)
    else:
        yield Record(pointer or "/", value)


class _LdJsonScripts(HTMLParser):
    """Collects the text of each ``<script type="application/ld+json">`` block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[int, str]] = []
        self._current: list[str] | None = None
        self._line = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kind = (dict(attrs).get("type") or "").split(";")[0].strip().lower()
        if tag == "script" and kind == "application/ld+json":
            self._current, self._line = [], self.getpos()[0]

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._current.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._current is not None:
            self.blocks.append((self._line, "".join(self._current)))
            self._current = None


def _html(stream: IO[bytes]) -> Iterator[Record | ReadError]:
    parser = _LdJsonScripts()
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    count = 0
    while chunk := stream.read(HTML_CHUNK):
        parser.feed(decoder.decode(chunk))
        blocks, parser.blocks = parser.blocks, []
        for line, text in blocks:
            count += 1
            where = f"script {count} (line {line})"
            try:
                value = json.loads(text)
            except (ValueError, RecursionError) as error:
                yield ReadError(where, f"invalid JSON-LD: {first_line(error)}")
                continue
            for record in expand_json_ld(value, ""):
                pointer = "" if record.location == "/" else record.location
                yield Record(f"{where}{pointer}", record.data)
    parser.close()
    if count == 0:
        yield ReadError("/", 'no <script type="application/ld+json"> block in the page')

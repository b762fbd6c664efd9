"""Reading import inputs as a stream of records, whatever their format.

JSON Lines are read line by line; JSON arrays, ``@graph`` lists and DataFeeds
item by item with ijson, so memory does not grow with the file. HTML pages give
their ``<script type="application/ld+json">`` blocks. Each record carries where
it came from (``line 12``, a JSON pointer such as ``/@graph/3``) for the report.

No record is held in memory past ``IMPORT_MAX_RECORD_BYTES`` of input: a larger
one is reported as an error at its location and skipped, the rest still stream.
Nor is a longer JSON string, in a record or between them: ``_ShortStrings`` cuts
it before the parser builds it.
Nothing a client sends may crash the process, so ijson's C backend only ever runs
with ``use_float=True``: without it, it turns each integer into a Python int with
``PyLong_FromString`` and, when that fails (an integer past the interpreter's
4,300-digit limit), passes the NULL result on unchecked and the process dies
with SIGSEGV. With ``use_float=True`` yajl parses numbers itself and reports an
out-of-range one as a parse error.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from itertools import count
from typing import IO, Any

import ijson
import msgspec
from flask import current_app, has_app_context

from claims_api.schemas.common import unstorable_paths

HTML_CHUNK = 64 * 1024
# The default of CLAIMS_IMPORT_MAX_RECORD_BYTES: parsed, a record takes about 8
# times its size, so this keeps one record near 128 MB.
MAX_RECORD_BYTES = 16 * 1024 * 1024
# Where a record may start in a JSON document, as ijson names the path.
RECORD_PREFIXES = ("item", "@graph.item", "dataFeedElement.item")
CONTAINER_STARTS = frozenset({"start_map", "start_array"})
CONTAINER_ENDS = frozenset({"end_map", "end_array"})
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


def record_limit() -> int:
    """The configured bound on one record's size, in bytes of input."""
    if has_app_context():
        return int(current_app.config.get("IMPORT_MAX_RECORD_BYTES", MAX_RECORD_BYTES))
    return MAX_RECORD_BYTES


def too_large(limit: int) -> str:
    return f"the record is larger than the limit of {limit} bytes (IMPORT_MAX_RECORD_BYTES)"


def read_records(
    stream: IO[bytes], input_format: str, max_record_bytes: int | None = None
) -> Iterator[Record | ReadError]:
    limit = max_record_bytes or record_limit()
    if stream.read(len(codecs.BOM_UTF8)) != codecs.BOM_UTF8:
        stream.seek(0)  # no byte-order mark to skip
    if input_format == "jsonl":
        yield from _json_lines(stream, limit)
    elif input_format == "html":
        yield from _html(stream, limit)
    else:
        yield from _json(stream, limit)


def _json_lines(stream: IO[bytes], limit: int) -> Iterator[Record | ReadError]:
    """Each non-blank line, still as bytes: it is parsed and validated in one step later.

    A line is read up to ``limit`` bytes; the rest of a longer one is skipped
    piece by piece, so a file without newlines never sits in memory whole.
    """
    for number in count(1):
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not line.endswith(b"\n"):
            while (rest := stream.readline(HTML_CHUNK)) and not rest.endswith(b"\n"):
                pass
            yield ReadError(f"line {number}", too_large(limit))
        elif line.strip():
            yield Record(f"line {number}", line)


MAX_DEPTH = 64


class TooDeep(ValueError):
    pass


# What yajl (and ijson's UTF-8 decoding after it) accepts between the quotes of a
# string, token by token: plain characters, well-formed UTF-8, escapes. A high
# surrogate escape counts as a token only with its low half, or alone where no
# other \\u escape follows (yajl turns a lone one into "?", and would join it
# with any escape that follows). Only content matched by this is ever cut out,
# so a cut never hides an error the parser would have reported.
_PLAIN = rb"[\x20\x21\x23-\x5b\x5d-\x7f]"
_HEX = rb"[0-9a-fA-F]"
_HIGH = rb"\\u[dD][89abAB]" + _HEX + rb"{2}"
_TOKEN = b"|".join(
    [
        rb"[\xc2-\xdf][\x80-\xbf]",
        rb"\xe0[\xa0-\xbf][\x80-\xbf]",
        rb"[\xe1-\xec\xee\xef][\x80-\xbf]{2}",
        rb"\xed[\x80-\x9f][\x80-\xbf]",
        rb"\xf0[\x90-\xbf][\x80-\xbf]{2}",
        rb"[\xf1-\xf3][\x80-\xbf]{3}",
        rb"\xf4[\x80-\x8f][\x80-\xbf]{2}",
        rb'\\["\\/bfnrt]',
        rb"\\u(?![dD][89a-fA-F])" + _HEX + rb"{4}",
        _HIGH + rb"\\u[dD][c-fC-F]" + _HEX + rb"{2}",
        _HIGH + rb"(?=[^\\]|\\[^u])",
    ]
)
_CONTENT = _PLAIN + rb"*(?:(?:" + _TOKEN + rb")" + _PLAIN + rb"*)*"
_STRING_CONTENT = re.compile(_CONTENT)
# Outside strings: everything up to a string that does not end, valid, in the data.
_UNTIL_OPEN_STRING = re.compile(rb'[^"]*(?:"' + _CONTENT + rb'"[^"]*)*')
# Inside a string whose content is not valid: up to its closing quote, escapes skipped.
_UNTIL_QUOTE = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*', re.DOTALL)
# The longest token (an escaped surrogate pair), less one: a shorter remainder at
# the end of the data may be a token the read split.
_PARTIAL = 11
_QUOTE = ord('"')


class _ShortStrings:
    """A JSON byte stream with every string cut to just over ``limit`` bytes; counts what it read.

    yajl builds each string whole before ijson sees it, so one 256 MiB string
    costs twice that however the events are used. Past ``longest`` bytes (more
    than a record may hold) the rest of a string's content is dropped before the
    parser sees it: ``cut`` counts the strings shortened. Only content that is
    valid, whole tokens is dropped, so the parser reports the same errors.
    ``consumed`` counts the bytes read from ``stream``, to measure records.
    """

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self.stream = stream
        # The parser reads in pieces of a 64th of the limit, so records are
        # measured to within that; a string cut past ``longest`` makes its
        # record measure over the limit.
        self.buffer = min(HTML_CHUNK, max(256, limit // 64))
        self.longest = limit + self.buffer
        self.consumed = 0
        self.cut = 0
        self._in_string = False
        self._length = 0  # content bytes of the open string so far
        self._cutting = False
        self._invalid = False  # the open string holds invalid content: nothing is cut
        # The end of the last read, where a token may be split: scanned again
        # with the next read; passed on already unless a cut starts after it.
        self._tail = b""
        self._tail_passed = False

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""
        while True:
            data = self.stream.read(size)
            self.consumed += len(data)
            tail, passed = self._tail, self._tail_passed
            if not data:
                self._tail = b""
                return b"" if passed else tail
            kept = self._filter(tail + data)[len(tail) if passed else 0 :]
            if kept:
                return kept

    def _filter(self, data: bytes) -> bytes:
        """``data`` as the parser is to see it; up to the cut, the same bytes."""
        kept: list[bytes] = []
        position, end, self._tail = 0, len(data), b""
        while position < end:
            if not self._in_string:
                stop = _matched(_UNTIL_OPEN_STRING, data, position)
                kept.append(data[position : stop + 1])
                if stop < end:  # at the quote that opens a string
                    self._in_string, self._length = True, 0
                    self._cutting = self._invalid = False
                position = stop + 1
                continue
            pattern = _UNTIL_QUOTE if self._invalid else _STRING_CONTENT
            stop = _matched(pattern, data, position)
            if not self._cutting:
                kept.append(data[position:stop])
            self._length += stop - position
            if stop < end and data[stop] == _QUOTE:
                kept.append(b'"')
                self._in_string, position = False, stop + 1
            elif end - stop > _PARTIAL:
                # Not valid content: passed on whole, for the parser to report.
                self._invalid, self._cutting, position = True, False, stop
            else:  # the data ends in the string, maybe inside a token
                if self._length >= self.longest and not self._invalid:
                    self.cut += not self._cutting
                    self._cutting = True
                self._tail, self._tail_passed = data[stop:], not self._cutting
                if self._tail_passed:
                    kept.append(self._tail)
                position = end
        return b"".join(kept)


def _matched(pattern: re.Pattern[bytes], data: bytes, position: int) -> int:
    """Where ``pattern``, which matches the empty string too, stops matching."""
    return pattern.match(data, position).end()  # type: ignore[union-attr]


@dataclass
class _Layout:
    """What a first pass over a JSON document found, before anything builds values."""

    keys: set[str]
    size: int
    # Per record prefix, the indices of the records larger than the limit.
    oversized: dict[str, set[int]]


def _layout(stream: IO[bytes], limit: int) -> _Layout:
    """The top-level keys, the size, and the records over ``limit``, from bare events.

    Also refuses nesting deeper than MAX_DEPTH: ijson's item paths grow with the
    square of the depth. A string record is over the limit when it was cut.
    """
    reader = _ShortStrings(stream, limit)
    keys: set[str] = set()
    depth = 0
    index = dict.fromkeys(RECORD_PREFIXES, -1)
    started: dict[str, int] = {}
    oversized: dict[str, set[int]] = {prefix: set() for prefix in RECORD_PREFIXES}
    cut = 0
    for prefix, event, value in ijson.parse(reader, use_float=True, buf_size=reader.buffer):
        if event in CONTAINER_STARTS:
            depth += 1
            if depth > MAX_DEPTH:
                raise TooDeep(f"nested deeper than {MAX_DEPTH} levels")
        elif event in CONTAINER_ENDS:
            depth -= 1
        elif event == "map_key" and depth == 1:
            keys.add(value)
        if prefix in index:
            if event in CONTAINER_ENDS:
                if reader.consumed - started.pop(prefix) > limit:
                    oversized[prefix].add(index[prefix])
            elif event != "map_key":
                index[prefix] += 1
                if event in CONTAINER_STARTS:
                    started[prefix] = reader.consumed
                elif reader.cut > cut:
                    oversized[prefix].add(index[prefix])
        cut = reader.cut
    return _Layout(keys, reader.consumed, oversized)


def _json(stream: IO[bytes], limit: int) -> Iterator[Record | ReadError]:
    """A JSON document: one object, an array of them, an @graph or a DataFeed."""
    start = stream.tell()
    try:
        layout = _layout(stream, limit)
        stream.seek(start)
        if stream.read(64).lstrip()[:1] == b"[":
            prefix, pointer = "item", ""
        elif "@graph" in layout.keys:
            prefix, pointer = "@graph.item", "/@graph"
        elif "dataFeedElement" in layout.keys:
            prefix, pointer = "dataFeedElement.item", "/dataFeedElement"
        elif layout.size > limit:
            yield ReadError("/", too_large(limit))
            return
        else:
            stream.seek(start)
            yield from _checked("/", json.load(stream))
            return
        stream.seek(start)
        items = _items(_ShortStrings(stream, limit), prefix, layout.oversized[prefix])
        if prefix == "dataFeedElement.item":
            yield from _data_feed(items, "", limit)
        else:
            for index, item in items:
                if item is _OVERSIZED:
                    yield ReadError(f"{pointer}/{index}", too_large(limit))
                else:
                    yield from _checked(f"{pointer}/{index}", item)
    except TooDeep as error:
        yield ReadError("/", str(error))
    except (ijson.JSONError, ValueError, RecursionError) as error:
        yield ReadError("/", f"invalid JSON: {first_line(error)}")


# Stands in for a record too large to build.
_OVERSIZED = object()


def _items(stream: _ShortStrings, prefix: str, oversized: set[int]) -> Iterator[tuple[int, Any]]:
    """Each record under ``prefix`` with its index; ``_OVERSIZED`` for those in ``oversized``.

    Without oversized records ijson builds the items in C; with some, the events
    of those are dropped before the builder sees them. ``stream`` is read in
    the pieces the first pass read, so it cuts the same strings, all in records
    it found oversized or outside records.
    """
    if not oversized:
        yield from enumerate(ijson.items(stream, prefix, use_float=True, buf_size=stream.buffer))
        return
    kept = (index for index in count() if index not in oversized)
    parsed = ijson.parse(stream, use_float=True, buf_size=stream.buffer)
    events = _skipping(parsed, prefix, oversized)
    position = 0
    for index, item in zip(kept, ijson.items(events, prefix), strict=False):
        for skipped in range(position, index):
            yield skipped, _OVERSIZED
        yield index, item
        position = index + 1
    for skipped in sorted(index for index in oversized if index >= position):
        yield skipped, _OVERSIZED


def _skipping(
    events: Iterator[tuple[str, str, Any]], prefix: str, oversized: set[int]
) -> Iterator[tuple[str, str, Any]]:
    """The events of a document without those of the records numbered in ``oversized``."""
    index, skipping = -1, False
    for event in events:
        at_record = event[0] == prefix
        if skipping:
            skipping = not (at_record and event[1] in CONTAINER_ENDS)
            continue
        if at_record and event[1] not in CONTAINER_ENDS and event[1] != "map_key":
            index += 1
            if index in oversized:
                skipping = event[1] in CONTAINER_STARTS
                continue
        yield event


def _checked(location: str, value: Any) -> Iterator[Record | ReadError]:
    """The record, unless a string in it holds an unpaired UTF-16 surrogate.

    Python's json module lets ``"\ud800"`` through; no database can store it.
    Encoding with msgspec finds one at C speed; only then is the record walked
    to name the field.
    """
    try:
        msgspec.json.encode(value)
    except UnicodeEncodeError:
        where = next(unstorable_paths(value), ("", ""))
        pointer = "".join(f"/{part}" for part in where[0]) if where[0] else ""
        yield ReadError(f"{location.rstrip('/')}{pointer}" or "/", where[1])
        return
    yield Record(location, value)


def _data_feed(
    elements: Iterator[tuple[int, Any]], pointer: str, limit: int
) -> Iterator[Record | ReadError]:
    """The items of a schema.org DataFeed: each element, or the item(s) it wraps."""
    for index, element in elements:
        location = f"{pointer}/dataFeedElement/{index}"
        if element is _OVERSIZED:
            yield ReadError(location, too_large(limit))
            continue
        wrapped = element.get("item") if isinstance(element, dict) else None
        if wrapped is None:
            yield from _checked(location, element)
        elif isinstance(wrapped, list):
            for position, item in enumerate(wrapped):
                yield from _checked(f"{location}/item/{position}", item)
        else:
            yield from _checked(f"{location}/item", wrapped)


def expand_json_ld(value: Any, pointer: str) -> Iterator[Record | ReadError]:
    """Records of an in-memory JSON-LD value: an object, an array, an @graph, a DataFeed."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from expand_json_ld(item, f"{pointer}/{index}")
    elif isinstance(value, dict) and isinstance(value.get("@graph"), list):
        yield from expand_json_ld(value["@graph"], f"{pointer}/@graph")
    elif isinstance(value, dict) and isinstance(value.get("dataFeedElement"), list):
        yield from _data_feed(enumerate(value["dataFeedElement"]), pointer, MAX_RECORD_BYTES)
    else:
        yield from _checked(pointer or "/", value)


# Kept of an over-long stretch of HTML: enough of its start for the parser to
# know what construct it is in, and of its end to find where that closes.
HTML_KEEP = 256


class _LdJsonScripts(HTMLParser):
    """Collects the text of each ``<script type="application/ld+json">`` block.

    A block over ``limit`` characters is collected as None. HTMLParser keeps an
    unterminated construct (a script without ``<``, a comment, a tag) whole in
    its buffer and searches it again on every feed; ``bound_buffer`` cuts the
    middle out of one that grows past the limit, so neither memory nor time grows
    with it.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(convert_charrefs=True)
        self.limit = limit
        self.blocks: list[tuple[int, str | None]] = []
        self._current: list[str] | None = None
        self._size = 0
        self._line = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kind = (dict(attrs).get("type") or "").split(";")[0].strip().lower()
        if tag == "script" and kind == "application/ld+json":
            self._current, self._size, self._line = [], 0, self.getpos()[0]

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._size += len(data)
            if self._size <= self.limit:
                self._current.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._current is not None:
            text = "".join(self._current) if self._size <= self.limit else None
            self.blocks.append((self._line, text))
            self._current = None

    def bound_buffer(self) -> None:
        if len(self.rawdata) > self.limit:
            if self._current is not None:
                self._size = self.limit + 1
            self.rawdata = self.rawdata[:HTML_KEEP] + self.rawdata[-HTML_KEEP:]


def _html(stream: IO[bytes], limit: int) -> Iterator[Record | ReadError]:
    parser = _LdJsonScripts(limit)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    found = 0
    while True:
        chunk = stream.read(HTML_CHUNK)
        parser.feed(decoder.decode(chunk, final=not chunk))
        parser.bound_buffer()
        if not chunk:
            parser.close()
        blocks, parser.blocks = parser.blocks, []
        for line, text in blocks:
            found += 1
            where = f"script {found} (line {line})"
            if text is None:
                yield ReadError(where, too_large(limit))
                continue
            try:
                value = json.loads(text)
            except (ValueError, RecursionError) as error:
                yield ReadError(where, f"invalid JSON-LD: {first_line(error)}")
                continue
            for record in expand_json_ld(value, ""):
                pointer = "" if record.location == "/" else record.location
                if isinstance(record, ReadError):
                    yield ReadError(f"{where}{pointer}", record.reason)
                else:
                    yield Record(f"{where}{pointer}", record.data)
        if not chunk:
            break
    if found == 0:
        yield ReadError("/", 'no <script type="application/ld+json"> block in the page')

"""Opening import inputs as seekable binary streams that report how far they have been read."""

from __future__ import annotations

import io
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

SPOOL_IN_MEMORY = 8 * 1024 * 1024


class _CountingReader(io.RawIOBase):
    """A raw stream that calls ``on_read(n)`` for every n bytes read through it."""

    def __init__(self, raw: IO[bytes], on_read: Callable[[int], None]) -> None:
        self._raw = raw
        self._on_read = on_read

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        if data:
            self._on_read(len(data))
        return len(data)


def spooled_stdin() -> IO[bytes]:
    """Standard input copied to a temporary file: readers need to seek, pipes cannot."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    shutil.copyfileobj(sys.stdin.buffer, spool)
    spool.seek(0)
    return spool


def counting(raw: IO[bytes], on_read: Callable[[int], None]) -> io.BufferedReader:
    """``raw`` behind a buffer (readline, peek, iteration) that reports bytes read."""
    return io.BufferedReader(_CountingReader(raw, on_read), buffer_size=256 * 1024)


def input_size(path: Path | None, stream: IO[bytes]) -> int | None:
    if path is not None:
        return path.stat().st_size
    position = stream.tell()
    size = stream.seek(0, io.SEEK_END)
    stream.seek(position)
    return size

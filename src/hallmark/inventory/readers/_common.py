"""Shared helpers for the format readers: a bounded file cursor and result caps."""

from __future__ import annotations

import struct
from typing import BinaryIO

MAX_LISTED = 1000  # entries listed in a result (tensors, columns, inputs); counts give the rest
MAX_TEXT = 2000  # characters kept of a free-text metadata value


class Truncated(Exception):
    """A read ran past the end of the file or of the enclosing structure."""


class Cursor:
    """Reads from an open binary file, refusing any read or skip beyond `end`."""

    def __init__(self, f: BinaryIO, end: int) -> None:
        self.f = f
        self.end = end
        self.pos = f.tell()

    @property
    def remaining(self) -> int:
        """Bytes left before `end`."""
        return self.end - self.pos

    def read(self, n: int, what: str) -> bytes:
        """Exactly `n` bytes, or Truncated naming what was being read."""
        if n < 0 or n > self.remaining:
            raise Truncated(f"{what} runs past the end of the file ({n} bytes claimed)")
        data = self.f.read(n)
        if len(data) != n:
            raise Truncated(f"{what} runs past the end of the file")
        self.pos += n
        return data

    def skip(self, n: int, what: str) -> None:
        """Move forward `n` bytes without reading them (payloads are never loaded)."""
        if n < 0 or n > self.remaining:
            raise Truncated(f"{what} runs past the end of the file ({n} bytes claimed)")
        self.pos += n
        self.f.seek(self.pos)

    def unpack(self, fmt: str, what: str) -> tuple[int | float, ...]:
        """struct.unpack of the next bytes (little-endian formats expected)."""
        return struct.unpack(fmt, self.read(struct.calcsize(fmt), what))

    def ints(self, fmt: str, what: str) -> tuple[int, ...]:
        """Like unpack, for integer formats."""
        return tuple(int(v) for v in self.unpack(fmt, what))


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """A string cut to `limit` characters so that results stay small."""
    return text if len(text) <= limit else text[:limit] + "…"

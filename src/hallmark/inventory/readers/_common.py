"""Shared helpers for the format readers: a bounded file cursor and result caps."""

from __future__ import annotations

import re
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
            raise Truncated(f"{what} runs past the end of the file")
        data = self.f.read(n)
        if len(data) != n:
            raise Truncated(f"{what} runs past the end of the file")
        self.pos += n
        return data

    def skip(self, n: int, what: str) -> None:
        """Move forward `n` bytes without reading them (payloads are never loaded)."""
        if n < 0 or n > self.remaining:
            raise Truncated(f"{what} runs past the end of the file")
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


_CSV_COLUMNS = re.compile(r"^CSV parse error: Expected (\d+) columns, got (\d+)")


def describe(exc: BaseException) -> str:
    """A parser's failure in fixed words. Parsers quote what they choke on (a CSV row, a YAML
    token, a gzip magic, a header field read as a number); a message must never carry a file's
    bytes, so only the failure's kind and its position (line, column, byte offset) are kept."""
    import json
    import lzma
    import struct
    import zipfile
    import zlib

    import pyarrow as pa
    import yaml

    if isinstance(exc, json.JSONDecodeError):  # its msg is one of the module's fixed phrases
        return f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    if isinstance(exc, UnicodeDecodeError):
        return f"not valid {exc.encoding} text (at byte {exc.start})"
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        return f"not valid YAML (line {mark.line + 1}, column {mark.column + 1})"
    if isinstance(exc, yaml.YAMLError):
        return "not valid YAML"
    if isinstance(exc, pa.ArrowException):
        columns = _CSV_COLUMNS.match(str(exc))
        if columns:  # counts the parser made, not bytes it read
            return f"not valid CSV: a row has {columns[2]} columns, the header {columns[1]}"
        return f"malformed or truncated file ({type(exc).__name__} from the Arrow reader)"
    if isinstance(exc, (zipfile.BadZipFile, zipfile.LargeZipFile)):
        return "not a valid zip archive"
    if isinstance(exc, (zlib.error, lzma.LZMAError)):
        return "corrupt compressed data"
    if isinstance(exc, struct.error):
        return "malformed binary structure"
    if isinstance(exc, EOFError):
        return "ends too early"
    if isinstance(exc, OSError):
        return f"cannot read: {exc.strerror}" if exc.strerror else "corrupt or unreadable data"
    if isinstance(exc, (NotImplementedError, RuntimeError)):
        return "uses an unsupported feature (encryption or compression method)"
    if isinstance(exc, ValueError):
        return "malformed value"
    return f"unreadable file ({type(exc).__name__})"

"""Metadata readers for the asset inventory: one module per file format, dispatched by suffix.

Every reader parses, never executes: no unpickling, no imports, no payload loads; each is bounded
(header sizes, counts, nesting, decompressed bytes) so a hostile file costs little. The scanner
calls `read_metadata` and nothing else.
"""

from __future__ import annotations

import json
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hallmark.errors import InputError

__all__ = ["ReaderError", "read_metadata", "SUFFIXES"]


class ReaderError(InputError):
    """The file could not be parsed; `partial` holds the metadata read before the failure."""

    def __init__(self, reason: str, partial: dict[str, Any] | None = None) -> None:
        reason = " ".join(str(reason).split()) or "unreadable file"
        super().__init__(reason)
        self.partial: dict[str, Any] = dict(partial or {})


Reader = Callable[[Path], dict[str, Any]]


def _readers() -> dict[str, Reader]:
    """Readers by lower-case suffix, from every plugin's `hallmark_readers` hook (the built-in
    ones are the default plugin `readers/plugin.py`); a later-registered plugin wins a suffix."""
    from hallmark.hooks import contributions

    table: dict[str, Reader] = {}
    for contributed in contributions("hallmark_readers"):  # oldest first: the newest wins
        if not isinstance(contributed, dict):
            continue
        for suffix, reader in contributed.items():
            if isinstance(suffix, str) and suffix.startswith(".") and callable(reader):
                table[suffix.lower()] = reader
    return table


def __getattr__(name: str) -> frozenset[str]:
    # SUFFIXES follows the registered readers, so it is computed when asked for.
    if name == "SUFFIXES":
        return frozenset(_readers())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _dispatch(path: Path, kind: str) -> dict[str, Any]:
    """Run the reader for `path`, turning the failures parsers are expected to meet into
    ReaderError; anything else (a bug) propagates so that tests can find it."""
    from pyarrow import ArrowException
    from yaml import YAMLError

    from hallmark.inventory.readers._common import Truncated, describe

    reader = _readers().get(path.suffix.lower())
    if reader is None:
        return {}
    try:
        return reader(path)
    except ReaderError:
        raise
    except Truncated as exc:
        raise ReaderError(f"truncated: {exc}") from None
    except MemoryError:
        raise ReaderError("too large to read within the memory bounds") from None
    except RecursionError:
        raise ReaderError("nested too deeply") from None
    except OSError as exc:
        raise ReaderError(describe(exc)) from None
    except (ArrowException, YAMLError, zipfile.BadZipFile, zipfile.LargeZipFile, struct.error,
            json.JSONDecodeError, UnicodeDecodeError, EOFError) as exc:
        raise ReaderError(describe(exc)) from None


def read_metadata(path: Path, kind: str) -> dict[str, Any]:
    """Metadata of one file, read without loading payloads; {} when no reader handles it."""
    try:
        return _dispatch(Path(path), kind)
    except ReaderError:
        raise
    except Exception as exc:  # the contract: a hostile file never escapes as anything else
        raise ReaderError(f"unreadable file ({type(exc).__name__})") from None

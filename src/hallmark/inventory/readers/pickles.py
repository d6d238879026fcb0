"""Pickle-based files (PyTorch, joblib, plain pickles): which globals would loading import?

Nothing is unpickled. The opcode stream is walked with pickletools' own opcode table and argument
readers, a shallow stack simulation resolves STACK_GLOBAL operands (strings pushed or memoised
earlier), and every GLOBAL / STACK_GLOBAL / INST target is compared with a small allow-list of
pure data constructors. Large literal arguments are skipped, not read, so memory stays bounded.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import os
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any

from hallmark.inventory.readers import ReaderError
from hallmark.inventory.readers._common import Truncated, describe
from hallmark.inventory.readers.pickle_ops import OpStream, Scan, scan_stream
from hallmark.inventory.readers.plugin import PICKLE_SUFFIXES as SUFFIXES

__all__ = ["SUFFIXES", "read"]

MAX_MEMBERS = 100_000  # zip entries
MAX_PICKLE_MEMBERS = 64  # .pkl members scanned in one archive
MAX_MEMBER_BYTES = 256 * 1024 * 1024  # uncompressed bytes of one .pkl member
MAX_RATIO = 200  # uncompressed/compressed size above which a member is treated as a bomb
MAX_DECOMPRESSED = 1024 * 1024 * 1024  # bytes inflated from a compressed (joblib) pickle
MAX_PICKLES = 16  # consecutive pickles in one raw stream (legacy torch.save writes five)

COMPRESSION = [(b"\x1f\x8b", "gzip"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "xz"),
               (b"\x78\x01", "zlib"), (b"\x78\x5e", "zlib"), (b"\x78\x9c", "zlib"),
               (b"\x78\xda", "zlib")]


class _ZlibReader:
    """A minimal streaming file object over a zlib stream (joblib's default compressor)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.inflater, self.buffer = raw, zlib.decompressobj(), b""

    def read(self, n: int) -> bytes:
        while len(self.buffer) < n and not self.inflater.eof:
            chunk = self.raw.read(64 * 1024)
            if not chunk:
                break
            self.buffer += self.inflater.decompress(chunk, max(n, 64 * 1024))
            while self.inflater.unconsumed_tail and len(self.buffer) < n:
                self.buffer += self.inflater.decompress(self.inflater.unconsumed_tail,
                                                        max(n, 64 * 1024))
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out


def _looks_like_pickle(head: bytes) -> bool:
    if head[:1] == b"\x80":
        return len(head) > 1 and head[1] <= 5
    return head[:1] in (b"(", b"]", b"}", b"c", b")")


def _result(container: str, scan: Scan, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"format": "pickle", "container": container}
    out.update(scan.summary())
    out.update(extra)
    return out


def _scan_raw(stream: IO[bytes] | _ZlibReader, scan: Scan, limit: int, what: str) -> None:
    """Scan consecutive pickles from `stream` until its end or non-pickle data."""
    ops = OpStream(stream, limit)
    for _ in range(MAX_PICKLES):
        if not scan_stream(ops, scan, what):
            return  # stopped at data the pickle itself embeds (joblib arrays)
        nxt = ops.peek()
        if nxt[:1] != b"\x80":
            return  # end of stream or trailing payload (legacy torch storages)


def _read_zip(path: Path) -> dict[str, Any]:
    scan = Scan()
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_MEMBERS:
                raise ReaderError(f"zip has {len(infos)} members (at most {MAX_MEMBERS})")
            pickles = [i for i in infos if i.filename.endswith(".pkl") and not i.is_dir()]
            for info in pickles[:MAX_PICKLE_MEMBERS]:
                if info.file_size > MAX_MEMBER_BYTES or (
                        info.file_size > 1024 * 1024
                        and info.file_size > MAX_RATIO * max(info.compress_size, 1)):
                    raise ReaderError(
                        f"zip member {info.filename[:200]} inflates to {info.file_size} bytes "
                        f"from {info.compress_size} (zip bomb?)", _result("zip", scan))
                with archive.open(info) as member:
                    _scan_raw(member, scan, MAX_MEMBER_BYTES, info.filename[:200])
            code = sum(1 for i in infos if i.filename.endswith(".py"))
    except ReaderError as exc:
        raise ReaderError(str(exc), exc.partial or _result("zip", scan)) from None
    except (Truncated, ValueError, zipfile.BadZipFile, EOFError, OSError, zlib.error,
            RuntimeError, NotImplementedError) as exc:  # encrypted / unknown compression
        raise ReaderError(f"corrupt zip container: {describe(exc)}", _result("zip", scan)) from None
    extra: dict[str, Any] = {"members": len(infos), "pickles_scanned": min(len(pickles),
                                                                          MAX_PICKLE_MEMBERS)}
    if code:
        extra["code_members"] = code  # TorchScript archives carry code that loading compiles
    if len(pickles) > MAX_PICKLE_MEMBERS:
        scan.incomplete(f"only the first {MAX_PICKLE_MEMBERS} of {len(pickles)} pickles scanned")
    return _result("zip", scan, **extra)


def _read_stream(path: Path, head: bytes) -> dict[str, Any]:
    scan = Scan()
    compression = next((name for magic, name in COMPRESSION if head.startswith(magic)), None)
    with contextlib.ExitStack() as stack:
        raw = stack.enter_context(open(path, "rb"))
        stream: Any
        if compression == "gzip":
            stream = stack.enter_context(gzip.GzipFile(fileobj=raw))
        elif compression == "bz2":
            stream = stack.enter_context(bz2.BZ2File(raw))
        elif compression == "xz":
            stream = stack.enter_context(lzma.LZMAFile(raw))
        elif compression == "zlib":
            stream = _ZlibReader(raw)
        else:
            stream = raw
        limit = MAX_DECOMPRESSED if compression else os.path.getsize(path)
        extra = {"compression": compression} if compression else {}
        try:
            _scan_raw(stream, scan, limit, "pickle")
        except ReaderError as exc:
            raise ReaderError(str(exc), _result("raw", scan, **extra)) from None
        except Truncated as exc:
            raise ReaderError(f"truncated: {exc}", _result("raw", scan, **extra)) from None
        except (EOFError, OSError, ValueError, lzma.LZMAError, zlib.error) as exc:
            raise ReaderError(f"corrupt stream: {describe(exc)}",
                              _result("raw", scan, **extra)) from None
    return _result("raw", scan, **extra)


def read(path: Path) -> dict[str, Any]:
    """Globals a pickle (raw, compressed, or inside a PyTorch zip) would import on load."""
    with open(path, "rb") as f:
        head = f.read(8)
    binary_ok = path.suffix.lower() == ".bin"
    if not head:
        if binary_ok:
            return {"format": "binary"}
        raise ReaderError("empty file")
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _read_zip(path)
    if binary_ok and not _looks_like_pickle(head):  # a .bin is often raw weights, not pickle
        return {"format": "binary"}
    return _read_stream(path, head)


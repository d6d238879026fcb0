"""SHA-256 and BLAKE3 of a file in one streamed pass, constant memory.

Both hashers release the GIL on large buffers, so files hashed on several threads use every core.
A large file given more than one thread is pipelined: SHA-256, which is sequential by design,
runs on a thread of its own over large page-aligned reads while BLAKE3 (parallel by design)
takes the remaining threads over the same buffers, so one file hashes for both digests at about
the speed of SHA-256 alone on one core.

Reads, never `mmap`: a file truncated under a mapping kills the process with SIGBUS, while a read
of a file that shrinks or changes just comes back short or different, and the caller's check of
the size and mtime before and after (inventory/scan.py) turns that into the existing
"file changed while it was being read" finding.
"""

from __future__ import annotations

import contextlib
import hashlib
import mmap
import os
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from io import FileIO
from pathlib import Path

import blake3

CHUNK = 1 << 17  # small enough to stay in L2 cache between the two hashers (measured fastest)
LARGE_FILE = 64 << 20  # a file this large gets threads of its own when cores are free
BIG_CHUNK = 1 << 22  # a pipelined read: 4 MiB into a page-aligned buffer, at aligned offsets
RING = 3  # buffers in flight: one being read and hashed by BLAKE3, up to two queued for SHA-256


@dataclass(frozen=True)
class Digests:
    """The two digests and the bytes actually read."""

    sha256: str
    blake3: str
    size: int


def _fill(fh: FileIO, view: memoryview) -> int:
    """One read into `view`; 0 at the end of the file (a seam the tests use to change a file)."""
    return fh.readinto(view) or 0


def hash_file(path: Path | str, threads: int = 1) -> Digests:
    """Read a file once, updating SHA-256 and BLAKE3 from the same buffers.

    With `threads` == 1 (many files hashed side by side, which already fills the cores) both
    hashers run in this thread over small buffers that stay in cache. A large file given two or
    more threads is pipelined: SHA-256 on one side thread, BLAKE3 on `threads` - 1 (here).
    """
    with open(path, "rb", buffering=0) as fh:
        if threads >= 2 and os.fstat(fh.fileno()).st_size >= LARGE_FILE:
            return _pipelined(fh, threads - 1)
        return _streamed(fh, threads)


def _streamed(fh: FileIO, threads: int) -> Digests:
    sha = hashlib.sha256()
    b3 = blake3.blake3(max_threads=max(1, threads))
    size = 0
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    while n := _fill(fh, view):
        chunk = view[:n]
        sha.update(chunk)
        b3.update(chunk)
        size += n
    return Digests(sha.hexdigest(), b3.hexdigest(), size)


def _pipelined(fh: FileIO, b3_threads: int) -> Digests:
    """SHA-256 on a side thread, BLAKE3 and the reads here, over a ring of RING buffers.

    A buffer is refilled only once SHA-256 is done with it, and BLAKE3 is done with it before the
    next read starts, so no byte is hashed after it has been overwritten."""
    sha = hashlib.sha256()
    b3 = blake3.blake3(max_threads=max(1, b3_threads))
    with contextlib.suppress(AttributeError, OSError):  # a hint, not on every platform
        os.posix_fadvise(fh.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
    ring = [memoryview(mmap.mmap(-1, BIG_CHUNK)) for _ in range(RING)]  # page-aligned
    pending: deque[Future[None]] = deque()
    size = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="hallmark-sha256") as side:
        try:
            i = 0
            while True:
                if len(pending) == RING:
                    pending.popleft().result()  # SHA-256 is done with ring[i]
                n = _fill(fh, ring[i])
                if not n:
                    break
                chunk = ring[i][:n]
                pending.append(side.submit(sha.update, chunk))
                b3.update(chunk)
                size += n
                i = (i + 1) % RING
        finally:
            while pending:  # never leave a buffer in use behind an exception
                pending.popleft().result()
    return Digests(sha.hexdigest(), b3.hexdigest(), size)


def large_files(sizes: Iterable[int]) -> int:
    """How many of these files are large enough to be given threads of their own."""
    return sum(1 for size in sizes if size >= LARGE_FILE)


def blake3_threads_for(size: int, files_in_flight: int) -> int:
    """The threads one file may use, with `files_in_flight` large files hashed at the same time
    (`large_files`). Small files, or more large files than cores, get one each: hashing them
    side by side already fills the cores, and splitting each small buffer across threads cost
    more than it gave (bench/hashing.py: 1,450 vs 1,880 MB/s). A large file alone, or one of
    fewer shards than cores, shares the cores out and is pipelined (`hash_file`)."""
    cpus = os.cpu_count() or 1
    if size >= LARGE_FILE and files_in_flight < cpus:
        return max(1, cpus // max(1, files_in_flight))
    return 1

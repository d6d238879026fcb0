"""SHA-256 and BLAKE3 of a file in one streamed pass, constant memory.

Both hashers release the GIL on large buffers, so files hashed on several threads use every core;
a large file hashed on its own gets multi-threaded BLAKE3 instead.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import blake3

CHUNK = 1 << 17  # small enough to stay in L2 cache between the two hashers (measured fastest)
LARGE_FILE = 64 << 20  # a file alone this large gets multi-threaded BLAKE3


@dataclass(frozen=True)
class Digests:
    """The two digests and the bytes actually read."""

    sha256: str
    blake3: str
    size: int


def hash_file(path: Path | str, threads: int = 1) -> Digests:
    """Stream a file once, updating SHA-256 and BLAKE3 from the same buffer.

    Parallelism comes from hashing several files at once (both hashers release the GIL); a large
    file also lets BLAKE3 split each buffer over `threads` threads. A side thread per file was
    measured slower than this plain loop (synchronisation per chunk, oversubscribed cores).
    """
    sha = hashlib.sha256()
    b3 = blake3.blake3(max_threads=max(1, threads))
    size = 0
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as fh:
        while n := fh.readinto(buf):
            chunk = view[:n]
            sha.update(chunk)
            b3.update(chunk)
            size += n
    return Digests(sha.hexdigest(), b3.hexdigest(), size)


def blake3_threads_for(size: int, files_in_flight: int) -> int:
    """BLAKE3's own threads pay only when one large file has the cores to itself; with several
    files in flight, hashing them side by side already fills the cores, and splitting each small
    buffer across threads cost more than it gave (bench/hashing.py: 1,450 vs 1,880 MB/s)."""
    if size >= LARGE_FILE and files_in_flight == 1:
        return os.cpu_count() or 1
    return 1

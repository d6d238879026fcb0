"""SHA-256 and BLAKE3 of a file in one streamed pass, constant memory.

Both hashers release the GIL on large buffers, so files hashed on several threads use every core;
a large file additionally gets multi-threaded BLAKE3.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import blake3

CHUNK = 1 << 20
LARGE_FILE = 64 << 20  # above this, BLAKE3 hashes each chunk on several threads


@dataclass(frozen=True)
class Digests:
    """The two digests and the bytes actually read."""

    sha256: str
    blake3: str
    size: int


def hash_file(path: Path | str, threads: int = 1) -> Digests:
    """Stream a file once, updating SHA-256 and BLAKE3 from the same buffer.

    With threads > 1 (large files), BLAKE3 runs on a side thread (itself multi-threaded) while
    SHA-256 hashes the same chunk here, so the pass costs max(sha, blake3) rather than their sum.
    """
    sha = hashlib.sha256()
    b3 = blake3.blake3(max_threads=threads if threads > 1 else 1)
    size = 0
    buf = bytearray(CHUNK * (4 if threads > 1 else 1))
    view = memoryview(buf)
    side = ThreadPoolExecutor(1) if threads > 1 else None
    try:
        with open(path, "rb", buffering=0) as fh:
            while True:
                n = fh.readinto(buf)
                if not n:
                    break
                chunk = view[:n]
                if side is None:
                    sha.update(chunk)
                    b3.update(chunk)
                else:
                    pending = side.submit(b3.update, chunk)
                    sha.update(chunk)
                    pending.result()
                size += n
    finally:
        if side is not None:
            side.shutdown()
    return Digests(sha.hexdigest(), b3.hexdigest(), size)


def blake3_threads_for(size: int) -> int:
    """How many BLAKE3 threads a file of this size deserves."""
    return (os.cpu_count() or 1) if size >= LARGE_FILE else 1

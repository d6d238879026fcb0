"""Content-addressed blob store under `.hallmark/blobs/`, written atomically."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


class BlobStore:
    """Blobs named by their SHA-256, fanned out by the first two hex digits."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, digest: str) -> Path:
        """Where the blob with this SHA-256 lives (whether or not it exists)."""
        return self.root / digest[:2] / digest

    def put(self, data: bytes) -> str:
        """Store bytes; returns their SHA-256. Idempotent."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        return digest

    def get(self, digest: str) -> bytes:
        """The blob's bytes; raises FileNotFoundError when absent."""
        return self.path(digest).read_bytes()

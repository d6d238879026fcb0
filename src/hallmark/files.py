"""Writing a user's output file: whole or not at all, and a bad path is one clear error."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hallmark.errors import InputError


def write_atomically(path: Path | str, data: bytes | str) -> Path:
    """Write `data` to `path` through a temporary file beside it and a rename, so a reader
    never sees half a file. A folder, a missing folder or any other failure to write is one
    InputError naming the path, and no temporary file stays behind."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise InputError(f"{path} is a folder; name the file to write")
    folder = path.parent
    if not folder.is_dir():
        raise InputError(f"cannot write {path}: folder {folder} does not exist")
    payload = data.encode() if isinstance(data, str) else data
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return path

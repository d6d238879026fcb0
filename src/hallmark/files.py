"""Writing a user's output file: whole or not at all, and a bad path is one clear error."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hallmark.errors import InputError, NotFound

MAX_SMALL_FILE = 1 << 20


def write_atomically(path: Path | str, data: bytes | str, *, field: str | None = None) -> Path:
    """Write `data` to `path` through a temporary file beside it and a rename, so a reader
    never sees half a file. A folder, a missing folder or any other failure to write is one
    InputError naming the path (and `field`), and no temporary file stays behind."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise InputError(f"{path} is a folder; name the file to write", field=field)
    folder = path.parent
    if not folder.is_dir():
        raise InputError(f"cannot write {path}: folder {folder} does not exist", field=field)
    payload = data.encode() if isinstance(data, str) else data
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}", field=field) from exc
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return path


def read_small(path: Path | str, what: str, *, field: str | None = None,
               limit: int = MAX_SMALL_FILE) -> bytes:
    """The bytes of a small file the user named (a key, a checkpoint, certificates): NotFound
    when it is not a file, InputError when it is larger than `limit`; both name `field`."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise NotFound(f"no {what} at {path}", field=field)
    if path.stat().st_size > limit:
        raise InputError(f"{path} is too large for a {what}", field=field)
    try:
        with path.open("rb") as fh:  # bounded: the file may grow after the size was read
            data = fh.read(limit + 1)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}", field=field) from exc
    if len(data) > limit:
        raise InputError(f"{path} is too large for a {what}", field=field)
    return data

"""What every reader fuzz test does: mutate a valid file, then hold the reader to its contract."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import strategies as st

from hallmark.inventory.readers import ReaderError, _dispatch


def mutate(data: st.DataObject, original: bytes, hot: int | None = None) -> bytes:
    """A truncation, or a few random byte changes (biased to the first `hot` bytes if given:
    headers are where a parser decides how much to read)."""
    blob = bytearray(original)
    if data.draw(st.booleans(), label="truncate"):
        return bytes(blob[: data.draw(st.integers(0, len(blob)), label="length")])
    anywhere = st.integers(0, len(blob) - 1)
    where = anywhere if hot is None else st.one_of(st.integers(0, min(len(blob) - 1, hot)),
                                                   anywhere)
    for _ in range(data.draw(st.integers(1, 8), label="flips")):
        blob[data.draw(where, label="at")] = data.draw(st.integers(0, 255), label="byte")
    return bytes(blob)


def assert_reader_contract(path: Path, kind: str) -> None:
    """A dict, or a one-line ReaderError with JSON-able partial metadata; nothing else. Calls
    `_dispatch`, not `read_metadata`, so that a bug cannot hide behind its catch-all."""
    try:
        meta = _dispatch(path, kind)
    except ReaderError as exc:
        assert str(exc) and "\n" not in str(exc)
        json.dumps(exc.partial)
    else:
        assert isinstance(meta, dict)
        json.dumps(meta)

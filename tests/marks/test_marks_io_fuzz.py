"""Hostile suspect files: whatever the bytes, reading gives batches or one InputError."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallmark.errors import InputError
from hallmark.marks import tabular_io
from hallmark.marks.columns import profile_batches

SEED_CSV = b"id,region,spend\n1,north,10\n2,south,12.5\n3,,x\n"
SEED_JSONL = b'{"id": 1, "v": 2.5}\n{"id": 2, "v": null}\n'


def _parquet_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        pq.write_table(pa.table({"id": [1, 2, 3], "v": [0.5, 1.5, None]}), f"{tmp}/t.parquet")
        return Path(f"{tmp}/t.parquet").read_bytes()


SEED_PARQUET = _parquet_bytes()


def _read(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"suspect{suffix}"
        path.write_bytes(data)
        try:
            source = tabular_io.open_table(path)
            profile_batches(source.schema, source.batches(), bytes(32))
        except InputError as exc:
            assert str(exc) and "\n" not in str(exc)


def _mutated(seed: bytes) -> st.SearchStrategy[bytes]:
    return st.tuples(st.integers(0, len(seed)), st.integers(0, len(seed)), st.binary(max_size=40)
                     ).map(lambda t: seed[:min(t[0], t[1])] + t[2] + seed[max(t[0], t[1]):])


@given(st.one_of(st.binary(max_size=200), _mutated(SEED_CSV)))
@settings(max_examples=60, deadline=None)
def test_csv_and_tsv(data: bytes) -> None:
    _read(data, ".csv")
    _read(data, ".tsv")


@given(st.one_of(st.binary(max_size=200), _mutated(SEED_JSONL)))
@settings(max_examples=60, deadline=None)
def test_jsonl(data: bytes) -> None:
    _read(data, ".jsonl")


@given(_mutated(SEED_PARQUET))
@settings(max_examples=60, deadline=None)
def test_parquet(data: bytes) -> None:
    _read(data, ".parquet")


@pytest.mark.parametrize("data", [b" null}\n", b"null\n", b"\n\nnull\n", b'{"a": 1}\n null \n',
                                  b'{"a": 1}\n' * 2000 + b"null\n" + b'{"a": 2}\n' * 10])
def test_top_level_null_line_is_refused_not_a_crash(data: bytes) -> None:
    """Arrow 26 segfaults on a JSON Lines `null` record (found by the fuzz test above); the
    reader refuses such a file first, naming the line, in this process and without crashing."""
    import subprocess
    import sys

    script = ("import sys; from pathlib import Path; from hallmark.marks import tabular_io;\n"
              "from hallmark.errors import InputError\n"
              "try:\n    s = tabular_io.open_table(Path(sys.argv[1]))\n"
              "    [b for b in s.batches()]\nexcept InputError as e:\n    print(e)\n")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "suspect.jsonl"
        path.write_bytes(data)
        done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                              text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    assert "must be an object" in done.stdout

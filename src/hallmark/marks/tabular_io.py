"""Streaming, bounded reading and atomic writing of flat tables: CSV, TSV, Parquet, JSON Lines.

Readers yield pyarrow record batches (constant memory); parse failures anywhere in a file become
one-line InputErrors; writers go to a temporary file beside the target and are renamed into place
only when complete.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from hallmark.errors import InputError

FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet", ".pq": "parquet",
           ".jsonl": "jsonl", ".ndjson": "jsonl"}
BLOCK = 1 << 20  # also bounds one CSV row or JSON line
MAX_COLUMNS = 4096
MAX_ROWS_PER_BATCH = 65_536


def format_of(path: Path) -> str:
    """csv, tsv, parquet or jsonl from the file name; InputError otherwise."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"{path.name}: not a table this can mark (CSV, TSV, Parquet, JSONL)")
    return fmt

KEEP_BYTES = 256 << 20  # Arrow data TwoPasses keeps from a first pass for the second


@dataclass
class Source:
    """An opened table: its schema and a fresh batch iterator per `batches()` call."""

    path: Path
    fmt: str
    schema: pa.Schema

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The file's record batches, read afresh with the schema fixed from the first read."""
        try:
            yield from _batches(self.path, self.fmt, self.schema)
        except (pa.ArrowException, OSError, ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"{self.path.name}: cannot read it as {self.fmt.upper()}: "
                             f"{_first_line(exc)}") from None


class TwoPasses:
    """The batches of a source for two passes (profile, then mark). Up to KEEP_BYTES of Arrow
    data are kept from the first pass, so a table that fits is parsed once; a larger one is read
    again, and memory stays bounded by that cap whatever the file's size."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.kept: list[pa.RecordBatch] | None = None

    def first_pass(self) -> Iterator[pa.RecordBatch]:
        """Every batch, keeping them while they fit under KEEP_BYTES."""
        kept: list[pa.RecordBatch] | None = []
        size = 0
        for batch in self.source.batches():
            if kept is not None:
                size += batch.nbytes
                if size <= KEEP_BYTES:
                    kept.append(batch)
                else:
                    kept = None  # too big to hold: the mark pass reads the file again
            yield batch
        self.kept = kept

    def second_pass(self) -> Iterator[pa.RecordBatch]:
        """The kept batches, or the file read again."""
        return iter(self.kept) if self.kept is not None else self.source.batches()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def open_table(path: Path | str, fmt: str | None = None) -> Source:
    """Open a table and learn its schema (types inferred from the first block)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise InputError(f"no file at {path}")
    fmt = fmt or format_of(path)
    try:
        if fmt == "parquet":
            with pq.ParquetFile(_open(path)) as pf:
                schema = pf.schema_arrow
        else:
            if fmt == "jsonl":
                _refuse_non_object_lines(path)
            reader = _text_reader(path, fmt, None)
            schema = reader.schema
            reader.close()
    except (pa.ArrowException, OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{path.name}: cannot read it as {fmt.upper()}: {_first_line(exc)}"
                         ) from None
    try:
        schema.names  # noqa: B018 - decoding the names is the check
    except UnicodeDecodeError:
        raise InputError(f"{path.name}: its column names are not valid UTF-8") from None
    if len(schema) > MAX_COLUMNS:
        raise InputError(f"{path.name}: more than {MAX_COLUMNS} columns")
    if len(schema) == 0:
        raise InputError(f"{path.name}: the table has no columns")
    nested = [f.name for f in schema if pa.types.is_nested(f.type)]
    if nested:
        raise InputError(f"{path.name}: column {nested[0]!r} is nested; only flat records")
    return Source(path, fmt, schema)


# A line whose first character is not "{": not a JSON Lines record of a table.
_NOT_AN_OBJECT = re.compile(rb"(?m)^[ \t\r]*[^{ \t\r\n]")


def _refuse_non_object_lines(path: Path) -> None:
    """Refuse a JSON Lines file with a line that is not an object, before Arrow sees it: Arrow
    (26.0) crashes the whole process on a top-level `null` line. One streaming pass, C speed."""
    line, tail = 1, b""
    with open(os.fsencode(path), "rb") as fh:
        while True:
            chunk = fh.read(BLOCK)
            data = tail + chunk
            cut = len(data) if not chunk else data.rfind(b"\n") + 1
            whole, tail = data[:cut], data[cut:]
            found = _NOT_AN_OBJECT.search(whole)
            if found:
                where = line + whole.count(b"\n", 0, found.start())
                raise InputError(f"{path.name} line {where}: a JSON Lines record must be an "
                                 "object ({...})")
            line += whole.count(b"\n")
            if len(tail) > BLOCK:
                raise InputError(f"{path.name} line {line}: longer than {BLOCK} bytes")
            if not chunk:
                return


def _open(path: Path) -> str | pa.NativeFile:
    """What Arrow opens: the path itself, or, for a name that is not UTF-8 (Arrow's own path
    handling insists on UTF-8), a stream opened by the name's bytes. Only then: Arrow manages
    the lifetime of a file it opened itself, which its threaded readers rely on."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return pa.OSFile(os.fsencode(path))
    return str(path)


def _text_reader(path: Path, fmt: str, schema: pa.Schema | None) -> Any:
    if fmt == "jsonl":
        parse = pajson.ParseOptions(explicit_schema=schema) if schema is not None else None
        return pajson.open_json(_open(path), read_options=pajson.ReadOptions(block_size=BLOCK),
                                parse_options=parse)
    types = {f.name: f.type for f in schema} if schema is not None else None
    return pacsv.open_csv(
        _open(path), read_options=pacsv.ReadOptions(block_size=BLOCK),
        parse_options=pacsv.ParseOptions(delimiter="\t" if fmt == "tsv" else ","),
        convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=False))


def _batches(path: Path, fmt: str, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    if fmt == "parquet":
        with pq.ParquetFile(_open(path)) as pf:
            yield from pf.iter_batches(batch_size=MAX_ROWS_PER_BATCH)
        return
    reader = _text_reader(path, fmt, schema)
    try:
        for batch in reader:
            if batch.num_rows:
                yield batch
    finally:
        reader.close()


class Writer:
    """Writes batches in one of the formats; `finish()` completes the file."""

    def __init__(self, fh: Any, fmt: str, schema: pa.Schema, path: Path) -> None:
        self.fh, self.fmt, self.schema, self.path = fh, fmt, schema, path
        self.finished = False
        self._w: Any = None
        if fmt == "parquet":
            self._w = pq.ParquetWriter(fh, schema)
        elif fmt in ("csv", "tsv"):
            self._w = pacsv.CSVWriter(fh, schema, write_options=pacsv.WriteOptions(
                delimiter="\t" if fmt == "tsv" else ",", quoting_style="needed"))

    def write(self, batch: pa.RecordBatch) -> None:
        """Append one batch."""
        if self._w is not None:
            self._w.write_batch(batch)
            return
        try:
            lines = [json.dumps(row, ensure_ascii=False, default=str, allow_nan=False)
                     for row in batch.to_pylist()]
        except ValueError as exc:
            raise InputError(f"cannot write JSON Lines: {exc}") from None
        self.fh.write(("\n".join(lines) + "\n").encode("utf-8"))

    def finish(self) -> Path:
        """Close the format and the file; returns the staged (not yet published) path."""
        if not self.finished:
            if self._w is not None:
                self._w.close()
            self.fh.close()
            self.finished = True
        return self.path


@contextmanager
def atomic_writer(out: Path, fmt: str, schema: pa.Schema) -> Iterator[Writer]:
    """A Writer onto a temporary file beside `out` that replaces `out` only if the block
    succeeds (the block may `finish()` early, e.g. to digest the file before publishing)."""
    out = out.expanduser()
    if out.is_dir():
        raise InputError(f"{out} is a folder; name the file to write")
    if not out.parent.is_dir():
        raise InputError(f"no folder {out.parent} to write {out.name} into")
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    fh = os.fdopen(fd, "wb")
    try:
        writer = Writer(fh, fmt, schema, Path(tmp))
        yield writer
        writer.finish()
        os.replace(tmp, out)
    except BaseException:
        fh.close()
        Path(tmp).unlink(missing_ok=True)
        raise
